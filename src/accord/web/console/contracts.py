"""The console's contracts: a program's contracts and their versions, and a new version
from its terms as JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from accord.api import bodies
from accord.contracts.diff import diff_terms
from accord.contracts.service import (
    add_version,
    list_contracts,
    list_versions,
    set_contract_types,
)
from accord.errors import InvalidInput
from accord.partners.model import PartnerType
from accord.partners.service import contract_holders, move_to_contract
from accord.web.pages import Form, FormPairs, SignedIn, back_to, program_or_first, render

router = APIRouter(include_in_schema=False)


@router.get("/console/contracts")
def contracts_page(
    request: Request,
    visitor: SignedIn,
    program: str | None = None,
    contract: str | None = None,
    saved: str = "",
    moved: int = -1,
):
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    contracts, chosen, versions, draft, holders = [], None, [], "", []
    if current is not None:
        contracts = list_contracts(store, visitor.caller, current.id)
        chosen = next((c for c in contracts if c.id == contract), None) or (
            next((c for c in contracts if c.is_default), contracts[0] if contracts else None)
        )
        if chosen is not None:
            versions = list_versions(store, visitor.caller, chosen.id)
            latest = max(versions, key=lambda v: (v.effective_from, v.number), default=None)
            if latest is not None:
                draft = json.dumps(latest.terms, indent=2, ensure_ascii=False)
            holders = contract_holders(store, visitor.caller, current.id)
    return render(
        request,
        "contracts.html",
        visitor=visitor,
        programs=programs,
        current=current,
        section="contracts",
        contracts=contracts,
        chosen=chosen,
        versions=sorted(versions, key=lambda v: v.number, reverse=True),
        diffs=version_changes(versions),
        draft=draft,
        saved=saved,
        moved=moved,
        error=None,
        holders=holders,
        on_it=[h for h in holders if is_on(h.contract_id, chosen)],
        coming=[h for h in holders if h.coming_at and is_on(h.coming_contract, chosen)],
        today=store.clock.now().date().isoformat(),
        partner_types=[t.value for t in PartnerType],
    )


def version_changes(versions) -> dict[str, list]:
    """Each version's changes from the one numbered before it."""
    terms = {v.number: v.terms for v in versions}
    return {v.id: diff_terms(terms.get(v.number - 1), v.terms) for v in versions}


def is_on(contract_id: str | None, contract) -> bool:
    """Whether a partner's contract (None: the default) is this contract."""
    if contract is None:
        return False
    return contract_id == contract.id or (contract_id is None and contract.is_default)


def effective_from(text: str, today=None) -> datetime | None:
    """A date or time from the form: a plain date means midnight UTC; an offset is kept;
    today (given `today`) means now."""
    if not text.strip():
        return None
    if today is not None and text.strip() == today.isoformat():
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("effective_from", "use a date such as 2027-01-01") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


@router.post("/console/contracts/{contract_id}/versions")
def new_version(contract_id: str, request: Request, visitor: SignedIn, form: Form):
    """A new version of a contract from its terms as JSON, effective from a date (today when
    empty), optionally waiting for each partner's acceptance."""
    program = form.get("program", "")
    back = f"/console/contracts?program={quote(program)}&contract={quote(contract_id)}"
    back_to(request, back)
    add_version(
        request.app.state.store,
        visitor.caller,
        contract_id,
        bodies.parse_json(form.get("terms", ""), allow=bodies.TEXT, field="terms"),
        effective_from=effective_from(form.get("effective_from", "")),
        requires_acceptance=form.get("requires_acceptance") == "on",
        note=form.get("note") or None,
    )
    return RedirectResponse(f"{back}&saved=1", status_code=303)


@router.post("/console/contracts/{contract_id}/types")
def contract_types(contract_id: str, request: Request, visitor: SignedIn, pairs: FormPairs):
    """The partner types the contract is meant for: applicants of them are offered it."""
    form = dict(pairs)
    back = (
        f"/console/contracts?program={quote(form.get('program', ''))}&contract={quote(contract_id)}"
    )
    back_to(request, back)
    types = [value for name, value in pairs if name == "partner_type"]
    set_contract_types(request.app.state.store, visitor.caller, contract_id, types)
    return RedirectResponse(f"{back}&saved=types", status_code=303)


@router.post("/console/contracts/{contract_id}/move")
def move_everyone(contract_id: str, request: Request, visitor: SignedIn, form: Form):
    """Move everyone on this contract now (or those of one partner type) to another
    contract of the program from a date."""
    program = form.get("program", "")
    back = f"/console/contracts?program={quote(program)}&contract={quote(contract_id)}"
    back_to(request, back)
    store = request.app.state.store
    contracts = {c.id: c for c in list_contracts(store, visitor.caller, program)}
    this = contracts.get(contract_id)
    if this is None:
        raise InvalidInput("contract_id", "is not a contract of this program")
    only = form.get("partner_type") or None
    holders = contract_holders(store, visitor.caller, program)
    on_it = [h.partner_id for h in holders
             if is_on(h.contract_id, this) and only in (None, h.partner_type)]  # fmt: skip
    if not on_it:
        return RedirectResponse(f"{back}&moved=0", status_code=303)
    target = form.get("to") or None
    if target == "default":
        target = None
    moved = move_to_contract(store, visitor.caller, program, on_it, target,
                             effective_from(form.get("effective_from", ""),
                                            store.clock.now().date()))  # fmt: skip
    return RedirectResponse(f"{back}&moved={moved}", status_code=303)
