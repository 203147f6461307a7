"""Engage's background work on the job queue: `settle_bounties` (hourly) pays the rewards
of sales and revenue bounties whose period has ended (`accord.engage.bounties.settle_due`)."""

from __future__ import annotations

from accord.engage.bounties import settle_due
from accord.jobs.queue import crontab, periodic
from accord.store.engine import Store


@periodic("settle_bounties", crontab=crontab(minute="35"))
def settle_bounties(store: Store) -> int:
    return settle_due(store)
