"""`accord reports` commands: alerts, forecast and the weekly digest.

accord reports alerts PROGRAM [--scan] [--day 2026-11-30] [--all]
accord reports forecast PROGRAM [--months 12]
accord reports digest PROGRAM --to someone@example.com [--language zh_Hans]
"""

from __future__ import annotations

from datetime import date
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
    console,
    write_table,
)
from accord.cli.reports import app
from accord.monitoring import service as monitoring

__all__ = ["app"]

ALERT_COLUMNS = ("day", "partner_id", "partner_name", "metric", "value", "expected", "score",
                 "direction", "how_unusual", "seen_at", "alert_id")  # fmt: skip
FORECAST_COLUMNS = ("partner_type", "months_used", "last_month", "expected", "low", "high",
                    "currency")  # fmt: skip


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("give a day as YYYY-MM-DD", param_hint="--day") from None


def _alert_row(a: monitoring.AlertView) -> tuple:
    seen = a.seen_at.isoformat() if a.seen_at else None
    return (a.day.isoformat(), a.partner_id, a.partner_name, a.metric, a.value, a.expected,
            a.score, a.direction, a.how_unusual, seen, a.id)  # fmt: skip


def _amount(money) -> str | None:
    return None if money is None else str(money.amount)


def _forecast_row(t: monitoring.TypeForecast, currency: str) -> tuple:
    last = t.history[-1] if t.history else None
    return (t.partner_type, t.months_used, _amount(last), _amount(t.expected), _amount(t.low),
            _amount(t.high), currency)  # fmt: skip


@app.command("alerts")
def alerts(
    program: ProgramArgument,
    api_key: ApiKeyOption,
    scan: Annotated[
        bool, typer.Option("--scan", help="Look for unusual days first (as the daily pass does).")
    ] = False,
    day: Annotated[
        str | None, typer.Option("--day", help="The UTC day to scan (default: yesterday).")
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Alerts already seen too (default: not seen yet).")
    ] = False,
    fmt: FormatOption = TableFormat.table,
    output: OutputOption = None,
) -> None:
    """A program's alerts: partners' days whose clicks, conversion rate or reversal rate
    were far from the same weekdays before (robust z-score of 3.5 or more)."""
    store = _store()
    try:
        caller = _caller(store, api_key)
        if scan:
            added = monitoring.scan(store, caller, program, _day(day))
            if fmt is TableFormat.table and output is None:
                console.print(f"scanned: {len(added)} new alerts")
        rows = [
            (
                a.day.isoformat(),
                a.partner_id,
                a.partner_name,
                a.metric,
                a.value,
                a.expected,
                a.score,
                a.direction,
                a.how_unusual,
                a.seen_at.isoformat() if a.seen_at else None,
                a.id,
            )
            for a in monitoring.list_alerts(store, caller, program, unseen_only=not every)
        ]
        write_table(f"Alerts of {program}", ALERT_COLUMNS, rows, fmt, output)
    finally:
        store.dispose()


@app.command("forecast")
def forecast(
    program: ProgramArgument,
    api_key: ApiKeyOption,
    months: Annotated[
        int, typer.Option("--months", min=6, max=12, help="Months of history to fit (6-12).")
    ] = 12,
    fmt: FormatOption = TableFormat.table,
    output: OutputOption = None,
) -> None:
    """Next month's revenue per partner type: a least-squares line through the monthly
    totals, with its 95 % prediction interval (low, high)."""
    store = _store()
    try:
        caller = _caller(store, api_key)
        result = monitoring.revenue_forecast(store, caller, program, months)
        rows = [
            (
                t.partner_type,
                t.months_used,
                str(t.history[-1].amount) if t.history else None,
                None if t.expected is None else str(t.expected.amount),
                None if t.low is None else str(t.low.amount),
                None if t.high is None else str(t.high.amount),
                result.currency,
            )
            for t in [result.total, *result.types]
        ]
        title = f"Revenue forecast of {program} for {result.month.isoformat()[:7]}"
        write_table(title, FORECAST_COLUMNS, rows, fmt, output)
    finally:
        store.dispose()


@app.command("digest")
def digest(
    program: ProgramArgument,
    api_key: ApiKeyOption,
    to: Annotated[str, typer.Option("--to", help="Send it to this e-mail address.")],
    language: Annotated[
        str, typer.Option("--language", help="en or zh_Hans (the e-mail's language).")
    ] = "en",
) -> None:
    """Send last week's digest now (figures against the week before, top partners, new
    alerts, the forecast) through the SMTP server of ACCORD_SMTP_HOST."""
    if language not in monitoring.LANGUAGES:
        raise typer.BadParameter("use en or zh_Hans", param_hint="--language")
    store = _store()
    try:
        caller = _caller(store, api_key)
        sent = monitoring.send_digest(store, caller, program, to, language)
        console.print(f"sent the digest of the week of {sent.monday.isoformat()} to {to}")
    finally:
        store.dispose()
