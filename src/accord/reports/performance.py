"""Performance: clicks, conversions, revenue and commissions by partner, partner type and
time (day, week or month), with filters, sorting and paging.

The three fact tables are each grouped by partner (and time bucket) in SQL, stacked with
UNION ALL and summed once more by the report's groups; enrolled partners without activity
still get a row when the report is by partner or partner type and not cut by time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Row,
    Select,
    and_,
    distinct,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.sql.elements import Null

from accord.commissions.tables import Commission
from accord.conversions.tables import Conversion
from accord.errors import InvalidInput
from accord.money import Money
from accord.partners.model import EnrollmentStatus, PartnerType
from accord.partners.tables import Enrollment, Partner
from accord.reports.runner import Page, Period, Report, ReportContext, Sort
from accord.reports.sql import Grain, net_revenue, utc_bucket
from accord.tracking.tables import Click


class Dimension(StrEnum):
    """What a performance report's rows are: a partner, a partner type, a time bucket."""

    PARTNER = "partner"
    PARTNER_TYPE = "partner_type"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


_TIME = {Dimension.DAY: Grain.DAY, Dimension.WEEK: Grain.WEEK, Dimension.MONTH: Grain.MONTH}
_WHO = (Dimension.PARTNER, Dimension.PARTNER_TYPE)
METRICS = ("partners", "clicks", "unique_clicks", "conversions", "revenue", "commissions")
_KEYS = {
    Dimension.PARTNER: ("name", "partner_id", "partner_type", "status", "country"),
    Dimension.PARTNER_TYPE: ("partner_type",),
    Dimension.DAY: ("bucket",),
    Dimension.WEEK: ("bucket",),
    Dimension.MONTH: ("bucket",),
}


@dataclass(frozen=True)
class PerformanceFilters:
    """Which activity counts: one partner, a partner type, an enrollment status, and a
    search in the partner's name or id (case-insensitive)."""

    partner_id: str | None = None
    partner_type: str | None = None
    status: str | None = None
    search: str = ""

    def __post_init__(self) -> None:
        if self.partner_type is not None and self.partner_type not in set(PartnerType):
            allowed = ", ".join(PartnerType)
            raise InvalidInput("partner_type", f"{self.partner_type!r} is not one of: {allowed}")
        if self.status is not None and self.status not in set(EnrollmentStatus):
            allowed = ", ".join(EnrollmentStatus)
            raise InvalidInput("status", f"{self.status!r} is not one of: {allowed}")
        if len(self.search) > 200:
            raise InvalidInput("search", "search with at most 200 characters")

    @property
    def by_partner(self) -> bool:
        """Whether a filter needs the partner's own row (type, status, name)."""
        return bool(self.partner_type or self.status or self.search.strip())


@dataclass(frozen=True)
class PerformanceRow:
    """One row of a performance report. The key fields the grouping does not use are None.
    `partners` is the number of enrolled partners in a partner or partner-type row, and the
    number of partners with activity in a time bucket."""

    partner_id: str | None
    partner_name: str | None
    partner_type: str | None
    status: str | None
    country: str | None
    bucket: str | None
    partners: int
    clicks: int
    unique_clicks: int
    conversions: int
    revenue: Money
    commissions: Money

    @property
    def conversion_rate(self) -> Decimal | None:
        """Conversions per click, as a fraction (None without clicks)."""
        if not self.clicks:
            return None
        return (Decimal(self.conversions) / self.clicks).quantize(Decimal("0.0001"))

    @property
    def epc(self) -> Decimal | None:
        """Earnings per click: commissions divided by clicks (None without clicks)."""
        if not self.clicks:
            return None
        return (self.commissions.amount / self.clicks).quantize(Decimal("0.0001"))

    @property
    def aov(self) -> Money | None:
        """Average order value: revenue per conversion (None without conversions)."""
        if not self.conversions:
            return None
        return Money.of(self.revenue.amount / self.conversions, self.revenue.currency)

    def as_dict(self) -> dict[str, object]:
        return {
            "partner_id": self.partner_id,
            "partner_name": self.partner_name,
            "partner_type": self.partner_type,
            "status": self.status,
            "country": self.country,
            "bucket": self.bucket,
            "partners": self.partners,
            "clicks": self.clicks,
            "unique_clicks": self.unique_clicks,
            "conversions": self.conversions,
            "conversion_rate": None if self.conversion_rate is None else str(self.conversion_rate),
            "revenue": str(self.revenue.amount),
            "commissions": str(self.commissions.amount),
            "epc": None if self.epc is None else str(self.epc),
            "aov": None if self.aov is None else str(self.aov.amount),
            "currency": self.revenue.currency,
        }


