"""Partner lifecycle: each enrolled partner's conversions and revenue per 30-day period,
aggregated in SQL, then sorted into segments by the rules of `lifecycle_model`; partners a
promotion period woke up; steady performers worth a deeper deal; time to first conversion.

One statement (`SpanActivity`): every enrolled partner's attributed conversions summed
between consecutive cuts (the 30-day periods' bounds and the promotion periods' starts and
ends), read from the daily sums for whole days between cuts and from the conversions for the
rest (`reports.days`). Each figure, a period's count, the first conversion inside a
promotion, the last one before it, is then a sum, minimum or maximum over some of a
partner's spans: no span straddles a cut.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import Row, Select, String, case, func, literal, select, union_all

from accord.money import Money
from accord.partners.tables import Enrollment, Partner
from accord.programs.promotions import Promotion, list_promotions
from accord.reports import lifecycle_model as rules
from accord.reports.days import conversion_arms, day_of
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


@dataclass(frozen=True)
class SpanActivity(Report[PartnerSpans]):
    """Every partner enrolled in the program (approved or suspended), with its attributed
    conversions up to now summed between consecutive `cuts` (the lifecycle's 30-day periods,
    the promotion periods' starts and ends): one pass over the conversions, or over the
    daily sums for the whole days between cuts, grouped by partner and span. Every figure
    of the lifecycle is a sum, minimum or maximum over some of a partner's spans."""

    name = "lifecycle_spans"
    program_id: str
    cuts: tuple[datetime, ...] = ()

    def build(self, ctx: ReportContext) -> Select:
        cuts = sorted({*self.cuts, ctx.now})
        # A day a cut splits is read from the conversions, so a summed day lies wholly
        # inside one span (a cut at midnight splits none); so is today, whatever the hour,
        # for the one inclusive bound, `at <= now`. Each arm (the daily sums, the
        # conversions of a range) is grouped by partner and span first.
        cover = ctx.cover.without([*(c for c in cuts if c != day_of(c)), ctx.now])
        grouped = []
        for arm in conversion_arms(ctx.program_id, cover):
            f = arm.subquery()
            span = _span_of(f.c.at, cuts).label("span")
            grouped.append(
                select(
                    f.c.partner_id,
                    span,
                    func.sum(f.c.active_conversions).label("active_conversions"),
                    func.sum(f.c.active_revenue).label("active_revenue"),
                    func.sum(f.c.attributed_amount).label("attributed_amount"),
                    func.sum(f.c.attributed_revenue).label("attributed_revenue"),
                    func.min(f.c.first_at).label("first_at"),
                    func.max(f.c.last_at).label("last_at"),
                )
                .where(f.c.at <= ctx.now)
                .group_by(f.c.partner_id, span)
            )
        g = union_all(*grouped).subquery("grouped")
        facts = (
            select(
                g.c.partner_id,
                g.c.span,
                func.sum(g.c.active_conversions).label("active_conversions"),
                func.sum(g.c.active_revenue).label("active_revenue"),
                func.sum(g.c.attributed_amount).label("attributed_amount"),
                func.sum(g.c.attributed_revenue).label("attributed_revenue"),
                # as stored (SQLite: text), read by _utc: cheaper than the driver's parsing
                func.min(g.c.first_at, type_=String()).label("first_at"),
                func.max(g.c.last_at, type_=String()).label("last_at"),
            )
            .group_by(g.c.partner_id, g.c.span)
            .subquery("facts")
        )
        return (
            select(
                Partner.id.label("partner_id"),
                Partner.name.label("name"),
                Partner.partner_type.label("partner_type"),
                Enrollment.status.label("status"),
                func.coalesce(Enrollment.decided_at, Enrollment.applied_at, type_=String()).label(
                    "joined_at"
                ),
                *(c for c in facts.c if c.name != "partner_id"),
            )
            .select_from(Enrollment)
            .join(Partner, Partner.id == Enrollment.partner_id)
            .outerjoin(facts, facts.c.partner_id == Enrollment.partner_id)
            .where(
                Enrollment.program_id == ctx.program_id,
                Enrollment.status.in_(COVERED_STATUSES),
            )
            .order_by(Partner.id, facts.c.span)
        )

    def reshape(self, rows: Sequence[Row], ctx: ReportContext) -> list[PartnerSpans]:
        out: list[PartnerSpans] = []
        spans: list[Span] = []
        last = len(rows) - 1
        for i, (partner_id, name, kind, status, joined, index, *sums, first, final) in enumerate(
            rows
        ):
            if index is not None:
                spans.append(Span(int(index), *(int(v or 0) for v in sums), first, final))
            if i == last or rows[i + 1].partner_id != partner_id:
                out.append(
                    PartnerSpans(partner_id, name, kind, status, _utc(joined), tuple(spans))  # type: ignore[arg-type]
                )
                spans = []
        return out


class _Places:
    """Which spans (indexes into the sorted cuts) each figure of the lifecycle sums: span
    `j` lies in [cuts[j - 1], cuts[j]), and every bound below is one of the cuts."""

    def __init__(self, cuts: Sequence[datetime], bounds: Sequence[datetime], recent: datetime):
        at = {cut: i for i, cut in enumerate(cuts)}
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
    running maximum, and the spans inside a period are found by bisection, so a period
    costs the spans inside it, not all of the partner's."""
    indexes = [(places.at[starts_at], places.at[ends_at]) for starts_at, ends_at in periods]
    woke = []
    for p in partners:
        if not p.spans:
            continue
        at = [s.index for s in p.spans]
        latest: list = []  # latest[j]: the last conversion in spans[: j + 1]
        for s in p.spans:
            previous = latest[-1] if latest else None
            last = s.last_at
            latest.append(last if previous is None or (last is not None and last > previous)
                          else previous)  # fmt: skip
        for i, (starts_at, _) in enumerate(periods):
            start, end = indexes[i]
            inside = bisect_right(at, start)  # the first span after the period's start
            first_in = None
            for s in p.spans[inside : bisect_right(at, end)]:
                if s.first_at is not None and (first_in is None or s.first_at < first_in):
                    first_in = s.first_at
            if first_in is None:
                continue
            before = latest[inside - 1] if inside else None
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
        spans = execute(session, ctx, SpanActivity(program_id, cuts)).rows
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
