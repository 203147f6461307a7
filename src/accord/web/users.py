"""Who may do what: the users of a brand (console) or a partner company (portal), with their
roles. Who may see or use each page is decided by the visitor dependencies from the route
(accord.tenancy.permissions), not here."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from accord.tenancy import service as tenancy
from accord.web.pages import Form, SignedIn, area, back_to, program_or_first, render

router = APIRouter(include_in_schema=False)


def users_page_for(request: Request, visitor, *, invited=None, status: int = 200):
    store = request.app.state.store
    context = {}
    if visitor.caller.is_brand:
        programs, current = program_or_first(store, visitor, request.query_params.get("program"))
        context = {"programs": programs, "current": current}
    page = render(
        request,
        "users.html",
        http_status=status,
        visitor=visitor,
        section="users" if visitor.caller.is_brand else "settings",
        area=area(request),
        users=tenancy.list_users(store, visitor.caller),
        roles=[r.value for r in tenancy.roles_for(visitor.caller.kind)],
        invited=invited,
        **context,
    )
    page.headers["cache-control"] = "no-store"  # a one-time password may be on it
    return page


@router.get("/console/users")
@router.get("/portal/users")
def users_page(request: Request, visitor: SignedIn):
    return users_page_for(request, visitor)


@router.post("/console/users")
@router.post("/portal/users")
def invite(request: Request, visitor: SignedIn, form: Form):
    """A new user with a role and a one-time password, shown on this page only."""
    back_to(request, f"{area(request)}/users")
    invited = tenancy.invite_user(
        request.app.state.store, visitor.caller, form.get("email", ""), form.get("role", "")
    )
    return users_page_for(request, visitor, invited=invited, status=201)


@router.post("/console/users/{user_id}/role")
@router.post("/portal/users/{user_id}/role")
def change_role(user_id: str, request: Request, visitor: SignedIn, form: Form):
    back_to(request, f"{area(request)}/users")
    tenancy.change_role(request.app.state.store, visitor.caller, user_id, form.get("role", ""))
    return RedirectResponse(f"{area(request)}/users", status_code=303)


@router.post("/console/users/{user_id}/remove")
@router.post("/portal/users/{user_id}/remove")
def remove(user_id: str, request: Request, visitor: SignedIn, form: Form):
    back_to(request, f"{area(request)}/users")
    tenancy.remove_user(request.app.state.store, visitor.caller, user_id)
    if user_id == visitor.user_id:
        return RedirectResponse("/console/login", status_code=303)
    return RedirectResponse(f"{area(request)}/users", status_code=303)
