"""The console's contracts: a program's contracts and their versions, and a new version
from its terms as JSON."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from accord.api import bodies
from accord.contracts.diff import diff_terms
from accord.contracts.service import (
    add_version,
    create_contract,
    list_contracts,
    list_versions,
    preview_terms,
    set_contract_types,
)
from accord.contracts.terms import parse_terms
from accord.errors import AccordError, InvalidInput, NotFound
from accord.jobs import service as jobs
from accord.partners.service import contract_holders, move_to_contract
from accord.partners.types import brand_types
from accord.web.console.terms_form import (
    form_field,
    rows_from_form,
    rows_from_terms,
    terms_from_form,
)
from accord.web.pages import (
    Form,
    FormPairs,
    SignedIn,
    back_to,
    locale_of,
    program_or_first,
    render,
    retry_with,
    said,
)

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
        partner_types=brand_types(request.app.state.store, visitor.caller, locale_of(request)),
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


# terms as a form ----------------------------------------------------------------------------
SAMPLE = ("sample_amount", "sample_event", "sample_customer", "sample_country", "sample_promo",
          "sample_month")  # fmt: skip


def contract_in(store, caller, program_id: str, contract_id: str):
    """One of the program's contracts, or NotFound."""
    found = next((c for c in list_contracts(store, caller, program_id) if c.id == contract_id),
                 None)  # fmt: skip
    if found is None:
        raise NotFound("contract", contract_id, field="contract_id")
    return found


def builder_page(request: Request, visitor, program: str | None, contract_id: str | None, *,
                 rows=None, form=None, errors=None, preview=None, status: int = 200):  # fmt: skip
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    contract, latest = None, None
    if current is not None and contract_id:
        contract = contract_in(store, visitor.caller, current.id, contract_id)
        versions = list_versions(store, visitor.caller, contract.id)
        latest = max(versions, key=lambda v: (v.effective_from, v.number), default=None)
    if form is None:
        share = ((latest.terms if latest else {}).get("view_through") or {}).get("share")
        form = {"view_through_share": str(share)} if share else {}
    return render(request, "contract_builder.html", http_status=status, visitor=visitor,
                  programs=programs, current=current, section="contracts", contract=contract,
                  rows=rows or rows_from_terms(latest.terms if latest else None),
                  form=form, errors=errors or {}, preview=preview,
                  sample={k: form.get(k, "") for k in SAMPLE},
                  partner_types=brand_types(store, visitor.caller, locale_of(request)),
                  holders=contract_holders(store, visitor.caller, current.id) if current
                  else [])  # fmt: skip


@router.get("/console/contracts/new")
def new_contract_page(request: Request, visitor: SignedIn, program: str | None = None):
    """A new contract built in a form: its name, whether it is the default, its terms."""
    return builder_page(request, visitor, program, None)


@router.get("/console/contracts/{contract_id}/build")
def build_page(contract_id: str, request: Request, visitor: SignedIn,
               program: str | None = None):  # fmt: skip
    """A new version of a contract built in a form, starting from its latest terms."""
    return builder_page(request, visitor, program, contract_id)


def _refused_fields(error: AccordError, origin: dict[str, str]) -> dict[str, str]:
    """Each refused form field and what the terms' check said of it."""
    found = getattr(error, "errors", None) or [{"field": error.field or "", "message": ""}]
    return {form_field(e["field"], origin): e["message"] for e in found}


@router.post("/console/contracts/build")
def build(request: Request, visitor: SignedIn, form: Form):
    """Preview a sample order under the draft (`action=preview`) or save it: a new version
    of the contract, or a new contract when there is none yet."""
    store = request.app.state.store
    program = form.get("program") or None
    contract_id = form.get("contract_id") or None
    terms, origin = terms_from_form(form)
    rows = rows_from_form(form)
    _, current = program_or_first(store, visitor, program)
    if current is not None and contract_id:
        contract_in(store, visitor.caller, current.id, contract_id)  # before any retry page

    def again(error: AccordError):
        errors = _refused_fields(error, origin)
        if error.field in ("name", "effective_from") or (error.field or "").startswith(
            ("whatif_", "sample_")
        ):
            errors = {error.field: said(request, error)}
        return builder_page(request, visitor, program, contract_id, rows=rows, form=form,
                            errors=errors, status=error.status)  # fmt: skip

    retry_with(request, again)
    if current is None:
        raise InvalidInput("program", "create a program first")
    if form.get("action") == "whatif":
        return _start_what_if(request, visitor, current, contract_id, terms, form)
    if form.get("action") == "preview":
        preview = preview_terms(
            terms, current.currency, event_type=form.get("sample_event") or "sale",
            amount=(form.get("sample_amount") or "100").strip(), at=store.clock.now(),
            customer_status=form.get("sample_customer") or "new",
            country=form.get("sample_country"), promo_code="SAMPLE" if form.get("sample_promo")
            else None, month_conversions=_count(form.get("sample_month")),
        )  # fmt: skip
        return builder_page(request, visitor, program, contract_id, rows=rows, form=form,
                            preview=preview)  # fmt: skip
    when = effective_from(form.get("effective_from", ""), store.clock.now().date())
    note = (form.get("note") or "").strip() or None
    if contract_id is None:
        made = create_contract(store, visitor.caller, current.id, form.get("name", ""), terms,
                               effective_from=when, is_default=form.get("is_default") == "on",
                               note=note)  # fmt: skip
        contract_id = made.id
    else:
        accept = form.get("requires_acceptance") == "on"
        add_version(store, visitor.caller, contract_id, terms, effective_from=when,
                    requires_acceptance=accept, note=note)  # fmt: skip
    return RedirectResponse(f"/console/contracts?program={quote(current.id)}"
                            f"&contract={quote(contract_id)}&saved=1", status_code=303)  # fmt: skip


def _start_what_if(request: Request, visitor, program, contract_id, terms, form) -> Response:
    """Replay the draft over a period's orders as a job; its page shows the result."""
    store = request.app.state.store
    parse_terms(terms)  # refused fields are named on the form, before any job starts
    today = store.clock.now().date()
    since = _date(form.get("whatif_since"), "whatif_since") or today - timedelta(days=30)
    until = _date(form.get("whatif_until"), "whatif_until") or today
    if since > until:
        raise InvalidInput("whatif_until", "must be on or after the first day")
    scope, _, value = (form.get("whatif_scope") or "all").partition(":")
    contracts = {c.id: c for c in list_contracts(store, visitor.caller, program.id)}
    job = jobs.start(store, visitor.caller, "terms_what_if", {
        "program_id": program.id, "terms": terms, "scope": scope, "value": value,
        "is_default": bool(scope == "contract" and value in contracts
                           and contracts[value].is_default),
        "since": datetime.combine(since, time(), UTC).isoformat(),
        "until": (datetime.combine(until, time(), UTC) + timedelta(days=1)).isoformat(),
    }, program_id=program.id, user_id=visitor.user_id)  # fmt: skip
    return RedirectResponse(f"/console/jobs/{job.id}", status_code=303)


def _date(text: str | None, field: str):
    if not (text or "").strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(field, "give a date such as 2026-11-01") from None


def _count(text: str | None) -> int:
    try:
        return max(0, min(int((text or "0").strip() or 0), 10_000_000))
    except ValueError:
        raise InvalidInput("sample_month", "write a whole number") from None
