"""Choosing a new password by e-mail, for every user of the console and the portal: ask
for a link (`/console/password/forgot`), then choose the password on the page the link
opens (`/console/password/reset`). The page says the same whether or not the address has
an account, and asking is throttled per address."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from accord.errors import AccordError
from accord.signin import service as sessions
from accord.web.pages import (
    LOGIN_CSRF,
    OpenForm,
    locale_of,
    login_form,
    login_token_ok,
    peer,
    render,
    retry_with,
    safe_next,
)
from accord.web.throttle import RESET

router = APIRouter(include_in_schema=False)


def _no_referrer(response):
    """The reset link's token must not leave in a Referer header, nor be cached."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/console/password/forgot")
def forgot_page(request: Request, next: str | None = None):
    return login_form(
        request,
        lambda token: render(
            request, "password_forgot.html", csrf=token, next=safe_next(next), email=""
        ),
    )


@router.post("/console/password/forgot")
def forgot(request: Request, form: OpenForm):
    expected = request.cookies.get(LOGIN_CSRF) or ""
    email = form.get("email", "").strip()[:320]
    next_page = safe_next(form.get("next"))

    def page(status: int = 200, **context):
        return render(
            request,
            "password_forgot.html",
            http_status=status,
            csrf=expected,
            next=next_page,
            email=email,
            **context,
        )

    if not login_token_ok(request, form.get("csrf", "")):
        return page(403, error="expired")
    if "@" not in email:
        return page(422, error="email")
    who = peer(request)
    wait = max(RESET.wait_seconds(who), RESET.wait_seconds(email.lower()))
    if wait:
        response = page(429, error="throttled", minutes=max(1, -(-wait // 60)))
        response.headers["Retry-After"] = str(wait)
        return response
    RESET.hit(who)
    RESET.hit(email.lower())
    # The link is built from the settings, never from the request's Host header, which
    # the asker controls.
    base = request.app.state.settings.base_url()
    sessions.request_reset(request.app.state.store, email, locale_of(request), base)
    return page(asked=True)


@router.get("/console/password/reset")
def reset_page(request: Request, token: str = ""):
    usable = sessions.reset_usable(request.app.state.store, token)
    return _no_referrer(
        login_form(
            request,
            lambda csrf: render(
                request,
                "password_reset.html",
                http_status=200 if usable else 410,
                csrf=csrf,
                token=token,
                usable=usable,
            ),
        )
    )


@router.post("/console/password/reset")
def reset(request: Request, form: OpenForm):
    expected = request.cookies.get(LOGIN_CSRF) or ""
    token = form.get("token", "")

    def again(status: int, **context):
        return _no_referrer(
            render(
                request,
                "password_reset.html",
                http_status=status,
                csrf=expected,
                token=token,
                usable=True,
                **context,
            )
        )

    if not login_token_ok(request, form.get("csrf", "")):
        return again(403, error="expired")
    password = form.get("password", "")
    if password != form.get("again", ""):
        return again(422, error="mismatch")

    def refused(error: AccordError):
        if error.field == "password":
            return again(422, error="short")
        gone = render(request, "password_reset.html", http_status=410, csrf=expected,
                      token="", usable=False)  # fmt: skip
        return _no_referrer(gone)

    retry_with(request, refused)
    partner = sessions.reset_password(request.app.state.store, token, password)
    target = "/console/login?next=/portal&changed=1" if partner else "/console/login?changed=1"
    return _no_referrer(RedirectResponse(target, status_code=303))
