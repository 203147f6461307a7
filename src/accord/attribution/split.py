"""Splitting an amount of money among several partners so that the parts add back to it.

Rounding each partner's share on its own loses or invents a cent: a third of 10.00 three
times is 9.99. The largest-remainder method rounds every part down, then gives the cents
still missing, one each, to the parts whose exact value lost the most; equal remainders go
to the earlier part, so the same split always gives the same answer. Pure, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction


def split_minor(amount_minor: int, weights: Sequence[Decimal | int]) -> list[int]:
    """`amount_minor` (an integer number of minor units, cents) split in proportion to
    `weights`, in their order.

    The parts add up to `amount_minor` exactly, and each differs from its exact share
    (amount x weight / sum of weights) by less than one minor unit. Weights need not add up
    to 1; none may be negative, and at least one must be positive.
    """
    if not weights:
        raise ValueError("split_minor needs at least one weight")
    exact_weights = []
    for weight in weights:
        if isinstance(weight, Decimal) and not weight.is_finite():
            raise ValueError(f"a weight must be a finite number, not {weight}")
        if weight < 0:
            raise ValueError(f"a weight cannot be negative ({weight})")
        exact_weights.append(Fraction(weight))
    total = sum(exact_weights, Fraction(0))
    if total == 0:
        raise ValueError("at least one weight must be more than zero")
    exact = [amount_minor * weight / total for weight in exact_weights]
    parts = [math.floor(value) for value in exact]
    missing = amount_minor - sum(parts)  # 0 <= missing < len(parts)
    by_remainder = sorted(range(len(parts)), key=lambda i: (-(exact[i] - parts[i]), i))
    for index in by_remainder[:missing]:
        parts[index] += 1
    return parts
