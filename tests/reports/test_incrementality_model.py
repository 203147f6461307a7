"""The incrementality statistics against values computed by hand."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.reports import incrementality_model as im


def test_two_proportion_test_by_hand():
    # Exposed 200 of 1000 (p1 = 0.20), held out 150 of 1000 (p2 = 0.15); pooled 0.175.
    # Pooled SE = sqrt(0.175 * 0.825 * (1/1000 + 1/1000)) = sqrt(0.00028875) = 0.0169926
    # z = 0.05 / 0.0169926 = 2.94245; p = erfc(2.94245 / sqrt 2) = 0.0032563.
    # Unpooled SE = sqrt(0.2*0.8/1000 + 0.15*0.85/1000) = sqrt(0.0002875) = 0.0169558;
    # 95% interval 0.05 -+ 1.959964 * 0.0169558 = 0.05 -+ 0.0332328.
    # Lift 0.05 / 0.15 = 1/3; incremental conversions 0.05 * 1000 = 50.
    t = im.two_proportion_test(200, 1000, 150, 1000)
    assert t.z == pytest.approx(2.942449, abs=1e-6)
    assert t.p_value == pytest.approx(0.0032563, abs=1e-7)
    assert t.ci_low == pytest.approx(0.05 - 0.0332328, abs=1e-6)
    assert t.ci_high == pytest.approx(0.05 + 0.0332328, abs=1e-6)
    assert t.lift == pytest.approx(1 / 3)
    assert t.incremental_conversions == pytest.approx(50)
    assert not t.too_small and t.significant


def test_a_small_sample_is_flagged():
    # 12 of 100 against 8 of 100: fewer than 30 conversions in each arm.
    t = im.two_proportion_test(12, 100, 8, 100)
    assert t.too_small and not t.significant
    # 1 of 10000 against 0 of 10000: each arm expects 10000 * 1/20000 = 0.5 < 5.
    assert im.two_proportion_test(1, 10000, 0, 10000).too_small


def test_rate_test_by_hand():
    # On: 120 conversions in 30 days (4 a day); off: 60 in 30 days (2 a day).
    # Under no difference the on period holds half the 180: expected 90, sd sqrt(180/4)
    # = 6.7082; z = 30 / 6.7082 = 4.47214; p = erfc(4.47214 / sqrt 2) = 7.7442e-6.
    # SE of the difference sqrt(120/900 + 60/900) = sqrt(0.2) = 0.447214; interval
    # 2 -+ 1.959964 * 0.447214 = 2 -+ 0.876523. Incremental: 2 a day * 30 days = 60.
    t = im.rate_test(120, 30, 60, 30)
    assert t.z == pytest.approx(4.472136, abs=1e-6)
    assert t.p_value == pytest.approx(7.7442e-6, rel=1e-4)
    assert (t.ci_low, t.ci_high) == (
        pytest.approx(1.123477, abs=1e-6),
        pytest.approx(2.876523, abs=1e-6),
    )
    assert t.incremental_conversions == pytest.approx(60)
    assert t.lift == pytest.approx(1.0)
    assert t.significant


def test_bad_counts_are_refused():
    with pytest.raises(ValueError):
        im.two_proportion_test(5, 4, 1, 10)
    with pytest.raises(ValueError):
        im.two_proportion_test(0, 0, 1, 10)
    with pytest.raises(ValueError):
        im.rate_test(1, 0, 1, 1)


def test_normal_tail():
    assert im.normal_two_sided_p(0) == 1.0
    assert im.normal_two_sided_p(1.959964) == pytest.approx(0.05, abs=1e-6)


arms = st.integers(1, 100000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@given(arms, arms)
def test_two_proportion_properties(a, b):
    t = im.two_proportion_test(*a, *b)
    swapped = im.two_proportion_test(*b, *a)
    assert t.ci_low <= t.difference <= t.ci_high
    if t.p_value is not None:
        assert 0.0 <= t.p_value <= 1.0
        assert swapped.p_value == pytest.approx(t.p_value)
        assert swapped.z == pytest.approx(-t.z)
    assert math.isclose(t.incremental_conversions, t.difference * a[1], abs_tol=1e-9)


@given(st.integers(0, 10000), st.integers(1, 400), st.integers(0, 10000), st.integers(1, 400))
def test_rate_test_properties(x_on, d_on, x_off, d_off):
    t = im.rate_test(x_on, d_on, x_off, d_off)
    assert t.ci_low <= t.difference <= t.ci_high
    if t.p_value is not None:
        assert 0.0 <= t.p_value <= 1.0
        assert im.rate_test(x_off, d_off, x_on, d_on).p_value == pytest.approx(t.p_value)
