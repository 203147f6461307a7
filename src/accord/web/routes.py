"""The brand console: sign in, switch programs, and the dashboard.

Server-rendered with Jinja2; htmx and ECharts are served by Accord itself. Every page is
rendered in the visitor's language (a cookie set by the language switch, else the browser's
Accept-Language), with amounts and dates formatted for it.
"""

from __future__ import annotations

import json
import secrets
from decimal import Decimal
from functools import cache
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import ValidationError

from accord.api import bodies
from accord.errors import AccordError, NotFound, Unauthenticated
from accord.programs.service import list_programs
from accord.reports.activity import attention, daily_series
from accord.reports.service import program_summary
from accord.web import exports_table, i18n, sessions

HERE = Path(__file__).parent
STATIC = HERE / "static"
LOGIN_CSRF = "accord_login_csrf"

router = APIRouter(include_in_schema=False)


@cache
def environment(locale: str) -> Environment:
    """One template environment per language, with its catalog installed."""
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(locale), newstyle=True)  # type: ignore[attr-defined]
    return env


def locale_of(request: Request) -> str:
    return i18n.pick_locale(
        request.cookies.get(i18n.COOKIE), request.headers.get("accept-language")
    )


def render(request: Request, name: str, http_status: int = 200, **context) -> HTMLResponse:
    locale = locale_of(request)
    page = environment(locale).get_template(name)
    html = page.render(
        locale=locale,
        html_lang="zh-Hans" if locale == "zh_Hans" else "en",
        languages=i18n.LANGUAGE_NAMES,
        fmt=i18n.Formatter(locale),
        path=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        **context,
    )
    response = HTMLResponse(html, status_code=http_status)
    # Pages with one-click actions (approve, revoke, pay) must not be framed by other sites.
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
    return response


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


#: The largest form the pages accept (uploads have their own limit). The application's
#: body limits (accord.api.bodies.BodyLimits) stop a larger one before it is read.
MAX_FORM = 1024 * 1024


async def _body(request: Request, limit: int = MAX_FORM) -> bytes:
    """The request body, refused with 413 past `limit` bytes."""
    return await bodies.read_body(request, limit)


async def _form(request: Request) -> dict[str, str]:
    """The form's fields, decoded strictly: a value that is not UTF-8 or holds NUL or
    another control character (but tab and line breaks) is refused naming the field."""
    return dict(bodies.decode_form(await _body(request), bodies.TEXT))


def _visitor(request: Request) -> sessions.Visitor | None:
    try:
        return sessions.visitor(request.app.state.store, request.cookies.get(sessions.COOKIE))
    except Unauthenticated:
        return None


def _brand_visitor(request: Request):
    """The signed-in brand visitor, or the response to send instead."""
    visitor = _visitor(request)
    if visitor is None:
        return None, _to_login(request)
    if not visitor.caller.is_brand:
        return None, render(request, "not_for_partners.html", http_status=403, visitor=visitor)
    refusal = _refused(request, visitor)
    return (None, refusal) if refusal is not None else (visitor, None)


def _refused(request: Request, visitor: sessions.Visitor) -> HTMLResponse | None:
    """A 403 page unless the visitor's role holds the permission the route needs (derived
    from the route by accord.tenancy.permissions); the changes the request makes are
    recorded in the audit log as the visitor's, from their address."""
    from accord.audit.context import Actor, act_as
    from accord.tenancy.permissions import required_permission

    route = request.scope.get("route")
    needed = required_permission(request.method, getattr(route, "path", request.url.path))
    org = visitor.caller.organization_id
    act_as(Actor("user", visitor.user_id, visitor.email, org, _peer(request)))
    if needed is not None and visitor.caller.may(needed):
        return None
    return render(
        request,
        "forbidden.html",
        http_status=403,
        visitor=visitor,
        permission=needed or "",
        role=visitor.caller.role,
    )


