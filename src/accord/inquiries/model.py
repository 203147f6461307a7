"""The rules of an inquiry about a missing commission. Pure, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from accord.contracts.model import is_valid_event_type
from accord.errors import InvalidInput, Text, not_one_of
from accord.inputs import free_text

#: How far back a partner may ask about an order.
MAX_AGE = timedelta(days=180)
#: Clocks differ a little; an order "now" on the shop's clock is not in the future.
FUTURE_TOLERANCE = timedelta(minutes=5)
MAX_EVIDENCE = 5000
MAX_REASON = 2000
MAX_ORDER_ID = 200


class InquiryStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"


def parse_status(value: str | None) -> InquiryStatus | None:
    """A status filter, or InvalidInput naming `status` and the allowed values."""
    if value is None:
        return None
    try:
        return InquiryStatus(value)
    except ValueError:
        raise not_one_of("status", value, (s.value for s in InquiryStatus)) from None


def check_occurred_at(occurred_at: datetime, now: datetime) -> datetime:
    """The order's time in UTC: timezone-aware, not in the future, at most 180 days old."""
    if occurred_at.tzinfo is None or occurred_at.utcoffset() is None:
        raise InvalidInput("occurred_at", "needs a timezone, e.g. 2026-11-11T10:00:00Z")
    occurred_at = occurred_at.astimezone(UTC)
    if occurred_at > now + FUTURE_TOLERANCE:
        raise InvalidInput("occurred_at", "is in the future")
    if now - occurred_at > MAX_AGE:
        raise InvalidInput(
            "occurred_at",
            Text("is more than %(days)s days ago; inquiries must be recent", days=MAX_AGE.days),
        )
    return occurred_at


def check_note(value: str | None) -> str | None:
    """An optional note: blank means none."""
    return free_text("note", value, MAX_REASON, required=False)


def check_order(order_id: str, event_type: str) -> tuple[str, str]:
    """The order id (kept exactly as sent) and event type, as a conversion names them."""
    if not order_id or not order_id.strip():
        raise InvalidInput("order_id", "is required")
    if len(order_id) > MAX_ORDER_ID:
        raise InvalidInput(
            "order_id", Text("is longer than %(most)s characters", most=MAX_ORDER_ID)
        )
    if not is_valid_event_type(event_type):
        raise InvalidInput(
            "event_type",
            Text(
                "%(event_type)s is not sale, lead, signup, install, first_purchase or "
                "custom:<name>",
                event_type=repr(event_type),
            ),
        )
    return order_id, event_type
