"""The outbox on the job queue.

`dispatch_events` runs every few seconds on the workers and handles whatever is pending, so
events a stopped process left behind are handled without anyone noticing. In a process that
runs a queue (`accord serve`, `accord worker`), `use_queue()` makes the kick after a commit
enqueue that task instead of running the handlers in the committing request; elsewhere (the
command line, tests) the default kick handles them at once.
"""

from __future__ import annotations

from accord.events.dispatch import Kicker, dispatch_pending, set_kicker
from accord.jobs.queue import kick, periodic
from accord.store.engine import Store

#: Seconds between catch-up passes over the outbox.
EVERY = 5


@periodic("dispatch_events", every=EVERY)
def dispatch_events(store: Store) -> None:
    dispatch_pending(store)


def enqueue_dispatch(store: Store) -> None:
    """The kick of a process with a queue: a worker handles the events (never raises; a
    missed kick is caught up by the next periodic pass)."""
    kick(store, "dispatch_events")


def use_queue() -> Kicker:
    """After each commit that recorded events, enqueue their handling; returns the kick it
    replaces, for `set_kicker` to restore when the queue stops."""
    return set_kicker(enqueue_dispatch)
