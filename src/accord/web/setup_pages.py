"""The console's setup pages: program settings, contracts and their versions, links and
promo codes, API keys, and the events Accord refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from accord.api import bodies
from accord.errors import AccordError, InvalidInput
from accord.web.routes import (
    PAGE_SIZE,
    _brand_visitor,
    _expired,
    _forged,
    _form,
    _problem,
    _program_or_first,
    render,
)

router = APIRouter(include_in_schema=False)


def _page(request, name, visitor, programs, current, section, **context):
    if current is not None and name == "settings.html":
        from accord.money import Money
        from accord.programs.service import max_order_amount

        threshold = Money.from_minor(current.payout_threshold_minor, current.currency)
        context["fmt_threshold"] = str(threshold.amount)
        context["fmt_max_order"] = str(max_order_amount(current).amount)
    return render(
        request,
        name,
        visitor=visitor,
        programs=programs,
        current=current,
        section=section,
        **context,
    )


# settings ---------------------------------------------------------------------------------
@router.get("/console/settings")
def settings_page(request: Request, program: str | None = None, saved: int | None = None):
    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    programs, current = _program_or_first(request.app.state.store, visitor, program)
    return _page(
        request, "settings.html", visitor, programs, current, "settings", saved=saved, error=None
    )


@router.post("/console/settings")
async def save_settings(request: Request):
    """Change the program's windows, locking, payouts, domains and listing; the currency is
    shown but fixed once a program exists."""
    from accord.programs.service import update_program

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    form = await _form(request)
    if _forged(visitor, form, request):
        return _expired()
    store = request.app.state.store
    program = form.get("program", "")
    try:
        changes = {
            "name": form.get("name", ""),
            "default_landing_url": form.get("default_landing_url", "").strip(),
            "attribution_window_days": _integer(form, "attribution_window_days"),
            "locking_days": _integer(form, "locking_days"),
            "lock_policy": form.get("lock_policy", "after_event"),
            "auto_approve": form.get("auto_approve") == "on",
            "payout_threshold": _decimal(form, "payout_threshold"),
            "payout_schedule": form.get("payout_schedule", "manual"),
            "duplicate_click_seconds": _integer(form, "duplicate_click_seconds"),
            "view_through_hours": _integer(form, "view_through_hours"),
            "click_id_param": form.get("click_id_param", "").strip(),
            "permitted_domains": [
                d.strip()
                for d in form.get("permitted_domains", "").replace(",", "\n").splitlines()
                if d.strip()
            ],
            "listed": form.get("listed") == "on",
            "auto_approve_partners": form.get("auto_approve_partners") == "on",
            "description": form.get("description", ""),
            "browser_events": form.get("browser_events", "off"),
            "browser_event_max_age_minutes": _integer(form, "browser_event_max_age_minutes"),
            "max_order_amount": _decimal(form, "max_order_amount"),
            "order_total_tolerance_percent": _decimal(form, "order_total_tolerance_percent"),
        }
        update_program(store, visitor.caller, program, changes)
    except AccordError as error:
        programs, current = _program_or_first(store, visitor, program)
        return _page(
            request,
            "settings.html",
            visitor,
            programs,
            current,
            "settings",
            saved=None,
            error=error.message,
            http_status=error.status,
        )
    return RedirectResponse(f"/console/settings?program={quote(program)}&saved=1", status_code=303)


def _integer(form: dict[str, str], field: str) -> int:
    try:
        return int(form.get(field, "").strip())
    except ValueError:
        raise InvalidInput(field, "must be a whole number") from None


def _decimal(form: dict[str, str], field: str):
    from accord.money import to_decimal

    text = form.get(field, "").strip() or "0"
    try:
        return to_decimal(text, field=field)
    except InvalidInput:
        raise InvalidInput(field, "must be a number such as 25.00") from None


@router.post("/console/settings/browser-signing-key")
async def make_browser_signing_key(request: Request):
    """Make a new key for the brand's server to sign browser events with; shown once."""
    from accord.conversions.browser import SIGNING_RECIPE
    from accord.programs.service import new_browser_secret

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    form = await _form(request)
    if _forged(visitor, form, request):
        return _expired()
    store = request.app.state.store
    program = form.get("program", "")
    try:
        key = new_browser_secret(store, visitor.caller, program)
    except AccordError as error:
        return _problem(request, visitor, error.message, "/console/settings", error.status)
    programs, current = _program_or_first(store, visitor, program)
    page = _page(
        request,
        "settings.html",
        visitor,
        programs,
        current,
        "settings",
        saved=None,
        error=None,
        signing_key=key,
        signing_recipe=SIGNING_RECIPE,
    )
    page.headers["cache-control"] = "no-store"
    return page


