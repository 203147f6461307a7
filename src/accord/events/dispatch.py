"""Handling recorded events: claim pending ones in order, run their subscribers, record
what each did; and the kick that starts a dispatch soon after a commit.

Delivery is at least once and each handler is recorded once: a handler runs in a savepoint
of the dispatcher's transaction, and the record that it succeeded commits with its writes.
A process killed between the commit of a change and the handling of its events loses
nothing: the events stay pending until a dispatcher takes them. Several dispatchers may run
at once (PostgreSQL: each skips the events another holds; SQLite: one writer at a time).
A failing handler is tried again later (see model.retry_delay) without holding up other
handlers or events, and parked after model.MAX_ATTEMPTS for a person to look at.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from accord.events.model import DomainEvent, retry_delay
from accord.events.subscriptions import event_class, handlers_for, load_subscribers
from accord.events.tables import DONE, HANDLED, PARKED, PENDING, DomainEventRow, EventHandling
from accord.store.engine import Store

log = logging.getLogger("accord.events")

#: Events claimed per transaction.
BATCH = 100

Kicker = Callable[[Store], None]

_state = threading.local()  # whether this thread is dispatching (a kick then waits for it)


def dispatch_pending(store: Store, *, limit: int = 500) -> int:
    """Handle up to `limit` pending events that are due, oldest first; returns how many
    were taken. Safe to call from several threads and processes at once, and to repeat:
    an event or handler already handled is not run again."""
    load_subscribers()
    taken = 0
    depth = getattr(_state, "depth", 0)
    _state.depth = depth + 1
    try:
        while taken < limit:
            _state.more = False
            size = min(BATCH, limit - taken)
            count = _dispatch_batch(store, size)
            taken += count
            if count < size and not _state.more:
                break  # nothing else was due, and no handler recorded a new event
    finally:
        _state.depth = depth
    return taken


@dataclass(slots=True)
class _Handling:
    """One handler's record for one event, as it will be written at the end of the batch
    (written once, in bulk: a write per handler would flush the session at each savepoint)."""

    id: int | None
    event_id: str
    handler: str
    status: str
    attempts: int
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    handled_at: datetime | None = None

    def values(self) -> dict[str, object]:
        return {
            "status": self.status,
            "attempts": self.attempts,
            "next_attempt_at": self.next_attempt_at,
            "last_error": self.last_error,
            "handled_at": self.handled_at,
        }


def _dispatch_batch(store: Store, size: int) -> int:
    now = store.clock.now()
    with store.unit() as session:
        rows = session.scalars(
            select(DomainEventRow)
            .where(
                DomainEventRow.status == PENDING,
                or_(
                    DomainEventRow.next_attempt_at.is_(None),
                    DomainEventRow.next_attempt_at <= now,
                ),
            )
            .order_by(DomainEventRow.sequence)
            .limit(size)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            return 0
        # An event never dispatched (next_attempt_at is None) has no handling yet.
        tried = [r.id for r in rows if r.next_attempt_at is not None]
        earlier = {
            (h.event_id, h.handler): _Handling(
                h.id, h.event_id, h.handler, h.status, h.attempts, h.next_attempt_at, h.last_error
            )
            for h in (
                session.scalars(select(EventHandling).where(EventHandling.event_id.in_(tried)))
                if tried
                else ()
            )
        }
        ran: list[_Handling] = []
        handled: list[str] = []
        waiting: dict[str, datetime] = {}
        for row in rows:
            wait = _handle(session, row, earlier, ran, now)
            if wait is None:
                handled.append(row.id)
            else:
                waiting[row.id] = wait
        _save(session, ran, handled, waiting, now)
        return len(rows)


def _handle(
    session: Session,
    row: DomainEventRow,
    earlier: dict[tuple[str, str], _Handling],
    ran: list[_Handling],
    now: datetime,
) -> datetime | None:
    """Run the event's handlers that have not yet succeeded or been parked; returns when
    the event is to be looked at again (None: never, nothing is left to run)."""
    handlers = handlers_for(row.type)
    event: DomainEvent | None = None
    unreadable: Exception | None = None
    if handlers:
        try:
            event = decode(row)
        except Exception as error:  # a payload this version cannot read fails its handlers
            unreadable = error
        if event is None and unreadable is None:
            unreadable = LookupError(f"no event class is known for {row.type!r}")
    wait: datetime | None = None
    for name, handler in handlers:
        handling = earlier.get((row.id, name))
        if handling is not None and handling.status != PENDING:
            continue
        if handling is not None and handling.next_attempt_at and handling.next_attempt_at > now:
            wait = min(wait or handling.next_attempt_at, handling.next_attempt_at)
            continue
        if handling is None:
            handling = _Handling(None, row.id, name, PENDING, 0)
        handling.attempts += 1
        ran.append(handling)
        try:
            if unreadable is not None:
                raise unreadable
            with session.begin_nested():
                handler(session, event)
        except Exception as error:
            log.warning("handler %s failed on %s %s", name, row.type, row.id, exc_info=True)
            handling.last_error = f"{type(error).__name__}: {error}"[:2000]
            delay = retry_delay(handling.attempts)
            if delay is None:
                handling.status, handling.next_attempt_at = PARKED, None
            else:
                handling.next_attempt_at = now + delay
                wait = min(wait or handling.next_attempt_at, handling.next_attempt_at)
        else:
            handling.status, handling.handled_at, handling.next_attempt_at = DONE, now, None
    return wait


def _save(
    session: Session,
    ran: list[_Handling],
    handled: list[str],
    waiting: dict[str, datetime],
    now: datetime,
) -> None:
    """Write what the batch's handlers did, and which events are done or wait for a retry."""
    new = [{"event_id": h.event_id, "handler": h.handler, **h.values()} for h in ran if not h.id]
    if new:
        session.execute(insert(EventHandling), new)
    again = [{"id": h.id, **h.values()} for h in ran if h.id]
    if again:
        session.execute(update(EventHandling), again)
    if handled:
        session.execute(
            update(DomainEventRow)
            .where(DomainEventRow.id.in_(handled))
            .values(status=HANDLED, handled_at=now, next_attempt_at=None)
            .execution_options(synchronize_session=False)
        )
    for event_id, wait in waiting.items():
        session.execute(
            update(DomainEventRow)
            .where(DomainEventRow.id == event_id)
            .values(next_attempt_at=wait)
            .execution_options(synchronize_session=False)
        )


def decode(row: DomainEventRow) -> DomainEvent | None:
    """The typed event a row holds; None for a type this process does not know."""
    cls = event_class(row.type)
    if cls is None:
        return None
    return cls.model_validate(
        {
            **row.payload,
            "organization_id": row.organization_id,
            "program_id": row.program_id,
            "occurred_at": row.occurred_at,
        }
    )


# the kick after a commit ------------------------------------------------------------------
def dispatch_now(store: Store) -> None:
    """The default kick: handle pending events at once, in the committing thread."""
    dispatch_pending(store)


_kicker: Kicker = dispatch_now


def set_kicker(kicker: Kicker | None) -> Kicker:
    """Replace what runs after a unit of work that recorded subscribed events commits
    (None: the default, `dispatch_now`); returns the kicker it replaces.

    A job queue sets one that enqueues a `dispatch_pending` task, so the request that made
    the change does not wait for the handlers.
    """
    global _kicker
    previous = _kicker
    _kicker = kicker or dispatch_now
    return previous


def kick(store: Store) -> None:
    """Called once after a commit that recorded events some handler subscribes to. A kick
    while this thread is dispatching does nothing: the running dispatch takes the events."""
    if getattr(_state, "depth", 0):
        _state.more = True
        return
    _kicker(store)