def problem_page(request: Request, message: str, status: int) -> HTMLResponse:
    """A refusal raised while reading a page's request (a form that is not UTF-8 or holds
    control characters, say), as a page in the visitor's language instead of JSON."""
    area = "/portal" if request.url.path.startswith("/portal") else "/console"
    referer = request.headers.get("referer") or ""
    back = referer if referer.startswith(str(request.base_url).rstrip("/") + area) else area
    return _problem(request, _visitor(request), message, back, status)


def _problem(request: Request, visitor, message: str, back: str, status: int) -> HTMLResponse:
    """A page saying what went wrong, in the visitor's language, with a way back."""
    return render(
        request, "problem.html", http_status=status, visitor=visitor, message=message, back=back
    )


def _forged(visitor: sessions.Visitor, form: dict[str, str], request: Request) -> bool:
    """Whether a state-changing request lacks the session's CSRF token."""
    return not sessions.csrf_ok(visitor, form.get("csrf") or request.headers.get("x-csrf-token"))


def _expired() -> Response:
    return Response("the form had expired; reload the page and try again", status_code=403)


def _peer(request: Request) -> str:
    """The visitor's address: behind a trusted proxy (`ACCORD_TRUSTED_PROXIES`), the last
    X-Forwarded-For hop that is not one of them, as the click edge does."""
    peer = request.client.host if request.client else "unknown"
    settings = getattr(request.app.state, "settings", None)
    trusted = set(getattr(settings, "trusted_proxies", None) or ())
    if peer not in trusted:
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop[:64]
    return peer


def _to_login(request: Request) -> RedirectResponse:
    target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return RedirectResponse(f"/console/login?next={target}", status_code=303)


