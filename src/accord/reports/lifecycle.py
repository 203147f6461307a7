"""Partner lifecycle: each enrolled partner's conversions and revenue per 30-day period,
aggregated in SQL, then sorted into segments by the rules of `lifecycle_model`; partners a
promotion period woke up; steady performers worth a deeper deal; time to first conversion.

One statement (`SpanActivity`): every partner's attributed conversions summed between
consecutive cuts (the 30-day periods' bounds and the promotion periods' starts and ends),
read from the daily sums for whole days between cuts and from the conversions for the rest
(`reports.days`); one more reads the enrolled partners. Each figure, a period's count, the
first conversion inside a promotion, the last one before it, is then a sum, minimum or
maximum over some of a partner's spans: no span straddles a cut.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import (
    CompoundSelect,
    Row,
    Select,
    String,
    case,
    func,
    literal,
    literal_column,
    select,
    union_all,
)

from accord.money import Money
from accord.partners.tables import Enrollment, Partner
from accord.programs.promotions import Promotion, list_promotions
from accord.reports import lifecycle_model as rules
from accord.reports.days import day_of, fact_conversions, summed_conversions
from accord.reports.lifecycle_model import PartnerActivity, Segmented, Wakeup
from accord.reports.runner import Report, ReportContext, context_for, execute
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand

#: Enrollment statuses whose partners the lifecycle covers (applicants are not partners yet).
COVERED_STATUSES = ("approved", "suspended")
#: The columns of the lifecycle table (files and the command line).
LIFECYCLE_COLUMNS = (
    "segment",
    "partner_id",
    "partner_name",
    "partner_type",
    "status",
    "conversions_30d",
    "revenue_30d",
    "revenue_year",
    "last_conversion_at",
    "days_to_first_conversion",
    "woken_by",
    "deeper_deal",
)
#: At most this many promotion periods (the most recent that have started) are examined.
MAX_PROMOTIONS = 40


def _span_of(column, cuts: Sequence[datetime], lo: int = 0, hi: int | None = None):
    """SQL: how many of the sorted `cuts` are at or before `column` (a balanced CASE, so a
    row costs about log2(len(cuts)) comparisons)."""
    if hi is None:
        hi = len(cuts)
    if lo == hi:
        return literal(lo)
    mid = (lo + hi) // 2
    return case(
        (column < cuts[mid], _span_of(column, cuts, lo, mid)),
        else_=_span_of(column, cuts, mid + 1, hi),
    )


class Span(NamedTuple):
    """A partner's conversions in span `index`: between cuts[index - 1] and cuts[index] of
    the sorted cuts (from the beginning for 0, to now for the last)."""

    index: int
    active_conversions: int
    active_revenue: int
    attributed_amount: int
    attributed_revenue: int
    #: As the database hands them back (SQLite: text in one format, which sorts as the
    #: times do), compared as they are and read as UTC times (`_utc`) only when kept.
    first_at: datetime | str | None
    last_at: datetime | str | None


@dataclass(frozen=True)
class PartnerSpans:
    partner_id: str
    name: str
    partner_type: str
    status: str
    joined_at: datetime
    spans: tuple[Span, ...]


def _summed(f, span) -> Select:
    """A partner's figures in a span, from rows of `reports.days.conversion_facts`."""
    return select(
        f.c.partner_id,
        span.label("span"),
        func.sum(f.c.active_conversions).label("active_conversions"),
        func.sum(f.c.active_revenue).label("active_revenue"),
        func.sum(f.c.attributed_amount).label("attributed_amount"),
        func.sum(f.c.attributed_revenue).label("attributed_revenue"),
        # as stored (SQLite: text), read by _utc: cheaper than the driver's parsing
        func.min(f.c.first_at, type_=String()).label("first_at"),
        func.max(f.c.last_at, type_=String()).label("last_at"),
    )


def _merged(a: Span, b: Span) -> Span:
    """One span's figures from two arms of `SpanActivity` (the daily sums, the facts)."""
    return Span(
        a.index,
        a.active_conversions + b.active_conversions,
        a.active_revenue + b.active_revenue,
        a.attributed_amount + b.attributed_amount,
        a.attributed_revenue + b.attributed_revenue,
        a.first_at if b.first_at is None or (a.first_at is not None and a.first_at <= b.first_at)
        else b.first_at,
        a.last_at if b.last_at is None or (a.last_at is not None and a.last_at >= b.last_at)
        else b.last_at,
    )  # fmt: skip


