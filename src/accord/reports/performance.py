"""Performance: clicks, conversions, revenue and commissions of a program by one "who or
what" (partner, partner type, event type, country, device, sub-id or promo code) and one
time grain (day, week or month), with filters, sorting, paging and whole-report files.

The three fact tables are each grouped by partner (the dimension's value, and the time
bucket) in SQL, stacked with UNION ALL and summed once more by the report's groups;
enrolled partners without activity still get a row when the report is by partner or
partner type and not cut by time.

Where the dimension lives:

- partner, partner type: the partner's own row (every fact table has the partner);
- event type, country, device, promo code: the conversion (`conversions.event_type`,
  `.country`, `.device_type`, `.promo_code`); a commission counts where its conversion
  does, and a bonus (no conversion) falls in the empty group;
- sub-id: the click's `sub1`; a conversion counts under the sub-id of the click it names
  (`conversions.click_id`), a commission under its conversion's click.

Clicks are counted only where the dimension exists on a click: by event type, country,
device or promo code (and with a filter on one of those) the click columns, EPC and
conversion rate are None (shown as "—"); by sub-id clicks count under their `sub1`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Row,
    Select,
    and_,
    case,
    cast,
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
from accord.errors import InvalidInput, Text, not_one_of
from accord.money import Money
from accord.partners import taxonomy
from accord.partners.model import EnrollmentStatus
from accord.partners.tables import Enrollment, Partner
from accord.reports.days import DayCover
from accord.reports.runner import (
    DEFAULT_LIMIT,
    Page,
    Period,
    Report,
    ReportContext,
    Sort,
    run_report,
)
from accord.reports.sql import Grain, net_revenue, utc_bucket
from accord.reports.tables import PartnerDay
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tracking.tables import Click


class Dimension(StrEnum):
    """What a performance report's rows are: a partner, a partner type, an event type, a
    customer's country, a device, a sub-id, a promo code, or a time bucket."""

    PARTNER = "partner"
    PARTNER_TYPE = "partner_type"
    EVENT_TYPE = "event_type"
    COUNTRY = "country"
    DEVICE = "device"
    SUB_ID = "sub_id"
    PROMO_CODE = "promo_code"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


DEVICES = ("desktop", "mobile", "tablet", "app", "other")
#: The most rows a file of the whole report holds; a larger report is refused with advice.
EXPORT_MAX_ROWS = 100_000

_TIME = {Dimension.DAY: Grain.DAY, Dimension.WEEK: Grain.WEEK, Dimension.MONTH: Grain.MONTH}
_BY_PARTNER = (Dimension.PARTNER, Dimension.PARTNER_TYPE)
_OF_CONVERSION = (
    Dimension.EVENT_TYPE,
    Dimension.COUNTRY,
    Dimension.DEVICE,
    Dimension.SUB_ID,
    Dimension.PROMO_CODE,
)
_WHO = _BY_PARTNER + _OF_CONVERSION
#: Each conversion dimension's column (sub-id is the click's, joined by the conversion).
_COLUMN = {
    Dimension.EVENT_TYPE: Conversion.event_type,
    Dimension.COUNTRY: Conversion.country,
    Dimension.DEVICE: Conversion.device_type,
    Dimension.SUB_ID: Click.sub1,
    Dimension.PROMO_CODE: Conversion.promo_code,
}
#: Summed in SQL from the fact tables.
SUMS = (
    "clicks",
    "unique_clicks",
    "conversions",
    "revenue",
    "commissions",
    "new_conversions",
    "new_revenue",
    "returning_conversions",
    "returning_revenue",
    "reversed_conversions",
    "reversed_revenue",
)
#: Worked out from the sums (in SQL for sorting, exactly in Python for display).
DERIVED = ("epc", "conversion_rate", "aov", "roas", "reversal_rate", "reversed_share")
METRICS = ("partners", *SUMS)
SORTABLE = (*METRICS, *DERIVED)
_KEYS = {
    Dimension.PARTNER: ("name", "partner_id", "partner_type", "status", "country"),
    Dimension.PARTNER_TYPE: ("partner_type",),
    Dimension.EVENT_TYPE: ("event_type",),
    Dimension.COUNTRY: ("country",),
    Dimension.DEVICE: ("device",),
    Dimension.SUB_ID: ("sub_id",),
    Dimension.PROMO_CODE: ("promo_code",),
    Dimension.DAY: ("bucket",),
    Dimension.WEEK: ("bucket",),
    Dimension.MONTH: ("bucket",),
}
_ROW_KEYS = (
    "partner_id",
    "partner_name",
    "partner_type",
    "status",
    "country",
    "event_type",
    "device",
    "sub_id",
    "promo_code",
    "bucket",
)


