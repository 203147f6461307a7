"""The words contracts are written in: event types and customer statuses. Pure, no I/O.

The terms themselves are in `accord.contracts.terms`; computing commissions from them is
`accord.contracts.engine`.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

HUNDRED = Decimal(100)


class EventType(StrEnum):
    SALE = "sale"
    LEAD = "lead"
    SIGNUP = "signup"
    INSTALL = "install"
    FIRST_PURCHASE = "first_purchase"
    RENEWAL = "renewal"
    CLICK = "click"


class CustomerStatus(StrEnum):
    NEW = "new"
    RETURNING = "returning"


class CustomerCondition(StrEnum):
    ANY = "any"
    NEW = "new"
    RETURNING = "returning"


def is_valid_event_type(value: str) -> bool:
    """Built-in event types, or `custom:<name>` for the brand's own events."""
    if value in EventType.__members__.values():
        return True
    if value.startswith("custom:"):
        name = value[len("custom:") :]
        return 0 < len(name) <= 57 and all(c.isalnum() or c in "_-." for c in name)
    return False
