"""Concentration: how much of a program's revenue comes from how few partners.

One statement: net revenue per partner in the period (conversions grouped in SQL, or the
daily sums of `reports.days` for the period's whole clean days), with
every partner enrolled in the program (approved or suspended) even without revenue, since
the 80/20 question is about all partners, not only the earning ones. The arithmetic (top
20% share, core partners, loss if one leaves, Lorenz curve, Gini) is in
`concentration_model`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from sqlalchemy import Row, Select, and_, func, or_, select

from accord.money import Money
from accord.partners.tables import Enrollment, Partner
from accord.reports.concentration_model import Concentration, Earner, concentrate
from accord.reports.days import conversion_facts
from accord.reports.runner import Period, Report, ReportContext, context_for, execute
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand

#: The period a concentration report covers unless told: the last 365 days.
DEFAULT_DAYS = 365
#: The columns of the ranked table (files and the command line).
CONCENTRATION_COLUMNS = (
    "rank",
    "partner_id",
    "partner_name",
    "partner_type",
    "revenue",
    "share_lost_if_leaves",
    "top_20_percent",
    "core",
)


@dataclass(frozen=True)
class PartnerRevenue(Report[Earner]):
    """Net revenue per enrolled partner over `period` (0 for those without any)."""

    name = "concentration"
    reads_days = True
    program_id: str
    period: Period = field(default_factory=Period)

    def build(self, ctx: ReportContext) -> Select:
        # the daily sums for the period's whole clean days, the conversions for the rest
        f = conversion_facts(ctx.program_id, ctx.cover.without(self.period.bounds()))
        revenue = (
            select(f.c.partner_id, func.sum(f.c.attributed_revenue).label("revenue"))
            .where(*self.period.where(f.c.at))
            .group_by(f.c.partner_id)
            .subquery("revenue")
        )
        amount = func.coalesce(revenue.c.revenue, 0)
        return (
            select(
                Partner.id.label("partner_id"),
                Partner.name.label("name"),
                Partner.partner_type.label("partner_type"),
                amount.label("revenue"),
            )
            .select_from(Enrollment)
            .join(Partner, Partner.id == Enrollment.partner_id)
            .outerjoin(revenue, revenue.c.partner_id == Partner.id)
            .where(
                Enrollment.program_id == ctx.program_id,
                or_(
                    Enrollment.status.in_(("approved", "suspended")),
                    and_(revenue.c.revenue.is_not(None), revenue.c.revenue != 0),
                ),
            )
            .order_by(amount.desc(), Partner.id)
        )

    def reshape(self, rows: Sequence[Row], ctx: ReportContext) -> list[Earner]:
        return [Earner(r.partner_id, r.name, r.partner_type, int(r.revenue or 0)) for r in rows]


def share(value: Fraction | None, places: int = 4) -> Decimal | None:
    """A share as a decimal fraction (0.8 for 80%), rounded half-even."""
    if value is None:
        return None
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


@dataclass
class ConcentrationReport:
    program_id: str
    program_name: str
    currency: str
    since: datetime | None
    until: datetime | None
    result: Concentration

    def money(self, minor: int) -> Money:
        return Money.from_minor(minor, self.currency)

    @property
    def total(self) -> Money:
        return self.money(self.result.total_minor)

    def losses(self) -> list[dict[str, object]]:
        """The loss-if-leaves table: rank, partner, revenue, share, cumulative share."""
        core = {loss.earner.partner_id for loss in self.result.core}
        return [
            {
                "rank": loss.rank,
                "partner_id": loss.earner.partner_id,
                "partner_name": loss.earner.name,
                "partner_type": loss.earner.partner_type,
                "revenue": self.money(loss.earner.revenue_minor),
                "share_lost": share(loss.share),
                "cumulative_share": share(loss.cumulative_share),
                "core": loss.earner.partner_id in core,
                "top": loss.rank <= self.result.top_count,
            }
            for loss in self.result.losses
        ]

    def table(self) -> list[tuple]:
        """Every partner ranked, as rows of `CONCENTRATION_COLUMNS`."""
        r = self.result
        core = {loss.earner.partner_id for loss in r.core}
        total = r.total_minor
        return [
            (
                rank,
                e.partner_id,
                e.name,
                e.partner_type,
                self.money(e.revenue_minor).amount,
                share(Fraction(e.revenue_minor, total)) if total else None,
                "yes" if rank <= r.top_count else "",
                "yes" if e.partner_id in core else "",
            )
            for rank, e in enumerate(r.ranked, start=1)
        ]

    def lorenz(self) -> list[tuple[Decimal, Decimal]]:
        return [(share(x), share(y)) for x, y in self.result.lorenz]  # type: ignore[misc]


def concentration_report(
    store: Store,
    caller: Caller,
    program_id: str,
    since: datetime | None = None,
    until: datetime | None = None,
) -> ConcentrationReport:
    """Revenue concentration among the program's partners from `since` (default: 365 days
    ago) to `until` (default: now)."""
    require_brand(caller)
    now = store.clock.now()
    if since is None:
        since = (until or now) - timedelta(days=DEFAULT_DAYS)
    period = Period(since, until)
    with store.read() as session:
        ctx = context_for(session, caller, program_id, now, days=True)
        earners = execute(session, ctx, PartnerRevenue(program_id, period)).rows
    return ConcentrationReport(
        ctx.program_id, ctx.program_name, ctx.currency, since, until, concentrate(earners)
    )
