"""The partner portal: sign up, find and apply to programs, accept the contract, make links,
see earnings and why, payouts and statements, and set a payout method and postbacks.

Every query goes through the partner's own Caller, so the services scope it to the partner:
a partner sees its own clicks, commissions and payouts, never another partner's, never the
brand's customers (no customer ids, emails or IPs are rendered here) and never the brand's
settings beyond what a partner needs to promote the program.
"""

from __future__ import annotations

import json
import secrets
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import case, func, select

from accord.api import bodies
from accord.errors import AccordError
from accord.web import sessions
from accord.web.routes import (
    LOGIN_CSRF,
    PAGE_SIZE,
    _body,
    _expired,
    _forged,
    _form,
    _peer,
    _problem,
    _refused,
    _secure,
    _to_login,
    _visitor,
    locale_of,
    render,
)

router = APIRouter(include_in_schema=False)


def _partner_visitor(request: Request):
    """The signed-in partner, or the response to send instead (sign in; brands to the
    console)."""
    visitor = _visitor(request)
    if visitor is None:
        return None, _to_login(request)
    if visitor.caller.partner_id is None:
        return None, RedirectResponse("/console", status_code=303)
    refusal = _refused(request, visitor)
    return (None, refusal) if refusal is not None else (visitor, None)


def _enrolled(store, caller) -> list[dict]:
    """The partner's programs (any status), with the brand's name."""
    from accord.partners.tables import Enrollment
    from accord.programs.tables import Program
    from accord.tenancy.tables import Organization

    with store.read() as session:
        rows = session.execute(
            select(Program, Enrollment.status, Organization.name)
            .join(Enrollment, Enrollment.program_id == Program.id)
            .join(Organization, Organization.id == Program.organization_id)
            .where(Enrollment.partner_id == caller.partner_id)
            .order_by(Program.name, Program.id)
        ).all()
    return [{"program": p, "status": s, "brand": b} for p, s, b in rows]


def _pick(enrolled: list[dict], program: str | None, *, approved_only: bool = False):
    usable = [e for e in enrolled if e["status"] == "approved"] if approved_only else enrolled
    chosen = next((e for e in usable if e["program"].id == program), None)
    return chosen or (usable[0] if usable else None)


def _page(request, name: str, visitor, enrolled, current, section: str, **context):
    return render(
        request,
        name,
        visitor=visitor,
        enrolled=enrolled,
        programs=[e["program"] for e in enrolled if e["status"] == "approved"],
        current=current["program"] if current else None,
        enrollment=current,
        section=section,
        **context,
    )


@router.get("/portal/login")
def portal_login():
    return RedirectResponse("/console/login?next=/portal", status_code=303)


# sign up ----------------------------------------------------------------------------------
@router.get("/portal/signup")
def signup_page(request: Request):
    from accord.partners.model import PartnerType

    if _visitor(request) is not None:
        return RedirectResponse("/portal", status_code=303)
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "portal/signup.html",
        csrf=token,
        form={},
        types=[t.value for t in PartnerType],
        error=None,
    )
    response.set_cookie(
        LOGIN_CSRF, token, httponly=True, samesite="lax", secure=_secure(request), max_age=3600
    )
    return response


@router.post("/portal/signup")
async def signup(request: Request):
    from accord.partners.model import PartnerType
    from accord.partners.service import sign_up_partner

    form = await _form(request)
    expected = request.cookies.get(LOGIN_CSRF)
    shown = {k: v for k, v in form.items() if k != "password"}

    def again(error: str, field: str | None, status: int):
        return render(
            request,
            "portal/signup.html",
            http_status=status,
            csrf=expected or "",
            form=shown,
            types=[t.value for t in PartnerType],
            error=error,
            field=field,
        )

    if not expected or not secrets.compare_digest(expected.encode(), form.get("csrf", "").encode()):
        return again("expired", None, 403)
    from accord.web.throttle import SIGN_UP

    if SIGN_UP.wait_seconds(_peer(request)):
        return again("throttled", None, 429)
    try:
        sign_up_partner(
            request.app.state.store,
            name=form.get("name", ""),
            email=form.get("email", ""),
            password=form.get("password", ""),
            partner_type=form.get("partner_type", ""),
            country=form.get("country"),
            website=form.get("website"),
        )
        token, _ = sessions.sign_in(
            request.app.state.store, form.get("email", ""), form.get("password", "")
        )
    except AccordError as error:
        SIGN_UP.hit(_peer(request))  # failures count too: guessing which emails exist is slow
        return again(error.message, getattr(error, "field", None), error.status)
    SIGN_UP.hit(_peer(request))
    response = RedirectResponse("/portal/programs?welcome=1", status_code=303)
    response.set_cookie(
        sessions.COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        max_age=int(sessions.LONGEST.total_seconds()),
    )
    response.delete_cookie(LOGIN_CSRF)
    return response


