"""The commission lifecycle: pending, locked, approved, paid, reversed; a pending commission
may be held for a fraud review, then released (pending again) or reversed. Pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from accord.errors import InvalidTransition, Text


class CommissionStatus(StrEnum):
    PENDING = "pending"
    LOCKED = "locked"
    APPROVED = "approved"
    PAID = "paid"
    REVERSED = "reversed"
    #: Over a cap of the contract: recorded, earns nothing.
    OVER_CAP = "over_cap"
    #: Held for a review of its conversion's fraud signals: never locks nor pays until a
    #: person releases it (pending again) or declines the order (reversed).
    HELD = "held"


_NEXT: dict[CommissionStatus, frozenset[CommissionStatus]] = {
    CommissionStatus.PENDING: frozenset(
        {CommissionStatus.LOCKED, CommissionStatus.REVERSED, CommissionStatus.HELD}
    ),
    CommissionStatus.HELD: frozenset({CommissionStatus.PENDING, CommissionStatus.REVERSED}),
    CommissionStatus.LOCKED: frozenset({CommissionStatus.APPROVED, CommissionStatus.REVERSED}),
    CommissionStatus.APPROVED: frozenset({CommissionStatus.PAID, CommissionStatus.REVERSED}),
    CommissionStatus.PAID: frozenset({CommissionStatus.REVERSED}),
    CommissionStatus.REVERSED: frozenset(),
    CommissionStatus.OVER_CAP: frozenset({CommissionStatus.REVERSED}),
}

#: Statuses whose money sits in the partner's pending account, not yet payable.
UNAPPROVED = frozenset({CommissionStatus.PENDING, CommissionStatus.LOCKED, CommissionStatus.HELD})


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
            Text(
                "commission %(commission)s is %(current)s; it cannot become %(target)s",
                commission=commission_id,
                current=current,
                target=target.value,
            )
        )


class LockPolicy(StrEnum):
    AFTER_EVENT = "after_event"
    AFTER_MONTH_END = "after_month_end"


def lock_due_at(
    occurred_at: datetime, locking_days: int, policy: str = LockPolicy.AFTER_EVENT
) -> datetime:
    """When a commission locks: the locking period after the event, or after the end of
    the event's month (UTC), as the program says."""
    if policy == LockPolicy.AFTER_MONTH_END:
        year, month = occurred_at.year + occurred_at.month // 12, occurred_at.month % 12 + 1
        month_end = datetime(year, month, 1, tzinfo=UTC)
        return month_end + timedelta(days=locking_days)
    return occurred_at + timedelta(days=locking_days)
