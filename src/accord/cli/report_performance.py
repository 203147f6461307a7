"""`accord reports performance`: a program's performance by any dimension and time grain."""

from __future__ import annotations

from typing import Annotated

import typer

from accord.cli.common import (
    ApiKeyOption,
    FormatOption,
    OutputOption,
    ProgramArgument,
    TableFormat,
    _caller,
    _store,
    write_table,
)
from accord.cli.reports import app
from accord.reports.performance import EXPORT_MAX_ROWS, performance_of, whole_report

__all__ = ["app"]

#: Figures files hold but a table on screen leaves out, to fit.
_OFF_SCREEN = {"status", "unique_clicks", "new_revenue", "returning_revenue",
               "reversed_revenue", "reversed_share", "currency", "partners"}  # fmt: skip
_Filter = Annotated[str | None, typer.Option(show_default=False)]


@app.command("performance")
def performance(
    program: ProgramArgument,
    api_key: ApiKeyOption,
    by: Annotated[
        str,
        typer.Option(
            "--by",
            help="partner, partner_type, event_type, country, device, sub_id or promo_code "
            "(or 'none' for totals).",
        ),
    ] = "partner",
    grain: Annotated[
        str | None, typer.Option("--grain", help="Add a time grain: day, week or month.")
    ] = None,
    since: Annotated[str | None, typer.Option(help="First day counted, YYYY-MM-DD (UTC).")] = None,
    until: Annotated[str | None, typer.Option(help="First day left out, YYYY-MM-DD (UTC).")] = None,
    sort: Annotated[
        str | None,
        typer.Option(help="A figure or key, '-' first for descending (e.g. -revenue, roas)."),
    ] = None,
    partner: Annotated[str | None, typer.Option("--partner", help="One partner's id.")] = None,
    partner_type: _Filter = None,
    status: Annotated[str | None, typer.Option(help="Enrollment status.")] = None,
    search: Annotated[str, typer.Option(help="In the partner's name or id.")] = "",
    country: Annotated[str | None, typer.Option(help="Customer's country (ISO code).")] = None,
    device: _Filter = None,
    event_type: _Filter = None,
    promo_code: _Filter = None,
    sub_id: _Filter = None,
    fmt: FormatOption = TableFormat.table,
    output: OutputOption = None,
) -> None:
    """Clicks, conversions, revenue, commissions, EPC, conversion rate, AOV, ROAS, new and
    returning customers and reversals of a program, every row of the report (at most
    100,000). Clicks count only by partner, partner type, sub-id or time (empty by event
    type, country, device or promo code). ROAS is revenue over commissions (fees are not
    recorded yet). Example: accord reports performance prg_... --by partner --grain day
    --since 2026-11-01 --until 2026-12-01 --sort -revenue --format csv -o november.csv"""
    store = _store()
    caller = _caller(store, api_key)
    report = performance_of(
        program,
        group_by="" if by == "none" else by,
        grain=grain,
        since=since,
        until=until,
        sort=sort,
        partner_id=partner,
        partner_type=partner_type,
        status=status,
        search=search,
        country=country,
        device=device,
        event_type=event_type,
        promo_code=promo_code,
        sub_id=sub_id,
    )
    columns, rows, currency = whole_report(store, caller, report)
    title = f"Performance of {program} ({currency}, at most {EXPORT_MAX_ROWS:,} rows)"
    if fmt is TableFormat.table and output is None:  # a screen holds the main figures
        keep = [i for i, c in enumerate(columns) if c not in _OFF_SCREEN]
        columns = tuple(columns[i] for i in keep)
        rows = [tuple(row[i] for i in keep) for row in rows]
    write_table(title, columns, rows, fmt, output)
