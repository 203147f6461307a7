"""The console's reports: attribution models side by side and each partner's role."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from urllib.parse import urlencode

from fastapi import APIRouter, Request

from accord.attribution.datadriven import MODELS
from accord.attribution.insight import ModelsReport, models_report
from accord.errors import InvalidInput
from accord.web import exports_table
from accord.web.i18n import translations
from accord.web.pages import SignedIn, back_to, locale_of, program_or_first, render

router = APIRouter(include_in_schema=False)

#: Partners in the chart, by Markov credit.
CHART_TOP = 10
#: The chart leaves out ordered Shapley: per partner it adds up to the Shapley value.
CHART_MODELS = tuple(m for m in MODELS if m != "ordered_shapley")


def _day(name: str, value: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        return datetime.combine(date.fromisoformat(value.strip()), time(), UTC)
    except ValueError:
        raise InvalidInput(name, "give a date as YYYY-MM-DD") from None


def _order(value: str) -> int:
    if value.strip() not in ("1", "2", "3"):
        raise InvalidInput("order", "give 1, 2 or 3")
    return int(value)


def _report(request: Request, visitor, program, by: str, order: str, since: str, until: str):
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    if current is None:
        return programs, None, None
    back_to(request, f"/console/reports/models?program={current.id}")
    report = models_report(
        store,
        visitor.caller,
        current.id,
        by=by if by in ("partner", "partner_type") else "partner",
        order=_order(order),
        since=_day("since", since),
        until=_day("until", until),
    )
    return programs, current, report


def chart_of(report: ModelsReport, locale: str = "en") -> str:
    """The top partners' conversions under each model, as the page's chart reads them
    (partner types in the visitor's language)."""
    top = sorted(report.rows, key=lambda r: -r.conversions["markov"])[:CHART_TOP]
    words = translations(locale)
    return json.dumps(
        {
            "names": [r.name if report.by == "partner" else words.gettext(r.name) for r in top],
            "keys": [r.key for r in top],
            "models": list(CHART_MODELS),
            "values": {m: [float(r.conversions[m]) for r in top] for m in CHART_MODELS},
        }
    )


@router.get("/console/reports/models")
def models_page(
    request: Request,
    visitor: SignedIn,
    program: str | None = None,
    by: str = "partner",
    order: str = "1",
    since: str = "",
    until: str = "",
):
    programs, current, report = _report(request, visitor, program, by, order, since, until)
    if current is None:
        return render(
            request, "attribution_models.html", visitor=visitor, programs=[], current=None,
            section="models",
        )  # fmt: skip
    query = {"program": current.id, "by": report.by, "order": report.order,
             "since": since, "until": until}  # fmt: skip
    return render(
        request,
        "attribution_models.html",
        visitor=visitor,
        programs=programs,
        current=current,
        report=report,
        since=since,
        until=until,
        chart_json=chart_of(report, locale_of(request)),
        models=MODELS,
        query=urlencode(query),
        toggle={b: urlencode({**query, "by": b}) for b in ("partner", "partner_type")},
        section="models",
    )


@router.get("/console/reports/models.{kind}")
def models_export(
    request: Request,
    visitor: SignedIn,
    kind: str,
    program: str | None = None,
    by: str = "partner",
    order: str = "1",
    since: str = "",
    until: str = "",
):
    if kind not in ("csv", "xlsx"):
        raise InvalidInput("kind", "give csv or xlsx")
    _, _, report = _report(request, visitor, program, by, order, since, until)
    columns = ["key", "name", "partner_type",
               *(f"{m}_conversions" for m in MODELS), *(f"{m}_revenue" for m in MODELS),
               "markov_removal_effect", "touches", "first_share", "middle_share",
               "last_share", "only_share", "role", "currency"]  # fmt: skip
    rows = (
        [
            [
                r.key,
                r.name,
                r.partner_type,
                *(r.conversions[m] for m in MODELS),
                *(r.revenue[m].amount for m in MODELS),
                r.removal_effect,
                r.touches,
                r.first,
                r.middle,
                r.last,
                r.only,
                r.role,
                report.currency,
            ]
            for r in report.rows
        ]
        if report is not None
        else []
    )
    return exports_table.download("attribution-models", kind, columns, rows)