def _safe_next(value: str | None) -> str:
    """Only a path on this site: never `//elsewhere` or a full URL."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/console"


@router.get("/console/login")
def login_page(request: Request, next: str | None = None):
    if _visitor(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", csrf=token, next=_safe_next(next), email="")
    response.set_cookie(
        LOGIN_CSRF, token, httponly=True, samesite="lax", secure=_secure(request), max_age=3600
    )
    return response


@router.post("/console/login")
async def login(request: Request):
    form = await _form(request)
    expected = request.cookies.get(LOGIN_CSRF)
    sent = form.get("csrf", "")
    if not expected or not secrets.compare_digest(expected.encode(), sent.encode()):
        return render(
            request,
            "login.html",
            http_status=403,
            csrf=expected or "",
            next=_safe_next(form.get("next")),
            email=form.get("email", ""),
            error="expired",
        )
    from accord.web.throttle import SIGN_IN

    who = f"{_peer(request)}|{form.get('email', '').strip().lower()}"
    wait = SIGN_IN.wait_seconds(who)
    if wait:
        response = render(
            request,
            "login.html",
            http_status=429,
            csrf=expected,
            next=_safe_next(form.get("next")),
            email=form.get("email", ""),
            error="throttled",
            minutes=max(1, -(-wait // 60)),
        )
        response.headers["Retry-After"] = str(wait)
        return response
    try:
        token, _ = sessions.sign_in(
            request.app.state.store, form.get("email", ""), form.get("password", "")
        )
    except AccordError:
        SIGN_IN.hit(who)
        return render(
            request,
            "login.html",
            http_status=401,
            csrf=expected,
            next=_safe_next(form.get("next")),
            email=form.get("email", ""),
            error="credentials",
        )
    SIGN_IN.clear(who)
    response = RedirectResponse(_safe_next(form.get("next")), status_code=303)
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


@router.post("/console/logout")
async def logout(request: Request):
    visitor = _visitor(request)
    form = await _form(request)
    if visitor is None:
        return _to_login(request)
    if _forged(visitor, form, request):
        return _expired()
    sessions.sign_out(request.app.state.store, request.cookies.get(sessions.COOKIE))
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(sessions.COOKIE)
    return response


@router.get("/console/language/{code}")
def switch_language(code: str, request: Request, next: str | None = None):
    response = RedirectResponse(_safe_next(next), status_code=303)
    if code in i18n.LOCALES:
        response.set_cookie(
            i18n.COOKIE, code, samesite="lax", secure=_secure(request), max_age=365 * 86400
        )
    return response


@router.get("/console")
def dashboard(request: Request, program: str | None = None):
    signed_in = _visitor(request)
    if signed_in is not None and signed_in.caller.partner_id is not None:
        return RedirectResponse("/portal", status_code=303)  # a partner's home is the portal
    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    store = request.app.state.store
    programs = list_programs(store, visitor.caller)
    if not programs:
        return render(request, "dashboard.html", visitor=visitor, programs=[], current=None)
    current = next((p for p in programs if p.id == program), programs[0])
    summary = program_summary(store, visitor.caller, current.id)
    series = daily_series(store, visitor.caller, current.id)
    todo = attention(store, visitor.caller, current.id)
    conversion_rate = (
        Decimal(summary.attributed_conversions) / summary.unique_clicks
        if summary.unique_clicks
        else None
    )
    epc = summary.commissions / summary.unique_clicks if summary.unique_clicks else None
    chart = {
        "days": series.days,
        "clicks": series.clicks,
        "conversions": series.conversions,
        "revenue": [str(v) for v in series.revenue],
        "commissions": [str(v) for v in series.commissions],
    }
    return render(
        request,
        "dashboard.html",
        visitor=visitor,
        programs=programs,
        current=current,
        summary=summary,
        conversion_rate=conversion_rate,
        epc=epc,
        todo=todo,
        chart_json=json.dumps(chart),
        section="dashboard",
    )


# commissions ------------------------------------------------------------------------------
PAGE_SIZE = 50


def _commission_rows(session, caller, program_id: str, status: str | None, after: str | None):
    """A page of the program's commissions (newest ids last), with partner names and order
    ids, and whether another page follows."""

    from accord.commissions.service import visible_commissions
    from accord.commissions.tables import Commission
    from accord.conversions.tables import Conversion
    from accord.partners.tables import Partner

    query = (
        visible_commissions(caller)
        .where(Commission.program_id == program_id)
        .add_columns(Partner.name, Conversion.order_id)
        .join(Partner, Partner.id == Commission.partner_id)
        .outerjoin(Conversion, Conversion.id == Commission.conversion_id)
    )
    if status:
        query = query.where(Commission.status == status)
    if after:
        query = query.where(Commission.id > after)
    rows = session.execute(query.order_by(Commission.id).limit(PAGE_SIZE + 1)).all()
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def _program_or_first(store, visitor, program: str | None):
    programs = list_programs(store, visitor.caller)
    current = next((p for p in programs if p.id == program), programs[0] if programs else None)
    return programs, current


@router.get("/console/commissions")
def commissions_page(
    request: Request,
    program: str | None = None,
    status: str | None = None,
    after: str | None = None,
    done: int | None = None,
):
    from accord.commissions.model import CommissionStatus

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    store = request.app.state.store
    programs, current = _program_or_first(store, visitor, program)
    statuses = [s.value for s in CommissionStatus]
    if status not in statuses:
        status = None
    rows, more = [], False
    if current is not None:
        with store.read() as session:
            rows, more = _commission_rows(session, visitor.caller, current.id, status, after)
    return render(
        request,
        "commissions.html",
        visitor=visitor,
        programs=programs,
        current=current,
        rows=rows,
        more=more,
        status_filter=status,
        statuses=statuses,
        after=after,
        done=done,
        section="commissions",
    )


@router.post("/console/commissions/approve")
async def approve_selected(request: Request):
    from accord.commissions.service import approve

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    pairs = bodies.decode_form(await _body(request), bodies.TEXT)
    form = dict(pairs)
    if _forged(visitor, form, request):
        return _expired()
    ids = [value for key, value in pairs if key == "id"]
    program = form.get("program", "")
    target = f"/console/commissions?program={quote(program)}&status=locked"
    if not ids:
        return RedirectResponse(target + "&done=0", status_code=303)
    try:
        approved = approve(request.app.state.store, visitor.caller, program, ids)
    except AccordError as error:
        return _problem(request, visitor, error.message, target, error.status)
    return RedirectResponse(f"{target}&done={len(approved)}", status_code=303)


@router.get("/console/commissions/{commission_id}")
def commission_detail(commission_id: str, request: Request):
    from accord.commissions.service import explain

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    try:
        explained = explain(request.app.state.store, visitor.caller, commission_id)
    except AccordError as error:
        return _problem(request, visitor, error.message, "/console/commissions", error.status)
    return render(
        request,
        "commission.html",
        visitor=visitor,
        c=explained,
        section="commissions",
        programs=[],
        current=None,
    )


@router.get("/console/commissions.csv")
def commissions_csv(request: Request, program: str, status: str | None = None):
    """Every commission of the filter, not just one page, as CSV (or .xlsx below)."""
    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    rows = _all_commissions(request, visitor, program, status)
    text = exports_table.to_csv(COMMISSION_COLUMNS, rows)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="commissions.csv"'},
    )


@router.get("/console/commissions.xlsx")
def commissions_xlsx(request: Request, program: str, status: str | None = None):
    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    rows = _all_commissions(request, visitor, program, status)
    data = exports_table.to_xlsx("Commissions", COMMISSION_COLUMNS, rows)
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="commissions.xlsx"'},
    )


COMMISSION_COLUMNS = (
    "commission_id",
    "partner",
    "order_id",
    "kind",
    "event_type",
    "status",
    "amount",
    "currency",
    "occurred_at",
)


def _all_commissions(request: Request, visitor, program: str, status: str | None) -> list:
    from accord.money import Money

    store = request.app.state.store
    out, after = [], None
    with store.read() as session:
        while True:
            rows, more = _commission_rows(session, visitor.caller, program, status, after)
            for c, partner, order in rows:
                out.append(
                    (
                        c.id,
                        partner,
                        order or c.kind,
                        c.kind,
                        c.event_type,
                        c.status,
                        Money.from_minor(c.amount_minor, c.currency).amount,
                        c.currency,
                        c.occurred_at.isoformat(),
                    )
                )
            if not more:
                return out
            after = rows[-1][0].id


# partners ---------------------------------------------------------------------------------
PARTNER_SORTS = {
    "earned": lambda r: (-r["earned_minor"], r["name"].casefold()),
    "clicks": lambda r: (-r["clicks"], r["name"].casefold()),
    "conversions": lambda r: (-r["conversions"], r["name"].casefold()),
    "name": lambda r: r["name"].casefold(),
}


def _partner_table(
    store, caller, program_id: str, q: str, ptype: str, sort: str, status: str = ""
) -> list:
    """Every partner of the program with its figures, searched, filtered and sorted."""
    from sqlalchemy import select

    from accord.partners.tables import Enrollment, Partner
    from accord.programs.service import load_program
    from accord.reports.service import partner_rows

    with store.read() as session:
        program = load_program(session, caller, program_id)
        extra = {
            pid: (status, country)
            for pid, status, country in session.execute(
                select(Partner.id, Enrollment.status, Partner.country)
                .join(Enrollment, Enrollment.partner_id == Partner.id)
                .where(Enrollment.program_id == program.id)
            )
        }
        rows = [
            {
                "id": r.partner_id,
                "name": r.name,
                "type": r.key_type,
                "status": extra.get(r.partner_id, ("", None))[0],
                "country": extra.get(r.partner_id, ("", None))[1] or "",
                "clicks": r.clicks,
                "conversions": r.conversions,
                "revenue_minor": r.revenue_minor,
                "earned_minor": r.commission_minor,
            }
            for r in partner_rows(session, program.id)
        ]
    needle = q.strip().casefold()
    if needle:
        rows = [r for r in rows if needle in r["name"].casefold() or needle in r["id"].casefold()]
    if ptype:
        rows = [r for r in rows if r["type"] == ptype]
    if status:
        rows = [r for r in rows if r["status"] == status]
    return sorted(rows, key=PARTNER_SORTS.get(sort, PARTNER_SORTS["earned"]))


@router.get("/console/partners")
def partners_page(
    request: Request,
    program: str | None = None,
    q: str = "",
    type: str = "",
    sort: str = "earned",
    page: int = 1,
    status: str = "",
):
    from accord.partners.model import PartnerType

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    store = request.app.state.store
    programs, current = _program_or_first(store, visitor, program)
    rows: list = []
    if current is not None:
        rows = _partner_table(store, visitor.caller, current.id, q, type, sort, status)
    page = max(1, page)
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return render(
        request,
        "partners.html",
        visitor=visitor,
        programs=programs,
        current=current,
        rows=shown,
        total=len(rows),
        q=q,
        ptype=type,
        pstatus=status,
        types=[t.value for t in PartnerType],
        sort=sort if sort in PARTNER_SORTS else "earned",
        page=page,
        pages=pages,
        section="partners",
    )


@router.get("/console/partners.{kind}")
def partners_export(
    request: Request,
    kind: str,
    program: str,
    q: str = "",
    type: str = "",
    sort: str = "",
    status: str = "",
):
    """Every partner of the filter, not just one page, as CSV or Excel."""
    from accord.money import Money
    from accord.programs.service import load_program

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    if kind not in ("csv", "xlsx"):
        return Response("use partners.csv or partners.xlsx", status_code=404)
    store = request.app.state.store
    with store.read() as session:
        currency = load_program(session, visitor.caller, program).currency
    rows = _partner_table(store, visitor.caller, program, q, type, sort, status)
    columns = ("partner_id", "name", "type", "status", "country", "clicks", "conversions",
               "revenue", "earned", "currency")  # fmt: skip
    table = [
        (
            r["id"],
            r["name"],
            r["type"],
            r["status"],
            r["country"],
            r["clicks"],
            r["conversions"],
            Money.from_minor(r["revenue_minor"], currency).amount,
            Money.from_minor(r["earned_minor"], currency).amount,
            currency,
        )
        for r in rows
    ]
    return exports_table.download("partners", kind, columns, table)


@router.get("/console/partners/{partner_id}")
def partner_profile(partner_id: str, request: Request, program: str | None = None):
    """One partner in a program: who they are, their standing and contract, links and
    codes, and how they perform."""
    from sqlalchemy import select

    from accord.contracts.tables import Contract, ContractAcceptance, ContractVersion
    from accord.partners.service import load_enrollment, load_partner
    from accord.tracking.tables import Link, PromoCode

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    store = request.app.state.store
    programs, current = _program_or_first(store, visitor, program)
    back = "/console/partners" + (f"?program={quote(current.id)}" if current else "")
    if current is None:
        return _problem(request, visitor, "no program yet", "/console", 404)
    try:
        with store.read() as session:
            partner = load_partner(session, visitor.caller, partner_id)
            enrollment = load_enrollment(session, current.id, partner.id)
            if enrollment is None:
                raise NotFound("partner", partner_id, field="partner_id")
            contract = (
                session.get(Contract, enrollment.contract_id)
                if (enrollment.contract_id)
                else session.scalar(
                    select(Contract).where(Contract.program_id == current.id, Contract.is_default)
                )
            )
            accepted = session.execute(
                select(ContractVersion.number, ContractAcceptance.accepted_at)
                .join(ContractVersion, ContractVersion.id == ContractAcceptance.contract_version_id)
                .where(
                    ContractAcceptance.partner_id == partner.id,
                    ContractVersion.contract_id == (contract.id if contract else None),
                )
                .order_by(ContractAcceptance.accepted_at.desc())
            ).first()
            links = list(
                session.scalars(
                    select(Link)
                    .where(Link.program_id == current.id, Link.partner_id == partner.id)
                    .order_by(Link.created_at.desc())
                    .limit(PAGE_SIZE)
                )
            )
            codes = list(
                session.scalars(
                    select(PromoCode).where(
                        PromoCode.program_id == current.id, PromoCode.partner_id == partner.id
                    )
                )
            )
    except AccordError as error:
        return _problem(request, visitor, error.message, back, error.status)
    series = daily_series(store, visitor.caller, current.id, partner_id=partner.id)
    figures = next(
        (r for r in _partner_table(store, visitor.caller, current.id, "", "", "name")
         if r["id"] == partner.id),
        None,
    )  # fmt: skip
    chart = {
        "days": series.days,
        "clicks": series.clicks,
        "conversions": series.conversions,
        "revenue": [str(v) for v in series.revenue],
        "commissions": [str(v) for v in series.commissions],
    }
    return render(
        request,
        "partner.html",
        visitor=visitor,
        programs=programs,
        current=current,
        partner=partner,
        enrollment=enrollment,
        contract=contract,
        accepted=accepted,
        links=links,
        codes=codes,
        figures=figures,
        chart_json=json.dumps(chart),
        section="partners",
    )


@router.post("/console/partners/{partner_id}/status")
async def decide_partner(partner_id: str, request: Request):
    """Approve or decline an application, or suspend or restore a partner."""
    from accord.partners.service import set_enrollment_status

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    form = await _form(request)
    if _forged(visitor, form, request):
        return _expired()
    program = form.get("program", "")
    back = f"/console/partners/{quote(partner_id)}?program={quote(program)}"
    try:
        set_enrollment_status(
            request.app.state.store, visitor.caller, program, partner_id, form.get("status", "")
        )
    except AccordError as error:
        return _problem(request, visitor, error.message, back, error.status)
    return RedirectResponse(back, status_code=303)


# conversions ------------------------------------------------------------------------------
@router.get("/console/conversions")
def conversions_page(
    request: Request, program: str | None = None, q: str = "", after: str | None = None
):
    from sqlalchemy import select

    from accord.conversions.tables import Conversion
    from accord.partners.tables import Partner

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    store = request.app.state.store
    programs, current = _program_or_first(store, visitor, program)
    rows, more = [], False
    if current is not None:
        query = (
            select(Conversion, Partner.name)
            .outerjoin(Partner, Partner.id == Conversion.partner_id)
            .where(
                Conversion.program_id == current.id,
                Conversion.organization_id == visitor.caller.organization_id,
            )
        )
        if q.strip():
            query = query.where(Conversion.order_id.contains(q.strip()))
        if after:
            query = query.where(Conversion.id > after)
        with store.read() as session:
            found = session.execute(query.order_by(Conversion.id).limit(PAGE_SIZE + 1)).all()
        rows, more = found[:PAGE_SIZE], len(found) > PAGE_SIZE
    return render(
        request,
        "conversions.html",
        visitor=visitor,
        programs=programs,
        current=current,
        rows=rows,
        more=more,
        q=q,
        section="conversions",
    )


@router.get("/console/conversions.{kind}")
def conversions_export(request: Request, kind: str, program: str, q: str = ""):
    """Every conversion of the program (or of the order-id search) as CSV or Excel."""
    from sqlalchemy import select

    from accord.conversions.tables import Conversion
    from accord.money import Money
    from accord.partners.tables import Partner
    from accord.programs.service import load_program

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    if kind not in ("csv", "xlsx"):
        return Response("use conversions.csv or conversions.xlsx", status_code=404)
    store = request.app.state.store
    with store.read() as session:
        current = load_program(session, visitor.caller, program)
        query = (
            select(Conversion, Partner.name)
            .outerjoin(Partner, Partner.id == Conversion.partner_id)
            .where(Conversion.program_id == current.id)
            .order_by(Conversion.id)
        )
        if q.strip():
            query = query.where(Conversion.order_id.contains(q.strip()))
        rows = [
            (
                c.id,
                c.order_id,
                c.event_type,
                c.status,
                Money.from_minor(c.amount_minor, c.currency).amount,
                c.currency,
                name or "",
                c.occurred_at.isoformat(),
            )
            for c, name in session.execute(query)
        ]
    columns = ("conversion_id", "order_id", "event_type", "status", "amount", "currency",
               "partner", "occurred_at")  # fmt: skip
    return exports_table.download("conversions", kind, columns, rows)


@router.get("/console/conversions/{conversion_id}")
def conversion_detail(conversion_id: str, request: Request, done: str | None = None):
    from sqlalchemy import select

    from accord.commissions.model import ReasonCode
    from accord.commissions.tables import Commission
    from accord.conversions.tables import Conversion, ConversionReversal
    from accord.partners.tables import Partner

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    store = request.app.state.store
    with store.read() as session:
        conversion = session.scalar(
            select(Conversion).where(
                Conversion.id == conversion_id,
                Conversion.organization_id == visitor.caller.organization_id,
            )
        )
        if conversion is None:
            return _problem(
                request,
                visitor,
                f"conversion {conversion_id!r} not found",
                "/console/conversions",
                404,
            )
        partner = session.get(Partner, conversion.partner_id) if conversion.partner_id else None
        commissions = list(
            session.scalars(select(Commission).where(Commission.conversion_id == conversion.id))
        )
        reversals = list(
            session.scalars(
                select(ConversionReversal)
                .where(ConversionReversal.conversion_id == conversion.id)
                .order_by(ConversionReversal.at)
            )
        )
    return render(
        request,
        "conversion.html",
        visitor=visitor,
        conversion=conversion,
        partner=partner,
        commissions=commissions,
        reversals=reversals,
        reasons=[r.value for r in ReasonCode],
        done=done,
        error=None,
        section="conversions",
        programs=[],
        current=None,
    )


@router.post("/console/conversions/{conversion_id}/reverse")
async def reverse_from_console(conversion_id: str, request: Request):
    from accord.conversions.model import ReversalRequest
    from accord.conversions.reversals import reverse_conversion

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    form = await _form(request)
    if _forged(visitor, form, request):
        return _expired()
    back = f"/console/conversions/{quote(conversion_id)}"
    try:
        request_body = ReversalRequest(
            amount=form.get("amount") or None,
            reason_code=form.get("reason_code", ""),
            note=form.get("note") or None,
            idempotency_key=form.get("idempotency_key") or None,
        )
        done = reverse_conversion(
            request.app.state.store, visitor.caller, conversion_id, request_body
        )
    except AccordError as error:
        return _problem(request, visitor, error.message, back, error.status)
    except ValidationError as error:  # the amount was not a number, say
        from accord.errors import describe_validation

        problems = describe_validation(error.errors())
        return _problem(
            request,
            visitor,
            "; ".join(f"{p['field']}: {p['message']}" for p in problems),
            back,
            422,
        )
    return RedirectResponse(f"{back}?done={quote(done.reversal.id)}", status_code=303)


@router.post("/console/conversions/{conversion_id}/confirm")
async def confirm_from_console(conversion_id: str, request: Request):
    """Confirm an order a shopper's browser reported, at its amount or a lower one."""
    from accord.conversions.browser import confirm

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    form = await _form(request)
    if _forged(visitor, form, request):
        return _expired()
    back = f"/console/conversions/{quote(conversion_id)}"
    try:
        confirm(
            request.app.state.store,
            visitor.caller,
            conversion_id,
            (form.get("amount") or "").strip() or None,
        )
    except AccordError as error:
        return _problem(request, visitor, error.message, back, error.status)
    return RedirectResponse(f"{back}?done=confirmed", status_code=303)


