"""Recording domain events in the caller's transaction, and reading them back.

`record(session, event)` adds the event to the outbox inside the unit of work that makes the
change, so the event exists exactly when the change does. Once that unit commits, the
kicker (accord.events.dispatch) starts handling it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.events.dispatch import decode, kick
from accord.events.model import DomainEvent
from accord.events.subscriptions import handlers_for, known, load_subscribers
from accord.events.tables import HANDLED, PARKED, PENDING, DomainEventRow, EventHandling
from accord.ids import new_id
from accord.store.engine import Store

#: The most events one read returns.
MAX_LIST = 1000


def record(session: Session, event: DomainEvent) -> str:
    """Add `event` to the outbox in the caller's unit of work; returns its id.

    Nothing is written if that unit rolls back. After it commits, the handlers subscribed
    to the event's type run (see accord.events.dispatch).
    """
    return record_many(session, [event])[0]


def record_many(session: Session, events: Iterable[DomainEvent]) -> list[str]:
    """Add several events, in order (see record)."""
    load_subscribers()
    store = session.info.get("accord_store")
    now = store.clock.now() if isinstance(store, Store) else utcnow()
    ids = []
    subscribed = False
    for event in events:
        known(type(event))
        row = DomainEventRow(
            id=new_id("evt"),
            organization_id=event.organization_id,
            program_id=event.program_id,
            type=event.type,
            subject_id=event.subject_id,
            partner_id=getattr(event, "partner_id", None),
            payload=event.payload(),
            occurred_at=event.occurred_at,
            recorded_at=now,
            status=PENDING,
        )
        session.add(row)
        ids.append(row.id)
        subscribed = subscribed or bool(handlers_for(event.type))
    if subscribed and isinstance(store, Store):
        store.on_commit(session, kick)
    return ids


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event as the outbox keeps it."""

    id: str
    sequence: int
    event: DomainEvent
    recorded_at: datetime
    status: str  # pending or handled


def list_events(
    store: Store,
    organization_id: str,
    *,
    types: Sequence[str] | None = None,
    program_id: str | None = None,
    since: datetime | None = None,
    after: int | None = None,
    limit: int = 100,
) -> list[RecordedEvent]:
    """An organization's events, in the order they were recorded.

    Filters: event types, one program, `since` (occurred at or after) and `after` (a
    sequence number already read: a reader that keeps the last one it saw reads each
    event once). At most `limit` events (up to MAX_LIST).
    """
    limit = max(1, min(limit, MAX_LIST))
    query = select(DomainEventRow).where(DomainEventRow.organization_id == organization_id)
    if types:
        query = query.where(DomainEventRow.type.in_(list(types)))
    if program_id is not None:
        query = query.where(DomainEventRow.program_id == program_id)
    if since is not None:
        query = query.where(DomainEventRow.occurred_at >= since)
    if after is not None:
        query = query.where(DomainEventRow.sequence > after)
    with store.read() as session:
        rows = session.scalars(query.order_by(DomainEventRow.sequence).limit(limit)).all()
    found = []
    for row in rows:
        event = decode(row)
        if event is None:
            continue  # a type this version does not know
        found.append(RecordedEvent(row.id, row.sequence, event, row.recorded_at, row.status))
    return found


# failures ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Failure:
    """A handler that failed on an event: retrying (pending) or given up on (parked)."""

    event_id: str
    event_type: str
    organization_id: str
    handler: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None


def _failing(organization_id: str | None, parked_only: bool):
    query = (
        select(EventHandling, DomainEventRow.type, DomainEventRow.organization_id)
        .join(DomainEventRow, DomainEventRow.id == EventHandling.event_id)
        .where(
            EventHandling.status == PARKED
            if parked_only
            else or_(
                EventHandling.status == PARKED,
                and_(EventHandling.status == PENDING, DomainEventRow.status == PENDING),
            )
        )
    )
    if organization_id is not None:
        query = query.where(DomainEventRow.organization_id == organization_id)
    return query


def failures(
    store: Store,
    *,
    organization_id: str | None = None,
    parked_only: bool = False,
    limit: int = 100,
) -> list[Failure]:
    """Handlers failing on events (all organizations' unless one is named), parked ones
    and those waiting for a retry, oldest event first."""
    query = _failing(organization_id, parked_only).order_by(EventHandling.id).limit(limit)
    with store.read() as session:
        return [
            Failure(
                h.event_id,
                event_type,
                org,
                h.handler,
                h.status,
                h.attempts,
                h.last_error,
                h.next_attempt_at,
            )
            for h, event_type, org in session.execute(query)
        ]


def parked_count(store: Store, *, organization_id: str | None = None) -> int:
    """How many handlings were given up on: the figure a console or CLI shows."""
    query = _failing(organization_id, True).with_only_columns(func.count())
    with store.read() as session:
        return int(session.scalar(query) or 0)


def pending_count(store: Store, *, organization_id: str | None = None) -> int:
    """How many events still wait for a handler."""
    query = select(func.count()).where(DomainEventRow.status == PENDING)
    if organization_id is not None:
        query = query.where(DomainEventRow.organization_id == organization_id)
    with store.read() as session:
        return int(session.scalar(query) or 0)


def retry_parked(store: Store, *, event_id: str | None = None, handler: str | None = None) -> int:
    """Give parked handlings a fresh set of attempts (all, or one event's or handler's);
    returns how many. The next dispatch runs them."""
    with store.unit() as session:
        query = select(EventHandling).where(EventHandling.status == PARKED)
        if event_id is not None:
            query = query.where(EventHandling.event_id == event_id)
        if handler is not None:
            query = query.where(EventHandling.handler == handler)
        parked = session.scalars(query.with_for_update()).all()
        for handling in parked:
            handling.status, handling.attempts, handling.next_attempt_at = PENDING, 0, None
        events = sorted({h.event_id for h in parked})
        if events:
            session.execute(
                update(DomainEventRow)
                .where(DomainEventRow.id.in_(events))
                .values(status=PENDING, next_attempt_at=store.clock.now(), handled_at=None)
                .execution_options(synchronize_session=False)
            )
            store.on_commit(session, kick)
        return len(parked)


def prune_handled(store: Store, *, before: datetime, limit: int = 10_000) -> int:
    """Delete up to `limit` events handled and recorded before `before`, with the record of
    their handling, oldest first; returns how many. Events with a parked handler stay, so
    that their failure remains visible. Readers of `list_events` see only what is kept."""
    parked = select(EventHandling.event_id).where(EventHandling.status == PARKED)
    with store.unit() as session:
        ids = list(
            session.scalars(
                select(DomainEventRow.id)
                .where(
                    DomainEventRow.status == HANDLED,
                    DomainEventRow.recorded_at < before,
                    DomainEventRow.id.not_in(parked),
                )
                .order_by(DomainEventRow.sequence)
                .limit(limit)
            )
        )
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            session.execute(delete(EventHandling).where(EventHandling.event_id.in_(chunk)))
            session.execute(delete(DomainEventRow).where(DomainEventRow.id.in_(chunk)))
    return len(ids)
