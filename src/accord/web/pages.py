"""What every console and portal page shares: templates in the visitor's language, who the
visitor is, the form and its CSRF check, and the problem page.

Server-rendered with Jinja2; htmx and ECharts are served by Accord itself. Every page is
rendered in the visitor's language (a cookie set by the language switch, else the browser's
Accept-Language), with amounts and dates formatted for it.

A page handler takes what it needs as dependencies (`SignedIn`: the brand user on a console
page, the partner user on a portal page; `Form` or `FormPairs`; `Language`), calls one
service and renders or redirects. A visitor
who may not see the page, or a form without the session's CSRF token, never reaches the
handler: the dependency raises `Refused` with the response to send. An `AccordError` the
service raises becomes the problem page (`problem_response`, called by the application's
one handler for it), with a way back to `request.state.back` when the handler set it, or
the page the handler named with `retry_with` (a form shown again with what was typed).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import escape

from accord.api import bodies
from accord.audit.context import Actor, act_as
from accord.commissions.service import earned_by_status
from accord.conversions.service import partner_conversion_count
from accord.errors import AccordError, Text, Unauthenticated
from accord.money import Money
from accord.partners import taxonomy
from accord.partners.service import Enrolled
from accord.partners.types import NO_OWN_TYPES, brand_own_types
from accord.payouts.service import partner_balances
from accord.programs.service import list_programs
from accord.signin import service as sessions
from accord.signin.service import Visitor
from accord.tenancy.permissions import required_permission
from accord.tracking.service import partner_clicks
from accord.web import i18n

HERE = Path(__file__).parent
STATIC = HERE / "static"
#: The cookie holding the CSRF token of the sign-in and sign-up forms (no session yet).
LOGIN_CSRF = "accord_login_csrf"
#: Rows on one page of a list.
PAGE_SIZE = 50
#: The largest form the pages accept (uploads have their own limit). The application's
#: body limits (accord.api.bodies.BodyLimits) stop a larger one before it is read.
MAX_FORM = 1024 * 1024


class Refused(Exception):
    """Raised by a page's dependencies: send `response` instead of running the page (sign
    in first, not for this kind of visitor, a role without the permission, a forged form)."""

    def __init__(self, response: Response) -> None:
        super().__init__("refused")
        self.response = response


async def refused_response(request: Request, exc: Refused) -> Response:
    """The application's handler for `Refused`."""
    return exc.response


# templates --------------------------------------------------------------------------------
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
    env.filters["day"] = date.fromisoformat  # a stored ISO day (job results) as a date
    return env


def locale_of(request: Request) -> str:
    """The visitor's language: the language switch's cookie, else Accept-Language."""
    return i18n.pick_locale(
        request.cookies.get(i18n.COOKIE), request.headers.get("accept-language")
    )


Language = Annotated[str, Depends(locale_of)]


class SaidError:
    """An `AccordError` as a page shows it: printed in the page's language (`i18n.say`),
    its code, field and English message as they are."""

    def __init__(self, error: AccordError, text: str) -> None:
        self.error, self.text = error, text

    def __getattr__(self, name: str):
        return getattr(self.error, name)

    def __str__(self) -> str:
        return self.text

    def __html__(self) -> str:
        return str(escape(self.text))


def said(request: Request, error: AccordError) -> str:
    """What `error` says, in the visitor's language."""
    return i18n.say(locale_of(request), error.message, error.words())


def render(request: Request, name: str, http_status: int = 200, **context) -> HTMLResponse:
    locale = locale_of(request)
    if isinstance(context.get("error"), AccordError):  # printed in the page's language
        context["error"] = SaidError(context["error"], said(request, context["error"]))
    page = environment(locale).get_template(name)
    html = page.render(
        type_name=_type_namer(request, locale),
        locale=locale,
        html_lang="zh-Hans" if locale == "zh_Hans" else "en",
        languages=i18n.LANGUAGE_NAMES,
        fmt=i18n.Formatter(locale),
        say=lambda message, words=None, field=True: i18n.say_all(locale, message, words, field),
        field_name=lambda field: i18n.field_name(locale, field),
        path=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        **context,
    )
    response = HTMLResponse(html, status_code=http_status)
    # Pages with one-click actions (approve, revoke, pay) must not be framed by other sites.
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
    return response