# home -------------------------------------------------------------------------------------
@router.get("/portal")
def home(request: Request, program: str | None = None, accepted: int | None = None):
    from accord.contracts.service import partner_contract
    from accord.reports.activity import daily_series

    visitor, refusal = _partner_visitor(request)
    if refusal is not None:
        return refusal
    store = request.app.state.store
    enrolled = _enrolled(store, visitor.caller)
    current = _pick(enrolled, program)
    context: dict = {"accepted": accepted}
    if current is not None and current["status"] == "approved":
        program_id = current["program"].id
        series = daily_series(store, visitor.caller, program_id)
        context.update(
            totals=_earnings(store, visitor.caller, program_id),
            contract=partner_contract(store, visitor.caller, program_id),
            chart_json=json.dumps(
                {
                    "days": series.days,
                    "clicks": series.clicks,
                    "conversions": series.conversions,
                    "commissions": [str(v) for v in series.commissions],
                }
            ),
            recent=_commission_rows(store, visitor.caller, program_id, None, None, limit=8)[0],
        )
    return _page(request, "portal/home.html", visitor, enrolled, current, "home", **context)


def _earnings(store, caller, program_id: str) -> dict:
    """The partner's figures in a program: clicks, conversions, and earnings by status."""
    from accord.commissions.tables import Commission
    from accord.conversions.tables import Conversion
    from accord.money import Money
    from accord.payouts.service import partner_balances
    from accord.programs.service import load_program
    from accord.tracking.tables import Click

    with store.read() as session:
        program = load_program(session, caller, program_id)
        clicks, unique = session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((Click.duplicate.is_(False), 1), else_=0)), 0),
            ).where(Click.program_id == program.id, Click.partner_id == caller.partner_id)
        ).one()
        conversions = session.scalar(
            select(func.count()).where(
                Conversion.program_id == program.id, Conversion.partner_id == caller.partner_id
            )
        )
        by_status = dict(
            session.execute(
                select(Commission.status, func.coalesce(func.sum(Commission.amount_minor), 0))
                .where(
                    Commission.program_id == program.id,
                    Commission.partner_id == caller.partner_id,
                )
                .group_by(Commission.status)
            ).all()
        )
    balance = next((b.payable_minor for b in partner_balances(store, caller, program_id)), 0)

    def money(minor) -> Money:
        return Money.from_minor(int(minor or 0), program.currency)

    return {
        "currency": program.currency,
        "clicks": int(clicks),
        "unique_clicks": int(unique),
        "conversions": int(conversions or 0),
        "pending": money(by_status.get("pending", 0) + by_status.get("locked", 0)),
        "approved": money(by_status.get("approved", 0)),
        "paid": money(by_status.get("paid", 0)),
        "payable": money(balance),
        "threshold": money(program.payout_threshold_minor),
    }


# programs ---------------------------------------------------------------------------------
@router.get("/portal/programs")
def programs_page(request: Request, welcome: int | None = None, applied: str | None = None):
    from accord.partners.service import listed_programs

    visitor, refusal = _partner_visitor(request)
    if refusal is not None:
        return refusal
    store = request.app.state.store
    enrolled = _enrolled(store, visitor.caller)
    return _page(
        request,
        "portal/programs.html",
        visitor,
        enrolled,
        None,
        "programs",
        listings=listed_programs(store, visitor.caller),
        welcome=welcome,
        applied=applied,
    )


@router.post("/portal/programs/{program_id}/apply")
async def apply(program_id: str, request: Request):
    from accord.partners.service import apply_to_program

    visitor, refusal = _partner_visitor(request)
    if refusal is not None:
        return refusal
    form = await _form(request)
    if _forged(visitor, form, request):
        return _expired()
    try:
        enrollment = apply_to_program(
            request.app.state.store, visitor.caller, program_id, form.get("note")
        )
    except AccordError as error:
        return _problem(request, visitor, error.message, "/portal/programs", error.status)
    return RedirectResponse(
        f"/portal/programs?applied={quote(enrollment.status)}#p-{quote(program_id)}",
        status_code=303,
    )