def _text(name: str, value: str | None, longest: int) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if len(value) > longest:
        raise InvalidInput(name, Text("give at most %(most)s characters", most=longest))
    return value


@dataclass(frozen=True)
class PerformanceFilters:
    """Which activity counts: one partner, a partner type, an enrollment status, a search
    in the partner's name or id (case-insensitive); the conversion's country (ISO code),
    device, event type and promo code (case-insensitive); and the click's sub-id (`sub1`).

    A filter on the conversion's country, device, event type or promo code leaves no
    clicks to count (clicks carry none of those): the click figures are then None."""

    partner_id: str | None = None
    partner_type: str | None = None
    status: str | None = None
    search: str = ""
    country: str | None = None
    device: str | None = None
    event_type: str | None = None
    promo_code: str | None = None
    sub_id: str | None = None

    def __post_init__(self) -> None:
        if self.partner_type is not None and not (
            taxonomy.is_selector(self.partner_type) or taxonomy.CODE.fullmatch(self.partner_type)
        ):  # a built-in type or group, or the code of a brand's own type
            raise InvalidInput(
                "partner_type",
                Text("%(type)s is not a partner type or group", type=repr(self.partner_type)),
            )
        if self.status is not None and self.status not in set(EnrollmentStatus):
            raise not_one_of("status", self.status, EnrollmentStatus)
        if len(self.search) > 200:
            raise InvalidInput("search", "search with at most 200 characters")
        country = _text("country", self.country, 2)
        if country is not None and not (
            len(country) == 2 and country.isascii() and country.isalpha()
        ):
            raise InvalidInput("country", "give a two-letter country code (ISO 3166-1), e.g. US")
        object.__setattr__(self, "country", country.upper() if country else None)
        device = _text("device", self.device, 16)
        if device is not None and device not in DEVICES:
            raise not_one_of("device", device, DEVICES)
        object.__setattr__(self, "device", device)
        object.__setattr__(self, "event_type", _text("event_type", self.event_type, 64))
        object.__setattr__(self, "promo_code", _text("promo_code", self.promo_code, 64))
        object.__setattr__(self, "sub_id", _text("sub_id", self.sub_id, 255))
        object.__setattr__(self, "partner_id", _text("partner_id", self.partner_id, 40))

    @property
    def by_partner(self) -> bool:
        """Whether a filter needs the partner's own row (type, status, name)."""
        return bool(self.partner_type or self.status or self.search.strip())

    @property
    def of_conversion(self) -> bool:
        """Whether a filter names what only a conversion has (so clicks cannot count)."""
        return bool(self.country or self.device or self.event_type or self.promo_code)


