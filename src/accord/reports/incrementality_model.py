"""Incrementality: did a partner (or a partner type) bring orders that would not have come
anyway? Two designs, each judged from counts:

- a traffic holdout: a share of the scope's visitors is held out (sees no partner offer);
  the exposed and the held-out arms' conversion rates are compared with a two-proportion
  z-test;
- a period switched off: the scope was off for a period; the program's conversions per day
  while it was off are compared with a matched period while it was on (a comparison of two
  Poisson rates, conditioned on the total: under "no difference" the on period's share of
  the conversions is its share of the days).

Plain statistics over aggregated numbers: `math.erfc` for the normal distribution, no
database, no SciPy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: The two-sided confidence level of the intervals, and its normal quantile.
CONFIDENCE = 0.95
Z_95 = 1.959963984540054
#: A result rests on too small a sample when either arm has fewer conversions than this ...
MIN_CONVERSIONS = 30
#: ... or when a cell of the 2x2 table expects fewer than this many (pooled rate).
MIN_EXPECTED = 5.0
#: The p-value under which a difference is called significant.
ALPHA = 0.05

SAMPLE_RULE = (
    "A result rests on too small a sample when either arm has fewer than %(conversions)s "
    "conversions or a cell expects fewer than %(expected)s (at the pooled rate)."
)


def normal_two_sided_p(z: float) -> float:
    """P(|Z| >= |z|) for a standard normal Z: erfc(|z| / sqrt 2)."""
    return math.erfc(abs(z) / math.sqrt(2.0))


@dataclass(frozen=True)
class ProportionTest:
    """Exposed arm (x1 of n1 converted) against the held-out arm (x2 of n2)."""

    x1: int
    n1: int
    x2: int
    n2: int
    p1: float
    p2: float
    difference: float
    lift: float | None
    z: float | None
    p_value: float | None
    ci_low: float
    ci_high: float
    incremental_conversions: float
    too_small: bool

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA and not self.too_small


def two_proportion_test(x1: int, n1: int, x2: int, n2: int) -> ProportionTest:
    """Two-proportion z-test (pooled standard error for z; unpooled for the interval of the
    difference p1 - p2). Lift is (p1 - p2) / p2; incremental conversions are
    (p1 - p2) * n1, what the exposed arm converted beyond the held-out rate."""
    for name, value in (("x1", x1), ("n1", n1), ("x2", x2), ("n2", n2)):
        if value < 0:
            raise ValueError(f"{name} must not be negative")
    if n1 == 0 or n2 == 0:
        raise ValueError("each arm needs at least one visitor")
    if x1 > n1 or x2 > n2:
        raise ValueError("an arm cannot convert more than it has visitors")
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se_pooled > 0:
        z: float | None = (p1 - p2) / se_pooled
        p_value: float | None = normal_two_sided_p(z)
    else:
        z = p_value = None
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    difference = p1 - p2
    expected = [n * q for n in (n1, n2) for q in (pooled, 1 - pooled)]
    too_small = min(x1, x2) < MIN_CONVERSIONS or min(expected) < MIN_EXPECTED
    return ProportionTest(
        x1,
        n1,
        x2,
        n2,
        p1,
        p2,
        difference,
        None if p2 == 0 else difference / p2,
        z,
        p_value,
        difference - Z_95 * se,
        difference + Z_95 * se,
        difference * n1,
        too_small,
    )


@dataclass(frozen=True)
class RateTest:
    """Conversions per day while on (x_on over days_on) against while off."""

    x_on: int
    days_on: float
    x_off: int
    days_off: float
    rate_on: float
    rate_off: float
    difference: float
    lift: float | None
    z: float | None
    p_value: float | None
    ci_low: float
    ci_high: float
    incremental_conversions: float
    too_small: bool

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA and not self.too_small


def rate_test(x_on: int, days_on: float, x_off: int, days_off: float) -> RateTest:
    """Compare two Poisson rates. Under "no difference", the on period's conversions are
    Binomial(x_on + x_off, days_on / (days_on + days_off)); z is that binomial's normal
    approximation. The interval of the difference of rates uses the Poisson variances
    x / t^2. Incremental conversions: (rate_on - rate_off) * days_on."""
    if days_on <= 0 or days_off <= 0:
        raise ValueError("each period needs a positive length")
    if x_on < 0 or x_off < 0:
        raise ValueError("counts must not be negative")
    rate_on, rate_off = x_on / days_on, x_off / days_off
    total = x_on + x_off
    share_on = days_on / (days_on + days_off)
    spread = math.sqrt(total * share_on * (1 - share_on))
    if spread > 0:
        z: float | None = (x_on - total * share_on) / spread
        p_value: float | None = normal_two_sided_p(z)
    else:
        z = p_value = None
    se = math.sqrt(x_on / days_on**2 + x_off / days_off**2)
    difference = rate_on - rate_off
    expected = min(total * share_on, total * (1 - share_on))
    return RateTest(
        x_on,
        days_on,
        x_off,
        days_off,
        rate_on,
        rate_off,
        difference,
        None if rate_off == 0 else difference / rate_off,
        z,
        p_value,
        difference - Z_95 * se,
        difference + Z_95 * se,
        difference * days_on,
        min(x_on, x_off) < MIN_CONVERSIONS or expected < MIN_EXPECTED,
    )
