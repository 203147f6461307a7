"""The console's partners: a program's partners with their figures (searched, filtered,
sorted, exported), one partner's profile, and deciding an application."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from accord.contracts.service import list_contracts, partner_standing
from accord.engage import service as messages
from accord.errors import AccordError
from accord.money import Money
from accord.notices.service import language_for
from accord.partners import taxonomy
from accord.partners.enrollments import coming_move, contract_at
from accord.partners.recruiting import questions_of
from accord.partners.service import (
    brand_suspensions,
    create_partner,
    move_to_contract,
    partner_in_program,
    set_enrollment_status,
    suspended_in,
)
from accord.partners.types import brand_own_types, brand_types
from accord.programs.service import list_programs
from accord.protect.partner_risk import partner_history, risk_by_partner
from accord.reports import engagement
from accord.reports.activity import daily_series
from accord.reports.service import PartnerFigures, partner_figures
from accord.signin.service import invite_by_mail
from accord.tracking.service import partner_codes, partner_links
from accord.web import exports_table
from accord.web.console.contracts import effective_from
from accord.web.pages import (
    PAGE_SIZE,
    Form,
    SignedIn,
    ask_again_for,
    back_to,
    chart_of,
    locale_of,
    program_or_first,
    refuse,
    render,
    retry_with,
)

router = APIRouter(include_in_schema=False)

#: Each column the list sorts by: the value it sorts on, and its first direction (figures and
#: dates largest first, words from A).
SORTS = {
    "name": (lambda r: r.name.casefold(), "asc"),
    "type": (lambda r: r.type, "asc"),
    "status": (lambda r: r.status, "asc"),
    "country": (lambda r: r.country, "asc"),
    "clicks": (lambda r: r.clicks, "desc"),
    "conversions": (lambda r: r.conversions, "desc"),
    "revenue": (lambda r: r.revenue_minor, "desc"),
    "earned": (lambda r: r.earned_minor, "desc"),
    "joined": (lambda r: r.joined_at, "desc"),
    "last_activity": (lambda r: r.last_activity, "desc"),
}


def first_direction(sort: str) -> str:
    return "desc" if sort == "risk" else SORTS.get(sort, SORTS["earned"])[1]


def sorted_rows(rows: list, value, direction: str) -> list:
    """`rows` by `value`, ascending or descending, ties by name; rows without a value (no
    activity yet) last either way."""
    by_name = sorted(rows, key=lambda r: r.name.casefold())
    known = [r for r in by_name if value(r) is not None]
    unknown = [r for r in by_name if value(r) is None]
    return sorted(known, key=value, reverse=direction == "desc") + unknown


COLUMNS = ("partner_id", "name", "type", "status", "country", "clicks", "conversions",
           "revenue", "earned", "currency", "risk", "joined_at", "last_activity")  # fmt: skip


def partner_table(
    store,
    caller,
    program_id: str,
    q: str,
    ptype: str,
    sort: str,
    status: str = "",
    risk: dict | None = None,
    direction: str = "",
) -> list[PartnerFigures]:
    """Every partner of the program with its figures, searched, filtered and sorted (by
    risk: the latest scores, highest first)."""
    rows = partner_figures(store, caller, program_id)
    needle = q.strip().casefold()
    if needle:
        rows = [r for r in rows if needle in r.name.casefold() or needle in r.id.casefold()]
    if ptype:
        own = brand_own_types(store, caller).groups
        rows = [r for r in rows if taxonomy.covers(ptype, r.type, own)]
    if status:
        rows = [r for r in rows if r.status == status]
    direction = direction if direction in ("asc", "desc") else first_direction(sort)
    if sort == "risk":
        scores = risk or {}

        def score(r: PartnerFigures) -> int:
            found = scores.get(r.id)
            return found.score if found else 0

        return sorted_rows(rows, score, direction)
    return sorted_rows(rows, SORTS.get(sort, SORTS["earned"])[0], direction)


@router.get("/console/partners")
def partners_page(
    request: Request,
    visitor: SignedIn,
    program: str | None = None,
    q: str = "",
    type: str = "",
    sort: str = "earned",
    page: int = 1,
    status: str = "",
    dir: str = "",
):
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    sort = sort if sort in SORTS or sort == "risk" else "earned"
    direction = dir if dir in ("asc", "desc") else first_direction(sort)
    rows: list = []
    risk: dict = {}
    banned: dict = {}
    if current is not None:
        risk = risk_by_partner(store, visitor.caller, current.id)
        rows = partner_table(
            store, visitor.caller, current.id, q, type, sort, status, risk, direction
        )
        banned = {
            partner_id: [name for pid, name in where.items() if pid != current.id]
            for partner_id, where in brand_suspensions(store, visitor.caller).items()
            if set(where) - {current.id}
        }
    page = max(1, page)
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    return render(
        request,
        "partners.html",
        visitor=visitor,
        programs=programs,
        current=current,
        rows=rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        total=len(rows),
        q=q,
        ptype=type,
        pstatus=status,
        types=brand_types(request.app.state.store, visitor.caller, locale_of(request)),
        risk=risk,
        banned=banned,
        sort=sort,
        direction=direction,
        first_directions={key: first_direction(key) for key in (*SORTS, "risk")},
        page=page,
        pages=pages,
        section="partners",
    )


def _iso(moment) -> str:
    return moment.isoformat() if moment is not None else ""


@router.get("/console/partners.{kind}")
def partners_export(
    request: Request,
    visitor: SignedIn,
    kind: str,
    program: str,
    q: str = "",
    type: str = "",
    sort: str = "",
    status: str = "",
    dir: str = "",
):
    """Every partner of the filter, not just one page, as CSV or Excel."""
    if kind not in ("csv", "xlsx"):
        return Response("use partners.csv or partners.xlsx", status_code=404)
    store = request.app.state.store
    risk = risk_by_partner(store, visitor.caller, program)
    rows = partner_table(store, visitor.caller, program, q, type, sort, status, risk, dir)
    currency = next(p.currency for p in list_programs(store, visitor.caller) if p.id == program)
    table = [
        (r.id, r.name, r.type, r.status, r.country, r.clicks, r.conversions,
         Money.from_minor(r.revenue_minor, currency).amount,
         Money.from_minor(r.earned_minor, currency).amount, currency,
         risk[r.id].score if r.id in risk else None, _iso(r.joined_at), _iso(r.last_activity))
        for r in rows
    ]  # fmt: skip
    return exports_table.download("partners", kind, COLUMNS, table)


@router.get("/console/partners/new")
def new_partner_page(request: Request, visitor: SignedIn, program: str | None = None):
    return new_partner_form(request, visitor, program)


def new_partner_form(request: Request, visitor, program: str | None, *, form=None,
                     error=None, status: int = 200, made=None, invited=None):  # fmt: skip
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    contracts = list_contracts(store, visitor.caller, current.id) if current else []
    types = brand_types(store, visitor.caller, locale_of(request))
    return render(request, "partner_new.html", http_status=status, visitor=visitor,
                  programs=programs, current=current, types=types, contracts=contracts,
                  form=form or {}, error=error, made=made, invited=invited,
                  mail_server=bool(request.app.state.settings.smtp_host),
                  section="partners")  # fmt: skip


@router.post("/console/partners/new")
def add_partner_from_console(request: Request, visitor: SignedIn, form: Form):
    program = form.get("program") or None

    def again(error: AccordError):
        shown = {k: v for k, v in form.items() if k != "csrf"}
        return new_partner_form(request, visitor, program, form=shown, error=error,
                                status=error.status)  # fmt: skip

    retry_with(request, again)
    _, current = program_or_first(request.app.state.store, visitor, program)
    if current is None:
        raise refuse("no program yet", 404)
    email = (form.get("email") or "").strip() or None
    made = create_partner(
        request.app.state.store, visitor.caller, current.id,
        name=(form.get("name") or "").strip(), partner_type=form.get("partner_type") or "",
        country=(form.get("country") or "").strip() or None, email=email,
        contract_id=form.get("contract_id") or None, with_login=bool(email),
    )  # fmt: skip
    invited = None
    if email and form.get("sign_in") != "password":
        # the partner chooses its own password by the invitation's link
        store = request.app.state.store
        invite_by_mail(store, email, organization_id=visitor.caller.organization_id,
                       language=language_for(made.partner.country, locale_of(request)),
                       base_url=request.app.state.settings.base_url(), program=current.name,
                       inviter=visitor.organization_name)  # fmt: skip
        invited = email
        made = replace(made, password=None)
    page = new_partner_form(request, visitor, current.id, made=made, status=201, invited=invited)
    page.headers["cache-control"] = "no-store"  # a one-time password and a key are on it
    return page


@router.get("/console/partners/{partner_id}")
def partner_profile(
    partner_id: str,
    request: Request,
    visitor: SignedIn,
    program: str | None = None,
    missing: str | None = None,
):
    """One partner in a program: who they are, their standing and contract, links and
    codes, and how they perform."""
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    if current is None:
        back_to(request, "/console")
        raise refuse("no program yet", 404)
    back_to(request, f"/console/partners?program={quote(current.id)}")
    caller = visitor.caller
    partner, enrollment = partner_in_program(store, caller, current.id, partner_id)
    now = store.clock.now()
    standing = partner_standing(store, caller, current.id,
                                contract_at(enrollment, now), partner.id)  # fmt: skip
    move = coming_move(enrollment, now)
    figures = partner_figures(store, caller, current.id, partner_id=partner.id)
    history = partner_history(store, caller, current.id, partner.id)
    engaged = engagement.activity(store, caller, current.id).get(partner.id)
    return render(
        request,
        "partner.html",
        engaged=engaged,
        visitor=visitor,
        programs=programs,
        current=current,
        partner=partner,
        enrollment=enrollment,
        error_field=missing,
        questions=questions_of(store, caller, current.id),
        messages=messages.thread(store, caller, current.id, partner_id=partner.id),
        contract=standing.contract,
        accepted=standing.accepted,
        contracts=list_contracts(store, caller, current.id),
        contract_now=contract_at(enrollment, now),
        coming=move,
        coming_at=datetime.fromisoformat(move["from"]) if move else None,
        today=now.date().isoformat(),
        moved=request.query_params.get("moved"),
        links=partner_links(store, caller, current.id, partner.id, limit=PAGE_SIZE),
        codes=partner_codes(store, caller, current.id, partner.id),
        figures=figures[0] if figures else None,
        chart_json=chart_of(daily_series(store, caller, current.id, partner_id=partner.id)),
        risk=history[-1] if history else None,
        risk_history=history,
        risk_line=risk_line(history),
        banned_in={k: v for k, v in suspended_in(store, caller, partner.id).items()
                   if k != current.id},
        section="partners",
    )  # fmt: skip


def risk_line(history, width: int = 300, height: int = 60) -> str:
    """The scores as an SVG polyline's points, 0 at the bottom and 100 at the top."""
    if len(history) < 2:
        return ""
    step = width / (len(history) - 1)
    return " ".join(
        f"{i * step:.1f},{height - h.score * height / 100:.1f}" for i, h in enumerate(history)
    )


