"""Splitting a commission among partners: the parts add back to the whole to the cent."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.attribution.split import split_minor

PROPERTY = settings(max_examples=500, deadline=None)

amounts = st.integers(min_value=-(10**12), max_value=10**12)
weights = st.lists(
    st.decimals(min_value=0, max_value=1000, places=6, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=12,
).filter(lambda ws: sum(ws) > 0)


@PROPERTY
@given(amounts, weights)
def test_the_parts_add_up_to_the_whole(amount, shares):
    assert sum(split_minor(amount, shares)) == amount


@PROPERTY
@given(amounts, weights)
def test_each_part_is_within_one_minor_unit_of_its_exact_share(amount, shares):
    total = sum(Fraction(w) for w in shares)
    for part, weight in zip(split_minor(amount, shares), shares, strict=True):
        assert abs(part - amount * Fraction(weight) / total) < 1


@PROPERTY
@given(amounts, weights)
def test_the_split_is_deterministic_and_a_zero_weight_gets_nothing(amount, shares):
    first = split_minor(amount, shares)
    assert split_minor(amount, list(shares)) == first
    for part, weight in zip(first, shares, strict=True):
        if weight == 0:
            assert part == 0


@PROPERTY
@given(amounts, weights, st.integers(min_value=1, max_value=10**6))
def test_scaling_the_weights_changes_nothing(amount, shares, factor):
    assert split_minor(amount, [w * factor for w in shares]) == split_minor(amount, shares)


def test_a_third_of_ten_dollars_three_times_is_ten_dollars_the_first_gets_the_cent():
    third = Decimal(1) / 3
    assert split_minor(1000, [third, third, third]) == [334, 333, 333]
    assert split_minor(1000, [1, 1, 1]) == [334, 333, 333]


def test_the_largest_remainder_wins_the_missing_cent_not_the_first():
    # exact parts 1.0, 4.5 and 4.5 (of 10), then 3.3, 3.3, 3.4: remainders decide
    assert split_minor(10, [Decimal("0.1"), Decimal("0.45"), Decimal("0.45")]) == [1, 5, 4]
    assert split_minor(10, [Decimal("0.33"), Decimal("0.33"), Decimal("0.34")]) == [3, 3, 4]


def test_exact_shares_split_exactly():
    assert split_minor(1001, [Decimal("0.4"), Decimal("0.2"), Decimal("0.4")]) == [401, 200, 400]
    assert split_minor(0, [1, 2]) == [0, 0]


@pytest.mark.parametrize(
    ("shares", "message"),
    [
        ([], "at least one weight"),
        ([Decimal("-0.5"), Decimal("1.5")], "cannot be negative"),
        ([Decimal(0), Decimal(0)], "more than zero"),
        ([Decimal("NaN")], "finite"),
    ],
)
def test_weights_that_cannot_split_anything_are_refused_by_name(shares, message):
    with pytest.raises(ValueError, match=message):
        split_minor(100, shares)
