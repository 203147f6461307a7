"""Who may do what: the users of a brand (console) or a partner company (portal), with their
roles, and the brand's audit log. Who may see or use each page is decided by the visitor
helpers from the route (accord.tenancy.permissions), not here."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from accord.errors import AccordError
from accord.tenancy import service as tenancy
from accord.web.portal import _partner_visitor
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


# users --------------------------------------------------------------------------------------
def _area(request: Request) -> str:
    return "/portal" if request.url.path.startswith("/portal") else "/console"


def _visitor_for(request: Request):
    helper = _partner_visitor if _area(request) == "/portal" else _brand_visitor
    return helper(request)


def _users_page(request: Request, visitor, *, invited=None, status: int = 200):
    store = request.app.state.store
    context = {}
    if visitor.caller.is_brand:
        programs, current = _program_or_first(store, visitor, request.query_params.get("program"))
        context = {"programs": programs, "current": current}
    return render(
        request,
        "users.html",
        http_status=status,
        visitor=visitor,
        section="users" if visitor.caller.is_brand else "settings",
        area=_area(request),
        users=tenancy.list_users(store, visitor.caller),
        roles=[r.value for r in tenancy.roles_for(visitor.caller.kind)],
        invited=invited,
        **context,
    )


@router.get("/console/users")
@router.get("/portal/users")
def users_page(request: Request):
    visitor, refusal = _visitor_for(request)
    if refusal is not None:
        return refusal
    page = _users_page(request, visitor)
    page.headers["cache-control"] = "no-store"
    return page


@router.post("/console/users")
@router.post("/portal/users")
async def invite(request: Request):
    """A new user with a role and a one-time password, shown on this page only."""
    visitor, refusal = _visitor_for(request)
    if refusal is not None:
        return refusal
    form = await _form(request)
    if _forged(visitor, form, request):
        return _expired()
    try:
        invited = tenancy.invite_user(
            request.app.state.store, visitor.caller, form.get("email", ""), form.get("role", "")
        )
    except AccordError as error:
        return _problem(request, visitor, error.message, f"{_area(request)}/users", error.status)
    page = _users_page(request, visitor, invited=invited, status=201)
    page.headers["cache-control"] = "no-store"
    return page


@router.post("/console/users/{user_id}/role")
@router.post("/portal/users/{user_id}/role")
async def change_role(user_id: str, request: Request):
    visitor, refusal = _visitor_for(request)
    if refusal is not None:
        return refusal
    form = await _form(request)
    if _forged(visitor, form, request):
        return _expired()
    try:
        tenancy.change_role(request.app.state.store, visitor.caller, user_id, form.get("role", ""))
    except AccordError as error:
        return _problem(request, visitor, error.message, f"{_area(request)}/users", error.status)
    return RedirectResponse(f"{_area(request)}/users", status_code=303)


@router.post("/console/users/{user_id}/remove")
@router.post("/portal/users/{user_id}/remove")
async def remove(user_id: str, request: Request):
    visitor, refusal = _visitor_for(request)
    if refusal is not None:
        return refusal
    form = await _form(request)
    if _forged(visitor, form, request):
        return _expired()
    try:
        tenancy.remove_user(request.app.state.store, visitor.caller, user_id)
    except AccordError as error:
        return _problem(request, visitor, error.message, f"{_area(request)}/users", error.status)
    if user_id == visitor.user_id:
        return RedirectResponse("/console/login", status_code=303)
    return RedirectResponse(f"{_area(request)}/users", status_code=303)


# audit log ----------------------------------------------------------------------------------
def _day(value: str | None, field: str):
    if not value:
        return None
    try:
        return datetime.combine(datetime.strptime(value, "%Y-%m-%d").date(), time(), UTC)
    except ValueError:
        raise AccordError(f"{field}: use a date like 2026-12-31") from None


def _filters(request: Request) -> dict:
    q = request.query_params
    until = _day(q.get("until"), "until")
    return {
        "object_type": q.get("type") or None,
        "actor": (q.get("actor") or "").strip() or None,
        "since": _day(q.get("since"), "since"),
        "until": until + timedelta(days=1) if until else None,  # the whole last day
    }


@router.get("/console/audit")
def audit_page(request: Request, before: str | None = None):
    """Every change to money, contracts, settings, keys and users, newest first."""
    from accord.audit.service import OBJECT_TYPES, events_query
    from accord.audit.tables import AuditEvent

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    store = request.app.state.store
    programs, current = _program_or_first(store, visitor, request.query_params.get("program"))
    try:
        query = events_query(visitor.caller, **_filters(request))
    except AccordError as error:
        return _problem(request, visitor, error.message, "/console/audit", 422)
    if before:
        query = query.where(AuditEvent.id < before)
    with store.read() as session:
        found = list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(PAGE_SIZE + 1)))
    q = request.query_params
    kept = {k: q.get(k, "") for k in ("type", "actor", "since", "until")}
    return render(
        request,
        "audit.html",
        visitor=visitor,
        programs=programs,
        current=current,
        section="audit",
        events=found[:PAGE_SIZE],
        more=len(found) > PAGE_SIZE,
        object_types=OBJECT_TYPES,
        filters=kept,
        query="&".join(f"{k}={v}" for k, v in kept.items() if v),
    )


AUDIT_COLUMNS = ("id", "at", "actor_kind", "actor_id", "actor", "actor_organization_id",
                 "address", "action", "object_type", "object_id", "before", "after")  # fmt: skip


@router.get("/console/audit.{kind}")
def audit_export(request: Request, kind: str):
    """The audit log as filtered on the page, every row, as CSV or Excel."""
    import json

    from accord.audit.service import events_query
    from accord.audit.tables import AuditEvent
    from accord.web import exports_table

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    if kind not in ("csv", "xlsx"):
        return Response("use audit.csv or audit.xlsx", status_code=404)
    try:
        query = events_query(visitor.caller, **_filters(request))
    except AccordError as error:
        return _problem(request, visitor, error.message, "/console/audit", 422)
    with request.app.state.store.read() as session:
        rows = [
            (e.id, e.at.isoformat(), e.actor_kind, e.actor_id or "", e.actor_label or "",
             e.actor_organization_id or "", e.address or "", e.action, e.object_type,
             e.object_id, json.dumps(e.before, ensure_ascii=False) if e.before else "",
             json.dumps(e.after, ensure_ascii=False) if e.after else "")
            for e in session.scalars(query.order_by(AuditEvent.id))
        ]  # fmt: skip
    return exports_table.download("audit", kind, AUDIT_COLUMNS, rows)
