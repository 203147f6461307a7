"""The console's contracts: a program's contracts and their versions, and a new version
from its terms as JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from accord.api import bodies
from accord.contracts.service import add_version, list_contracts, list_versions
from accord.errors import InvalidInput
from accord.web.pages import Form, SignedIn, back_to, program_or_first, render

router = APIRouter(include_in_schema=False)


@router.get("/console/contracts")
def contracts_page(
    request: Request,
    visitor: SignedIn,
    program: str | None = None,
    contract: str | None = None,
    saved: int = 0,
):
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    contracts, chosen, versions, draft = [], None, [], ""
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
        draft=draft,
        saved=saved,
        error=None,
    )


def effective_from(text: str) -> datetime | None:
    """A date or time from the form: a plain date means midnight UTC; an offset is kept."""
    if not text.strip():
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