@router.post("/portal/programs/{program_id}/accept")
async def accept(program_id: str, request: Request):
    from accord.contracts.service import accept_version

    visitor, refusal = _partner_visitor(request)
    if refusal is not None:
        return refusal
    form = await _form(request)
    if _forged(visitor, form, request):
        return _expired()
    back = f"/portal?program={quote(program_id)}"
    try:
        accept_version(
            request.app.state.store,
            visitor.caller,
            form.get("version_id", ""),
            accepted_by=visitor.email,
            ip=request.client.host if request.client else None,
        )
    except AccordError as error:
        return _problem(request, visitor, error.message, back, error.status)
    return RedirectResponse(f"{back}&accepted=1", status_code=303)


@router.get("/portal/contract")
def contract_page(request: Request, program: str | None = None):
    from accord.contracts.service import partner_contract
    from accord.contracts.terms import parse_terms

    visitor, refusal = _partner_visitor(request)
    if refusal is not None:
        return refusal
    store = request.app.state.store
    enrolled = _enrolled(store, visitor.caller)
    current = _pick(enrolled, program, approved_only=True)
    contract = terms = None
    if current is not None:
        contract = partner_contract(store, visitor.caller, current["program"].id)
        if contract is not None and contract.shown is not None:
            terms = parse_terms(contract.shown.terms)
    return _page(
        request,
        "portal/contract.html",
        visitor,
        enrolled,
        current,
        "contract",
        contract=contract,
        terms=terms,
        describe=_describe_when,
    )


def _describe_when(when) -> str:
    """A rule's conditions in one line, only those that narrow it."""
    shown = when.model_dump(mode="json", exclude_defaults=True)
    return "; ".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in shown.items())


# links and promo codes ---------------------------------------------------------------------
@router.get("/portal/links")
def links_page(
    request: Request,
    program: str | None = None,
    link: str | None = None,
    url: str = "",
    sub1: str = "",
    sub2: str = "",
    sub3: str = "",
    sub4: str = "",
    sub5: str = "",
    made: str | None = None,
):
    from accord.tracking.model import deep_link
    from accord.tracking.service import link_target
    from accord.tracking.tables import Link, PromoCode

    visitor, refusal = _partner_visitor(request)
    if refusal is not None:
        return refusal
    store = request.app.state.store
    enrolled = _enrolled(store, visitor.caller)
    current = _pick(enrolled, program, approved_only=True)
    links, codes, built, landed, fell_back = [], [], None, None, False
    base = request.app.state.settings.links_base(str(request.base_url))
    subs = {"sub1": sub1, "sub2": sub2, "sub3": sub3, "sub4": sub4, "sub5": sub5}
    if current is not None:
        program_id = current["program"].id
        with store.read() as session:
            links = list(
                session.scalars(
                    select(Link)
                    .where(
                        Link.program_id == program_id, Link.partner_id == visitor.caller.partner_id
                    )
                    .order_by(Link.created_at.desc())
                )
            )
            codes = list(
                session.scalars(
                    select(PromoCode)
                    .where(
                        PromoCode.program_id == program_id,
                        PromoCode.partner_id == visitor.caller.partner_id,
                    )
                    .order_by(PromoCode.code)
                )
            )
            chosen = next((x for x in links if x.code == link), None)
            if chosen is not None:
                query = {k: v.strip() for k, v in subs.items() if v.strip()}
                if url.strip():
                    query = {"url": url.strip(), **query}
                    target = link_target(session, chosen.code)
                    landed = deep_link(url.strip(), target) if target else None
                    fell_back = landed == chosen.destination_url and url.strip() not in (
                        chosen.destination_url,
                        "/",
                    )
                built = f"{base}/c/{chosen.code}" + (f"?{urlencode(query)}" if query else "")
    return _page(
        request,
        "portal/links.html",
        visitor,
        enrolled,
        current,
        "links",
        links=links,
        codes=codes,
        base=base,
        built=built,
        landed=landed,
        fell_back=fell_back,
        chosen=link,
        url=url,
        subs=subs,
        made=made,
    )


@router.post("/portal/links")
async def make_link(request: Request):
    from datetime import datetime

    from accord.tracking.service import create_link

    visitor, refusal = _partner_visitor(request)
    if refusal is not None:
        return refusal
    form = await _form(request)
    if _forged(visitor, form, request):
        return _expired()
    program = form.get("program", "")
    back = f"/portal/links?program={quote(program)}"
    try:
        expires = form.get("expires_on") or None
        link = create_link(
            request.app.state.store,
            visitor.caller,
            program,
            destination_url=(form.get("destination_url") or "").strip() or None,
            code=(form.get("code") or "").strip() or None,
            expires_at=(datetime.fromisoformat(f"{expires}T23:59:59+00:00") if expires else None),
        )
    except ValueError:
        return _problem(request, visitor, "expires_on: use a date such as 2027-01-31", back, 422)
    except AccordError as error:
        return _problem(request, visitor, error.message, back, error.status)
    return RedirectResponse(
        f"{back}&made={quote(link.code)}&link={quote(link.code)}", status_code=303
    )