@dataclass(frozen=True)
class PerformanceRow:
    """One row of a performance report. The key fields the grouping does not use are None.

    `partners` is the number of enrolled partners in a partner or partner-type row, and the
    number of partners with activity otherwise. `country` is the partner's country in a
    row by partner and the customer's country in a row by country. `clicks` and
    `unique_clicks` are None where clicks cannot be cut the report's way (see the module).
    Revenue is what is left of each order after reversals; `reversed_revenue` is what
    reversals took off. `new_*` and `returning_*` split conversions and revenue by the
    customer's status. A conversion counts as reversed once any of it was reversed."""

    partner_id: str | None
    partner_name: str | None
    partner_type: str | None
    status: str | None
    country: str | None
    bucket: str | None
    partners: int
    clicks: int | None
    unique_clicks: int | None
    conversions: int
    revenue: Money
    commissions: Money
    event_type: str | None = None
    device: str | None = None
    sub_id: str | None = None
    promo_code: str | None = None
    new_conversions: int = 0
    new_revenue: Money | None = None
    returning_conversions: int = 0
    returning_revenue: Money | None = None
    reversed_conversions: int = 0
    reversed_revenue: Money | None = None

    def __post_init__(self) -> None:
        zero = Money.of(0, self.revenue.currency)
        for name in ("new_revenue", "returning_revenue", "reversed_revenue"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, zero)

    @staticmethod
    def _ratio(top: Decimal | int, bottom: Decimal | int) -> Decimal | None:
        if not bottom:
            return None
        return (Decimal(top) / Decimal(bottom)).quantize(Decimal("0.0001"))

    @property
    def conversion_rate(self) -> Decimal | None:
        """Conversions per click, as a fraction (None without clicks)."""
        return self._ratio(self.conversions, self.clicks or 0)

    @property
    def epc(self) -> Decimal | None:
        """Earnings per click: commissions divided by clicks (None without clicks)."""
        return self._ratio(self.commissions.amount, self.clicks or 0)

    @property
    def aov(self) -> Money | None:
        """Average order value: revenue per conversion (None without conversions)."""
        if not self.conversions:
            return None
        return Money.of(self.revenue.amount / self.conversions, self.revenue.currency)

    @property
    def roas(self) -> Decimal | None:
        """Return on spend: revenue per unit of commissions (None without commissions).
        Spend is commissions only: network and platform fees are not recorded yet."""
        return self._ratio(self.revenue.amount, self.commissions.amount)

    @property
    def reversal_rate(self) -> Decimal | None:
        """Reversed conversions per conversion, as a fraction (None without conversions)."""
        return self._ratio(self.reversed_conversions, self.conversions)

    @property
    def reversed_share(self) -> Decimal | None:
        """The share of the ordered amount that reversals took back (None without orders)."""
        assert self.reversed_revenue is not None
        ordered = self.revenue.amount + self.reversed_revenue.amount
        return self._ratio(self.reversed_revenue.amount, ordered)

    def key(self, dimension: Dimension | str | None) -> str | None:
        """The row's value of `dimension` (the partner's id for `partner`)."""
        if dimension is None:
            return None
        name = {"partner": "partner_id", "day": "bucket", "week": "bucket", "month": "bucket"}
        return getattr(self, name.get(str(dimension), str(dimension)))

    def as_dict(self) -> dict[str, object]:
        def text(value) -> str | None:
            if value is None:
                return None
            return str(value.amount if isinstance(value, Money) else value)

        out: dict[str, object] = {k: getattr(self, k) for k in _ROW_KEYS}
        out.update(partners=self.partners, clicks=self.clicks, unique_clicks=self.unique_clicks)
        out.update(conversions=self.conversions, conversion_rate=text(self.conversion_rate))
        out.update(revenue=text(self.revenue), commissions=text(self.commissions))
        out.update(epc=text(self.epc), aov=text(self.aov), roas=text(self.roas))
        out.update(
            new_conversions=self.new_conversions,
            new_revenue=text(self.new_revenue),
            returning_conversions=self.returning_conversions,
            returning_revenue=text(self.returning_revenue),
            reversed_conversions=self.reversed_conversions,
            reversal_rate=text(self.reversal_rate),
            reversed_revenue=text(self.reversed_revenue),
            reversed_share=text(self.reversed_share),
            currency=self.revenue.currency,
        )
        return out


def _dimensions(group_by: str | Sequence[str]) -> tuple[Dimension, ...]:
    names = [group_by] if isinstance(group_by, str) else list(group_by)
    names = [n.strip() for name in names for n in name.split(",") if n.strip()]
    try:
        dims = tuple(Dimension(n) for n in names)
    except ValueError:
        allowed = ", ".join(Dimension)
        raise InvalidInput(
            "group_by", Text("group by one or two of: %(allowed)s", allowed=allowed)
        ) from None
    if len(set(dims)) != len(dims):
        raise InvalidInput("group_by", "name each grouping once")
    if sum(d in _TIME for d in dims) > 1 or sum(d in _WHO for d in dims) > 1:
        raise InvalidInput(
            "group_by",
            "group by at most one of partner, partner type, event type, country, device, "
            "sub-id or promo code, and one time grain",
        )
    return dims


def _ratio(top, bottom):
    """top / bottom as a decimal fraction in SQL, NULL when bottom is 0 or NULL."""
    return case((bottom == 0, null()), else_=top * literal_column("1.0") / bottom)


