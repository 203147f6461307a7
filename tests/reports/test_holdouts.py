"""Incrementality tests a brand defines, and their results from counts.

Program (USD) with one coupon partner A:
- on period 21-30 Oct 2026 (10 days): 6 sales of 100.00 (0.6 a day);
- off period 1-10 Nov 2026 (10 days, A switched off): 3 sales of 100.00 (0.3 a day).
Under "no difference" the on period holds half of the 9: expected 4.5, sd sqrt(9/4) = 1.5,
z = (6 - 4.5) / 1.5 = 1.0, p = erfc(1 / sqrt 2) = 0.3173. Incremental conversions
(0.6 - 0.3) * 10 = 3, at 100.00 each: 300.00. 6 and 3 conversions: too small a sample.

Traffic test on A, 1-10 Nov: held out 1000 visitors, 150 conversions; exposed entered as
1000 visitors, 200 conversions: incremental 50 conversions; A's 3 sales average 100.00,
so 5,000.00 of incremental revenue.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from accord.clock import FixedClock
from accord.errors import InvalidInput, NotFound
from accord.reports.holdouts import (
    HoldoutSpec,
    define_holdout,
    delete_holdout,
    holdout_result,
    list_holdouts,
    update_counts,
)
from accord.store.engine import Store
from tests.factories import Brand, add_partner, click, convert, make_brand


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@pytest.fixture(scope="module")
def brand(engine) -> Brand:
    brand = make_brand(Store(engine, FixedClock(at(date(2026, 10, 20)))))
    a = add_partner(brand, partner_type="coupon")
    for day in (21, 22, 23, 25, 27, 29):
        brand.store.clock.set(datetime(2026, 10, day, 9, tzinfo=UTC))  # type: ignore[attr-defined]
        convert(brand, amount="100.00", click_id=click(brand, a))
    for day in (2, 4, 6):
        brand.store.clock.set(datetime(2026, 11, day, 9, tzinfo=UTC))  # type: ignore[attr-defined]
        convert(brand, amount="100.00", click_id=click(brand, a))
    return brand


def off_test(brand: Brand, **changes) -> HoldoutSpec:
    fields = {
        "name": "Coupon A off",
        "design": "switched_off",
        "scope_kind": "partner",
        "scope": brand.partners[0].id,
        "since": at(date(2026, 11, 1)),
        "until": at(date(2026, 11, 11)),
    }
    return HoldoutSpec(**{**fields, **changes})


def test_a_switched_off_partner_compared_with_the_period_before(brand):
    defined = define_holdout(brand.store, brand.caller, brand.program_id, off_test(brand))
    # the on period defaults to the 10 days before: 22 Oct - 1 Nov (excludes the 21 Oct sale)
    assert defined.on_since == at(date(2026, 10, 22))
    matched = define_holdout(
        brand.store,
        brand.caller,
        brand.program_id,
        off_test(brand, on_since=at(date(2026, 10, 21)), on_until=at(date(2026, 10, 31))),
    )
    result = holdout_result(brand.store, brand.caller, brand.program_id, matched.id)
    t = result.test
    assert (t.x_on, t.x_off) == (6, 3)
    assert t.z == pytest.approx(1.0)
    assert t.p_value == pytest.approx(0.3173, abs=1e-4)
    assert t.incremental_conversions == pytest.approx(3.0)
    assert result.incremental_revenue.amount == Decimal("300.00")
    assert result.too_small
    ids = [h.id for h in list_holdouts(brand.store, brand.caller, brand.program_id)]
    assert matched.id in ids and defined.id in ids


def test_a_traffic_holdout_from_counts(brand):
    spec = off_test(brand, design="traffic", share=Decimal("0.5"), name="Half of A held out")
    defined = define_holdout(brand.store, brand.caller, brand.program_id, spec)
    waiting = holdout_result(brand.store, brand.caller, brand.program_id, defined.id)
    assert waiting.test is None and waiting.missing == "held"
    update_counts(brand.store, brand.caller, brand.program_id, defined.id, (1000, 150), (1000, 200))
    result = holdout_result(brand.store, brand.caller, brand.program_id, defined.id)
    assert result.test.incremental_conversions == pytest.approx(50)
    assert result.average_order.amount == Decimal("100.00")
    assert result.incremental_revenue.amount == Decimal("5000.00")
    assert not result.too_small
    # without the exposed counts, A's own clicks and sales count: 3 of 3 visitors
    counted = define_holdout(
        brand.store,
        brand.caller,
        brand.program_id,
        off_test(
            brand, design="traffic", share=Decimal("0.1"), held_visitors=3, held_conversions=1
        ),
    )
    test = holdout_result(brand.store, brand.caller, brand.program_id, counted.id).test
    assert (test.x1, test.n1, test.x2, test.n2) == (3, 3, 1, 3)
    delete_holdout(brand.store, brand.caller, brand.program_id, counted.id)
    with pytest.raises(NotFound):
        holdout_result(brand.store, brand.caller, brand.program_id, counted.id)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"design": "coin"}, "design"),
        ({"scope_kind": "partner_type", "scope": "b2c"}, "scope"),
        ({"scope": "prt_nobody"}, "scope"),
        ({"design": "traffic", "share": Decimal("1.5")}, "share"),
        ({"on_since": at(date(2026, 11, 5)), "on_until": at(date(2026, 11, 20))}, "on_since"),
        (
            {
                "design": "traffic",
                "share": Decimal("0.1"),
                "held_visitors": 5,
                "held_conversions": 9,
            },
            "held_conversions",
        ),
        ({"name": " "}, "name"),
    ],
)
def test_bad_definitions_are_refused(brand, changes, field):
    with pytest.raises(InvalidInput) as caught:
        define_holdout(brand.store, brand.caller, brand.program_id, off_test(brand, **changes))
    assert caught.value.field == field


def test_another_brand_sees_no_test(brand, engine):
    other = make_brand(Store(engine, FixedClock(at(date(2026, 11, 1)))))
    defined = define_holdout(brand.store, brand.caller, brand.program_id, off_test(brand))
    with pytest.raises(NotFound):
        holdout_result(other.store, other.caller, brand.program_id, defined.id)
