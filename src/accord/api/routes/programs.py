"""Programs, their contracts and summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends
from pydantic import AwareDatetime, BaseModel, Field

from accord.api.deps import CallerDep, StoreDep, brands_program
from accord.api.schemas import (
    Amount,
    AttributionPolicyIn,
    BrowserSecretOut,
    PartnerProgramOut,
    ProgramIn,
    ProgramOut,
    ProgramPatch,
)
from accord.attribution import policies
from accord.conversions.browser import SIGNING_RECIPE
from accord.money import Money
from accord.programs import service as programs
from accord.programs.model import ProgramTerms
from accord.reports.service import program_summary

if TYPE_CHECKING:  # rows the services return, named in annotations only
    from accord.programs.tables import Program

router = APIRouter(tags=["programs"])


def program_out(p: Program, caller=None) -> ProgramOut | PartnerProgramOut:
    """The program for the caller: all of it for its brand, the partner's view otherwise."""
    if caller is not None and not caller.is_brand:
        return PartnerProgramOut(
            id=p.id,
            name=p.name,
            currency=p.currency,
            default_landing_url=p.default_landing_url,
            attribution_window_days=p.attribution_window_days,
            payout_threshold=Amount.minor(p.payout_threshold_minor, p.currency),
            click_id_param=p.click_id_param,
            permitted_domains=list(p.permitted_domains or []),
            description=p.description or "",
        )
    return ProgramOut(
        id=p.id,
        name=p.name,
        currency=p.currency,
        default_landing_url=p.default_landing_url,
        attribution_window_days=p.attribution_window_days,
        locking_days=p.locking_days,
        payout_threshold=Amount.minor(p.payout_threshold_minor, p.currency),
        click_id_param=p.click_id_param,
        permitted_domains=list(p.permitted_domains or []),
        duplicate_click_seconds=p.duplicate_click_seconds,
        lock_policy=p.lock_policy,
        auto_approve=p.auto_approve,
        payout_schedule=p.payout_schedule,
        platform_fee_percent=format(p.platform_fee_percent, "f"),
        listed=p.listed,
        description=p.description or "",
        auto_approve_partners=p.auto_approve_partners,
        view_through_hours=p.view_through_hours,
        browser_events=p.browser_events,
        browser_event_max_age_minutes=p.browser_event_max_age_minutes,
        browser_signing_key_set=p.browser_signing_secret is not None,
        max_order_amount=Amount(
            amount=str(programs.max_order_amount(p).amount), currency=p.currency
        ),
        order_total_tolerance_percent=format(p.order_total_tolerance_percent, "f"),
        created_at=p.created_at,
    )


@router.get("/programs", response_model=list[ProgramOut | PartnerProgramOut])
def list_programs(store: StoreDep, caller: CallerDep):
    """Programs of the caller's brand, or the programs a partner is enrolled in."""
    return [program_out(p, caller) for p in programs.list_programs(store, caller)]


@router.post("/programs", response_model=ProgramOut, status_code=201)
def create_program(body: ProgramIn, store: StoreDep, caller: CallerDep):
    terms = ProgramTerms(
        name=body.name,
        currency=body.currency,
        default_landing_url=body.default_landing_url,
        attribution_window_days=body.attribution_window_days,
        locking_days=body.locking_days,
        payout_threshold=Money.parse(
            body.payout_threshold, body.currency, field="payout_threshold"
        ),
        click_id_param=body.click_id_param,
        permitted_domains=tuple(body.permitted_domains),
        duplicate_click_seconds=body.duplicate_click_seconds,
        lock_policy=body.lock_policy,
        auto_approve=body.auto_approve,
        payout_schedule=body.payout_schedule,
        platform_fee_percent=body.platform_fee_percent,
        listed=body.listed,
        description=body.description,
        auto_approve_partners=body.auto_approve_partners,
        view_through_hours=body.view_through_hours,
        browser_events=body.browser_events,
        browser_event_max_age_minutes=body.browser_event_max_age_minutes,
        max_order_amount=(
            None
            if body.max_order_amount is None
            else Money.parse(body.max_order_amount, body.currency, field="max_order_amount")
        ),
        order_total_tolerance_percent=body.order_total_tolerance_percent,
    )
    return program_out(programs.create_program(store, caller, terms))


@router.patch(
    "/programs/{program_id}", response_model=ProgramOut, dependencies=[Depends(brands_program)]
)
def update_program(program_id: str, body: ProgramPatch, store: StoreDep, caller: CallerDep):
    """Change settings: windows, locking, threshold, landing page, permitted domains."""
    changes = body.model_dump(exclude_unset=True)
    return program_out(programs.update_program(store, caller, program_id, changes))


@router.post(
    "/programs/{program_id}/browser-signing-key",
    response_model=BrowserSecretOut,
    status_code=201,
)
def new_browser_signing_key(program_id: str, store: StoreDep, caller: CallerDep):
    """Make (or replace) the key the brand's server signs browser events with. It is shown
    once; events signed with the previous key stop verifying."""
    secret = programs.new_browser_secret(store, caller, program_id)
    return BrowserSecretOut(secret=secret, how_to_sign=SIGNING_RECIPE)


@router.get("/programs/{program_id}", response_model=ProgramOut | PartnerProgramOut)
def get_program(program_id: str, store: StoreDep, caller: CallerDep):
    return program_out(programs.get_program(store, caller, program_id), caller)


@router.get("/programs/{program_id}/summary")
def get_summary(program_id: str, store: StoreDep, caller: CallerDep) -> dict:
    """Clicks, conversions, revenue, commissions, ledger balances and their reconciliation."""
    return program_summary(store, caller, program_id).as_dict()


# Attribution policy ----------------------------------------------------------------------


class PolicyIn(AttributionPolicyIn):
    """A new version of the program's attribution policy."""

    effective_from: AwareDatetime | None = Field(
        default=None, description="From when (now or later); default: now."
    )
    event_type: str | None = Field(
        default=None, max_length=64, description="Only for this event type; default: all."
    )
    note: str | None = Field(default=None, max_length=500)


class PolicyOut(BaseModel):
    id: str | None
    program_id: str
    event_type: str | None
    effective_from: str | None
    note: str | None
    created_at: str | None
    in_force: bool
    model: str
    window_days: int | None
    first_weight: str
    last_weight: str
    half_life_hours: int
    code_policy: str
    type_priority: list[str]
    priority_hours: int
    split: bool


@router.get(
    "/programs/{program_id}/attribution-policy",
    response_model=list[PolicyOut],
    dependencies=[Depends(brands_program)],
)
def get_attribution_policy(program_id: str, store: StoreDep, caller: CallerDep):
    """Every version of the program's attribution policy, the newest first; `in_force`
    marks the one that applies to conversions happening now (per event type)."""
    return [v.as_dict() for v in policies.list_policies(store, caller, program_id)]


@router.post(
    "/programs/{program_id}/attribution-policy",
    response_model=PolicyOut,
    status_code=201,
    dependencies=[Depends(brands_program)],
)
def set_attribution_policy(program_id: str, body: PolicyIn, store: StoreDep, caller: CallerDep):
    """A new version of the policy, in force from `effective_from` (now or later). It
    applies to conversions that happen from then on; commissions already computed stay."""
    version = policies.set_policy(
        store,
        caller,
        program_id,
        body.policy(),
        effective_from=body.effective_from,
        event_type=body.event_type,
        note=body.note,
    )
    return version.as_dict()
