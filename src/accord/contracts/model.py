"""Payout rules and the commission they produce: pure functions, no I/O.

A contract version holds ranked payout rules; the first rule (lowest rank) whose conditions
match the conversion wins. A rule pays a percent of the amount, a fixed amount, or both.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from accord.money import Money

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


@dataclass(frozen=True, slots=True)
class Rule:
    """One payout rule of a contract version."""

    id: str
    rank: int
    name: str
    event_type: str
    customer_status: CustomerCondition
    percent: Decimal | None
    fixed: Money | None

    def matches(self, event_type: str, customer_status: CustomerStatus) -> bool:
        if self.event_type != event_type:
            return False
        return self.customer_status in (CustomerCondition.ANY, customer_status.value)


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rules look at: the conversion as the contract sees it."""

    event_type: str
    customer_status: CustomerStatus
    amount: Money
    share: Decimal = Decimal(1)  # the partner's share of the credit


@dataclass(frozen=True, slots=True)
class Quote:
    """A computed commission, with the inputs and the arithmetic that produced it."""

    rule: Rule
    amount: Money
    explanation: dict[str, object]


def select_rule(rules: list[Rule], event_type: str, status: CustomerStatus) -> Rule | None:
    """The first rule by rank that matches, or None."""
    for rule in sorted(rules, key=lambda r: (r.rank, r.id)):
        if rule.matches(event_type, status):
            return rule
    return None


def apply_rule(rule: Rule, amount: Money, share: Decimal = Decimal(1)) -> Money:
    """The commission a rule pays on `amount` for a credit `share`, rounded half-up once."""
    total = Decimal(0)
    if rule.percent is not None:
        total += amount.amount * rule.percent / HUNDRED
    if rule.fixed is not None:
        if rule.fixed.currency != amount.currency:
            raise ValueError(
                f"rule {rule.id} pays {rule.fixed.currency} but the amount is {amount.currency}"
            )
        total += rule.fixed.amount
    return Money(total * share, amount.currency).quantized()


def quote(rules: list[Rule], facts: Facts, contract_version_id: str) -> Quote | None:
    """Choose the rule and compute the commission, recording how."""
    rule = select_rule(rules, facts.event_type, facts.customer_status)
    if rule is None:
        return None
    amount = apply_rule(rule, facts.amount, facts.share)
    parts = []
    if rule.percent is not None:
        parts.append(f"{facts.amount.amount} x {rule.percent}%")
    if rule.fixed is not None:
        parts.append(f"{rule.fixed.amount}")
    formula = " + ".join(parts)
    if facts.share != 1:
        formula = f"({formula}) x share {facts.share}"
    explanation: dict[str, object] = {
        "contract_version_id": contract_version_id,
        "rule_id": rule.id,
        "rule_name": rule.name,
        "rule_rank": rule.rank,
        "event_type": facts.event_type,
        "customer_status": facts.customer_status.value,
        "order_amount": str(facts.amount.amount),
        "currency": facts.amount.currency,
        "percent": None if rule.percent is None else str(rule.percent),
        "fixed": None if rule.fixed is None else str(rule.fixed.amount),
        "share": str(facts.share),
        "arithmetic": f"{formula} = {amount.amount} {amount.currency} (rounded half-up)",
    }
    return Quote(rule, amount, explanation)