@dataclass(frozen=True)
class Performance(Report[PerformanceRow]):
    """Clicks, unique clicks, conversions, revenue, commissions, new and returning
    customers' conversions and revenue, and reversals of a program, grouped by `group_by`
    (none: one row of totals), over `period`, with filters, sort and page.

    Derived figures: EPC (commissions per click), conversion rate (conversions per click),
    AOV (revenue per conversion), ROAS (revenue per unit of commissions: fees to networks
    or the platform are not recorded yet, so spend is commissions alone), reversal rate
    (conversions with any reversal per conversion) and reversed share (reversed amount per
    ordered amount). Each is NULL (None) where its divisor is 0 or unknown.

    Sort keys: every metric in SORTABLE (derived ones too, worked out in SQL; rows
    without a value come last either way) and the grouping's keys (`name`, `partner_id`,
    `partner_type`, `status`, `country` by partner; the dimension's own name otherwise;
    `bucket` by time); `-key` sorts descending. By default time runs forward, otherwise
    the largest commissions come first. Ties are broken by the grouping's keys, so pages
    are stable.

    `count_clicks=False` leaves the click figures out (None), as a report by a dimension
    clicks do not carry does; `totals()` keeps that, so the totals match the rows.
    `enrolled_only` keeps only the activity of partners enrolled in the program (what the
    rows by partner or partner type add up to; `totals()` sets it for those). `cap` stops
    reading after that many rows plus one (files of the whole report check it).
    """

    name = "performance"
    reads_days = True

    program_id: str
    group_by: tuple[Dimension, ...] | str = (Dimension.PARTNER,)
    period: Period = field(default_factory=Period)
    filters: PerformanceFilters = field(default_factory=PerformanceFilters)
    sort: Sort | str | tuple[str, ...] | None = None
    page: Page | None = field(default_factory=Page)
    enrolled_only: bool = False
    cap: int | None = None
    count_clicks: bool = True

    def __post_init__(self) -> None:
        dims = _dimensions(self.group_by)
        object.__setattr__(self, "group_by", dims)
        allowed = list(SORTABLE) + [k for d in dims for k in _KEYS[d]]
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

    @property
    def counts_clicks(self) -> bool:
        """Whether clicks can be cut this report's way (see the module)."""
        return (
            self.count_clicks
            and not self.filters.of_conversion
            and (self.who is None or self.who in _BY_PARTNER or self.who is Dimension.SUB_ID)
        )

    def totals(self) -> Performance:
        """The same report as one row of totals: what its rows add up to."""
        return replace(
            self,
            group_by=(),
            sort=None,
            page=None,
            cap=None,
            enrolled_only=self.enrolled_only or self.who in _BY_PARTNER,
            count_clicks=self.counts_clicks,
        )

    def _conversion_conditions(self) -> list:
        f = self.filters
        conditions = []
        if f.country:
            conditions.append(func.upper(Conversion.country) == f.country)
        if f.device:
            conditions.append(Conversion.device_type == f.device)
        if f.event_type:
            conditions.append(Conversion.event_type == f.event_type)
        if f.promo_code:
            conditions.append(func.upper(Conversion.promo_code) == f.promo_code.upper())
        if f.sub_id:
            conditions.append(Click.sub1 == f.sub_id)
        return conditions

    def _facts(self, ctx: ReportContext, partner_id: str | None):
        """Each fact table grouped by partner (dimension and bucket), stacked: one subquery."""
        zero = literal_column("0", BigInteger)
        who = self.who
        keyed = who in _OF_CONVERSION
        needs_click = who is Dimension.SUB_ID or bool(self.filters.sub_id)
        needs_conversion = keyed or self.filters.of_conversion or needs_click
        revenue = net_revenue()
        new = Conversion.customer_status == "new"
        returning = Conversion.customer_status == "returning"

        def when(condition, value):
            return func.sum(case((condition, value), else_=0))

        conversions = {
            "conversions": func.count(),
            "revenue": func.sum(revenue),
            "new_conversions": func.count().filter(new),
            "new_revenue": when(new, revenue),
            "returning_conversions": func.count().filter(returning),
            "returning_revenue": when(returning, revenue),
            "reversed_conversions": func.count().filter(Conversion.reversed_minor > 0),
            "reversed_revenue": func.sum(Conversion.program_amount_minor - revenue),
        }
        parts = []
        if self.counts_clicks:
            values = {
                "clicks": func.count(),
                "unique_clicks": func.count().filter(Click.duplicate.is_(False)),
            }
            conditions = [Click.program_id == ctx.program_id, *self.period.where(Click.at)]
            if self.filters.sub_id:
                conditions.append(Click.sub1 == self.filters.sub_id)
            parts.append((select().select_from(Click), Click, Click.at, values, conditions))
        query = select().select_from(Conversion)
        if needs_click:
            query = query.outerjoin(Click, Click.id == Conversion.click_id)
        conditions = [
            Conversion.program_id == ctx.program_id,
            *self.period.where(Conversion.occurred_at),
            *self._conversion_conditions(),
        ]
        parts.append((query, Conversion, Conversion.occurred_at, conversions, conditions))
        query = select().select_from(Commission)
        if needs_conversion:
            query = query.outerjoin(Conversion, Conversion.id == Commission.conversion_id)
        if needs_click:
            query = query.outerjoin(Click, Click.id == Conversion.click_id)
        conditions = [
            Commission.program_id == ctx.program_id,
            *self.period.where(Commission.occurred_at),
            *self._conversion_conditions(),
        ]
        values = {"commissions": func.sum(Commission.amount_minor)}
        parts.append((query, Commission, Commission.occurred_at, values, conditions))

        # Whole clean days of the period read from the daily sums instead (reports.days):
        # possible when the rows are by partner, partner type or time alone, unfiltered
        # by what only a conversion or a click holds.
        cover = self._cover(ctx)
        if cover:  # the facts outside the cover, one index range at a time
            since, until = self.period.since, self.period.until
            parts = [
                (query, table, at, values, [*conditions, *where])
                for query, table, at, values, conditions in parts
                for where in cover.facts_where(at, since, until)
            ]
        selects = []
        if cover:
            keys = [func.nullif(PartnerDay.partner_id, "").label("partner_id")]
            if self.grain is not None:
                keys.append(utc_bucket(PartnerDay.day, self.grain).label("bucket"))
            counted = SUMS if self.counts_clicks else SUMS[2:]
            conditions = self._summed_days(ctx, cover)
            if partner_id is not None:
                conditions.append(PartnerDay.partner_id == partner_id)
            if self.grain is Grain.DAY:  # a row per partner and day already
                summed = select(
                    *keys,
                    *((getattr(PartnerDay, n) if n in counted else zero).label(n) for n in SUMS),
                ).where(*conditions)
            else:
                summed = (
                    select(
                        *keys,
                        *(
                            (func.sum(getattr(PartnerDay, n)) if n in counted else zero).label(n)
                            for n in SUMS
                        ),
                    )
                    .where(*conditions)
                    .group_by(*keys)
                )
            selects.append(summed)
        for query, table, at, values, conditions in parts:
            keys = [table.partner_id.label("partner_id")]
            if keyed:
                assert who is not None
                keys.append(_COLUMN[who].label("dim"))
            if self.grain is not None:
                keys.append(utc_bucket(at, self.grain).label("bucket"))
            if partner_id is not None:
                conditions = [*conditions, table.partner_id == partner_id]
            selects.append(
                query.add_columns(*keys, *(values.get(n, zero).label(n) for n in SUMS))
                .where(*conditions)
                .group_by(*keys)
            )
        if self._one_row_each(ctx) and len(selects) > 1:
            # the facts outside the cover merged by partner and day first: then every
            # partner's day is one row of `facts`, and the report needs no grouping
            outside = union_all(*selects[1:]).subquery("outside")
            merged = select(
                outside.c.partner_id,
                outside.c.bucket,
                *(func.sum(outside.c[n]).label(n) for n in SUMS),
            ).group_by(outside.c.partner_id, outside.c.bucket)
            selects = [selects[0], merged]
        # Materialized once on PostgreSQL: a planner without fresh statistics would run it
        # again for every partner (a nested loop over the enrollments).
        return union_all(*selects).cte("facts").prefix_with("MATERIALIZED", dialect="postgresql")

    def _summed_days(self, ctx: ReportContext, cover: DayCover) -> list:
        """Which rows of the daily sums the report reads: the program's, the cover's days in
        the period, and without clicks counted, none of clicks alone."""
        conditions = [
            PartnerDay.program_id == ctx.program_id,
            cover.holds(PartnerDay.day),
            *self.period.where(PartnerDay.day),
        ]
        if not self.counts_clicks:  # a day of clicks alone makes no row then
            conditions.append((PartnerDay.conversions > 0) | (PartnerDay.commission_rows > 0))
        return conditions

    def _cover(self, ctx: ReportContext) -> DayCover:
        """The whole clean days of the period the daily sums stand for (`reports.days`):
        none unless the rows are by partner, partner type or time alone, unfiltered by what
        only a conversion or a click holds."""
        if (
            self.who in _OF_CONVERSION
            or self.filters.of_conversion
            or self.filters.sub_id
            or not ctx.cover
        ):
            return DayCover()
        return ctx.cover.without(self.period.bounds())

    def _one_row_each(self, ctx: ReportContext) -> bool:
        """Whether each row of the report is one partner's day of `facts` (by partner and
        day, read from the daily sums): no grouping then, and the rows counted apart."""
        return self.who is Dimension.PARTNER and self.grain is Grain.DAY and bool(self._cover(ctx))

    def counts_apart(self, ctx: ReportContext) -> bool:
        return self._one_row_each(ctx)

    def _program_wide(self, ctx: ReportContext) -> bool:
        """Rows by partner and day from the daily sums, for every enrolled partner: no
        filter on the partners, and a brand asking (a partner sees only its own)."""
        return (
            self._one_row_each(ctx)
            and (ctx.caller is None or ctx.caller.is_brand)
            and not (self.filters.partner_id or self.filters.partner_type
                     or self.filters.status or self.filters.search.strip())
        )  # fmt: skip

    def count(self, ctx: ReportContext) -> Select | None:
        """Program-wide rows by partner and day are the facts of enrolled partners: counted
        without joining each row to its partner."""
        if not self._program_wide(ctx):
            return None
        facts = self._facts(ctx, None)
        enrolled = select(Enrollment.partner_id).where(Enrollment.program_id == ctx.program_id)
        return select(func.count()).select_from(facts).where(facts.c.partner_id.in_(enrolled))

    def _page_cut(self, ctx: ReportContext):
        """For a program-wide page by partner and day sorted by day first: the day of the
        page's last row among the daily sums, read along their index and stopping there,
        with whether the days run backwards. The page cannot reach past that day (the
        facts outside the sums only add rows), so only the days up to it are joined to
        their partners and sorted. None when the report is not such a page."""
        assert isinstance(self.sort, Sort)
        first = self.sort.keys[0] if self.sort.keys else ""
        if self.page is None or first.lstrip("-") != "bucket" or not self._program_wide(ctx):
            return None
        backwards = first.startswith("-")
        conditions = [
            *self._summed_days(ctx, self._cover(ctx)),
            PartnerDay.partner_id.in_(
                select(Enrollment.partner_id).where(Enrollment.program_id == ctx.program_id)
            ),
        ]
        cut = (
            select(utc_bucket(PartnerDay.day, Grain.DAY))
            .where(*conditions)
            .order_by(PartnerDay.day.desc() if backwards else PartnerDay.day)
            .offset(self.page.offset + self.page.limit - 1)
            .limit(1)
            .scalar_subquery()
        )
        return cut, backwards

    def build(self, ctx: ReportContext) -> Select:
        partner_id = self.filters.partner_id
        if ctx.caller is not None and not ctx.caller.is_brand:
            partner_id = ctx.caller.partner_id  # a partner sees only its own activity
        facts = self._facts(ctx, partner_id)
        query, partners = self._source(ctx, facts)
        one_each = self._one_row_each(ctx)
        if one_each:
            partners = literal_column("1", BigInteger)
            metric = {name: func.coalesce(getattr(facts.c, name), 0) for name in SUMS}
        else:
            metric = {name: func.coalesce(func.sum(getattr(facts.c, name)), 0) for name in SUMS}
        if not self.counts_clicks:
            metric["clicks"] = metric["unique_clicks"] = cast(null(), BigInteger)
        metric["partners"] = partners
        derived = {
            "epc": _ratio(metric["commissions"], metric["clicks"]),
            "conversion_rate": _ratio(metric["conversions"], metric["clicks"]),
            "aov": _ratio(metric["revenue"], metric["conversions"]),
            "roas": _ratio(metric["revenue"], metric["commissions"]),
            "reversal_rate": _ratio(metric["reversed_conversions"], metric["conversions"]),
            "reversed_share": _ratio(
                metric["reversed_revenue"], metric["revenue"] + metric["reversed_revenue"]
            ),
        }
        keys, sortable, ties = self._keys(facts)
        assert isinstance(self.sort, Sort)
        columns = {**sortable, **metric, **derived}
        order = [
            (columns[k[1:]].desc() if k.startswith("-") else columns[k].asc()).nulls_last()
            for k in self.sort.keys
        ]
        statement = (
            query.add_columns(
                *(column.label(name) for name, column in keys.items()),
                *(metric[name].label(name) for name in METRICS),
            )
            .where(*self._conditions(ctx, partner_id))
            .order_by(*order, *(t.asc().nulls_last() for t in ties))
        )
        if not one_each:
            statement = statement.group_by(*(c for c in keys.values() if not isinstance(c, Null)))
        cutting = self._page_cut(ctx)
        if cutting is not None:
            cut, backwards = cutting
            bound = func.coalesce(cut, facts.c.bucket)
            statement = statement.where(
                facts.c.bucket >= bound if backwards else facts.c.bucket <= bound
            )
        if self.cap is not None and self.page is None:
            statement = statement.limit(self.cap + 1)
        return statement

    def _joins_partners(self) -> bool:
        return self.who in _BY_PARTNER or self.filters.by_partner or self.enrolled_only

    def _source(self, ctx: ReportContext, facts) -> tuple[Select, object]:
        """What the rows are read from, and how partners are counted in a row: every
        enrolled partner (by partner or type, not cut by time), or those with activity."""
        if self.who in _BY_PARTNER and self.grain is None:
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
            conditions.append(
                Partner.partner_type.in_(taxonomy.types_in(self.filters.partner_type))
            )
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
        keys: dict = dict.fromkeys(_ROW_KEYS, null())
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
        elif self.who is not None:
            name = _KEYS[self.who][0]
            keys[name] = sortable[name] = facts.c.dim
            ties.append(facts.c.dim)
        if self.grain is not None:
            keys["bucket"] = sortable["bucket"] = facts.c.bucket
            ties.insert(0, facts.c.bucket)
        return keys, sortable, ties

    def reshape(self, rows: Sequence[Row], ctx: ReportContext) -> list[PerformanceRow]:
        def money(minor) -> Money:
            return Money.from_minor(int(minor or 0), ctx.currency)

        def count(value) -> int | None:
            return None if value is None else int(value)

        return [
            PerformanceRow(
                partner_id=r.partner_id,
                partner_name=r.partner_name,
                partner_type=r.partner_type,
                status=r.status,
                country=r.country,
                bucket=None if r.bucket is None else str(r.bucket),
                partners=int(r.partners),
                clicks=count(r.clicks),
                unique_clicks=count(r.unique_clicks),
                conversions=int(r.conversions),
                revenue=money(r.revenue),
                commissions=money(r.commissions),
                event_type=r.event_type,
                device=r.device,
                sub_id=r.sub_id,
                promo_code=r.promo_code,
                new_conversions=int(r.new_conversions),
                new_revenue=money(r.new_revenue),
                returning_conversions=int(r.returning_conversions),
                returning_revenue=money(r.returning_revenue),
                reversed_conversions=int(r.reversed_conversions),
                reversed_revenue=money(r.reversed_revenue),
            )
            for r in rows
        ]


