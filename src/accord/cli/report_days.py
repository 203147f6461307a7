"""`accord reports sum-days PROGRAM`: sum a program's days per partner now, as the hourly
pass does, with progress (after importing a large history, say)."""

from __future__ import annotations

from datetime import timedelta

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from accord.cli.common import ApiKeyOption, ProgramArgument, _caller, _store, console
from accord.cli.reports import app
from accord.reports.days import sum_days

__all__ = ["app"]


@app.command("sum-days")
def sum_days_command(program: ProgramArgument, api_key: ApiKeyOption) -> None:
    """Sum the program's days per partner up to the start of today (UTC), and again every
    summed day whose clicks, conversions or commissions changed since. The performance,
    lifecycle and concentration reports (and the dashboard) read those sums for whole days
    and the facts for the rest, so their figures are the same either way; this only makes
    them fast. Workers do it every hour."""
    store = _store()
    try:
        caller = _caller(store, api_key)
        columns = (
            TextColumn("summing days"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("days", total=None)

            def step(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            built = sum_days(store, caller, program, progress=step)
        if built.covered_from and built.covered_until and built.covered_from < built.covered_until:
            last = built.covered_until.date() - timedelta(days=1)
            console.print(
                f"summed {built.days} days; the sums cover "
                f"{built.covered_from.date().isoformat()} to {last.isoformat()} (UTC)"
            )
        else:
            console.print(f"summed {built.days} days; nothing before today to sum yet")
    finally:
        store.dispose()