@dataclass(frozen=True)
class SpanActivity(Report[tuple[str, tuple[Span, ...]]]):
    """The program's attributed conversions up to now, per partner, summed between
    consecutive `cuts` (the lifecycle's 30-day periods, the promotion periods' starts and
    ends): one pass over the conversions, or over the daily sums for the whole days between
    cuts. Every figure of the lifecycle is a sum, minimum or maximum over some of a
    partner's spans.

    Each arm is grouped in the database: the conversions of a range outside the daily sums
    by partner and span, the daily sums one span at a time (one index range each, grouped
    by partner alone: many small sorts rather than one of every row by partner and span).
    The arms come back merged in (partner, span) order, so a span two arms hold (a day
    marked changed inside it, read from the conversions) comes as adjacent rows, added up in
    `reshape`; no grouped row is sorted, grouped or joined again in the database."""

    name = "lifecycle_spans"
    program_id: str
    cuts: tuple[datetime, ...] = ()

    def build(self, ctx: ReportContext) -> CompoundSelect:
        cuts = sorted({*self.cuts, ctx.now})
        # A day a cut splits is read from the conversions, so a summed day lies wholly
        # inside one span (a cut at midnight splits none); so is today, whatever the hour,
        # for the one inclusive bound, `at <= now`.
        cover = ctx.cover.without([*(c for c in cuts if c != day_of(c)), ctx.now])
        grouped = []
        for arm in fact_conversions(ctx.program_id, cover):
            f = arm.where(arm.selected_columns.at <= ctx.now).subquery()
            span = _span_of(f.c.at, cuts)
            grouped.append(_summed(f, span).group_by(f.c.partner_id, span))
        # The daily sums span by span: each arm one index range, grouped by partner alone.
        for index, (since, until) in enumerate(zip([None, *cuts], [*cuts, None], strict=True)):
            days = cover.clipped(since, until)
            if days:
                f = summed_conversions(ctx.program_id, days).subquery()
                grouped.append(_summed(f, literal_column(str(index))).group_by(f.c.partner_id))
        both = union_all(*grouped)
        return both.order_by(both.selected_columns.partner_id, both.selected_columns.span)

    def reshape(
        self, rows: Sequence[Row], ctx: ReportContext
    ) -> list[tuple[str, tuple[Span, ...]]]:
        out: list[tuple[str, tuple[Span, ...]]] = []
        spans: list[Span] = []
        current = None
        for partner_id, index, conversions, revenue, amount, net, first, final in rows:
            if partner_id != current:
                if spans:
                    out.append((current, tuple(spans)))  # type: ignore[arg-type]
                current, spans = partner_id, []
            # (int: PostgreSQL sums integers as numerics)
            span = Span(index, int(conversions), int(revenue), int(amount), int(net), first, final)
            if spans and spans[-1].index == index:
                spans[-1] = _merged(spans[-1], span)
            else:
                spans.append(span)
        if spans:
            out.append((current, tuple(spans)))  # type: ignore[arg-type]
        return out


def _enrolled(program_id: str) -> Select:
    """The partners the lifecycle covers, by id: id, name, type, status, joined (as stored)."""
    return (
        select(
            Partner.id,
            Partner.name,
            Partner.partner_type,
            Enrollment.status,
            func.coalesce(Enrollment.decided_at, Enrollment.applied_at, type_=String()),
        )
        .join(Partner, Partner.id == Enrollment.partner_id)
        .where(Enrollment.program_id == program_id, Enrollment.status.in_(COVERED_STATUSES))
        .order_by(Partner.id)
    )


class _Places:
    """Which spans (indexes into the sorted cuts) each figure of the lifecycle sums: span
    `j` lies in [cuts[j - 1], cuts[j]), and every bound below is one of the cuts."""

    def __init__(self, cuts: Sequence[datetime], bounds: Sequence[datetime], recent: datetime):
        at = {cut: i for i, cut in enumerate(cuts)}
        self.cuts = cuts
        self.at = at
        #: the 30-day period (0: the last) span j falls in, or -1
        self.period = [-1] * (len(cuts) + 1)
        for k in range(rules.PERIODS):
            for j in range(at[bounds[k + 1]] + 1, at[bounds[k]] + 1):
                self.period[j] = k
        self.year = at[bounds[-1]]  # spans after this index: within the year
        self.recent = at[recent]  # ... after this: within the last NEW_DAYS days


def _activity(p: PartnerSpans, places: _Places) -> PartnerActivity:
    """The lifecycle's figures of one partner, in one pass over its spans."""
    conversions = [0] * rules.PERIODS
    revenue = [0] * rules.PERIODS
    amount = net = 0
    first_at = last_at = first_recent = last_before = None
    for s in p.spans:
        k = places.period[s.index]
        if k >= 0:
            conversions[k] += s.active_conversions
            revenue[k] += s.active_revenue
        if s.index > places.year:
            amount += s.attributed_amount
            net += s.attributed_revenue
        if s.first_at is not None:
            first_at = s.first_at if first_at is None else min(first_at, s.first_at)
            if s.index > places.recent:
                first_recent = s.first_at if first_recent is None else min(first_recent, s.first_at)
        if s.last_at is not None:
            last_at = s.last_at if last_at is None else max(last_at, s.last_at)
            if s.index <= places.recent:
                last_before = s.last_at if last_before is None else max(last_before, s.last_at)
    return PartnerActivity(
        partner_id=p.partner_id,
        name=p.name,
        partner_type=p.partner_type,
        status=p.status,
        joined_at=p.joined_at,
        first_at=_utc(first_at),
        last_at=_utc(last_at),
        conversions=tuple(conversions),
        revenue=tuple(revenue),
        first_recent_at=_utc(first_recent),
        last_before_recent_at=_utc(last_before),
        amount_minor=amount,
        reversed_minor=amount - net,
    )


