"""The outbox on the job queue.

`dispatch_events` runs every few seconds on the workers and handles whatever is pending, so
events a stopped process left behind are handled without anyone noticing. In a process that
runs a queue (`accord serve`, `accord worker`), `use_queue()` makes the kick after a commit
enqueue that task instead of running the handlers in the committing request; elsewhere (the
command line, tests) the default kick handles them at once.
"""

from __future__ import annotations

from datetime import timedelta

from accord.events.dispatch import Kicker, dispatch_pending, set_kicker
from accord.events.service import prune_handled
from accord.jobs.queue import crontab, kick, periodic
from accord.store.engine import Store

#: Seconds between catch-up passes over the outbox.
EVERY = 5
#: How long handled events stay readable (`list_events`) before the nightly prune.
KEEP = timedelta(days=90)


@periodic("dispatch_events", every=EVERY)
def dispatch_events(store: Store) -> None:
    dispatch_pending(store)


@periodic("prune_events", crontab=crontab(hour="3", minute="17"))
def prune_events(store: Store) -> int:
    """Delete events handled more than `KEEP` ago (never those with a parked handler);
    returns how many."""
    before = store.clock.now() - KEEP
    pruned = 0
    while True:
        count = prune_handled(store, before=before)
        pruned += count
        if count < 10_000:
            return pruned


def enqueue_dispatch(store: Store) -> None:
    """The kick of a process with a queue: a worker handles the events (never raises; a
    missed kick is caught up by the next periodic pass)."""
    kick(store, "dispatch_events")


def use_queue() -> Kicker:
    """After each commit that recorded events, enqueue their handling; returns the kick it
    replaces, for `set_kicker` to restore when the queue stops."""
    return set_kicker(enqueue_dispatch)