# payouts ----------------------------------------------------------------------------------
@router.get("/console/payouts")
def payouts_page(
    request: Request, program: str | None = None, done: str | None = None, before: str = ""
):
    from sqlalchemy import select

    from accord.partners.tables import Partner
    from accord.payouts.service import partner_balances
    from accord.payouts.tables import Payout, PayoutBatch

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    store = request.app.state.store
    programs, current = _program_or_first(store, visitor, program)
    batches, payouts, payable, due = [], [], 0, 0
    if current is not None:
        balances = partner_balances(store, visitor.caller, current.id)
        payable = sum(b.payable_minor for b in balances if b.payable_minor > 0)
        due = sum(
            1
            for b in balances
            if b.payable_minor > 0 and b.payable_minor >= current.payout_threshold_minor
        )
        with store.read() as session:
            batches = list(
                session.scalars(
                    select(PayoutBatch)
                    .where(PayoutBatch.program_id == current.id)
                    .order_by(PayoutBatch.id.desc())
                    .limit(20)
                )
            )
            query = (
                select(Payout, Partner.name)
                .join(Partner, Partner.id == Payout.partner_id)
                .where(Payout.program_id == current.id)
            )
            if before:
                query = query.where(Payout.id < before)
            payouts = session.execute(query.order_by(Payout.id.desc()).limit(PAGE_SIZE + 1)).all()
        more = len(payouts) > PAGE_SIZE
        payouts = payouts[:PAGE_SIZE]
    return render(
        request,
        "payouts.html",
        visitor=visitor,
        programs=programs,
        current=current,
        batches=batches,
        payouts=payouts,
        more=more if current is not None else False,
        payable=payable,
        due=due,
        done=done,
        section="payouts",
    )