# commissions ------------------------------------------------------------------------------
def _commission_rows(store, caller, program_id, status, after, *, limit: int = PAGE_SIZE):
    """A page of the partner's commissions, newest first, with the order id."""
    from accord.commissions.service import visible_commissions
    from accord.commissions.tables import Commission
    from accord.conversions.tables import Conversion

    query = (
        visible_commissions(caller)
        .where(Commission.program_id == program_id)
        .add_columns(Conversion.order_id)
        .outerjoin(Conversion, Conversion.id == Commission.conversion_id)
    )
    if status:
        query = query.where(Commission.status == status)
    if after:
        query = query.where(Commission.id < after)
    with store.read() as session:
        rows = session.execute(query.order_by(Commission.id.desc()).limit(limit + 1)).all()
    return rows[:limit], len(rows) > limit


@router.get("/portal/commissions")
def commissions_page(
    request: Request,
    program: str | None = None,
    status: str | None = None,
    after: str | None = None,
):
    from accord.commissions.model import CommissionStatus

    visitor, refusal = _partner_visitor(request)
    if refusal is not None:
        return refusal
    store = request.app.state.store
    enrolled = _enrolled(store, visitor.caller)
    current = _pick(enrolled, program, approved_only=True)
    statuses = [s.value for s in CommissionStatus]
    status = status if status in statuses else None
    rows, more = [], False
    if current is not None:
        rows, more = _commission_rows(store, visitor.caller, current["program"].id, status, after)
    return _page(
        request,
        "portal/commissions.html",
        visitor,
        enrolled,
        current,
        "commissions",
        rows=rows,
        more=more,
        statuses=statuses,
        status_filter=status,
    )


@router.get("/portal/commissions.{kind}")
def commissions_export(request: Request, kind: str, program: str, status: str | None = None):
    """All of the partner's commissions in a program (or of one status), CSV or Excel."""
    from accord.money import Money
    from accord.web import exports_table

    visitor, refusal = _partner_visitor(request)
    if refusal is not None:
        return refusal
    if kind not in ("csv", "xlsx"):
        return Response("use commissions.csv or commissions.xlsx", status_code=404)
    store = request.app.state.store
    rows, after = [], None
    while True:
        page, more = _commission_rows(store, visitor.caller, program, status, after)
        rows += [
            (c.id, order or "", c.kind, c.event_type, c.status,
             Money.from_minor(c.amount_minor, c.currency).amount, c.currency,
             c.occurred_at.isoformat())
            for c, order in page
        ]  # fmt: skip
        if not more:
            break
        after = page[-1][0].id
    columns = ("commission_id", "order_id", "kind", "event_type", "status", "amount",
               "currency", "occurred_at")  # fmt: skip
    return exports_table.download("earnings", kind, columns, rows)


@router.get("/portal/commissions/{commission_id}")
def commission_page(commission_id: str, request: Request):
    from accord.commissions.service import explain

    visitor, refusal = _partner_visitor(request)
    if refusal is not None:
        return refusal
    try:
        explained = explain(request.app.state.store, visitor.caller, commission_id)
    except AccordError as error:
        return _problem(request, visitor, error.message, "/portal/commissions", error.status)
    return render(
        request,
        "portal/commission.html",
        visitor=visitor,
        c=explained,
        section="commissions",
        programs=[],
        current=None,
    )


# payouts ----------------------------------------------------------------------------------
@router.get("/portal/payouts")
def payouts_page(request: Request, program: str | None = None, before: str = ""):
    from accord.payouts.service import visible_payouts
    from accord.payouts.tables import Payout

    visitor, refusal = _partner_visitor(request)
    if refusal is not None:
        return refusal
    store = request.app.state.store
    enrolled = _enrolled(store, visitor.caller)
    current = _pick(enrolled, program, approved_only=True)
    payouts, totals = [], None
    if current is not None:
        totals = _earnings(store, visitor.caller, current["program"].id)
        query = visible_payouts(visitor.caller).where(Payout.program_id == current["program"].id)
        if before:
            query = query.where(Payout.id < before)
        with store.read() as session:
            payouts = list(session.scalars(query.order_by(Payout.id.desc()).limit(PAGE_SIZE + 1)))
    return _page(
        request,
        "portal/payouts.html",
        visitor,
        enrolled,
        current,
        "payouts",
        payouts=payouts[:PAGE_SIZE],
        more=len(payouts) > PAGE_SIZE,
        totals=totals,
    )