# API keys ---------------------------------------------------------------------------------
@router.get("/console/api-keys")
def api_keys_page(request: Request, program: str | None = None):
    from accord.tenancy.service import list_api_keys

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    store = request.app.state.store
    programs, current = _program_or_first(store, visitor, program)
    return _page(
        request,
        "api_keys.html",
        visitor,
        programs,
        current,
        "api-keys",
        keys=list_api_keys(store, visitor.caller),
        token=None,
        scopes=_scopes_offered(visitor),
    )


def _scopes_offered(visitor) -> list[str]:
    """The scopes this visitor's role may give a key: what it holds itself."""
    from accord.tenancy.permissions import ALL, KEY_SCOPES

    return [s for s in (ALL, *KEY_SCOPES) if visitor.caller.may(s)]


@router.post("/console/api-keys")
async def make_api_key(request: Request):
    from accord.tenancy.service import create_api_key, list_api_keys

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    form = await _form(request)
    if _forged(visitor, form, request):
        return _expired()
    store = request.app.state.store
    name = form.get("name", "").strip()
    if not name or len(name) > 100:
        return _problem(
            request, visitor, "name: give the key a name (up to 100 characters)",
            "/console/api-keys", 422,
        )  # fmt: skip
    offered = _scopes_offered(visitor)
    scopes = [s for s in offered if form.get(f"scope:{s}")]
    try:
        token = create_api_key(
            store, visitor.caller, name, scopes, created_by=f"user:{visitor.user_id}"
        )
    except AccordError as error:
        return _problem(request, visitor, error.message, "/console/api-keys", error.status)
    programs, current = _program_or_first(store, visitor, form.get("program"))
    return _page(
        request,
        "api_keys.html",
        visitor,
        programs,
        current,
        "api-keys",
        keys=list_api_keys(store, visitor.caller),
        token=token,
        scopes=offered,
    )


@router.post("/console/api-keys/{key_id}/revoke")
async def revoke_api_key(key_id: str, request: Request):
    from accord.tenancy.service import revoke_api_key as revoke

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    form = await _form(request)
    if _forged(visitor, form, request):
        return _expired()
    try:
        revoke(request.app.state.store, visitor.caller, key_id)
    except AccordError as error:
        return _problem(request, visitor, error.message, "/console/api-keys", error.status)
    return RedirectResponse("/console/api-keys", status_code=303)


# rejected events --------------------------------------------------------------------------
@router.get("/console/rejected")
def rejected_page(request: Request, program: str | None = None, before: str | None = None):
    """What Accord refused (a bad currency, an unknown click, a changed retry...), newest
    first, with the field and reason, and the request as it came."""
    from accord.conversions.tables import RejectedEvent

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    store = request.app.state.store
    programs, current = _program_or_first(store, visitor, program)
    query = select(RejectedEvent).where(
        RejectedEvent.organization_id == visitor.caller.organization_id
    )
    if before:
        query = query.where(RejectedEvent.id < before)
    with store.read() as session:
        found = list(session.scalars(query.order_by(RejectedEvent.id.desc()).limit(PAGE_SIZE + 1)))
    rows = [(r, _pretty(r.payload)) for r in found[:PAGE_SIZE]]
    return _page(
        request,
        "rejected.html",
        visitor,
        programs,
        current,
        "rejected",
        rows=rows,
        more=len(found) > PAGE_SIZE,
    )


@router.get("/console/rejected.{kind}")
def rejected_export(request: Request, kind: str):
    """Every rejected event, with its reason and the request as sent, as CSV or Excel."""
    from accord.conversions.tables import RejectedEvent
    from accord.web import exports_table

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    if kind not in ("csv", "xlsx"):
        return Response("use rejected.csv or rejected.xlsx", status_code=404)
    with request.app.state.store.read() as session:
        rows = [
            (r.id, r.at.isoformat(), r.kind, r.error_code, r.field or "", r.message, r.payload)
            for r in session.scalars(
                select(RejectedEvent)
                .where(RejectedEvent.organization_id == visitor.caller.organization_id)
                .order_by(RejectedEvent.id)
            )
        ]
    columns = ("id", "at", "kind", "error_code", "field", "message", "request")
    return exports_table.download("rejected", kind, columns, rows)


def _pretty(payload: str) -> str:
    try:
        return json.dumps(json.loads(payload), indent=2, ensure_ascii=False)[:4000]
    except (ValueError, TypeError):
        return payload[:4000]


# contracts --------------------------------------------------------------------------------
@router.get("/console/contracts")
def contracts_page(
    request: Request, program: str | None = None, contract: str | None = None, saved: int = 0
):
    from accord.contracts.service import list_contracts, list_versions

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    store = request.app.state.store
    programs, current = _program_or_first(store, visitor, program)
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
    return _page(
        request,
        "contracts.html",
        visitor,
        programs,
        current,
        "contracts",
        contracts=contracts,
        chosen=chosen,
        versions=sorted(versions, key=lambda v: v.number, reverse=True),
        draft=draft,
        saved=saved,
        error=None,
    )


