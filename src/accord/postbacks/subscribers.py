"""Postbacks react to commission events: each change a partner may hear of becomes one
delivery per endpoint of the partner's that wants it (see accord.postbacks.service.enqueue).

The deliveries are written in the dispatcher's transaction together with the record that
this handler ran, so an event enqueues its postbacks once.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from accord.events.model import (
    CommissionAdjusted,
    CommissionApproved,
    CommissionCreated,
    CommissionPaid,
    CommissionReversed,
)
from accord.events.subscriptions import subscribe
from accord.postbacks.model import PostbackEventType
from accord.postbacks.service import enqueue

NAME = "postbacks"


@subscribe(CommissionCreated, NAME)
def commission_created(session: Session, event: CommissionCreated) -> None:
    """A conversion earned a commission: `conversion.attributed` (bonuses send nothing)."""
    if event.kind == "conversion":
        enqueue(session, event, PostbackEventType.CONVERSION_ATTRIBUTED)


@subscribe(CommissionApproved, NAME)
def commission_approved(session: Session, event: CommissionApproved) -> None:
    enqueue(session, event, PostbackEventType.COMMISSION_APPROVED)


@subscribe(CommissionAdjusted, NAME)
def commission_adjusted(session: Session, event: CommissionAdjusted) -> None:
    """A partial reversal changed the amount (a retroactive tier's top-up sends nothing)."""
    if event.reversal_id is not None:
        enqueue(session, event, PostbackEventType.COMMISSION_ADJUSTED)


@subscribe(CommissionReversed, NAME)
def commission_reversed(session: Session, event: CommissionReversed) -> None:
    enqueue(session, event, PostbackEventType.COMMISSION_REVERSED)


@subscribe(CommissionPaid, NAME)
def commission_paid(session: Session, event: CommissionPaid) -> None:
    enqueue(session, event, PostbackEventType.COMMISSION_PAID)
