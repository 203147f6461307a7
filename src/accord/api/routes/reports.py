"""The API's performance reports by any dimension, with exports.

`GET /programs/{program_id}/reports/performance` answers one page of rows, how many rows
there are, the totals of all of them and the currency; `.csv`, `.xlsx` and `.json` (or
`format=` on the JSON route) answer the whole report as a file, up to 100,000 rows.
A brand's key reads its own programs; a partner's key reads the programs it is in and
sees only its own activity, whatever it asks for.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from accord.api.deps import CallerDep, StoreDep
from accord.reports.files import to_csv, to_json, to_xlsx
from accord.reports.performance import (
    DERIVED,
    EXPORT_MAX_ROWS,
    Performance,
    PerformanceRow,
    performance_of,
    whole_report,
)
from accord.reports.runner import MAX_LIMIT, run_report

router = APIRouter(tags=["reports"])

GroupBy = Annotated[
    str,
    Query(
        description="One of partner, partner_type, event_type, country, device, sub_id, "
        "promo_code and/or one of day, week, month, comma-separated (e.g. `partner,day`); "
        "empty for one row of totals.",
        max_length=100,
    ),
]
Grain = Annotated[
    Literal["day", "week", "month"] | None,
    Query(description="A time grain added to group_by."),
]
Since = Annotated[
    str | None,
    Query(description="First moment counted: YYYY-MM-DD (UTC) or ISO 8601.", max_length=40),
]
Until = Annotated[
    str | None,
    Query(description="First moment left out: YYYY-MM-DD (UTC) or ISO 8601.", max_length=40),
]
SortQ = Annotated[
    str | None,
    Query(
        description="A figure or key, `-` first for descending, comma-separated: e.g. "
        f"`-revenue`, `roas`. Derived figures sort too: {', '.join(DERIVED)}.",
        max_length=200,
    ),
]
Text = Annotated[str | None, Query(max_length=300)]


class PerformanceRowOut(BaseModel):
    partner_id: str | None
    partner_name: str | None
    partner_type: str | None
    status: str | None = Field(description="The partner's enrollment status (by partner).")
    country: str | None = Field(
        description="The partner's country by partner; the customer's country by country."
    )
    event_type: str | None
    device: str | None
    sub_id: str | None = Field(description="The click's sub1.")
    promo_code: str | None
    bucket: str | None = Field(description="First day of the day, week or month (UTC).")
    partners: int
    clicks: int | None = Field(
        description="None where clicks cannot be cut this way (event type, country, "
        "device, promo code)."
    )
    unique_clicks: int | None
    conversions: int
    conversion_rate: str | None = Field(description="Conversions per click.")
    revenue: str = Field(description="Net of reversals, in the program's currency.")
    commissions: str
    epc: str | None = Field(description="Commissions per click.")
    aov: str | None = Field(description="Revenue per conversion.")
    roas: str | None = Field(
        description="Revenue per unit of commissions (fees are not recorded yet)."
    )
    new_conversions: int
    new_revenue: str
    returning_conversions: int
    returning_revenue: str
    reversed_conversions: int
    reversal_rate: str | None = Field(description="Reversed conversions per conversion.")
    reversed_revenue: str
    reversed_share: str | None = Field(description="Reversed amount per ordered amount.")
    currency: str


class PerformanceOut(BaseModel):
    rows: list[PerformanceRowOut]
    total: int = Field(description="Rows in the whole report.")
    totals: PerformanceRowOut = Field(description="What all the rows add up to.")
    currency: str
    limit: int
    offset: int


def _report(program_id: str, **params) -> Performance:
    return performance_of(program_id, **params)


def _out(row: PerformanceRow) -> PerformanceRowOut:
    return PerformanceRowOut.model_validate(row.as_dict())


@router.get("/programs/{program_id}/reports/performance", response_model=PerformanceOut)
def performance(
    program_id: str,
    store: StoreDep,
    caller: CallerDep,
    group_by: GroupBy = "partner",
    grain: Grain = None,
    since: Since = None,
    until: Until = None,
    sort: SortQ = None,
    limit: Annotated[int, Query(description=f"Rows per page (1-{MAX_LIMIT}).")] = 100,
    offset: Annotated[int, Query(description="Rows to skip.")] = 0,
    partner_id: Text = None,
    partner_type: Text = None,
    status: Text = None,
    search: Text = None,
    country: Text = None,
    device: Text = None,
    event_type: Text = None,
    promo_code: Text = None,
    sub_id: Text = None,
):
    """Clicks, conversions, revenue, commissions, EPC, conversion rate, AOV, ROAS, new and
    returning customers and reversals, by one dimension and/or one time grain, one page
    at a time, with the totals of the whole report."""
    report = _report(program_id, group_by=group_by, grain=grain, since=since, until=until,
                     sort=sort, limit=limit, offset=offset, partner_id=partner_id,
                     partner_type=partner_type, status=status, search=search or "",
                     country=country, device=device, event_type=event_type,
                     promo_code=promo_code, sub_id=sub_id)  # fmt: skip
    result = run_report(store, caller, report)
    [totals] = run_report(store, caller, report.totals()).rows
    return PerformanceOut(
        rows=[_out(r) for r in result.rows],
        total=result.total,
        totals=_out(totals),
        currency=result.currency,
        limit=limit,
        offset=offset,
    )


_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def file_response(name: str, kind: str, columns, rows) -> Response:
    """The whole report as a download."""
    if kind == "xlsx":
        body: str | bytes = to_xlsx("Performance", columns, rows)
    elif kind == "json":
        body = to_json(columns, rows)
    else:
        body = to_csv(columns, rows)
    return Response(
        body,
        media_type=_MEDIA[kind],
        headers={"Content-Disposition": f'attachment; filename="{name}.{kind}"'},
    )


def _export_route(kind: str):
    schema: dict = {"type": "string", **({"format": "binary"} if kind == "xlsx" else {})}
    if kind == "json":
        schema = {"type": "array", "items": {"type": "object"}}

    @router.get(
        f"/programs/{{program_id}}/reports/performance.{kind}",
        response_class=Response,
        responses={
            200: {
                "description": f"The whole report as {kind.upper()} (at most "
                f"{EXPORT_MAX_ROWS:,} rows; a larger one is refused with 422 naming `export`)",
                "content": {_MEDIA[kind].split(";")[0]: {"schema": schema}},
            }
        },
        name=f"performance_{kind}",
    )
    def export(
        program_id: str,
        store: StoreDep,
        caller: CallerDep,
        group_by: GroupBy = "partner",
        grain: Grain = None,
        since: Since = None,
        until: Until = None,
        sort: SortQ = None,
        partner_id: Text = None,
        partner_type: Text = None,
        status: Text = None,
        search: Text = None,
        country: Text = None,
        device: Text = None,
        event_type: Text = None,
        promo_code: Text = None,
        sub_id: Text = None,
    ) -> Response:
        """Every row of the performance report (not one page) as a file."""
        report = _report(program_id, group_by=group_by, grain=grain, since=since,
                         until=until, sort=sort, partner_id=partner_id,
                         partner_type=partner_type, status=status, search=search or "",
                         country=country, device=device, event_type=event_type,
                         promo_code=promo_code, sub_id=sub_id)  # fmt: skip
        columns, rows, _ = whole_report(store, caller, report)
        return file_response(f"performance-{program_id}", kind, columns, rows)

    export.__doc__ = f"Every row of the performance report (not one page) as {kind.upper()}."
    return export


for _kind in ("csv", "xlsx", "json"):
    _export_route(_kind)