@router.post("/console/contracts/{contract_id}/versions")
async def new_version(contract_id: str, request: Request):
    """A new version of a contract from its terms as JSON, effective from a date (today when
    empty), optionally waiting for each partner's acceptance."""
    from accord.contracts.service import add_version

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    form = await _form(request)
    if _forged(visitor, form, request):
        return _expired()
    program = form.get("program", "")
    back = f"/console/contracts?program={quote(program)}&contract={quote(contract_id)}"
    try:
        terms = bodies.parse_json(form.get("terms", ""), allow=bodies.TEXT, field="terms")
        starts = form.get("effective_from", "").strip()
        try:
            effective = datetime.fromisoformat(starts) if starts else None
            if effective is not None:  # a plain date means midnight UTC; an offset is kept
                effective = (
                    effective.replace(tzinfo=UTC)
                    if effective.tzinfo is None
                    else effective.astimezone(UTC)
                )
        except ValueError:
            raise InvalidInput("effective_from", "use a date such as 2027-01-01") from None
        add_version(
            request.app.state.store,
            visitor.caller,
            contract_id,
            terms,
            effective_from=effective,
            requires_acceptance=form.get("requires_acceptance") == "on",
            note=form.get("note") or None,
        )
    except AccordError as error:
        return _problem(request, visitor, error.message, back, error.status)
    return RedirectResponse(f"{back}&saved=1", status_code=303)


# links and promo codes ----------------------------------------------------------------------
def _links_query(program_id: str, needle: str):
    from accord.partners.tables import Partner
    from accord.tracking.tables import Link

    query = (
        select(Link, Partner.name)
        .join(Partner, Partner.id == Link.partner_id)
        .where(Link.program_id == program_id)
    )
    if needle:
        query = query.where(Link.code.contains(needle) | Partner.name.contains(needle))
    return query.order_by(Link.created_at.desc(), Link.id.desc())


@router.get("/console/links.{kind}")
def links_export(request: Request, kind: str, program: str, q: str = ""):
    """Every link of the program (or of the search) as CSV or Excel."""
    from accord.programs.service import load_program
    from accord.web import exports_table

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    if kind not in ("csv", "xlsx"):
        return Response("use links.csv or links.xlsx", status_code=404)
    with request.app.state.store.read() as session:
        current = load_program(session, visitor.caller, program)
        rows = [
            (k.code, k.partner_id, name, k.destination_url, k.active,
             k.expires_at.isoformat() if k.expires_at else "", k.created_at.isoformat())
            for k, name in session.execute(_links_query(current.id, q.strip()))
        ]  # fmt: skip
    columns = ("code", "partner_id", "partner", "destination_url", "active", "expires_at",
               "created_at")  # fmt: skip
    return exports_table.download("links", kind, columns, rows)


@router.get("/console/links")
def links_page(
    request: Request, program: str | None = None, q: str = "", made: str = "", page: int = 1
):
    from accord.partners.service import enrollments
    from accord.partners.tables import Partner
    from accord.tracking.tables import PromoCode

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    store = request.app.state.store
    programs, current = _program_or_first(store, visitor, program)
    links, codes, partners = [], [], []
    if current is not None:
        needle = q.strip()
        with store.read() as session:
            page = min(max(1, page), 100_000)
            link_query = _links_query(current.id, needle)
            code_query = (
                select(PromoCode, Partner.name)
                .join(Partner, Partner.id == PromoCode.partner_id)
                .where(PromoCode.program_id == current.id)
            )
            if needle:
                code_query = code_query.where(
                    PromoCode.code.contains(needle.upper()) | Partner.name.contains(needle)
                )
            links = session.execute(
                link_query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
            ).all()
            codes = session.execute(code_query.order_by(PromoCode.code).limit(PAGE_SIZE)).all()
            approved = {
                e.partner_id for e in enrollments(store, visitor.caller, current.id, "approved")
            }
            partners = list(
                session.scalars(
                    select(Partner).where(Partner.id.in_(approved)).order_by(Partner.name)
                )
            )
    return _page(
        request,
        "links.html",
        visitor,
        programs,
        current,
        "links",
        links=links[:PAGE_SIZE],
        more=len(links) > PAGE_SIZE,
        page=page,
        codes=codes,
        partners=partners,
        q=q,
        made=made,
    )


@router.post("/console/promo-codes")
async def make_promo_code(request: Request):
    from accord.tracking.service import create_promo_code

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    form = await _form(request)
    if _forged(visitor, form, request):
        return _expired()
    program = form.get("program", "")
    back = f"/console/links?program={quote(program)}"
    try:
        promo = create_promo_code(
            request.app.state.store,
            visitor.caller,
            program,
            form.get("code", ""),
            partner_id=form.get("partner_id") or None,
        )
    except AccordError as error:
        return _problem(request, visitor, error.message, back, error.status)
    return RedirectResponse(f"{back}&made={quote(promo.code)}", status_code=303)
