"""The console's reports: partner lifecycle, promotion periods and concentration."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from accord.errors import InvalidInput, Text
from accord.programs import promotions
from accord.reports import engagement, lifecycle_model
from accord.reports.concentration import CONCENTRATION_COLUMNS, concentration_report, share
from accord.reports.lifecycle import LIFECYCLE_COLUMNS, lifecycle_report
from accord.reports.lifecycle_model import DISPLAY_ORDER
from accord.web import exports_table
from accord.web.pages import Form, SignedIn, back_to, program_or_first, render

router = APIRouter(include_in_schema=False)

#: The periods the concentration page offers, in days back from today.
CONCENTRATION_DAYS = (30, 90, 180, 365, 730)
DOWNLOADS = ("csv", "xlsx")


def _day(form: dict[str, str], field: str) -> date:
    try:
        return date.fromisoformat((form.get(field) or "").strip())
    except ValueError:
        raise InvalidInput(field, "give a day as YYYY-MM-DD") from None


@router.get("/console/reports/lifecycle")
def lifecycle_page(request: Request, visitor: SignedIn, program: str | None = None):
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    context = {"visitor": visitor, "programs": programs, "current": current}
    if current is None:
        return render(request, "lifecycle.html", section="lifecycle", report=None, **context)
    report = lifecycle_report(store, visitor.caller, current.id)
    scores = engagement.activity(store, visitor.caller, current.id)
    periods = promotions.list_promotions(store, visitor.caller, current.id)
    now = store.clock.now()
    # the program's own first, then this year's and next year's festivals
    shown = [p for p in periods if not p.predefined] + [
        p for p in periods if p.predefined and p.starts_at.year >= now.year
    ]
    return render(
        request,
        "lifecycle.html",
        section="lifecycle",
        report=report,
        order=DISPLAY_ORDER,
        rule=lifecycle_model,
        pct=lambda f: int(f * 100),
        periods=shown,
        today=now.date().isoformat(),
        activity=scores,
        engagement=engagement,
        **context,
    )


@router.post("/console/programs/{program_id}/promotions")
def add_promotion(program_id: str, request: Request, visitor: SignedIn, form: Form):
    """Name a promotion period of the program's own (whole UTC days, both included)."""
    store = request.app.state.store
    back = f"/console/reports/lifecycle?program={quote(program_id)}#promotions"
    back_to(request, back)
    first, last = _day(form, "starts_on"), _day(form, "ends_on")
    if last < first:
        raise InvalidInput("ends_on", "the last day must not be before the first")
    starts_at = datetime.combine(first, time(), tzinfo=UTC)
    ends_at = datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC)
    promotions.add_promotion(
        store, visitor.caller, program_id, form.get("name", ""), starts_at, ends_at
    )
    return RedirectResponse(back, status_code=303)


@router.post("/console/programs/{program_id}/promotions/{promotion_id}/remove")
def remove_promotion(
    program_id: str, promotion_id: str, request: Request, visitor: SignedIn, form: Form
):
    store = request.app.state.store
    back = f"/console/reports/lifecycle?program={quote(program_id)}#promotions"
    back_to(request, back)
    promotions.remove_promotion(store, visitor.caller, program_id, promotion_id)
    return RedirectResponse(back, status_code=303)


def _since(store, days: int) -> datetime:
    if days not in CONCENTRATION_DAYS:
        choices = ", ".join(map(str, CONCENTRATION_DAYS))
        raise InvalidInput("days", Text("choose one of %(choices)s", choices=choices))
    return store.clock.now() - timedelta(days=days)


@router.get("/console/reports/concentration")
def concentration_page(
    request: Request, visitor: SignedIn, program: str | None = None, days: int = 365
):
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    context = {"visitor": visitor, "programs": programs, "current": current}
    if current is None:
        return render(
            request, "concentration.html", section="concentration", report=None, **context
        )
    back_to(request, f"/console/reports/concentration?program={quote(current.id)}")
    report = concentration_report(store, visitor.caller, current.id, _since(store, days))
    lorenz = [[float(x), float(y)] for x, y in report.lorenz()]
    return render(
        request,
        "concentration.html",
        section="concentration",
        report=report,
        r=report.result,
        losses=report.losses(),
        gini=share(report.result.gini, 3),
        top_share=share(report.result.top_share),
        core_share=share(report.result.core_share_of_partners),
        chart_json=json.dumps({"lorenz": lorenz}),
        days=days,
        choices=CONCENTRATION_DAYS,
        **context,
    )


@router.get("/console/reports/concentration.{kind}")
def concentration_download(
    kind: str, request: Request, visitor: SignedIn, program: str, days: int = 365
):
    """Every partner ranked by revenue with its share, as CSV or Excel."""
    if kind not in DOWNLOADS:
        return Response("use concentration.csv or concentration.xlsx", status_code=404)
    store = request.app.state.store
    report = concentration_report(store, visitor.caller, program, _since(store, days))
    return exports_table.download("concentration", kind, CONCENTRATION_COLUMNS, report.table())


@router.get("/console/reports/lifecycle.{kind}")
def lifecycle_download(kind: str, request: Request, visitor: SignedIn, program: str):
    """Every partner with its segment, as CSV or Excel."""
    if kind not in DOWNLOADS:
        return Response("use lifecycle.csv or lifecycle.xlsx", status_code=404)
    report = lifecycle_report(request.app.state.store, visitor.caller, program)
    return exports_table.download("lifecycle", kind, LIFECYCLE_COLUMNS, report.table())
