"""The monitoring rules: unusual days in a partner's daily figures, and next month's revenue.

Pure arithmetic over numbers the reports have already aggregated; nothing here reads the
store.

Unusual days (weekday-aware, robust)
------------------------------------
A day is compared with the same weekday of the `HISTORY_WEEKS` weeks before it (a Monday
with the eight Mondays before it), because traffic has a weekly rhythm. The baseline is
the median of those days and their median absolute deviation (MAD), which one earlier
outlier cannot drag. The robust z-score (Iglewicz and Hoaglin) is

    z = 0.6745 * (x - median) / MAD

and a day is unusual when |z| >= `THRESHOLD` (3.5, their recommendation). In other words
z = (x - median) / sigma with sigma = MAD / 0.6745, the normal deviation MAD stands for.
When MAD is 0 (at least half of the baseline days are equal), the mean absolute deviation
stands in (sigma = 1.2533 * meanAD). Sigma never falls below the noise the metric has
anyway, so that a very steady history does not turn a small wobble into an alert: the
Poisson deviation sqrt(median) for clicks, and the binomial deviation
sqrt(p (1 - p) / n) of a rate p over the day's n clicks (or conversions), at least 0.1
percentage point. A day must also differ from the median by at least `MIN_CHANGE` (20 %)
of it. At least `MIN_HISTORY` baseline days are needed.

Small partners do not alert: clicks need `MIN_CLICKS` on the day or in the baseline's
median; a conversion rate needs `MIN_CLICKS_FOR_RATE` clicks on the day; a reversal rate
needs `MIN_CONVERSIONS_FOR_RATE` conversions on the day.

Next month's revenue
--------------------
A least-squares line through the last 6 to 12 monthly totals (x = 0, 1, ..., n-1), projected
one month ahead, with the 95 % prediction interval of simple linear regression:

    yhat +/- t(0.975, n-2) * s * sqrt(1 + 1/n + (x0 - mean x)^2 / Sxx)

where s is the residuals' standard deviation (n-2 degrees of freedom). A negative lower
bound (or expectation) is shown as 0 (revenue is not negative). Fewer than `MIN_MONTHS`
months: no forecast.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

#: Same weekdays looked back at.
HISTORY_WEEKS = 8
#: Baseline days needed before a day can be called unusual.
MIN_HISTORY = 4
#: |robust z| at or above which a day is unusual.
THRESHOLD = 3.5
#: The consistency constant: 0.6745 is the 75th percentile of the standard normal.
K = 0.6745
#: Mean absolute deviation's factor when MAD is 0 (sqrt(pi/2)).
MEAN_AD_FACTOR = 1.2533
#: Volume rules: below these a partner is too small to alert on.
MIN_CLICKS = 30
MIN_CLICKS_FOR_RATE = 100
MIN_CONVERSIONS_FOR_RATE = 20
#: The smallest deviation a rate is given (0.1 percentage point).
RATE_FLOOR = 0.001
#: The smallest change, relative to the median, that counts as unusual.
MIN_CHANGE = 0.2

#: Months a forecast uses at most and at least.
MAX_MONTHS = 12
MIN_MONTHS = 6

# Two-sided 95 % Student t quantiles t(0.975, df) for df = 1 .. 30.
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


class Metric(StrEnum):
    CLICKS = "clicks"
    CONVERSION_RATE = "conversion_rate"
    REVERSAL_RATE = "reversal_rate"


class Direction(StrEnum):
    UP = "up"
    DOWN = "down"


@dataclass(frozen=True)
class DayFigures:
    """One partner's day: clicks, conversions, and reversals recorded that day."""

    day: date
    clicks: int = 0
    conversions: int = 0
    reversals: int = 0

    @property
    def conversion_rate(self) -> float | None:
        return self.conversions / self.clicks if self.clicks else None

    @property
    def reversal_rate(self) -> float | None:
        return self.reversals / self.conversions if self.conversions else None

    def value(self, metric: Metric) -> float | None:
        if metric is Metric.CLICKS:
            return float(self.clicks)
        if metric is Metric.CONVERSION_RATE:
            return self.conversion_rate
        return self.reversal_rate


@dataclass(frozen=True)
class Baseline:
    median: float
    mad: float
    mean_ad: float
    days: int


@dataclass(frozen=True)
class Finding:
    """An unusual day: the metric, its value, what was expected (the baseline's median),
    the robust z-score and whether it was above or below."""

    day: date
    metric: Metric
    value: float
    expected: float
    score: float

    @property
    def direction(self) -> Direction:
        return Direction.UP if self.score > 0 else Direction.DOWN


def baseline(values: Sequence[float]) -> Baseline:
    """Median, MAD and mean absolute deviation of the baseline days."""
    if not values:
        raise ValueError("a baseline needs at least one day")
    median = statistics.median(values)
    deviations = [abs(v - median) for v in values]
    return Baseline(
        median, statistics.median(deviations), statistics.fmean(deviations), len(values)
    )


