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
from urllib.parse import parse_qsl, quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from accord.errors import AccordError, Unauthenticated
from accord.programs.service import list_programs
from accord.reports.activity import attention, daily_series
from accord.reports.service import program_summary
from accord.web import i18n, sessions

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


def render(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
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
    return HTMLResponse(html, status_code=status)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


async def _form(request: Request) -> dict[str, str]:
    body = (await request.body()).decode("utf-8", "replace")
    return dict(parse_qsl(body, keep_blank_values=True))


def _visitor(request: Request) -> sessions.Visitor | None:
    try:
        return sessions.visitor(request.app.state.store, request.cookies.get(sessions.COOKIE))
    except Unauthenticated:
        return None


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
    if not expected or not secrets.compare_digest(expected, sent):
        return render(
            request,
            "login.html",
            status=403,
            csrf=expected or "",
            next=_safe_next(form.get("next")),
            email=form.get("email", ""),
            error="expired",
        )
    try:
        token, _ = sessions.sign_in(
            request.app.state.store, form.get("email", ""), form.get("password", "")
        )
    except AccordError:
        return render(
            request,
            "login.html",
            status=401,
            csrf=expected,
            next=_safe_next(form.get("next")),
            email=form.get("email", ""),
            error="credentials",
        )
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
    if not sessions.csrf_ok(visitor, form.get("csrf") or request.headers.get("x-csrf-token")):
        return Response("the form had expired; reload the page and try again", status_code=403)
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
    visitor = _visitor(request)
    if visitor is None:
        return _to_login(request)
    if not visitor.caller.is_brand:
        return render(request, "not_for_partners.html", status=403, visitor=visitor)
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
    )
