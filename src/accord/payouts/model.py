"""Which partners get paid in a batch, and how much. Pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PayoutLine:
    partner_id: str
    amount_minor: int


def plan_batch(payable_minor: dict[str, int], threshold_minor: int) -> list[PayoutLine]:
    """Pay every partner whose payable balance is positive and at least the threshold.

    A negative balance (a clawback after payout) or one under the threshold is carried over
    to the next batch; nothing is lost.
    """
    lines = [
        PayoutLine(partner, amount)
        for partner, amount in sorted(payable_minor.items())
        if amount > 0 and amount >= threshold_minor
    ]
    return lines