def _wakeups(
    partners: Sequence[PartnerSpans],
    periods: Sequence[tuple[datetime, datetime]],
    places: _Places,
) -> list[tuple[int, Wakeup]]:
    """Partners dormant for `PROMOTION_DORMANT_DAYS` days before a period that converted
    inside it: (the period's index, the wake-up), by `lifecycle_model.woke_in`.

    A partner's spans come in index order: the last conversion up to each span is a
    running maximum (with the span it lies in), and the spans inside a period are found by
    bisection, so a period costs the spans inside it, not all of the partner's. A last
    conversion in a span that starts after the period's dormancy threshold rules the
    partner out without reading its time."""
    cuts = places.cuts
    indexes = [(places.at[starts_at], places.at[ends_at]) for starts_at, ends_at in periods]
    thresholds = [starts_at - timedelta(days=rules.PROMOTION_DORMANT_DAYS)
                  for starts_at, _ in periods]  # fmt: skip
    woke = []
    for p in partners:
        if not p.spans:
            continue
        at = [s.index for s in p.spans]
        # latest[j]: the last conversion in spans[: j + 1] and the index of its span
        latest: list[tuple[datetime | str | None, int]] = []
        for s in p.spans:
            previous = latest[-1] if latest else (None, 0)
            last = s.last_at
            later = last is not None and (previous[0] is None or last > previous[0])
            latest.append((last, s.index) if later else previous)
        for i, (starts_at, _) in enumerate(periods):
            start, end = indexes[i]
            inside = bisect_right(at, start)  # the first span after the period's start
            before, where = latest[inside - 1] if inside else (None, 0)
            if before is None or (where > 0 and cuts[where - 1] > thresholds[i]):
                continue
            first_in = None
            for s in p.spans[inside : bisect_right(at, end)]:
                if s.first_at is not None and (first_in is None or s.first_at < first_in):
                    first_in = s.first_at
            if first_in is None:
                continue
            first_in, before = _utc(first_in), _utc(before)
            if rules.woke_in(starts_at, first_in, before):
                woke.append((i, Wakeup(p.partner_id, first_in, before)))  # type: ignore[arg-type]
    return woke


def _utc(value: datetime | str | None) -> datetime | None:
    """A timestamp an aggregate returned, as a UTC-aware datetime."""
    if value is None:
        return None
    if isinstance(value, str):  # a driver that hands back the stored text
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@dataclass(frozen=True)
class PartnerLine:
    """A partner as the lifecycle pages list it."""

    partner_id: str
    name: str
    partner_type: str
    status: str
    segment: str
    conversions_30d: int
    revenue_30d: Money
    revenue_year: Money
    last_conversion_at: datetime | None
    days_to_first: Decimal | None
    variation: Decimal | None = None
    reversed_share: Decimal = Decimal(0)

    def as_dict(self) -> dict[str, object]:
        return {
            "partner_id": self.partner_id,
            "partner_name": self.name,
            "partner_type": self.partner_type,
            "status": self.status,
            "segment": self.segment,
            "conversions_30d": self.conversions_30d,
            "revenue_30d": str(self.revenue_30d.amount),
            "revenue_year": str(self.revenue_year.amount),
            "last_conversion_at": self.last_conversion_at,
            "days_to_first_conversion": self.days_to_first,
        }


@dataclass(frozen=True)
class PromotionWakeup:
    promotion: Promotion
    partner: PartnerLine
    first_in_period_at: datetime
    dormant_days: int


