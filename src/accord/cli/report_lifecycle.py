"""`accord reports` commands: lifecycle and concentration."""

from __future__ import annotations

from datetime import UTC, datetime
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
from accord.reports.concentration import CONCENTRATION_COLUMNS, concentration_report
from accord.reports.lifecycle import LIFECYCLE_COLUMNS, lifecycle_report

__all__ = ["app"]


@app.command("lifecycle")
def lifecycle(
    api_key: ApiKeyOption,
    program_id: ProgramArgument,
    fmt: FormatOption = TableFormat.table,
    output: OutputOption = None,
) -> None:
    """Each partner's lifecycle segment (new, not started, ramping, steady, active,
    reactivated, declining, dormant, churned), the promotion periods that woke it and
    whether it deserves a deeper deal."""
    store = _store()
    report = lifecycle_report(store, _caller(store, api_key), program_id)
    title = f"Lifecycle of {report.program_name} ({report.currency})"
    if report.median_days_to_first is not None:
        title += f"; median days to first conversion {report.median_days_to_first}"
    write_table(title, LIFECYCLE_COLUMNS, report.table(), fmt, output)


SinceOption = Annotated[
    datetime | None,
    typer.Option("--since", help="From this UTC day (default: 365 days ago)."),
]
UntilOption = Annotated[
    datetime | None,
    typer.Option("--until", help="Up to this UTC day, not included (default: now)."),
]


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@app.command("concentration")
def concentration(
    api_key: ApiKeyOption,
    program_id: ProgramArgument,
    since: SinceOption = None,
    until: UntilOption = None,
    fmt: FormatOption = TableFormat.table,
    output: OutputOption = None,
) -> None:
    """How much revenue comes from how few partners: every partner ranked with its share
    (what is lost if it leaves), the top 20%'s share, the core making 80% and the Gini."""
    store = _store()
    report = concentration_report(
        store, _caller(store, api_key), program_id, _utc(since), _utc(until)
    )
    r = report.result
    top = "-" if r.top_share is None else f"{float(r.top_share):.1%}"
    gini = "-" if r.gini is None else f"{float(r.gini):.3f}"
    title = (
        f"Concentration of {report.program_name}: revenue {report.total.amount} "
        f"{report.currency}; top 20% ({r.top_count} partners) bring {top}; "
        f"{len(r.core)} core partners make 80%; Gini {gini}"
    )
    write_table(title, CONCENTRATION_COLUMNS, report.table(), fmt, output)