def _type_namer(request: Request, locale: str):
    """A partner type's or group's name in the page's language; a brand's own types are
    read (once a page) only when one is shown."""
    own: list = []

    def type_name(code: str | None) -> str:
        if not code:
            return ""
        if code in taxonomy.BY_CODE or code in taxonomy.GROUP_BY_CODE:
            return taxonomy.name(code, locale)
        if not own:
            visitor = getattr(request.state, "visitor", None)
            store = getattr(request.app.state, "store", None)
            found = NO_OWN_TYPES
            if visitor is not None and store is not None:
                found = brand_own_types(store, visitor.caller)
            own.append(found)
        return own[0].name(code, locale)

    return type_name


def secure(request: Request) -> bool:
    """Whether cookies must be Secure: the page was asked for over HTTPS."""
    return request.url.scheme == "https"


def area(request: Request) -> str:
    """`/portal` for the partner portal's pages, else `/console`."""
    return "/portal" if request.url.path.startswith("/portal") else "/console"


def public_base(request: Request) -> str:
    """Where people outside reach this Accord (links in pages, mails and QR codes): the
    settings' public URL, else the address the request came in on."""
    settings = getattr(request.app.state, "settings", None)
    return (getattr(settings, "public_url", None) or str(request.base_url)).rstrip("/")


def peer(request: Request) -> str:
    """The visitor's address: behind a trusted proxy (`ACCORD_TRUSTED_PROXIES`), the last
    X-Forwarded-For hop that is not one of them, as the click edge does."""
    address = request.client.host if request.client else "unknown"
    settings = getattr(request.app.state, "settings", None)
    trusted = set(getattr(settings, "trusted_proxies", None) or ())
    if address not in trusted:
        return address
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop[:64]
    return address


def safe_next(value: str | None) -> str:
    """Only a path on this site: never `//elsewhere` or a full URL."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/console"


def to_login(request: Request) -> RedirectResponse:
    """To the sign-in page, and back to this page afterwards."""
    target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return RedirectResponse(f"{area(request)}/login?next={target}", status_code=303)


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    """The signed-in browser's cookie (and the sign-in form's token is no longer needed)."""
    response.set_cookie(
        sessions.COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=secure(request),
        max_age=int(sessions.LONGEST.total_seconds()),
    )
    response.delete_cookie(LOGIN_CSRF)


def login_form(request: Request, response_for: Callable[[str], Response]) -> Response:
    """A sign-in or sign-up form with a fresh CSRF token, kept in a cookie for an hour."""
    token = secrets.token_urlsafe(24)
    response = response_for(token)
    response.set_cookie(
        LOGIN_CSRF, token, httponly=True, samesite="lax", secure=secure(request), max_age=3600
    )
    return response


def login_token_ok(request: Request, sent: str) -> bool:
    """Whether a sign-in or sign-up form sent back the token its cookie holds."""
    expected = request.cookies.get(LOGIN_CSRF)
    return bool(expected) and secrets.compare_digest(expected.encode(), sent.encode())


# the form ---------------------------------------------------------------------------------
async def read_body(request: Request, limit: int = MAX_FORM) -> bytes:
    """The request body, refused with 413 past `limit` bytes."""
    return await bodies.read_body(request, limit)


async def form_pairs(request: Request) -> list[tuple[str, str]]:
    """The form's fields in order (a name may repeat), decoded strictly: a value that is not
    UTF-8 or holds NUL or another control character (but tab and line breaks) is refused
    naming the field."""
    return bodies.decode_form(await read_body(request), bodies.TEXT)


async def read_form(request: Request) -> dict[str, str]:
    """The form's fields by name, read by the page itself (not as a dependency)."""
    return dict(await form_pairs(request))


async def form_fields(pairs: Annotated[list[tuple[str, str]], Depends(form_pairs)]) -> dict:
    """The form's fields by name (the last value of a repeated one)."""
    return dict(pairs)


#: A form with no session to check (sign in, sign up: they have their own token).
OpenForm = Annotated[dict[str, str], Depends(form_fields)]


# the visitor ------------------------------------------------------------------------------
def signed_in(request: Request) -> Visitor | None:
    """The visitor of the session cookie, or None."""
    try:
        return sessions.visitor(request.app.state.store, request.cookies.get(sessions.COOKIE))
    except Unauthenticated:
        return None