@dataclass
class LifecycleReport:
    program_id: str
    program_name: str
    currency: str
    now: datetime
    counts: dict[str, int]
    segments: dict[str, list[PartnerLine]]
    rules: dict[str, str]
    wakeups: list[PromotionWakeup] = field(default_factory=list)
    deeper_deal: list[PartnerLine] = field(default_factory=list)
    first_conversion: list[PartnerLine] = field(default_factory=list)
    median_days_to_first: Decimal | None = None
    partners: int = 0

    def table(self) -> list[tuple]:
        """Every partner, segment by segment, as rows of `LIFECYCLE_COLUMNS`."""
        woken: dict[str, list[str]] = {}
        for w in self.wakeups:
            woken.setdefault(w.partner.partner_id, []).append(w.promotion.name)
        deeper = {line.partner_id for line in self.deeper_deal}
        return [
            (
                segment,
                line.partner_id,
                line.name,
                line.partner_type,
                line.status,
                line.conversions_30d,
                line.revenue_30d.amount,
                line.revenue_year.amount,
                line.last_conversion_at.isoformat() if line.last_conversion_at else None,
                line.days_to_first,
                "; ".join(woken.get(line.partner_id, [])),
                "yes" if line.partner_id in deeper else "",
            )
            for segment in rules.DISPLAY_ORDER
            for line in self.segments.get(segment, [])
        ]

    def wakeups_by_promotion(self) -> list[tuple[Promotion, list[PromotionWakeup]]]:
        grouped: dict[tuple, list[PromotionWakeup]] = {}
        order: list[Promotion] = []
        for w in self.wakeups:
            key = (w.promotion.id, w.promotion.name, w.promotion.starts_at)
            if key not in grouped:
                grouped[key] = []
                order.append(w.promotion)
            grouped[key].append(w)
        return [(p, grouped[(p.id, p.name, p.starts_at)]) for p in order]


def _line(p: PartnerActivity, segment: str, currency: str) -> PartnerLine:
    return PartnerLine(
        partner_id=p.partner_id,
        name=p.name,
        partner_type=p.partner_type,
        status=p.status,
        segment=segment,
        conversions_30d=p.series(1)[0],
        revenue_30d=Money.from_minor(p.revenue[0] if p.revenue else 0, currency),
        revenue_year=Money.from_minor(sum(p.revenue), currency),
        last_conversion_at=p.last_at,
        days_to_first=rules.days_to_first_conversion(p),
        variation=rules.variation(p.series(rules.DEEPER_DEAL_PERIODS)),
        reversed_share=Decimal(p.reversed_share.numerator) / Decimal(p.reversed_share.denominator),
    )


def lifecycle_report(store: Store, caller: Caller, program_id: str) -> LifecycleReport:
    """The program's partners by lifecycle segment, with promotion wake-ups, steady
    performers worth a deeper deal and the time from joining to the first conversion."""
    require_brand(caller)
    promotions = list_promotions(store, caller, program_id)
    now = store.clock.now()
    started = [p for p in promotions if p.starts_at <= now][:MAX_PROMOTIONS]
    bounds = rules.period_bounds(now)
    recent = rules.recent_since(now)
    periods = tuple((p.starts_at, p.ends_at) for p in started)
    cuts = (*bounds, recent, *(moment for period in periods for moment in period))
    with store.read() as session:
        ctx = context_for(session, caller, program_id, now, days=True)
        enrolled = session.execute(_enrolled(ctx.program_id)).all()
        activity = dict(execute(session, ctx, SpanActivity(program_id, cuts)).rows)
    spans = [
        PartnerSpans(partner_id, name, kind, status, _utc(joined), activity.get(partner_id, ()))  # type: ignore[arg-type]
        for partner_id, name, kind, status, joined in enrolled
    ]
    places = _Places(sorted({*cuts, now}), bounds, recent)
    partners = [_activity(p, places) for p in spans]
    woke = _wakeups(spans, periods, places)
    segmented: Segmented = rules.segment_all(partners, now)
    lines = {
        p.partner_id: _line(p, segmented.segment_of[p.partner_id], ctx.currency) for p in partners
    }
    segments = {
        s: [lines[p.partner_id] for p in members] for s, members in segmented.by_segment.items()
    }
    wakeups = [
        PromotionWakeup(started[i], lines[w.partner_id], w.first_in_period_at, w.dormant_days)
        for i, w in woke
        if w.partner_id in lines
    ]
    wakeups.sort(key=lambda w: (-w.promotion.starts_at.timestamp(), w.partner.name.lower()))
    deeper = [p for p in partners if rules.deserves_deeper_deal(p)]
    deeper.sort(key=lambda p: (-sum(p.revenue[: rules.DEEPER_DEAL_PERIODS]), p.name.lower()))
    firsts = [lines[p.partner_id] for p in partners if p.first_at is not None]
    firsts.sort(key=lambda line: (line.days_to_first, line.name.lower()))
    return LifecycleReport(
        program_id=ctx.program_id,
        program_name=ctx.program_name,
        currency=ctx.currency,
        now=now,
        counts=segmented.counts(),
        segments=segments,
        rules=rules.rules(),
        wakeups=wakeups,
        deeper_deal=[lines[p.partner_id] for p in deeper],
        first_conversion=firsts,
        median_days_to_first=rules.median_days([f.days_to_first for f in firsts]),
        partners=len(partners),
    )