@router.get("/portal/payouts.{kind}")
def payouts_export(request: Request, kind: str, program: str):
    """All of the partner's payouts in a program, CSV or Excel."""
    from accord.payouts.service import visible_payouts
    from accord.payouts.tables import Payout
    from accord.web import exports_table

    visitor, refusal = _partner_visitor(request)
    if refusal is not None:
        return refusal
    if kind not in ("csv", "xlsx"):
        return Response("use payouts.csv or payouts.xlsx", status_code=404)
    with request.app.state.store.read() as session:
        rows = [
            exports_table.payout_row(p)
            for p in session.scalars(
                visible_payouts(visitor.caller)
                .where(Payout.program_id == program)
                .order_by(Payout.id)
            )
        ]
    columns = exports_table.PAYOUT_COLUMNS
    return exports_table.download("payouts", kind, columns, rows)


@router.get("/portal/payouts/{payout_id}/statement.pdf")
def statement(payout_id: str, request: Request):
    from accord.payouts.exports import statement_pdf

    visitor, refusal = _partner_visitor(request)
    if refusal is not None:
        return refusal
    try:
        pdf = statement_pdf(
            request.app.state.store, visitor.caller, payout_id, locale=locale_of(request)
        )
    except AccordError as error:
        return _problem(request, visitor, error.message, "/portal/payouts", error.status)
    from accord.web import exports_table

    return exports_table.pdf(pdf, payout_id)


# settings: payout method and postbacks -----------------------------------------------------
@router.get("/portal/settings")
def settings_page(request: Request, saved: str | None = None, secret: str | None = None):
    from accord.partners.service import PAYOUT_METHODS, masked_details
    from accord.partners.tables import Partner
    from accord.postbacks.service import list_endpoints

    visitor, refusal = _partner_visitor(request)
    if refusal is not None:
        return refusal
    store = request.app.state.store
    enrolled = _enrolled(store, visitor.caller)
    with store.read() as session:
        partner = session.get(Partner, visitor.caller.partner_id)
    return _page(
        request,
        "portal/settings.html",
        visitor,
        enrolled,
        None,
        "settings",
        partner=partner,
        details=masked_details(partner.payout_details or {}),
        methods=PAYOUT_METHODS,
        endpoints=list_endpoints(store, visitor.caller),
        approved=[e["program"] for e in enrolled if e["status"] == "approved"],
        saved=saved,
        form={},
        error=None,
    )


@router.post("/portal/settings/payout-method")
async def save_payout_method(request: Request):
    from accord.partners.service import set_payout_method

    visitor, refusal = _partner_visitor(request)
    if refusal is not None:
        return refusal
    form = await _form(request)
    if _forged(visitor, form, request):
        return _expired()
    try:
        set_payout_method(request.app.state.store, visitor.caller, form)
    except AccordError as error:
        return _problem(request, visitor, error.message, "/portal/settings", error.status)
    return RedirectResponse("/portal/settings?saved=payout", status_code=303)


@router.post("/portal/settings/postbacks")
async def add_postback(request: Request):
    from accord.postbacks.service import register_endpoint

    visitor, refusal = _partner_visitor(request)
    if refusal is not None:
        return refusal
    try:
        pairs = bodies.decode_form(await _body(request), bodies.TEXT)
    except AccordError as error:
        return _problem(request, visitor, error.message, "/portal/settings", error.status)
    form = dict(pairs)
    if _forged(visitor, form, request):
        return _expired()
    events = [v for k, v in pairs if k == "event"]
    try:
        endpoint = register_endpoint(
            request.app.state.store,
            visitor.caller,
            url=(form.get("url") or "").strip(),
            program_id=form.get("program") or None,
            events=events or None,
        )
    except AccordError as error:
        return _problem(request, visitor, error.message, "/portal/settings", error.status)
    return render(
        request,
        "portal/postback_made.html",
        visitor=visitor,
        endpoint=endpoint,
        programs=[],
        current=None,
        section="settings",
    )


@router.post("/portal/settings/postbacks/{endpoint_id}/disable")
async def disable_postback(endpoint_id: str, request: Request):
    from accord.postbacks.service import disable_endpoint

    visitor, refusal = _partner_visitor(request)
    if refusal is not None:
        return refusal
    form = await _form(request)
    if _forged(visitor, form, request):
        return _expired()
    try:
        disable_endpoint(request.app.state.store, visitor.caller, endpoint_id)
    except AccordError as error:
        return _problem(request, visitor, error.message, "/portal/settings", error.status)
    return RedirectResponse("/portal/settings?saved=postback", status_code=303)
