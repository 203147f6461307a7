"""The monitoring rules with numbers worked by hand, and their properties."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.monitoring.model import (
    DayFigures,
    Metric,
    baseline,
    linear_forecast,
    robust_z,
    same_weekdays,
    unusual,
)

DAY = date(2026, 11, 30)  # a Monday


def _weeks(values_by_offset: dict[int, DayFigures]) -> dict[date, DayFigures]:
    return {f.day: f for f in values_by_offset.values()}


def test_the_robust_z_score_by_hand():
    # baseline 90, 95, 100, 105, 110: median 100, deviations 10, 5, 0, 5, 10 -> MAD 5
    base = baseline([90, 95, 100, 105, 110])
    assert (base.median, base.mad) == (100, 5)
    # 0.6745 * (130 - 100) / 5 = 4.047
    assert math.isclose(robust_z(130, base, 1.0), 4.047, abs_tol=1e-9)
    # 0.6745 * (80 - 100) / 5 = -2.698: inside the threshold
    assert math.isclose(robust_z(80, base, 1.0), -2.698, abs_tol=1e-9)


def test_mad_zero_falls_back_to_the_mean_deviation_then_the_floor():
    # 100 x4 and 120: median 100, MAD 0, mean AD 20/5 = 4 -> z = 30 / (1.2533 * 4) = 5.984
    base = baseline([100, 100, 100, 100, 120])
    assert base.mad == 0
    assert math.isclose(robust_z(130, base, 1.0), 30 / (1.2533 * 4), rel_tol=1e-9)
    # but never below the floor: sigma max(5.013, 10) = 10 -> z = 3
    assert math.isclose(robust_z(130, base, 10.0), 3.0, rel_tol=1e-9)
    # all equal: the floor is the deviation; equal to the median is never unusual
    flat = baseline([100] * 8)
    assert robust_z(100, flat, 10.0) == 0
    assert robust_z(150, flat, 10.0) == 5.0


def test_same_weekdays_look_back_whole_weeks():
    days = same_weekdays(DAY, 8)
    assert len(days) == 8 and all(d.weekday() == DAY.weekday() for d in days)
    assert days[0] == DAY - timedelta(days=7) and days[-1] == DAY - timedelta(days=56)


def _steady(day_value: int, clicks: int, conversions: int = 0) -> dict[date, DayFigures]:
    series = {}
    for k in range(63):
        d = DAY - timedelta(days=k)
        # weekends are quiet: a weekday-aware baseline must not mistake Monday for Sunday
        c = clicks // 4 if d.weekday() >= 5 else clicks + (k % 3)
        series[d] = DayFigures(d, c, conversions)
    series[DAY] = DayFigures(DAY, day_value, conversions)
    return series


def test_a_day_five_times_the_usual_is_flagged_once_and_up():
    # Mondays had 100 + (k % 3) clicks: 100, 101 or 102 -> median 101, MAD 1; sigma is
    # max(1 / 0.6745, sqrt(101)) = 10.05 (Poisson noise), so z = (500 - 101) / 10.05 = 39.70
    found = unusual(_steady(500, 100), DAY)
    assert [(f.metric, f.direction.value) for f in found] == [(Metric.CLICKS, "up")]
    assert found[0].expected == 101.0 and found[0].score == 39.70


def test_an_ordinary_day_and_a_small_partner_are_not_flagged():
    assert unusual(_steady(101, 100), DAY) == []
    # 4 clicks a day, one day 20: five times, but below 30 clicks -> too small to alert
    assert unusual(_steady(20, 4), DAY) == []


def test_a_wobble_of_a_very_steady_partner_is_not_flagged():
    # median 101, MAD 1: 0.6745 * 9 / 1 = 6.1 by MAD alone, but 9 clicks is within the
    # Poisson noise sqrt(101) = 10.05 (z = 0.9) and under 20 % of the usual
    assert unusual(_steady(110, 100), DAY) == []


def test_a_collapse_is_flagged_down():
    found = unusual(_steady(10, 100), DAY)
    assert [f.direction.value for f in found] == ["down"]


def test_a_new_partner_without_history_is_not_flagged():
    series = {DAY: DayFigures(DAY, 5000)}
    assert unusual(series, DAY) == []


def test_conversion_rate_needs_volume():
    # Mondays: 200 clicks, 10 conversions (5 %); the day: 200 clicks, 40 conversions (20 %)
    series = {}
    for k in range(1, 9):
        d = DAY - timedelta(days=7 * k)
        series[d] = DayFigures(d, 200, 10 + (k % 2))
    series[DAY] = DayFigures(DAY, 200, 40)
    metrics = [f.metric for f in unusual(series, DAY)]
    assert metrics == [Metric.CONVERSION_RATE]
    # the same rates at 50 clicks a day: too few clicks to judge a rate
    small = {d: DayFigures(d, f.clicks // 4, f.conversions // 4) for d, f in series.items()}
    assert all(f.metric is not Metric.CONVERSION_RATE for f in unusual(small, DAY))


def test_the_forecast_of_a_line_is_the_line():
    # 100, 110, ..., 170: slope 10, no residual -> next is 180 exactly
    result = linear_forecast([100 + 10 * i for i in range(8)])
    assert result is not None
    assert math.isclose(result.expected, 180) and math.isclose(result.high, 180)
    assert result.months == 8


def test_the_forecast_interval_by_hand():
    # y = 10, 12, 11, 13, 12, 14 at x = 0..5: mean x 2.5, Sxx 17.5, mean y 12
    # Sxy = (-2.5)(-2)+(-1.5)(0)+(-0.5)(-1)+(0.5)(1)+(1.5)(0)+(2.5)(2) = 11 -> slope 0.62857
    # intercept 12 - 0.62857 * 2.5 = 10.42857; at x0 = 6: 14.2
    # residuals -0.42857, 0.94286, -0.68571, 0.68571, -0.94286, 0.42857: SSE 3.08571
    # s = sqrt(3.08571 / 4) = 0.87831; t(0.975, 4) = 2.776
    # half = 2.776 * 0.87831 * sqrt(1 + 1/6 + 12.25/17.5) = 2.776 * 0.87831 * 1.36626 = 3.3312
    result = linear_forecast([10, 12, 11, 13, 12, 14])
    assert result is not None
    assert math.isclose(result.expected, 14.2, abs_tol=1e-9)
    assert math.isclose(result.high - result.expected, 3.3312, abs_tol=1e-3)
    assert math.isclose(result.expected - result.low, 3.3312, abs_tol=1e-3)


def test_too_little_history_gives_no_forecast():
    assert linear_forecast([1, 2, 3, 4, 5]) is None


@settings(max_examples=200, deadline=None)
@given(
    intercept=st.floats(1_000, 100_000),
    slope=st.floats(-500, 500),
    months=st.integers(6, 12),
)
def test_the_interval_holds_the_next_point_of_a_line(intercept, slope, months):
    result = linear_forecast([intercept + slope * i for i in range(months)])
    truth = max(intercept + slope * months, 0)
    assert result is not None
    assert result.low - 1e-6 <= truth <= result.high + 1e-6
    assert result.low <= result.expected <= result.high


def test_the_interval_holds_the_truth_95_times_in_100_for_a_noisy_line():
    # 4000 synthetic series: 9 months on a line 10,000 + 250 x with normal noise (sd 800);
    # the 95 % prediction interval of month 10 should hold the truth about 95 % of the time
    rng = random.Random(20261203)
    held = 0
    for _ in range(4000):
        ys = [10_000 + 250 * i + rng.gauss(0, 800) for i in range(10)]
        result = linear_forecast(ys[:9])
        assert result is not None
        held += result.low <= ys[9] <= result.high
    assert 0.935 <= held / 4000 <= 0.965


@settings(max_examples=300, deadline=None)
@given(
    level=st.integers(30, 10_000),
    jitter=st.lists(st.integers(-3, 3), min_size=8, max_size=8),
    factor=st.floats(0.0, 0.19),
    up=st.booleans(),
)
def test_within_a_fifth_of_the_usual_is_never_flagged_and_five_times_always_is(
    level, jitter, factor, up
):
    series = {}
    for k, j in enumerate(jitter, start=1):
        d = DAY - timedelta(days=7 * k)
        series[d] = DayFigures(d, max(level + j * max(1, level // 20), 0))
    median = baseline([f.clicks for f in series.values()]).median
    quiet = dict(series)
    change = math.floor(median * factor)
    quiet[DAY] = DayFigures(DAY, int(median) + (change if up else -change))
    assert unusual(quiet, DAY) == []
    loud = dict(series)
    loud[DAY] = DayFigures(DAY, level * 5)
    assert [f.direction.value for f in unusual(loud, DAY)] == ["up"]


def test_ordinary_random_traffic_rarely_alerts():
    # 5,000 partner-days of Poisson traffic (10 to 400 clicks a day, 4 % converting) with
    # nothing unusual: the share flagged is the false-alarm rate
    rng = np.random.default_rng(20261203)
    flagged = 0
    for _ in range(5000):
        mean = rng.uniform(10, 400)
        series = {}
        for k in range(9):
            d = DAY - timedelta(days=7 * k)
            clicks = int(rng.poisson(mean))
            series[d] = DayFigures(d, clicks, int(rng.binomial(clicks, 0.04)))
        flagged += bool(unusual(series, DAY))
    assert flagged / 5000 < 0.01, flagged
