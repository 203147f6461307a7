"""Contracts, their versions and acceptances, exchange rates, explain and what-if."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from accord.api.deps import CallerDep, StoreDep
from accord.api.schemas import (
    AcceptanceOut,
    AttributionPolicyIn,
    ContractIn,
    ContractOut,
    ContractVersionIn,
    ContractVersionOut,
    Strict,
)
from accord.contracts import service as contracts
from accord.contracts.terms import Bonus, Bounty, Cap, RuleSpec, TermsSpec
from accord.contracts.whatif import what_if
from accord.fx import service as fx
from accord.programs.service import get_program
from accord.tenancy.service import require_brand

router = APIRouter(tags=["contracts"])


# Guards: they run before the body is validated, so a key that may not touch the program or
# contract in the path is refused the same way whatever it sends (403 for a partner's key
# on a brand's action, 404 for another brand's id, as for an id that does not exist).
def brands_program(program_id: str, store: StoreDep, caller: CallerDep) -> None:
    require_brand(caller)
    get_program(store, caller, program_id)


def brands_contract(contract_id: str, store: StoreDep, caller: CallerDep) -> None:
    require_brand(caller)
    contracts.get_visible_contract(store, caller, contract_id)


def version_out(v) -> ContractVersionOut:
    return ContractVersionOut.model_validate(v, from_attributes=True)


@router.get("/programs/{program_id}/contracts", response_model=list[ContractOut])
def list_contracts(program_id: str, store: StoreDep, caller: CallerDep):
    """The program's contracts; a partner's key sees only the contract it is on."""
    return [
        ContractOut.model_validate(c, from_attributes=True)
        for c in contracts.list_contracts(store, caller, program_id)
    ]


@router.post(
    "/programs/{program_id}/contracts",
    response_model=ContractOut,
    status_code=201,
    dependencies=[Depends(brands_program)],
)
def create_contract(program_id: str, body: ContractIn, store: StoreDep, caller: CallerDep):
    """A contract (a template partners are put on) whose version 1 holds the terms:
    ranked rules (first match wins) with conditions, tiers and renewals, plus caps,
    bonuses and bounties."""
    contract = contracts.create_contract(
        store,
        caller,
        program_id,
        body.name,
        body.terms(),
        effective_from=body.effective_from,
        is_default=body.is_default,
        requires_acceptance=body.requires_acceptance,
        note=body.note,
    )
    return ContractOut.model_validate(contract, from_attributes=True)


@router.get("/contracts/{contract_id}/versions", response_model=list[ContractVersionOut])
def list_versions(contract_id: str, store: StoreDep, caller: CallerDep):
    """A contract's versions, oldest first. A partner's key reads only the contract it is
    on (its own, else the program's default), with every version of it: in force for the
    partner now, earlier or later, or waiting for its acceptance. Any other contract is
    404, as if it did not exist."""
    return [version_out(v) for v in contracts.list_versions(store, caller, contract_id)]


@router.post(
    "/contracts/{contract_id}/versions",
    response_model=ContractVersionOut,
    status_code=201,
    dependencies=[Depends(brands_contract)],
)
def add_version(contract_id: str, body: ContractVersionIn, store: StoreDep, caller: CallerDep):
    """New terms from `effective_from`; commissions already computed keep the version that
    produced them."""
    version = contracts.add_version(
        store,
        caller,
        contract_id,
        body.terms(),
        effective_from=body.effective_from,
        requires_acceptance=body.requires_acceptance,
        note=body.note,
    )
    return version_out(version)


@router.post(
    "/contract-versions/{version_id}/accept", response_model=AcceptanceOut, status_code=201
)
def accept_version(version_id: str, request: Request, store: StoreDep, caller: CallerDep):
    """A partner accepts a version of their contract; who, when and from where is kept."""
    token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    key_id = token.split("_")[1] if token.count("_") >= 2 else "unknown"
    accepted_by = f"api key {key_id}"
    ip = request.client.host if request.client else None
    row = contracts.accept_version(store, caller, version_id, accepted_by=accepted_by, ip=ip)
    return AcceptanceOut.model_validate(row, from_attributes=True)


@router.get("/contract-versions/{version_id}/acceptances", response_model=list[AcceptanceOut])
def list_acceptances(version_id: str, store: StoreDep, caller: CallerDep):
    return [
        AcceptanceOut.model_validate(a, from_attributes=True)
        for a in contracts.acceptances(store, caller, version_id)
    ]


class WhatIfIn(Strict):
    """Draft terms, an attribution model, or both, to replay over a past period."""

    program_id: str
    since: datetime = Field(description="Replay conversions that happened from this moment…")
    until: datetime = Field(description="…until this one (exclusive).")
    rules: list[RuleSpec] | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="Draft terms' ranked rules; leave out to pay each partner by its own "
        "contract (with `attribution`).",
    )
    caps: list[Cap] = Field(default_factory=list, max_length=20)
    bonuses: list[Bonus] = Field(default_factory=list, max_length=50)
    bounties: list[Bounty] = Field(default_factory=list, max_length=50)
    attribution: AttributionPolicyIn | None = Field(
        default=None,
        description="Attribute each conversion's kept journey again under this policy first.",
    )

    def terms(self) -> TermsSpec | None:
        if self.rules is None:
            return None
        return TermsSpec(
            rules=self.rules, caps=self.caps, bonuses=self.bonuses, bounties=self.bounties
        )


@router.post("/what-if")
def run_what_if(body: WhatIfIn, store: StoreDep, caller: CallerDep) -> dict:
    """Replay draft terms and/or another attribution model over a past period's
    conversions: per partner, what they would have earned against what they did earn.
    Nothing is written."""
    policy = body.attribution.policy() if body.attribution is not None else None
    return what_if(
        store, caller, body.program_id, body.terms(), body.since, body.until, policy
    ).as_dict()


class RateIn(Strict):
    base: str = Field(min_length=3, max_length=3, examples=["EUR"])
    quote: str = Field(min_length=3, max_length=3, examples=["USD"])
    rate: str = Field(examples=["1.0825"], description="1 base = rate quote, as a decimal string")
    effective_from: datetime | None = None


class RateOut(Strict):
    id: str
    base: str
    quote: str
    rate: str
    effective_from: datetime


def rate_out(r) -> RateOut:
    return RateOut(
        id=r.id, base=r.base, quote=r.quote, rate=str(r.rate), effective_from=r.effective_from
    )


@router.post("/exchange-rates", response_model=RateOut, status_code=201, tags=["exchange rates"])
def set_rate(body: RateIn, store: StoreDep, caller: CallerDep):
    """Enter a rate; conversions in `base` are converted to a `quote` program with the rate
    in force when they happened, and the rate used is kept with each commission."""
    return rate_out(
        fx.set_rate(store, caller, body.base, body.quote, body.rate, body.effective_from)
    )


@router.get("/exchange-rates", response_model=list[RateOut], tags=["exchange rates"])
def list_rates(store: StoreDep, caller: CallerDep):
    return [rate_out(r) for r in fx.list_rates(store, caller)]