@router.get("/console/payouts.{kind}")
def payouts_export(request: Request, kind: str, program: str):
    """Every payout of the program as CSV or Excel."""
    from sqlalchemy import select

    from accord.partners.tables import Partner
    from accord.payouts.tables import Payout
    from accord.programs.service import load_program

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    if kind not in ("csv", "xlsx"):
        return Response("use payouts.csv or payouts.xlsx", status_code=404)
    with request.app.state.store.read() as session:
        current = load_program(session, visitor.caller, program)
        rows = [
            (p.id, p.batch_id, name, *exports_table.payout_row(p)[1:])
            for p, name in session.execute(
                select(Payout, Partner.name)
                .join(Partner, Partner.id == Payout.partner_id)
                .where(Payout.program_id == current.id)
                .order_by(Payout.id)
            )
        ]
    columns = ("payout_id", "batch_id", "partner", *exports_table.PAYOUT_COLUMNS[1:])
    return exports_table.download("payouts", kind, columns, rows)


@router.get("/console/payouts/{payout_id}/statement.pdf")
def statement_from_console(payout_id: str, request: Request):
    from accord.payouts.exports import statement_pdf

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    try:
        pdf = statement_pdf(
            request.app.state.store, visitor.caller, payout_id, locale=locale_of(request)
        )
    except AccordError as error:
        return _problem(request, visitor, error.message, "/console/payouts", error.status)
    return exports_table.pdf(pdf, payout_id)


@router.get("/console/payout-batches/{batch_id}.csv")
def batch_csv_from_console(batch_id: str, request: Request):
    from accord.payouts.exports import batch_csv

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    try:
        text = batch_csv(request.app.state.store, visitor.caller, batch_id)
    except AccordError as error:
        return Response(error.message, status_code=error.status)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{batch_id}.csv"'},
    )
