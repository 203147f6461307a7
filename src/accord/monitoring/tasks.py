"""The monitoring stage's background work on the job queue (alerts, digests).

- `scan_for_alerts` (daily at 05:15 UTC): yesterday of every program is compared with the
  same weekdays before it; unusual figures become alerts (one per partner, metric and day,
  so a second run, on another worker, adds none), and each program's owners and managers
  get an e-mail listing the alerts that run added.
- `weekly_digests` (Mondays at 07:00 UTC): last week's digest to every user who turned it
  on (once per user and week).

Both are safe to run again at any time (`accord reports alerts --scan`, the tests).
"""

from __future__ import annotations

from accord.jobs.queue import crontab, periodic
from accord.monitoring.service import scan_and_tell, send_weekly_digests
from accord.store.engine import Store


@periodic("scan_for_alerts", crontab=crontab(hour="5", minute="15"))
def scan_for_alerts(store: Store) -> dict[str, int]:
    return scan_and_tell(store)


@periodic("weekly_digests", crontab=crontab(day_of_week="1", hour="7", minute="0"))
def weekly_digests(store: Store) -> int:
    return send_weekly_digests(store)
