"""The console's reports: performance by any dimension, exports and charts."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request

from accord.partners.model import EnrollmentStatus
from accord.partners.types import brand_types
from accord.reports.performance import DEVICES, Dimension, whole_report
from accord.web import exports_table
from accord.web.pages import SignedIn, back_to, locale_of, program_or_first, refuse, render
from accord.web.performance_view import GRAINS, PRESETS, Choices, Labels, report_for, today_of
from accord.web.performance_view import view as performance_view

router = APIRouter(include_in_schema=False)

#: The dimensions a brand may choose ("" is the whole program, cut by time only).
DIMENSIONS = ("partner", "partner_type", "event_type", "country", "device", "sub_id",
              "promo_code", "")  # fmt: skip
FILTERS = ("partner_type", "status", "search", "country", "device", "event_type",
           "promo_code", "sub_id")  # fmt: skip


def _choices(params) -> Choices:
    try:
        page = int(params.get("page") or 1)
    except ValueError:
        page = 0  # refused, naming the page
    return Choices(
        by=params.get("by", "partner"),
        grain=params.get("grain", ""),
        period=params.get("period") or "30d",
        since=params.get("since", ""),
        until=params.get("until", ""),
        sort=params.get("sort", ""),
        page=page,
        filters={k: params.get(k, "") for k in FILTERS},
    )


@router.get("/console/reports")
def performance_page(request: Request, visitor: SignedIn, program: str | None = None):
    """Performance by one dimension and a time grain, over a period, filtered: a chart, a
    sortable, paged table with totals, and the whole report as CSV, Excel or JSON."""
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    if current is None:
        return render(request, "reports.html", visitor=visitor, programs=[], current=None,
                      section="reports")  # fmt: skip
    back_to(request, f"/console/reports?program={quote(current.id)}")
    choices = _choices(request.query_params)
    labels = Labels(locale_of(request))
    shown = performance_view(store, visitor.caller, current.id, choices, today_of(store), labels)
    return render(
        request,
        "reports.html",
        visitor=visitor,
        programs=programs,
        current=current,
        section="reports",
        choices=choices,
        shown=shown,
        labels=labels,
        dimension=shown.report.who,
        Dimension=Dimension,
        dimensions=DIMENSIONS,
        grains=GRAINS,
        presets=PRESETS,
        types=brand_types(request.app.state.store, visitor.caller, locale_of(request)),
        statuses=[s.value for s in EnrollmentStatus],
        devices=DEVICES,
        event_types=("sale", "lead", "signup", "install", "first_purchase"),
    )


@router.get("/console/reports/performance.{kind}")
def performance_file(request: Request, visitor: SignedIn, kind: str, program: str):
    """The whole report of the page's choices (not only its page) as a file."""
    if kind not in ("csv", "xlsx", "json"):
        raise refuse("download performance.csv, performance.xlsx or performance.json", 404)
    store = request.app.state.store
    back_to(request, f"/console/reports?{request.url.query}")
    report, _, _ = report_for(program, _choices(request.query_params), today_of(store))
    columns, rows, _ = whole_report(store, visitor.caller, report)
    return exports_table.download("performance", kind, columns, rows)