async def maybe_visitor(request: Request) -> Visitor | None:
    """The signed-in visitor as a dependency (read in a thread: it touches the database)."""
    return await run_in_threadpool(signed_in, request)


MaybeVisitor = Annotated[Visitor | None, Depends(maybe_visitor)]


def permitted(request: Request, visitor: Visitor) -> Visitor:
    """The visitor, unless their role lacks the permission the route needs (derived from the
    route by accord.tenancy.permissions): a 403 page. The changes the request makes are
    recorded in the audit log as the visitor's, from their address (so this runs in the
    request's own context: the visitor dependencies are async for it)."""
    route = request.scope.get("route")
    needed = required_permission(request.method, getattr(route, "path", request.url.path))
    org = visitor.caller.organization_id
    act_as(Actor("user", visitor.user_id, visitor.email, org, peer(request)))
    if needed is not None and visitor.caller.may(needed):
        request.state.visitor = visitor
        return visitor
    raise Refused(
        render(
            request,
            "forbidden.html",
            http_status=403,
            visitor=visitor,
            permission=needed or "",
            role=visitor.caller.role,
        )
    )


async def brand_visitor(request: Request, visitor: MaybeVisitor) -> Visitor:
    """The signed-in brand user; anyone else is sent to sign in or shown why not."""
    if visitor is None:
        raise Refused(to_login(request))
    if not visitor.caller.is_brand:
        raise Refused(render(request, "not_for_partners.html", http_status=403, visitor=visitor))
    return permitted(request, visitor)


async def partner_visitor(request: Request, visitor: MaybeVisitor) -> Visitor:
    """The signed-in partner user; brands are sent to the console."""
    if visitor is None:
        raise Refused(to_login(request))
    if visitor.caller.partner_id is None:
        raise Refused(RedirectResponse("/console", status_code=303))
    return permitted(request, visitor)


async def page_visitor(request: Request, visitor: MaybeVisitor) -> Visitor:
    """The visitor the page's area is for: a partner in the portal, a brand in the console."""
    if area(request) == "/portal":
        return await partner_visitor(request, visitor)
    return await brand_visitor(request, visitor)


#: The signed-in visitor of a console page (a brand user) or a portal page (a partner user).
SignedIn = Annotated[Visitor, Depends(page_visitor)]


def expired() -> Response:
    return Response("the form had expired; reload the page and try again", status_code=403)


def forged(visitor: Visitor, form: dict[str, str], request: Request) -> bool:
    """Whether a state-changing request lacks the session's CSRF token."""
    return not sessions.csrf_ok(visitor, form.get("csrf") or request.headers.get("x-csrf-token"))


async def checked_pairs(
    request: Request,
    visitor: SignedIn,
    pairs: Annotated[list[tuple[str, str]], Depends(form_pairs)],
) -> list[tuple[str, str]]:
    """The form of a signed-in visitor, refused (403) without the session's CSRF token."""
    if forged(visitor, dict(pairs), request):
        raise Refused(expired())
    return pairs


#: The checked form's fields in order (a name may repeat: the ids to approve, say).
FormPairs = Annotated[list[tuple[str, str]], Depends(checked_pairs)]


async def checked_form(pairs: FormPairs) -> dict[str, str]:
    return dict(pairs)


#: The checked form's fields by name.
Form = Annotated[dict[str, str], Depends(checked_form)]


# programs ---------------------------------------------------------------------------------
def program_or_first(store, visitor: Visitor, program: str | None):
    """The brand's programs, and the one asked for (else the first, else None)."""
    programs = list_programs(store, visitor.caller)
    current = next((p for p in programs if p.id == program), programs[0] if programs else None)
    return programs, current


def render_for_program(request: Request, visitor: Visitor, program: str | None, name: str, *,
                       gather: Callable[[Any, Any], dict], http_status: int = 200,
                       **context) -> HTMLResponse:  # fmt: skip
    """A page about one of the brand's programs (the one asked for, else the first): what
    `gather(store, program)` finds for it (called only when there is a program) and `context`."""
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    found = gather(store, current) if current is not None else {}
    return render(request, name, http_status=http_status, visitor=visitor, programs=programs,
                  current=current, **{**context, **found})  # fmt: skip


# problems ---------------------------------------------------------------------------------
def back_to(request: Request, target: str) -> None:
    """Where the problem page's way back leads if the page's service refuses."""
    request.state.back = target


