"""Signing up as a partner in the portal, and the partners' sign-in page (whose form the
console's sign-in handles)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from accord.partners.service import sign_up_partner
from accord.partners.types import type_groups
from accord.signin import service as sessions
from accord.web.pages import (
    LOGIN_CSRF,
    MaybeVisitor,
    OpenForm,
    locale_of,
    login_form,
    login_token_ok,
    peer,
    render,
    retry_with,
    safe_next,
    said,
    set_session_cookie,
)
from accord.web.throttle import SIGN_UP

router = APIRouter(include_in_schema=False)


@router.get("/portal/login")
def portal_login(request: Request, visitor: MaybeVisitor, next: str | None = None):
    """The sign-in page worded for partners; afterwards the portal (or the page asked for)."""
    target = safe_next(next)
    target = target if target.startswith("/portal") else "/portal"
    if visitor is not None:
        return RedirectResponse(target, status_code=303)
    return login_form(
        request, lambda token: render(request, "login.html", csrf=token, next=target, email="")
    )


def _after(value: str | None) -> str | None:
    """Where to go once signed up: a portal page (an invitation), else the programs."""
    target = safe_next(value)
    return target if target.startswith("/portal/") else None


@router.get("/portal/signup")
def signup_page(request: Request, visitor: MaybeVisitor, next: str | None = None):
    if visitor is not None:
        return RedirectResponse(_after(next) or "/portal", status_code=303)
    return login_form(
        request,
        lambda token: render(
            request,
            "portal/signup.html",
            csrf=token,
            form={"next": _after(next) or ""},
            types=type_groups(locale_of(request)),
            error=None,
        ),
    )


@router.post("/portal/signup")
def signup(request: Request, form: OpenForm):
    shown = {k: v for k, v in form.items() if k != "password"}

    def again(error: str, field: str | None, status: int):
        return render(
            request,
            "portal/signup.html",
            http_status=status,
            csrf=request.cookies.get(LOGIN_CSRF) or "",
            form=shown,
            types=type_groups(locale_of(request)),
            error=error,
            field=field,
        )

    if not login_token_ok(request, form.get("csrf", "")):
        return again("expired", None, 403)
    if SIGN_UP.wait_seconds(peer(request)):
        return again("throttled", None, 429)
    # Failures count too: guessing which emails exist is slow.
    SIGN_UP.hit(peer(request))
    retry_with(request, lambda error: again(said(request, error), error.field, error.status))
    store = request.app.state.store
    sign_up_partner(
        store,
        name=form.get("name", ""),
        email=form.get("email", ""),
        password=form.get("password", ""),
        partner_type=form.get("partner_type", ""),
        country=form.get("country"),
        website=form.get("website"),
    )
    token, _ = sessions.sign_in(
        store, form.get("email", ""), form.get("password", ""), peer(request)
    )
    after = _after(form.get("next"))
    response = RedirectResponse(after or "/portal/programs?welcome=1", status_code=303)
    set_session_cookie(request, response, token)
    return response
