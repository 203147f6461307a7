"""How concentrated a program's revenue is among its partners: exact arithmetic.

Given each partner's revenue in a period (whole minor units, never negative):
- the top 20% of partners (rounded up) and their share of the revenue;
- the core partners: the fewest partners, largest first, whose revenue reaches 80%;
- for each core partner, what the program loses if it leaves (its revenue and share);
- the Lorenz curve: partners from the smallest to the largest, the cumulative share of
  partners against the cumulative share of revenue, from (0, 0) to (1, 1);
- the Gini coefficient, G = 2·Σ i·x(i) / (n·Σx) - (n + 1)/n, with x(1) ≤ … ≤ x(n): 0 when
  every partner brings the same, (n - 1)/n when one partner brings everything.

All shares are Fractions (exact); pages and files round them. Pure: no database.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

#: The share of partners at the top (20%) and the share of revenue the core reaches (80%).
TOP_SHARE_OF_PARTNERS = Fraction(1, 5)
CORE_SHARE_OF_REVENUE = Fraction(4, 5)


@dataclass(frozen=True)
class Earner:
    partner_id: str
    name: str
    partner_type: str
    revenue_minor: int


@dataclass(frozen=True)
class Loss:
    """What the program loses if this partner leaves."""

    earner: Earner
    rank: int
    share: Fraction
    #: The share of revenue this partner and every larger one bring together.
    cumulative_share: Fraction


@dataclass(frozen=True)
class Concentration:
    partners: int
    total_minor: int
    top_count: int
    top_share: Fraction | None
    #: The core partners (the fewest, largest first, that reach 80% of revenue).
    core: list[Loss]
    #: What is lost if each leaves: the core partners and the top 20%, largest first.
    losses: list[Loss]
    lorenz: list[tuple[Fraction, Fraction]]
    gini: Fraction | None
    ranked: list[Earner]

    @property
    def core_share_of_partners(self) -> Fraction | None:
        return Fraction(len(self.core), self.partners) if self.partners else None


def _ranked(earners: Sequence[Earner]) -> list[Earner]:
    """Largest revenue first; ties by name then id, so the order is stable."""
    return sorted(earners, key=lambda e: (-e.revenue_minor, e.name.lower(), e.partner_id))


def top_count(n: int) -> int:
    """How many partners the top 20% is: a fifth of them, rounded up (at least one)."""
    return math.ceil(n * TOP_SHARE_OF_PARTNERS) if n else 0


def gini(values: Sequence[int]) -> Fraction | None:
    """The Gini coefficient of non-negative values; None when they sum to zero."""
    xs = sorted(values)
    n, total = len(xs), sum(xs)
    if n == 0 or total <= 0:
        return None
    weighted = sum((i + 1) * x for i, x in enumerate(xs))
    return Fraction(2 * weighted, n * total) - Fraction(n + 1, n)


def lorenz(values: Sequence[int]) -> list[tuple[Fraction, Fraction]]:
    """The Lorenz curve's points, from (0, 0) to (1, 1); empty when the total is zero."""
    xs = sorted(values)
    n, total = len(xs), sum(xs)
    if n == 0 or total <= 0:
        return []
    points = [(Fraction(0), Fraction(0))]
    running = 0
    for i, x in enumerate(xs, start=1):
        running += x
        points.append((Fraction(i, n), Fraction(running, total)))
    return points


def concentrate(earners: Sequence[Earner]) -> Concentration:
    """The concentration of revenue among these partners (negative revenue counts as 0)."""
    clean = [
        e if e.revenue_minor >= 0 else Earner(e.partner_id, e.name, e.partner_type, 0)
        for e in earners
    ]
    ranked = _ranked(clean)
    n = len(ranked)
    total = sum(e.revenue_minor for e in ranked)
    k = top_count(n)
    top_share = Fraction(sum(e.revenue_minor for e in ranked[:k]), total) if total > 0 else None
    losses: list[Loss] = []
    core_count = 0
    if total > 0:
        running = 0
        for rank, e in enumerate(ranked, start=1):
            if e.revenue_minor == 0:
                break
            reached = Fraction(running, total) >= CORE_SHARE_OF_REVENUE
            if reached and rank > k:
                break
            running += e.revenue_minor
            if not reached:
                core_count = rank
            losses.append(Loss(e, rank, Fraction(e.revenue_minor, total), Fraction(running, total)))
    values = [e.revenue_minor for e in ranked]
    return Concentration(
        n, total, k, top_share, losses[:core_count], losses, lorenz(values), gini(values), ranked
    )