# Files of the whole report ------------------------------------------------------------------

#: Every figure a file holds, after the grouping's key columns.
FIGURE_COLUMNS = (
    "partners",
    "clicks",
    "unique_clicks",
    "conversions",
    "conversion_rate",
    "revenue",
    "commissions",
    "epc",
    "aov",
    "roas",
    "new_conversions",
    "new_revenue",
    "returning_conversions",
    "returning_revenue",
    "reversed_conversions",
    "reversal_rate",
    "reversed_revenue",
    "reversed_share",
    "currency",
)


def key_columns(report: Performance) -> tuple[str, ...]:
    """The key columns of the report's rows, in order."""
    columns: list[str] = []
    if report.who is Dimension.PARTNER:
        columns += ["partner_id", "partner_name", "partner_type", "status", "country"]
    elif report.who is not None:
        columns.append(_KEYS[report.who][0])
    if report.grain is not None:
        columns.append("bucket")
    return tuple(columns)


def file_columns(report: Performance) -> tuple[str, ...]:
    return (*key_columns(report), *FIGURE_COLUMNS)


def file_row(row: PerformanceRow, columns: Sequence[str]) -> tuple:
    """A row as a file's cells: amounts and ratios as Decimal, missing figures empty."""
    values = {
        **{k: getattr(row, k) for k in _ROW_KEYS},
        "partners": row.partners,
        "clicks": row.clicks,
        "unique_clicks": row.unique_clicks,
        "conversions": row.conversions,
        "conversion_rate": row.conversion_rate,
        "revenue": row.revenue.amount,
        "commissions": row.commissions.amount,
        "epc": row.epc,
        "aov": None if row.aov is None else row.aov.amount,
        "roas": row.roas,
        "new_conversions": row.new_conversions,
        "new_revenue": row.new_revenue.amount if row.new_revenue else None,
        "returning_conversions": row.returning_conversions,
        "returning_revenue": row.returning_revenue.amount if row.returning_revenue else None,
        "reversed_conversions": row.reversed_conversions,
        "reversal_rate": row.reversal_rate,
        "reversed_revenue": row.reversed_revenue.amount if row.reversed_revenue else None,
        "reversed_share": row.reversed_share,
        "currency": row.revenue.currency,
    }
    return tuple(values[c] for c in columns)