def robust_z(x: float, base: Baseline, floor: float) -> float:
    """0.6745 (x - median) / MAD, i.e. (x - median) / sigma; with MAD 0, sigma from the mean
    absolute deviation; sigma is never below `floor` (the metric's own noise, > 0)."""
    if base.mad > 0:
        sigma = base.mad / K
    elif base.mean_ad > 0:
        sigma = MEAN_AD_FACTOR * base.mean_ad
    else:
        sigma = 0.0
    sigma = max(sigma, floor)
    if x == base.median:
        return 0.0
    return (x - base.median) / sigma


def same_weekdays(day: date, weeks: int = HISTORY_WEEKS) -> list[date]:
    """The same weekday in each of the `weeks` weeks before `day`, most recent first."""
    return [day - timedelta(days=7 * k) for k in range(1, weeks + 1)]


def _floor(metric: Metric, median: float, today: DayFigures) -> float:
    """The deviation the metric has by chance alone: Poisson for counts, binomial for
    rates over the day's clicks (conversion rate) or conversions (reversal rate)."""
    if metric is Metric.CLICKS:
        return math.sqrt(max(median, 1.0))
    n = today.clicks if metric is Metric.CONVERSION_RATE else today.conversions
    p = min(max(median, 0.0), 1.0)
    return max(math.sqrt(p * (1 - p) / max(n, 1)), RATE_FLOOR)


def _large_enough(metric: Metric, today: DayFigures, base: Baseline) -> bool:
    if metric is Metric.CLICKS:
        return max(today.clicks, base.median) >= MIN_CLICKS
    if metric is Metric.CONVERSION_RATE:
        return today.clicks >= MIN_CLICKS_FOR_RATE
    return today.conversions >= MIN_CONVERSIONS_FOR_RATE


def unusual(
    series: dict[date, DayFigures] | Sequence[DayFigures],
    day: date,
    *,
    threshold: float = THRESHOLD,
    weeks: int = HISTORY_WEEKS,
) -> list[Finding]:
    """The metrics of `day` that are unusual against the same weekdays before it. A day
    missing from `series` had no activity (zeros); a partner with no earlier activity at
    all has no baseline."""
    by_day = series if isinstance(series, dict) else {f.day: f for f in series}
    today = by_day.get(day, DayFigures(day))
    history = [by_day.get(d, DayFigures(d)) for d in same_weekdays(day, weeks)]
    first_active = min((d for d, f in by_day.items() if f.clicks or f.conversions), default=None)
    if first_active is None:
        return []
    history = [h for h in history if h.day >= first_active]  # before the partner started: none
    found: list[Finding] = []
    for metric in Metric:
        x = today.value(metric)
        values = [v for h in history if (v := h.value(metric)) is not None]
        if x is None or len(values) < MIN_HISTORY:
            continue
        base = baseline(values)
        if not _large_enough(metric, today, base):
            continue
        z = robust_z(x, base, _floor(metric, base.median, today))
        if abs(z) >= threshold and abs(x - base.median) >= MIN_CHANGE * abs(base.median):
            found.append(Finding(day, metric, x, base.median, round(z, 2)))
    return found


def in_words(score: float) -> str:
    """How unusual a robust z-score is, for people: a key the pages translate."""
    size = abs(score)
    if size >= 10:
        return "extremely unusual"
    if size >= 6:
        return "very unusual"
    return "unusual"


# forecast ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Forecast:
    """Next month's expected total and its 95 % prediction interval, from `months` months."""

    expected: float
    low: float
    high: float
    months: int
    slope: float
    residual_sd: float


def t975(df: int) -> float:
    """Student's t quantile for a two-sided 95 % interval (normal's 1.96 past 30 df)."""
    if df < 1:
        raise ValueError("needs at least one degree of freedom")
    return _T975[df - 1] if df <= len(_T975) else 1.96


def linear_forecast(totals: Sequence[float], *, min_months: int = MIN_MONTHS) -> Forecast | None:
    """The next value of `totals` (oldest first, one per month) on their least-squares
    line, with a 95 % prediction interval from the residuals; None with too few months."""
    ys = [float(v) for v in totals][-MAX_MONTHS:]
    n = len(ys)
    if n < max(min_months, 3):
        return None
    xs = list(range(n))
    mean_x = statistics.fmean(xs)
    mean_y = statistics.fmean(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    intercept = mean_y - slope * mean_x
    residuals = [y - (intercept + slope * x) for x, y in zip(xs, ys, strict=True)]
    s = math.sqrt(sum(r * r for r in residuals) / (n - 2))
    x0 = n
    expected = intercept + slope * x0
    half = t975(n - 2) * s * math.sqrt(1 + 1 / n + (x0 - mean_x) ** 2 / sxx)
    return Forecast(
        max(expected, 0.0), max(expected - half, 0.0), max(expected + half, 0.0), n, slope, s
    )


def change(now: float, before: float) -> float | None:
    """The relative change from `before` to `now` (0.25 is +25 %); None from zero."""
    if not before:
        return None
    return (now - before) / before
