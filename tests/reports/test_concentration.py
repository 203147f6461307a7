"""Revenue concentration: the 80/20 figures, the loss if a partner leaves, Lorenz and Gini."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from accord.reports.concentration import concentration_report
from accord.reports.concentration_model import Earner, concentrate, gini, lorenz, top_count
from tests.factories import add_partner, click, convert, make_brand

NOW = datetime(2026, 11, 12, 12, 0, tzinfo=UTC)


def test_a_program_with_one_big_partner_by_hand(store):
    store.clock.set(NOW - timedelta(days=20))
    brand = make_brand(store)
    big, second, third, fourth, idle = (add_partner(brand) for _ in range(5))
    for partner, amounts in (
        (big, ["300.00", "200.00"]),
        (second, ["300.00"]),
        (third, ["100.00"]),
        (fourth, ["100.00"]),
    ):
        for amount in amounts:
            convert(brand, amount=amount, click_id=click(brand, partner))
    # a sale 400 days ago lies outside the default 365 days
    store.clock.set(NOW - timedelta(days=400))
    convert(brand, amount="900.00", click_id=click(brand, third))
    store.clock.set(NOW)

    report = concentration_report(store, brand.caller, brand.program_id)
    r = report.result
    # revenue 500, 300, 100, 100, 0: total 1,000.00 across 5 partners (idle counts)
    assert (r.partners, report.total.amount) == (5, Decimal("1000.00"))
    # top 20% of 5 partners = 1 partner: 500 / 1000
    assert (r.top_count, r.top_share) == (1, Fraction(1, 2))
    # core: 500 (50%) + 300 -> 80%: two partners, 40% of partners
    assert [loss.earner.partner_id for loss in r.core] == [big.id, second.id]
    assert r.core_share_of_partners == Fraction(2, 5)
    rows = report.losses()
    assert [(row["rank"], row["share_lost"]) for row in rows] == [
        (1, Decimal("0.5000")),
        (2, Decimal("0.3000")),
    ]
    assert rows[0]["revenue"].amount == Decimal("500.00")
    # ascending 0, 100, 100, 300, 500: sum of i*x = 200 + 300 + 1200 + 2500 = 4200
    # G = 2*4200 / (5*1000) - 6/5 = 1.68 - 1.2 = 0.48
    assert r.gini == Fraction(12, 25)
    assert report.lorenz() == [
        (Decimal("0.0000"), Decimal("0.0000")),
        (Decimal("0.2000"), Decimal("0.0000")),
        (Decimal("0.4000"), Decimal("0.1000")),
        (Decimal("0.6000"), Decimal("0.2000")),
        (Decimal("0.8000"), Decimal("0.5000")),
        (Decimal("1.0000"), Decimal("1.0000")),
    ]
    assert idle.id in {e.partner_id for e in r.ranked}


def test_a_program_without_revenue_has_no_shares(store):
    store.clock.set(NOW)
    brand = make_brand(store)
    add_partner(brand)
    r = concentration_report(store, brand.caller, brand.program_id).result
    assert (r.partners, r.total_minor, r.top_share, r.gini, r.core, r.lorenz) == (
        1,
        0,
        None,
        None,
        [],
        [],
    )


def _earners(values):
    return [Earner(f"p{i}", f"P {i}", "content", v) for i, v in enumerate(values)]


revenues = st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=40)


@given(revenues)
def test_gini_lies_in_zero_to_one(values):
    g = gini(values)
    if sum(values) == 0:
        assert g is None
    else:
        assert 0 <= g < 1


@given(st.integers(min_value=1, max_value=10**6), st.integers(min_value=1, max_value=50))
def test_equal_revenue_has_gini_zero(amount, n):
    assert gini([amount] * n) == 0


@given(st.integers(min_value=1, max_value=10**6), st.integers(min_value=1, max_value=50))
def test_one_partner_with_everything_has_gini_n_minus_one_over_n(amount, n):
    assert gini([0] * (n - 1) + [amount]) == Fraction(n - 1, n)


@given(revenues)
def test_lorenz_climbs_from_nothing_to_everything_under_the_diagonal(values):
    points = lorenz(values)
    if sum(values) == 0:
        assert points == []
        return
    assert points[0] == (0, 0) and points[-1] == (1, 1)
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        assert x1 > x0 and y1 >= y0
    assert all(y <= x for x, y in points)


@given(revenues)
def test_the_core_is_the_fewest_partners_reaching_80_percent(values):
    r = concentrate(_earners(values))
    total = sum(values)
    assert r.top_count == top_count(len(values)) >= 1
    if total == 0:
        assert r.core == [] and r.top_share is None
        return
    reached = sum(loss.earner.revenue_minor for loss in r.core)
    assert Fraction(reached, total) >= Fraction(4, 5)
    without_last = reached - r.core[-1].earner.revenue_minor
    assert Fraction(without_last, total) < Fraction(4, 5)
    assert sum(loss.share for loss in r.core) == Fraction(reached, total)
