"""Partner lifecycle: each enrolled partner's conversions and revenue per 30-day period,
aggregated in SQL, then sorted into segments by the rules of `lifecycle_model`; partners a
promotion period woke up; steady performers worth a deeper deal; time to first conversion.

Two statements: one row per enrolled partner (its series as filtered aggregates), and one
row per partner a promotion period woke up (one SELECT per period, stacked).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Row, Select, and_, func, or_, select

from accord.money import Money
from accord.partners.tables import Enrollment, Partner
from accord.programs.promotions import Promotion, list_promotions
from accord.reports import lifecycle_model as rules
from accord.reports.days import conversion_facts
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


@dataclass(frozen=True)
class PartnerSeries(Report[PartnerActivity]):
    """One row per partner enrolled in the program (approved or suspended)."""

    name = "lifecycle_partners"
    program_id: str

    def build(self, ctx: ReportContext) -> Select:
        now = ctx.now
        bounds = [now - timedelta(days=rules.PERIOD_DAYS * k) for k in range(rules.PERIODS + 1)]
        year = bounds[-1]
        recent = now - timedelta(days=rules.NEW_DAYS)
        # every bound cuts the daily sums: a summed day lies wholly on one side of each
        cover = ctx.cover.without([*bounds, recent])
        f = conversion_facts(ctx.program_id, cover)
        at = f.c.at
        columns = []
        for k in range(rules.PERIODS):
            inside = and_(at >= bounds[k + 1], at < bounds[k])
            columns.append(func.sum(f.c.active_conversions).filter(inside).label(f"c{k}"))
            columns.append(func.sum(f.c.active_revenue).filter(inside).label(f"r{k}"))
        in_year = at >= year
        # the program's conversions grouped by partner first (one pass over them, or over
        # the days summed), then joined to the enrolled partners
        facts = (
            select(
                f.c.partner_id,
                func.min(f.c.first_at).label("first_at"),
                func.max(f.c.last_at).label("last_at"),
                func.min(f.c.first_at).filter(at >= recent).label("first_recent_at"),
                func.max(f.c.last_at).filter(at < recent).label("last_before_at"),
                func.sum(f.c.attributed_amount).filter(in_year).label("amount"),
                func.sum(f.c.attributed_revenue).filter(in_year).label("net"),
                *columns,
            )
            .where(at <= now)
            .group_by(f.c.partner_id)
            .subquery("facts")
        )
        return (
            select(
                Partner.id.label("partner_id"),
                Partner.name.label("name"),
                Partner.partner_type.label("partner_type"),
                Enrollment.status.label("status"),
                func.coalesce(Enrollment.decided_at, Enrollment.applied_at).label("joined_at"),
                *(c for c in facts.c if c.name != "partner_id"),
            )
            .select_from(Enrollment)
            .join(Partner, Partner.id == Enrollment.partner_id)
            .outerjoin(facts, facts.c.partner_id == Enrollment.partner_id)
            .where(
                Enrollment.program_id == ctx.program_id,
                Enrollment.status.in_(COVERED_STATUSES),
            )
            .order_by(Partner.id)
        )

    def reshape(self, rows: Sequence[Row], ctx: ReportContext) -> list[PartnerActivity]:
        out = []
        for r in rows:
            amount = int(r.amount or 0)
            out.append(
                PartnerActivity(
                    partner_id=r.partner_id,
                    name=r.name,
                    partner_type=r.partner_type,
                    status=r.status,
                    joined_at=_utc(r.joined_at),
                    first_at=_utc(r.first_at),
                    last_at=_utc(r.last_at),
                    conversions=tuple(int(getattr(r, f"c{k}") or 0) for k in range(rules.PERIODS)),
                    revenue=tuple(int(getattr(r, f"r{k}") or 0) for k in range(rules.PERIODS)),
                    first_recent_at=_utc(r.first_recent_at),
                    last_before_recent_at=_utc(r.last_before_at),
                    amount_minor=amount,
                    reversed_minor=amount - int(r.net or 0),
                )
            )
        return out


def _utc(value: datetime | str | None) -> datetime | None:
    """A timestamp an aggregate returned, as a UTC-aware datetime."""
    if value is None:
        return None
    if isinstance(value, str):  # a driver that hands back the stored text
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@dataclass(frozen=True)
class PromotionWakeups(Report[tuple[int, Wakeup]]):
    """Partners dormant for `PROMOTION_DORMANT_DAYS` days before a period that converted
    inside it: (the period's index in `periods`, the wake-up).

    One pass over the program's conversions, grouped by partner: for each period, the
    partner's first conversion inside it and its last one before it began; the rule
    (`lifecycle_model.woke_in`) is applied to those aggregated times.
    """

    name = "lifecycle_wakeups"
    program_id: str
    periods: tuple[tuple[datetime, datetime], ...] = ()

    def build(self, ctx: ReportContext) -> Select:
        cuts = [ctx.now, *(moment for period in self.periods for moment in period)]
        f = conversion_facts(ctx.program_id, ctx.cover.without(cuts))
        at = f.c.at
        columns = []
        touched = []
        for i, (starts_at, ends_at) in enumerate(self.periods):
            inside = and_(at >= starts_at, at < ends_at)
            touched.append(inside)
            columns.append(func.min(f.c.first_at).filter(inside).label(f"first_in{i}"))
            columns.append(func.max(f.c.last_at).filter(at < starts_at).label(f"before{i}"))
        return (
            select(f.c.partner_id, *columns)
            .where(at <= ctx.now)
            .group_by(f.c.partner_id)
            .having(func.sum(f.c.active_conversions).filter(or_(*touched)) > 0)
            .order_by(f.c.partner_id)
        )

    def reshape(self, rows: Sequence[Row], ctx: ReportContext) -> list[tuple[int, Wakeup]]:
        woke = []
        for r in rows:
            for i, (starts_at, _) in enumerate(self.periods):
                first_in = _utc(getattr(r, f"first_in{i}"))
                before = _utc(getattr(r, f"before{i}"))
                if rules.woke_in(starts_at, first_in, before):
                    woke.append((i, Wakeup(r.partner_id, first_in, before)))  # type: ignore[arg-type]
        return woke


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
    with store.read() as session:
        ctx = context_for(session, caller, program_id, now, days=True)
        partners = execute(session, ctx, PartnerSeries(program_id)).rows
        woke: list[tuple[int, Wakeup]] = []
        if started:
            periods = tuple((p.starts_at, p.ends_at) for p in started)
            woke = execute(session, ctx, PromotionWakeups(program_id, periods)).rows
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
