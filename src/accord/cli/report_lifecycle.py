"""`accord reports` commands: lifecycle and concentration."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction
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
from accord.reports.concentration import concentration_report, share
from accord.reports.lifecycle import lifecycle_report
from accord.reports.lifecycle_model import DISPLAY_ORDER

__all__ = ["app"]

LIFECYCLE_COLUMNS = (
    "segment",
    "partner_id",
    "partner_name",
    "partner_type",
    "status",
    "conversions_30d",
    "revenue_30d",
    "revenue_year",
    "last_conversion_at",
    "days_to_first_conversion",
    "woken_by",
    "deeper_deal",
)


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
    woken: dict[str, list[str]] = {}
    for w in report.wakeups:
        woken.setdefault(w.partner.partner_id, []).append(w.promotion.name)
    deeper = {line.partner_id for line in report.deeper_deal}
    rows = [
        (
            segment,
            line.partner_id,
            line.name,
            line.partner_type,
            line.status,
            line.conversions_30d,
            line.revenue_30d.amount,
            line.revenue_year.amount,
            line.last_conversion_at.isoformat() if line.last_conversion_at else None,
            line.days_to_first,
            "; ".join(woken.get(line.partner_id, [])),
            "yes" if line.partner_id in deeper else "",
        )
        for segment in DISPLAY_ORDER
        for line in report.segments.get(segment, [])
    ]
    title = f"Lifecycle of {report.program_name} ({report.currency})"
    if report.median_days_to_first is not None:
        title += f"; median days to first conversion {report.median_days_to_first}"
    write_table(title, LIFECYCLE_COLUMNS, rows, fmt, output)


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
    core = {loss.earner.partner_id for loss in r.core}
    total = r.total_minor
    rows = []
    for rank, e in enumerate(r.ranked, start=1):
        lost = share(Fraction(e.revenue_minor, total)) if total else None
        rows.append(
            (
                rank,
                e.partner_id,
                e.name,
                e.partner_type,
                report.money(e.revenue_minor).amount,
                lost,
                "yes" if rank <= r.top_count else "",
                "yes" if e.partner_id in core else "",
            )
        )
    top = "-" if r.top_share is None else f"{float(r.top_share):.1%}"
    gini = "-" if r.gini is None else f"{float(r.gini):.3f}"
    title = (
        f"Concentration of {report.program_name}: revenue {report.total.amount} "
        f"{report.currency}; top 20% ({r.top_count} partners) bring {top}; "
        f"{len(r.core)} core partners make 80%; Gini {gini}"
    )
    columns = (
        "rank",
        "partner_id",
        "partner_name",
        "partner_type",
        "revenue",
        "share_lost_if_leaves",
        "top_20_percent",
        "core",
    )
    write_table(title, columns, rows, fmt, output)
