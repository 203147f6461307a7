"""The portal's reports: a partner's own performance, by day, link, sub-id and promo code."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request

from accord.errors import InvalidInput
from accord.partners.service import partner_enrollments
from accord.reports.performance import DEVICES, whole_report
from accord.web import exports_table
from accord.web.pages import SignedIn, back_to, locale_of, pick, portal_page, refuse
from accord.web.performance_view import GRAINS, PRESETS, Choices, Labels, report_for, today_of
from accord.web.performance_view import view as performance_view

router = APIRouter(include_in_schema=False)

#: What a partner may cut its own figures by ("" is time alone).
DIMENSIONS = ("", "sub_id", "promo_code", "country", "device")
FILTERS = ("sub_id", "promo_code", "country", "device")


def _choices(params) -> Choices:
    try:
        page = int(params.get("page") or 1)
    except ValueError:
        page = 0  # refused, naming the page
    by = params.get("by", "")
    if by not in DIMENSIONS:
        raise InvalidInput("group_by", "choose time only, sub-id, promo code, country or device")
    grain = params.get("grain")
    return Choices(
        by=by,
        grain="day" if grain is None and not by else (grain or ""),
        period=params.get("period") or "30d",
        since=params.get("since", ""),
        until=params.get("until", ""),
        sort=params.get("sort", ""),
        page=page,
        filters={k: params.get(k, "") for k in FILTERS},
    )


@router.get("/portal/reports")
def reports_page(request: Request, visitor: SignedIn, program: str | None = None):
    """The partner's own clicks, conversions, revenue and earnings over time, or by sub-id,
    promo code, country or device: a chart, a table and downloads."""
    store = request.app.state.store
    enrolled = partner_enrollments(store, visitor.caller)
    current = pick(enrolled, program, approved_only=True)
    context: dict = {}
    if current is not None:
        back_to(request, f"/portal/reports?program={quote(current.program.id)}")
        choices = _choices(request.query_params)
        labels = Labels(locale_of(request))
        shown = performance_view(
            store, visitor.caller, current.program.id, choices, today_of(store), labels
        )
        context = {
            "choices": choices,
            "shown": shown,
            "labels": labels,
            "dimension": shown.report.who,
            "dimensions": DIMENSIONS,
            "grains": GRAINS,
            "presets": PRESETS,
            "devices": DEVICES,
        }
    return portal_page(
        request, "portal/reports.html", visitor, enrolled, current, "reports", **context
    )


@router.get("/portal/reports.{kind}")
def reports_file(request: Request, visitor: SignedIn, kind: str, program: str):
    """The partner's whole report of the page's choices as CSV or Excel."""
    if kind not in ("csv", "xlsx"):
        raise refuse("download reports.csv or reports.xlsx", 404)
    store = request.app.state.store
    back_to(request, f"/portal/reports?{request.url.query}")
    report, _, _ = report_for(program, _choices(request.query_params), today_of(store))
    columns, rows, _ = whole_report(store, visitor.caller, report)
    return exports_table.download("performance", kind, columns, rows)