def retry_with(request: Request, page: Callable[[AccordError], Response]) -> None:
    """Show `page` (the form again, with what was typed and the error) if the service
    refuses, instead of the problem page."""
    request.state.retry = page


def ask_again_for(request: Request, visitor, back: str, field: str) -> None:
    """If the page's service refuses `field` (a reason left out, say), show the page at
    `back` again asking for it (`missing=<field>`); any other refusal is the problem page."""

    def again(error: AccordError) -> Response:
        if error.field == field:
            joiner = "&" if "?" in back else "?"
            return RedirectResponse(f"{back}{joiner}missing={field}", status_code=303)
        return problem_page(request, visitor, said(request, error), back, error.status)

    retry_with(request, again)


def problem_page(request: Request, visitor, message: str, back: str, status: int) -> HTMLResponse:
    """A page saying what went wrong, in the visitor's language, with a way back."""
    return render(
        request, "problem.html", http_status=status, visitor=visitor, message=message, back=back
    )


def problem_response(request: Request, error: AccordError) -> Response:
    """The page for an `AccordError` raised by a console or portal page: the page's own
    retry (`retry_with`), else the problem page leading back to `back_to`'s target, else to
    the page the visitor came from on this site (else the area's home)."""
    retry = getattr(request.state, "retry", None)
    if retry is not None:
        return retry(error)
    back = getattr(request.state, "back", None)
    if back is None:
        here = area(request)
        referer = request.headers.get("referer") or ""
        back = referer if referer.startswith(str(request.base_url).rstrip("/") + here) else here
    visitor = getattr(request.state, "visitor", None) or signed_in(request)
    return problem_page(request, visitor, said(request, error), back, error.status)


def refuse(message: str, status: int, **values: object) -> AccordError:
    """An `AccordError` with a status of its own, for a page's own checks: `message` is a
    message id of the catalog, with `values` to fill in."""
    error = AccordError(Text(message, **values))
    error.status = status
    return error


# the portal's programs --------------------------------------------------------------------
def pick(enrolled: list[Enrolled], program: str | None, *, approved_only: bool = False):
    """The partner's enrollment in the program asked for (else the first; only approved
    ones if `approved_only`), or None."""
    usable = [e for e in enrolled if e.status == "approved"] if approved_only else enrolled
    chosen = next((e for e in usable if e.program.id == program), None)
    return chosen or (usable[0] if usable else None)


def portal_page(
    request: Request,
    name: str,
    visitor: Visitor,
    enrolled: list[Enrolled],
    current: Enrolled | None,
    section: str,
    **context,
) -> HTMLResponse:
    """A portal page, with the partner's programs to switch between."""
    return render(
        request,
        name,
        visitor=visitor,
        enrolled=enrolled,
        programs=[e.program for e in enrolled if e.status == "approved"],
        current=current.program if current else None,
        enrollment=current,
        section=section,
        **context,
    )


def partner_earnings(store, caller, program) -> dict:
    """The partner's figures in a program: clicks, conversions, and earnings by status."""
    clicks, unique = partner_clicks(store, caller, program.id)
    by_status = earned_by_status(store, caller, program.id)
    balance = next((b.payable_minor for b in partner_balances(store, caller, program.id)), 0)

    def money(minor) -> Money:
        return Money.from_minor(int(minor or 0), program.currency)

    return {
        "currency": program.currency,
        "clicks": clicks,
        "unique_clicks": unique,
        "conversions": partner_conversion_count(store, caller, program.id),
        "pending": money(
            by_status.get("pending", 0) + by_status.get("locked", 0) + by_status.get("held", 0)
        ),
        "approved": money(by_status.get("approved", 0)),
        "paid": money(by_status.get("paid", 0)),
        "payable": money(balance),
        "threshold": money(program.payout_threshold_minor),
    }


# charts ----------------------------------------------------------------------------------
def chart_of(series, *, revenue: bool = True) -> str:
    """A daily series as the JSON the pages' ECharts charts read."""
    chart = {"days": series.days, "clicks": series.clicks, "conversions": series.conversions}
    if revenue:
        chart["revenue"] = [str(v) for v in series.revenue]
    chart["commissions"] = [str(v) for v in series.commissions]
    return json.dumps(chart)
