"""Partners' background work on the job queue: `directory_badges` (daily) refreshes the
badges of every profile listed in the directory from what Accord verified."""

from __future__ import annotations

from accord.jobs.queue import crontab, periodic
from accord.partners.directory import BadgeRun, refresh_badges
from accord.store.engine import Store


@periodic("directory_badges", crontab=crontab(minute="20", hour="3"))
def directory_badges(store: Store) -> BadgeRun:
    return refresh_badges(store)