def whole_report(
    store: Store, caller: Caller, report: Performance
) -> tuple[tuple[str, ...], list[tuple], str]:
    """Every row of the report (not one page) as file columns and cells, and the currency.
    More than EXPORT_MAX_ROWS rows are refused, naming `export`, with advice."""
    result = run_report(store, caller, replace(report, page=None, cap=EXPORT_MAX_ROWS))
    if len(result.rows) > EXPORT_MAX_ROWS:
        raise InvalidInput(
            "export",
            Text(
                "the report has more than %(most)s rows, the most a file holds: "
                "choose a shorter period, a coarser time grain or more filters",
                most=f"{EXPORT_MAX_ROWS:,}",
            ),
        )
    columns = file_columns(report)
    return columns, [file_row(r, columns) for r in result.rows], result.currency


# Parameters as people type them (API query, console form, command line) -----------------


def moment(name: str, text: str | None) -> datetime | None:
    """`YYYY-MM-DD` (midnight UTC) or an ISO 8601 time (UTC when it names no zone)."""
    if text is None or not text.strip():
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(name, "give a date as YYYY-MM-DD or an ISO 8601 time") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def period_of(since: str | None, until: str | None) -> Period:
    """The half-open period [since, until): `until` is the first moment left out, so
    since 2026-11-01 until 2026-12-01 is the month of November."""
    return Period(moment("since", since), moment("until", until))


def performance_of(
    program_id: str,
    *,
    group_by: str | Sequence[str] = "partner",
    grain: str | None = None,
    since: str | None = None,
    until: str | None = None,
    sort: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    **filters: str | None,
) -> Performance:
    """A performance report from text parameters; `grain` (day, week or month) is added
    to `group_by`. Every bad value is refused with InvalidInput naming its parameter."""
    dims = [group_by] if isinstance(group_by, str) else list(group_by)
    if grain:
        if grain not in _TIME.keys() | {g.value for g in _TIME}:
            raise InvalidInput("grain", "give day, week or month")
        dims.append(grain)
    known = {f.name for f in fields(PerformanceFilters)}
    for name in filters:
        if name not in known:
            raise InvalidInput(name, "not a filter of this report")
    cleaned = {k: (v.strip() if isinstance(v, str) else v) for k, v in filters.items()}
    cleaned = {k: v for k, v in cleaned.items() if v}
    return Performance(
        program_id,
        group_by=tuple(d for d in dims if d),
        period=period_of(since, until),
        filters=PerformanceFilters(**cleaned),
        sort=sort or None,
        page=Page(DEFAULT_LIMIT if limit is None else limit, offset),
    )
