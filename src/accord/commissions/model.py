"""The commission lifecycle: pending, locked, approved, paid, reversed. Pure rules."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from accord.errors import InvalidTransition


class CommissionStatus(StrEnum):
    PENDING = "pending"
    LOCKED = "locked"
    APPROVED = "approved"
    PAID = "paid"
    REVERSED = "reversed"


_NEXT: dict[CommissionStatus, frozenset[CommissionStatus]] = {
    CommissionStatus.PENDING: frozenset({CommissionStatus.LOCKED, CommissionStatus.REVERSED}),
    CommissionStatus.LOCKED: frozenset({CommissionStatus.APPROVED, CommissionStatus.REVERSED}),
    CommissionStatus.APPROVED: frozenset({CommissionStatus.PAID, CommissionStatus.REVERSED}),
    CommissionStatus.PAID: frozenset({CommissionStatus.REVERSED}),
    CommissionStatus.REVERSED: frozenset(),
}

#: Statuses whose money sits in the partner's pending account, not yet payable.
UNAPPROVED = frozenset({CommissionStatus.PENDING, CommissionStatus.LOCKED})


class ReasonCode(StrEnum):
    """Why a conversion was reversed in whole or in part."""

    RETURNED = "returned"
    ORDER_ERROR = "order_error"
    FRAUD = "fraud"
    TEST = "test"
    DUPLICATE = "duplicate"
    CANCELLED = "cancelled"
    OTHER = "other"


def check_transition(current: str, target: CommissionStatus, commission_id: str) -> None:
    """Raise unless the lifecycle allows moving from `current` to `target`."""
    if target not in _NEXT[CommissionStatus(current)]:
        raise InvalidTransition(
            f"commission {commission_id} is {current}; it cannot become {target.value}"
        )


def lock_due_at(occurred_at: datetime, locking_days: int) -> datetime:
    """When a commission locks: the program's locking period after the event."""
    return occurred_at + timedelta(days=locking_days)
