"""Leads' background work on the job queue.

- `score_leads` (daily, at 02:37 UTC): every contact of every brand is scored again from its
  activity log (`leads.service.score_all`), so that decay and changed rules reach everyone,
  and contacts that entered the MQL zone become MQLs.
"""

from __future__ import annotations

from accord.jobs.queue import crontab, periodic
from accord.leads.scoring import score_all
from accord.store.engine import Store


@periodic("score_leads", crontab=crontab(minute="37", hour="2"))
def score_leads(store: Store) -> dict[str, int]:
    return score_all(store)
