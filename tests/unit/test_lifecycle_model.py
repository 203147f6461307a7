"""The lifecycle rules at their thresholds, over numbers made by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from accord.reports import lifecycle_model as m
from accord.reports.lifecycle_model import PartnerActivity, segment

NOW = datetime(2026, 11, 12, 12, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=400)


def partner(conversions=(), *, first_days=None, last_days=None, status="approved", **fields):
    """A partner that joined 400 days ago with this series (period 0 first)."""
    return PartnerActivity(
        partner_id="p",
        name="P",
        partner_type="content",
        status=status,
        joined_at=fields.pop("joined_at", LONG_AGO),
        first_at=None if first_days is None else NOW - timedelta(days=first_days),
        last_at=None if last_days is None else NOW - timedelta(days=last_days),
        conversions=tuple(conversions),
        revenue=tuple(c * 1000 for c in conversions),
        **fields,
    )


def test_churned_dormant_and_the_day_they_start():
    assert segment(partner(first_days=300, last_days=180), NOW) == m.CHURNED
    assert segment(partner(first_days=300, last_days=179), NOW) == m.DORMANT
    assert segment(partner(first_days=300, last_days=60), NOW) == m.DORMANT
    # 59 days: still active in some way; 0,1,1,1 -> down 100% from 1: declining
    assert segment(partner((0, 1, 1, 1), first_days=300, last_days=59), NOW) == m.DECLINING
    # a suspended partner is churned whatever it did
    assert segment(partner((5, 5, 5), first_days=300, last_days=1, status="suspended"), NOW) == (
        m.CHURNED
    )


def test_new_and_not_started():
    assert segment(partner(joined_at=NOW - timedelta(days=29)), NOW) == m.NEW
    assert segment(partner(joined_at=NOW - timedelta(days=30)), NOW) == m.NOT_STARTED
    assert segment(partner((1,), first_days=29, last_days=29), NOW) == m.NEW


def test_periods_are_whole_days_ending_today():
    """At noon the last 30 days are today and the 29 whole days before: the bounds fall on
    midnights and stay put all day; at midnight they are exactly 30 days apart from now."""
    midnight = datetime(2026, 11, 13, tzinfo=UTC)
    bounds = m.period_bounds(NOW)
    assert bounds[0] == NOW
    assert bounds[1:] == [midnight - timedelta(days=30 * k) for k in range(1, m.PERIODS + 1)]
    assert m.period_bounds(NOW + timedelta(hours=11, minutes=59))[1:] == bounds[1:]
    assert m.period_bounds(midnight) == [midnight - timedelta(days=30 * k) for k in range(13)]
    assert m.recent_since(NOW) == datetime(2026, 10, 14, tzinfo=UTC)
    # first converted on the 30th day back, in the afternoon: 29.9 days ago, yet not "new"
    # (that day is outside the last 30 whole days); an hour after midnight of the next day
    # back, it is
    assert segment(partner((1, 1), first_days=29.9, last_days=1), NOW) == m.ACTIVE
    assert segment(partner((1,), first_days=29.4, last_days=1), NOW) == m.NEW
    assert segment(partner(joined_at=datetime(2026, 10, 14, tzinfo=UTC)), NOW) == m.NEW
    assert segment(partner(joined_at=datetime(2026, 10, 13, 23, 59, tzinfo=UTC)), NOW) == (
        m.NOT_STARTED
    )


def test_reactivated_after_ninety_quiet_days():
    quiet = {"first_days": 300, "last_days": 5}
    woke = partner(
        (1,),
        **quiet,
        first_recent_at=NOW - timedelta(days=5),
        last_before_recent_at=NOW - timedelta(days=95),
    )
    assert segment(woke, NOW) == m.REACTIVATED  # 90 days between: enough
    barely = partner(
        (1,),
        **quiet,
        first_recent_at=NOW - timedelta(days=5),
        last_before_recent_at=NOW - timedelta(days=94),
    )
    assert segment(barely, NOW) != m.REACTIVATED  # 89 days


def test_ramping_needs_twenty_percent_twice():
    seen = {"first_days": 300, "last_days": 1}
    # 6 >= 1.2 * 5 and 5 >= 1.2 * 4 (4.8): ramping
    assert segment(partner((6, 5, 4), **seen), NOW) == m.RAMPING
    # 5 < 1.2 * 5: not ramping; 5, 5, 4 vary little: steady
    assert segment(partner((5, 5, 4), **seen), NOW) == m.STEADY


def test_declining_at_thirty_percent():
    seen = {"first_days": 300, "last_days": 1}
    # average of 10, 10, 10 is 10; 7 is down 30%: declining; 8 is down 20%: not
    assert segment(partner((7, 10, 10, 10), **seen), NOW) == m.DECLINING
    assert segment(partner((8, 10, 10, 10), **seen), NOW) == m.STEADY


def test_steady_against_active_by_variation():
    seen = {"first_days": 300, "last_days": 1}
    # 2, 1, 6: mean 3, population sd sqrt(14/3) = 2.16: cv 0.72 > 0.5 -> active
    assert segment(partner((2, 1, 6), **seen), NOW) == m.ACTIVE
    # 4, 2, 4: mean 10/3, sd 0.943: cv 0.28 -> steady
    assert segment(partner((4, 2, 4), **seen), NOW) == m.STEADY


def test_deeper_deal_needs_six_periods_and_few_reversals():
    steady = partner((3, 3, 3, 3, 3, 3), first_days=300, last_days=1)
    assert m.deserves_deeper_deal(steady)
    assert not m.deserves_deeper_deal(partner((3, 3, 3, 3, 3, 0), first_days=300, last_days=1))
    # 11% of the amount reversed: too much
    reversing = partner(
        (3, 3, 3, 3, 3, 3), first_days=300, last_days=1, amount_minor=100, reversed_minor=11
    )
    assert not m.deserves_deeper_deal(reversing)


def test_days_to_first_conversion_and_median():
    p = partner((1,), first_days=400 - 4.5, last_days=1)
    assert m.days_to_first_conversion(p) == Decimal("4.5")
    assert m.median_days([Decimal(1), Decimal(3), Decimal(10)]) == Decimal("3.0")
    assert m.median_days([]) is None


@given(st.lists(st.integers(min_value=0, max_value=50), min_size=12, max_size=12))
def test_every_converting_partner_gets_exactly_one_known_segment(series):
    p = partner(series, first_days=350, last_days=1)
    assert segment(p, NOW) in m.SEGMENTS


@given(st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=12))
def test_variation_is_never_negative(values):
    v = m.variation(values)
    assert v is None or v >= 0


def _cv_by_definition(values):
    mean = Fraction(sum(values), len(values))
    var = sum((Fraction(v) - mean) ** 2 for v in values) / len(values)
    return mean, var


@given(
    st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=12),
    st.fractions(min_value=0, max_value=3, max_denominator=100),
)
def test_the_variation_in_integers_is_the_definition(values, limit):
    mean, var = _cv_by_definition(values)
    assert m.cv_at_most(values, limit) == (mean > 0 and var <= (limit * mean) ** 2)
    if mean:
        root = (Decimal(var.numerator) / Decimal(var.denominator)).sqrt()
        exact = root / (Decimal(mean.numerator) / Decimal(mean.denominator))
        assert abs(m.variation(values) - exact) <= Decimal("0.005")
