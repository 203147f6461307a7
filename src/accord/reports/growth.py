"""Growth quality: revenue of two periods, aggregated in one statement by period side,
promotion or steady day, partner and customer status, then split and judged by
`growth_model`.

The promotion periods are known before the query, so the database tells promotion days
from steady ones (a CASE over the periods' UTC bounds): the statement returns at most
2 sides x 2 kinds of day x 2 customer statuses x (partners with orders + 1) rows, however
long the periods.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from sqlalchemy import Row, Select, and_, case, func, literal, or_, select

from accord.conversions.tables import Conversion
from accord.errors import InvalidInput, Text
from accord.money import Money
from accord.partners.tables import Partner
from accord.programs.promotions import list_promotions
from accord.reports import growth_model as gm
from accord.reports.runner import Period, Report, ReportContext, run_report
from accord.reports.sql import net_revenue
from accord.store.engine import Store
from accord.tenancy.model import Caller

#: The longest period a growth comparison takes (each side).
MAX_PERIOD_DAYS = 400


def _check(period: Period, name: str) -> Period:
    if period.since is None or period.until is None:
        raise InvalidInput(f"{name}_since", "give both ends of the period")
    if period.until - period.since > timedelta(days=MAX_PERIOD_DAYS):
        raise InvalidInput(
            f"{name}_until", Text("a period spans at most %(most)s days", most=MAX_PERIOD_DAYS)
        )
    return period


def _days(period: Period) -> list[date]:
    assert period.since is not None and period.until is not None
    first = period.since.date()
    last = (period.until - timedelta(microseconds=1)).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@dataclass(frozen=True)
class GrowthCells(Report[gm.GrowthCell]):
    """Net revenue and conversions of two periods by side, UTC day, partner and customer
    status."""

    name = "growth"

    program_id: str
    current: Period
    previous: Period
    promotions: tuple[gm.DayRange, ...] = ()

    def __post_init__(self) -> None:
        _check(self.current, "current")
        _check(self.previous, "previous")
        c, p = self.current, self.previous
        assert c.since and c.until and p.since and p.until
        if c.since < p.until and p.since < c.until:
            raise InvalidInput("previous_since", "the two periods must not overlap")

    def build(self, ctx: ReportContext) -> Select:
        at = Conversion.occurred_at
        in_current = and_(*self.current.where(at))
        side = case((in_current, literal("current")), else_=literal("previous")).label("side")
        bounds = [
            and_(at >= Period.days(a, b).since, at < Period.days(a, b).until)
            for a, b in self.promotions
        ]
        promoted = (
            case((or_(*bounds), literal(1)), else_=literal(0)) if bounds else literal(0)
        ).label("promotion")
        keys = (
            side,
            promoted,
            Conversion.partner_id,
            Partner.name,
            Partner.partner_type,
            Conversion.customer_status,
        )
        return (
            select(
                *keys,
                func.coalesce(func.sum(net_revenue()), 0).label("revenue"),
                func.count().label("conversions"),
            )
            .select_from(Conversion)
            .outerjoin(Partner, Partner.id == Conversion.partner_id)
            .where(
                Conversion.program_id == ctx.program_id,
                or_(in_current, and_(*self.previous.where(at))),
            )
            .group_by(*keys)
        )

    def reshape(self, rows: Sequence[Row], ctx: ReportContext) -> list[gm.GrowthCell]:
        return [
            gm.GrowthCell(
                side=r.side,
                day=None,
                promotion=bool(r.promotion),
                partner_id=r.partner_id,
                partner_name=r.name,
                partner_type=r.partner_type,
                customer_status=r.customer_status,
                revenue_minor=int(r.revenue or 0),
                conversions=int(r.conversions),
            )
            for r in rows
        ]


@dataclass
class GrowthQuality:
    """The comparison, its split, the verdict and the sentences behind it."""

    program_id: str
    currency: str
    current: Period
    previous: Period
    decomposition: gm.Decomposition
    judgement: gm.Judgement
    sentences: list[gm.Sentence]
    promotions: list[gm.DayRange] = field(default_factory=list)

    def money(self, minor: int) -> Money:
        return Money.from_minor(minor, self.currency)


def links(program_id: str, current: Period) -> dict[str, str]:
    """Where the rows behind each sentence are: the performance report of the current
    period, grouped the way the sentence speaks."""

    def at(**params: str) -> str:
        base = {"program": program_id}
        if current.since is not None and current.until is not None:
            base["since"] = current.since.date().isoformat()
            base["until"] = (current.until - timedelta(microseconds=1)).date().isoformat()
        return "/console/reports?" + urlencode({**base, **params})

    return {
        "performance": at(group_by="partner_type"),
        "types": at(group_by="partner_type"),
        "partners": at(group_by="partner", sort="-revenue"),
        "customers": at(group_by="partner"),
        "days": at(group_by="day"),
    }


def growth_quality(
    store: Store,
    caller: Caller,
    program_id: str,
    current: Period,
    previous: Period,
    extra_promotions: Sequence[gm.DayRange] = (),
) -> GrowthQuality:
    """Compare two periods of a program: one query, then the split and the verdict.

    Promotion days are the predefined festivals, the program's own promotion periods
    (accord.programs.promotions) and any `extra_promotions` given for this comparison."""
    own = [
        (p.starts_at.date(), p.last_day)
        for p in list_promotions(store, caller, program_id)
        if not p.predefined
    ]
    extra_promotions = [*own, *extra_promotions]
    days_current = _days(_check(current, "current"))
    days_previous = _days(_check(previous, "previous"))
    everything = days_current + days_previous
    periods = gm.promotion_days(min(everything), max(everything), extra_promotions)
    report = GrowthCells(program_id, current, previous, tuple(periods))
    result = run_report(store, caller, report)
    decomposition = gm.decompose(
        result.rows, periods, current_days=days_current, previous_days=days_previous
    )
    judgement = gm.judge(decomposition)
    said = gm.sentences(decomposition, judgement, links(program_id, current))
    return GrowthQuality(
        program_id,
        result.currency,
        current,
        previous,
        decomposition,
        judgement,
        said,
        periods,
    )


def period_of(since: date, until: date, name: str) -> Period:
    """A period from the first day to the last day given (both included)."""
    if until < since:
        raise InvalidInput(f"{name}_until", "must not be before the start")
    return Period.days(since, until)


def presets(today: date) -> dict[str, tuple[Period, Period]]:
    """The comparisons offered by name: this month vs last month (to today), the last 30
    days vs the 30 before, and this year's 双十一 vs last year's."""
    month_start = today.replace(day=1)
    last_month_end = month_start - timedelta(days=1)
    last_month_start = last_month_end.replace(day=1)
    same_day = min(today.day, last_month_end.day)
    thirty = Period.days(today - timedelta(days=29), today)
    thirty_before = Period.days(today - timedelta(days=59), today - timedelta(days=30))
    year = today.year if today >= date(today.year, 10, 20) else today.year - 1
    this_1111 = gm.shopping_festival_11_11(year)
    last_1111 = gm.shopping_festival_11_11(year - 1)
    return {
        "month": (
            Period.days(month_start, today),
            Period.days(last_month_start, last_month_start.replace(day=same_day)),
        ),
        "30days": (thirty, thirty_before),
        "1111": (Period.days(*this_1111), Period.days(*last_1111)),
    }


def parse_promotions(texts: Sequence[str], field: str = "promotion") -> list[gm.DayRange]:
    """Extra promotion periods written FIRST:LAST (UTC days, both included)."""
    periods = []
    for text in texts:
        first, sep, last = str(text).partition(":")
        try:
            if not sep:
                raise ValueError
            start, end = date.fromisoformat(first.strip()), date.fromisoformat(last.strip())
        except ValueError:
            raise InvalidInput(field, "write a promotion as YYYY-MM-DD:YYYY-MM-DD") from None
        if end < start:
            raise InvalidInput(field, "a promotion must not end before it starts")
        periods.append((start, end))
    if len(periods) > 50:
        raise InvalidInput(field, "give at most 50 promotions")
    return periods
