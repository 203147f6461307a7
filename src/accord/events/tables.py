"""The outbox of domain events, and what each subscriber has done with each event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.base import Base, UTCDateTime

#: An event or a handling waiting for its handlers; `handled` once none is left to run.
PENDING = "pending"
HANDLED = "handled"
#: A handling that succeeded; one given up after too many attempts.
DONE = "done"
PARKED = "parked"


class DomainEventRow(Base):
    """One domain event, written in the transaction of the change it announces.

    `sequence` orders events as they were recorded; dispatchers take pending events in that
    order. The event's own facts are in `payload` (see accord.events.model).
    """

    __tablename__ = "domain_events"
    __table_args__ = (Index("ix_domain_events_pending", "status", "sequence"),)

    sequence: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    id: Mapped[str] = mapped_column(String(40), unique=True)
    organization_id: Mapped[str] = mapped_column(String(40), index=True)
    program_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    type: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    partner_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    payload: Mapped[dict] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: pending until every subscriber has handled it (or been given up on), then handled.
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    #: None until first dispatched (due at once, and no handling exists yet); then when a
    #: dispatcher should look at it again, if a handler is to be retried.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class EventHandling(Base):
    """What one subscriber did with one event: done once, or failing and retried."""

    __tablename__ = "event_handlings"
    __table_args__ = (
        UniqueConstraint("event_id", "handler"),
        Index("ix_event_handlings_status", "status"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    event_id: Mapped[str] = mapped_column(ForeignKey("domain_events.id"))
    handler: Mapped[str] = mapped_column(String(100))
    #: done, pending (failed, to be retried at next_attempt_at) or parked (given up)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
