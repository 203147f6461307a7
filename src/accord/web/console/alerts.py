"""The console's reports: anomaly alerts, forecasts and the weekly digest.

GET /console/reports/alerts lists a program's alerts (unusual days of its partners), the
revenue forecast per partner type with its interval, and the signed-in user's weekly
digest setting. The forms change an alert (seen), the digest (on/off, language) or send
the user a digest now; their paths name the program, so managers and owners may use them.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from babel.dates import format_skeleton
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from accord.monitoring.service import (
    RevenueForecast,
    digest_setting,
    list_alerts,
    mark_all_seen,
    mark_seen,
    revenue_forecast,
    send_digest,
    set_digest,
)
from accord.web import i18n
from accord.web.pages import Form, SignedIn, back_to, locale_of, program_or_first, render

router = APIRouter(include_in_schema=False)

SHOW = ("unseen", "all")


def _page(program_id: str, **extra: str) -> str:
    query = "&".join(f"{k}={quote(v)}" for k, v in {"program": program_id, **extra}.items())
    return f"/console/reports/alerts?{query}"


def forecast_chart(forecast: RevenueForecast) -> str:
    """The program's monthly revenue and next month's forecast with its interval, as the
    JSON the page's chart reads."""
    total = forecast.total
    # the months before the program's first revenue say nothing: the chart starts there
    first = next((i for i, m in enumerate(total.history) if not m.is_zero()), 0)
    months = [m.isoformat()[:7] for m in forecast.months[first:]]
    months.append(forecast.month.isoformat()[:7])
    history = [str(m.amount) for m in total.history[first:]]
    ready = total.expected is not None
    return json.dumps(
        {
            "months": months,
            "history": [*history, None],
            "expected": [None] * len(history) + ([str(total.expected.amount)] if ready else [None]),
            "low": [None] * len(history) + ([str(total.low.amount)] if ready else [None]),
            "band": [None] * len(history)
            + ([str(total.high.amount - total.low.amount)] if ready else [None]),
            "high": [None] * len(history) + ([str(total.high.amount)] if ready else [None]),
        }
    )


def types_chart(forecast: RevenueForecast, locale: str) -> str:
    """Each partner type's forecast and its 95 % range (the program's first), as the JSON
    of the page's interval chart; types without a forecast are left out."""
    words = i18n.translations(locale)
    rows = [
        {
            "name": words.gettext("All partners")
            if t is forecast.total
            else words.gettext(t.partner_type),
            "expected": str(t.expected.amount),
            "low": str(t.low.amount),
            "band": str(t.high.amount - t.low.amount),
            "high": str(t.high.amount),
        }
        for t in [forecast.total, *forecast.types]
        if t.expected is not None and t.low is not None and t.high is not None
    ]
    return json.dumps(rows[::-1])  # the chart draws its categories from the bottom up


@router.get("/console/reports/alerts")
def alerts_page(
    request: Request,
    visitor: SignedIn,
    program: str | None = None,
    show: str = "unseen",
    sent: str = "",
    saved: str = "",
):
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    show = show if show in SHOW else "unseen"
    context = {"visitor": visitor, "programs": programs, "current": current,
               "section": "alerts", "show": show}  # fmt: skip
    if current is None:
        return render(request, "alerts.html", **context)
    caller = visitor.caller
    alerts = list_alerts(store, caller, current.id, unseen_only=show == "unseen")
    forecast = revenue_forecast(store, caller, current.id)
    return render(
        request,
        "alerts.html",
        **context,
        alerts=alerts,
        unseen=sum(1 for a in alerts if a.seen_at is None),
        forecast=forecast,
        month_label=format_skeleton("yMMMM", forecast.month, locale=locale_of(request)),
        chart_json=forecast_chart(forecast),
        types_json=types_chart(forecast, locale_of(request)),
        digest=digest_setting(store, caller, visitor.user_id),
        sent=sent,
        saved=saved == "1",
        # the forms' paths name the program: owners and managers may use them
        can_change=caller.may("programs:write"),
    )


@router.post("/console/programs/{program_id}/alerts/{alert_id}/seen")
def alert_seen(program_id: str, alert_id: str, request: Request, visitor: SignedIn, form: Form):
    back = _page(program_id, show=form.get("show", "unseen"))
    back_to(request, back)
    mark_seen(request.app.state.store, visitor.caller, program_id, alert_id)
    return RedirectResponse(back, status_code=303)


@router.post("/console/programs/{program_id}/alerts/seen")
def all_seen(program_id: str, request: Request, visitor: SignedIn, form: Form):
    back = _page(program_id, show=form.get("show", "unseen"))
    back_to(request, back)
    mark_all_seen(request.app.state.store, visitor.caller, program_id)
    return RedirectResponse(back, status_code=303)


@router.post("/console/programs/{program_id}/digest")
def save_digest(program_id: str, request: Request, visitor: SignedIn, form: Form):
    """The signed-in user's weekly digest: on or off, and its language."""
    back_to(request, _page(program_id))
    set_digest(
        request.app.state.store,
        visitor.caller,
        visitor.user_id,
        weekly=form.get("weekly") == "on",
        language=form.get("language", "en"),
    )
    return RedirectResponse(_page(program_id, saved="1"), status_code=303)


@router.post("/console/programs/{program_id}/digest/test")
def test_digest(program_id: str, request: Request, visitor: SignedIn, form: Form):
    """Send the signed-in user last week's digest now, in the digest's language."""
    back_to(request, _page(program_id))
    store = request.app.state.store
    language = (
        form.get("language") or digest_setting(store, visitor.caller, visitor.user_id).language
    )
    settings = getattr(request.app.state, "settings", None)
    send_digest(store, visitor.caller, program_id, visitor.email, language, settings)
    return RedirectResponse(_page(program_id, sent=visitor.email), status_code=303)
