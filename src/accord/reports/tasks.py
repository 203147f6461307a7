"""The reports' background work on the job queue.

- `sum_report_days` (hourly, at minute 7): every program's days up to the start of today
  (UTC) are summed per partner, and any summed day whose facts changed since is summed
  again (`reports.days`). Safe to run again at any time, on any worker.
"""

from __future__ import annotations

from accord.jobs.queue import crontab, periodic
from accord.reports.days import build_all
from accord.store.engine import Store


@periodic("sum_report_days", crontab=crontab(minute="7"))
def sum_report_days(store: Store) -> dict[str, int]:
    built = build_all(store)
    return {"programs": len(built), "days": sum(b.days for b in built)}
