"""Signing in and out of the console (the portal's users sign in here too), and the
language switch."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from accord.errors import AccordError
from accord.signin import service as sessions
from accord.tenancy.service import remember_language
from accord.web import i18n
from accord.web.pages import (
    LOGIN_CSRF,
    MaybeVisitor,
    OpenForm,
    Refused,
    expired,
    forged,
    locale_of,
    login_form,
    login_token_ok,
    peer,
    render,
    retry_with,
    safe_next,
    secure,
    set_session_cookie,
    to_login,
)
from accord.web.throttle import SIGN_IN

router = APIRouter(include_in_schema=False)


@router.get("/console/login")
def login_page(request: Request, visitor: MaybeVisitor, next: str | None = None, changed: int = 0):
    if visitor is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return login_form(
        request,
        lambda token: render(
            request, "login.html", csrf=token, next=safe_next(next), email="", changed=changed
        ),
    )


@router.post("/console/login")
def login(request: Request, form: OpenForm):
    expected = request.cookies.get(LOGIN_CSRF) or ""

    def again(error: str, status: int, **context):
        return render(
            request,
            "login.html",
            http_status=status,
            csrf=expected,
            next=safe_next(form.get("next")),
            email=form.get("email", ""),
            error=error,
            **context,
        )

    if not login_token_ok(request, form.get("csrf", "")):
        return again("expired", 403)
    who = f"{peer(request)}|{form.get('email', '').strip().lower()}"
    wait = SIGN_IN.wait_seconds(who)
    if wait:
        response = again("throttled", 429, minutes=max(1, -(-wait // 60)))
        response.headers["Retry-After"] = str(wait)
        return response

    def wrong(error: AccordError):
        SIGN_IN.hit(who)
        return again("credentials", 401)

    retry_with(request, wrong)
    store = request.app.state.store
    token, signed = sessions.sign_in(
        store, form.get("email", ""), form.get("password", ""), peer(request)
    )
    SIGN_IN.clear(who)
    remember_language(store, signed.user_id, locale_of(request))
    response = RedirectResponse(safe_next(form.get("next")), status_code=303)
    set_session_cookie(request, response, token)
    return response


@router.post("/console/logout")
def logout(request: Request, visitor: MaybeVisitor, form: OpenForm):
    """Any signed-in visitor (brand or partner) signs out here."""
    if visitor is None:
        raise Refused(to_login(request))
    if forged(visitor, form, request):
        raise Refused(expired())
    sessions.sign_out(request.app.state.store, request.cookies.get(sessions.COOKIE))
    home = "/console" if visitor.caller.partner_id is None else "/portal"
    response = RedirectResponse(f"{home}/login", status_code=303)
    response.delete_cookie(sessions.COOKIE)
    return response


@router.get("/console/language/{code}")
def switch_language(code: str, request: Request, visitor: MaybeVisitor, next: str | None = None):
    response = RedirectResponse(safe_next(next), status_code=303)
    if code in i18n.LOCALES:
        if visitor is not None:  # their e-mail follows the language they chose
            remember_language(request.app.state.store, visitor.user_id, code)
        response.set_cookie(
            i18n.COOKIE, code, samesite="lax", secure=secure(request), max_age=365 * 86400
        )
    return response