def _dimensions(group_by: str | Sequence[str]) -> tuple[Dimension, ...]:
    names = [group_by] if isinstance(group_by, str) else list(group_by)
    try:
        dims = tuple(Dimension(n) for n in names)
    except ValueError:
        allowed = ", ".join(Dimension)
        raise InvalidInput("group_by", f"group by one or two of: {allowed}") from None
    if len(set(dims)) != len(dims):
        raise InvalidInput("group_by", "name each grouping once")
    if sum(d in _TIME for d in dims) > 1 or sum(d in _WHO for d in dims) > 1:
        raise InvalidInput(
            "group_by", "group by at most one of partner or partner type and one time grain"
        )
    return dims


@dataclass(frozen=True)
class Performance(Report[PerformanceRow]):
    """Clicks, unique clicks, conversions, revenue and commissions of a program, grouped by
    `group_by` (none: one row of totals), over `period`, with filters, sort and page.

    Sort keys: the metrics (`partners`, `clicks`, `unique_clicks`, `conversions`,
    `revenue`, `commissions`) and the grouping's keys (`name`, `partner_id`,
    `partner_type`, `status`, `country` by partner; `partner_type`; `bucket` by time);
    `-key` sorts descending. By default time runs forward, otherwise the largest
    commissions come first. Ties are broken by the grouping's keys, so pages are stable.
    """

    name = "performance"

    program_id: str
    group_by: tuple[Dimension, ...] | str = (Dimension.PARTNER,)
    period: Period = field(default_factory=Period)
    filters: PerformanceFilters = field(default_factory=PerformanceFilters)
    sort: Sort | str | tuple[str, ...] | None = None
    page: Page | None = field(default_factory=Page)

    def __post_init__(self) -> None:
        dims = _dimensions(self.group_by)
        object.__setattr__(self, "group_by", dims)
        allowed = list(METRICS) + [k for d in dims for k in _KEYS[d]]
        spec = self.sort
        if spec is None:
            spec = "bucket" if self.grain else "-commissions"
        if not isinstance(spec, Sort):
            spec = Sort.parse(spec, list(dict.fromkeys(allowed)))
        object.__setattr__(self, "sort", spec)

    @property
    def grain(self) -> Grain | None:
        return next((_TIME[d] for d in self.group_by if d in _TIME), None)

    @property
    def who(self) -> Dimension | None:
        return next((d for d in self.group_by if d in _WHO), None)

    def _facts(self, ctx: ReportContext, partner_id: str | None):
        """Each fact table grouped by partner (and bucket), stacked: one subquery."""
        zero = literal_column("0", BigInteger)
        parts = []
        for table, at, values in (
            (
                Click,
                Click.at,
                (func.count(), func.count().filter(Click.duplicate.is_(False)), zero, zero, zero),
            ),
            (
                Conversion,
                Conversion.occurred_at,
                (zero, zero, func.count(), func.sum(net_revenue()), zero),
            ),
            (
                Commission,
                Commission.occurred_at,
                (zero, zero, zero, zero, func.sum(Commission.amount_minor)),
            ),
        ):
            keys = [table.partner_id.label("partner_id")]
            if self.grain is not None:
                keys.append(utc_bucket(at, self.grain).label("bucket"))
            conditions = [table.program_id == ctx.program_id, *self.period.where(at)]
            if partner_id is not None:
                conditions.append(table.partner_id == partner_id)
            names = ("clicks", "unique_clicks", "conversions", "revenue", "commissions")
            parts.append(
                select(*keys, *(v.label(n) for v, n in zip(values, names, strict=True)))
                .where(*conditions)
                .group_by(*keys)
            )
        return union_all(*parts).subquery("facts")

    def build(self, ctx: ReportContext) -> Select:
        partner_id = self.filters.partner_id
        if ctx.caller is not None and not ctx.caller.is_brand:
            partner_id = ctx.caller.partner_id  # a partner sees only its own activity
        facts = self._facts(ctx, partner_id)
        query, partners = self._source(ctx, facts)
        metric = {
            name: func.coalesce(func.sum(getattr(facts.c, name)), 0)
            for name in ("clicks", "unique_clicks", "conversions", "revenue", "commissions")
        }
        metric["partners"] = partners
        keys, sortable, ties = self._keys(facts)
        assert isinstance(self.sort, Sort)
        return (
            query.add_columns(
                *(column.label(name) for name, column in keys.items()),
                *(metric[name].label(name) for name in METRICS),
            )
            .where(*self._conditions(ctx, partner_id))
            .group_by(*(c for c in keys.values() if not isinstance(c, Null)))
            .order_by(*self.sort.order_by({**sortable, **metric}), *(t.asc() for t in ties))
        )

    def _joins_partners(self) -> bool:
        return self.who is not None or self.filters.by_partner

    def _source(self, ctx: ReportContext, facts) -> tuple[Select, object]:
        """What the rows are read from, and how partners are counted in a row: every
        enrolled partner (by partner or type, not cut by time), or those with activity."""
        if self.who is not None and self.grain is None:
            query = (
                select()
                .select_from(Enrollment)
                .join(Partner, Partner.id == Enrollment.partner_id)
                .outerjoin(facts, facts.c.partner_id == Partner.id)
            )
            return query, func.count(distinct(Partner.id))
        query = select().select_from(facts)
        if self._joins_partners():
            enrolled = and_(
                Enrollment.partner_id == Partner.id, Enrollment.program_id == ctx.program_id
            )
            query = query.join(Partner, Partner.id == facts.c.partner_id).join(Enrollment, enrolled)
        return query, func.count(distinct(facts.c.partner_id))

    def _conditions(self, ctx: ReportContext, partner_id: str | None) -> list:
        if not self._joins_partners():
            return []
        conditions = [Enrollment.program_id == ctx.program_id]
        if partner_id is not None:
            conditions.append(Partner.id == partner_id)
        if self.filters.partner_type:
            conditions.append(Partner.partner_type == self.filters.partner_type)
        if self.filters.status:
            conditions.append(Enrollment.status == self.filters.status)
        needle = self.filters.search.strip().lower()
        if needle:
            conditions.append(
                func.lower(Partner.name).contains(needle, autoescape=True)
                | func.lower(Partner.id).contains(needle, autoescape=True)
            )
        return conditions

    def _keys(self, facts) -> tuple[dict, dict, list]:
        """The row's key columns (NULL where the grouping does not use them), the keys one
        may sort by, and the tie-breakers that make the order total."""
        keys: dict = dict.fromkeys(
            ("partner_id", "partner_name", "partner_type", "status", "country", "bucket"), null()
        )
        sortable: dict = {}
        ties: list = []
        if self.who is Dimension.PARTNER:
            keys.update(
                partner_id=Partner.id,
                partner_name=Partner.name,
                partner_type=Partner.partner_type,
                status=Enrollment.status,
                country=Partner.country,
            )
            sortable.update(
                name=func.lower(Partner.name),
                partner_id=Partner.id,
                partner_type=Partner.partner_type,
                status=Enrollment.status,
                country=Partner.country,
            )
            ties += [func.lower(Partner.name), Partner.id]
        elif self.who is Dimension.PARTNER_TYPE:
            keys["partner_type"] = sortable["partner_type"] = Partner.partner_type
            ties.append(Partner.partner_type)
        if self.grain is not None:
            keys["bucket"] = sortable["bucket"] = facts.c.bucket
            ties.insert(0, facts.c.bucket)
        return keys, sortable, ties

    def reshape(self, rows: Sequence[Row], ctx: ReportContext) -> list[PerformanceRow]:
        def money(minor) -> Money:
            return Money.from_minor(int(minor or 0), ctx.currency)

        return [
            PerformanceRow(
                partner_id=r.partner_id,
                partner_name=r.partner_name,
                partner_type=r.partner_type,
                status=r.status,
                country=r.country,
                bucket=None if r.bucket is None else str(r.bucket),
                partners=int(r.partners),
                clicks=int(r.clicks),
                unique_clicks=int(r.unique_clicks),
                conversions=int(r.conversions),
                revenue=money(r.revenue),
                commissions=money(r.commissions),
            )
            for r in rows
        ]