@router.post("/console/partners/{partner_id}/status")
def decide_partner(partner_id: str, request: Request, visitor: SignedIn, form: Form):
    """Approve or decline an application, or suspend or restore a partner."""
    program = form.get("program", "")
    back = f"/console/partners/{quote(partner_id)}?program={quote(program)}"
    ask_again_for(request, visitor, back, "reason")  # a decline or suspension says why
    store = request.app.state.store
    set_enrollment_status(store, visitor.caller, program, partner_id, form.get("status", ""),
                          form.get("reason"), reason_required=True,
                          contract_id=form.get("contract_id") or None)  # fmt: skip
    return RedirectResponse(back, status_code=303)


@router.post("/console/partners/{partner_id}/contract")
def move_partner(partner_id: str, request: Request, visitor: SignedIn, form: Form):
    """Put the partner on another contract from a date: orders from then on are paid
    under it, earlier ones under the contract of their time."""
    program = form.get("program", "")
    back = f"/console/partners/{quote(partner_id)}?program={quote(program)}"
    back_to(request, back)
    store = request.app.state.store
    target = form.get("contract_id") or None
    move_to_contract(store, visitor.caller, program, [partner_id],
                     None if target == "default" else target,
                     effective_from(form.get("effective_from", ""),
                                    store.clock.now().date()))  # fmt: skip
    return RedirectResponse(f"{back}&moved=1#contract", status_code=303)


@router.post("/console/partners/{partner_id}/messages")
def post_message(request: Request, visitor: SignedIn, partner_id: str, form: Form):
    """Write to a partner in the thread on its page (it is told by mail)."""
    program = form.get("program", "")
    back = f"/console/partners/{quote(partner_id)}?program={quote(program)}"
    back_to(request, back)
    messages.post(request.app.state.store, visitor.caller, program, form.get("body", ""),
                  partner_id=partner_id, user_id=visitor.user_id,
                  author_name=visitor.organization_name)  # fmt: skip
    return RedirectResponse(f"{back}&sent=1#messages", status_code=303)
