"""A program's totals: traffic and conversions, commissions by status, and commissions that
earned more than their order. One statement each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Row, Select, func, select

from accord.commissions.tables import Commission
from accord.conversions.tables import Conversion
from accord.money import Money
from accord.reports.runner import Period, Report, ReportContext
from accord.reports.sql import net_revenue
from accord.tracking.tables import Click, Impression


@dataclass(frozen=True)
class Totals:
    clicks: int
    unique_clicks: int
    impressions: int
    conversions: int
    attributed_conversions: int
    revenue: Money


@dataclass(frozen=True)
class ProgramTotals(Report[Totals]):
    """Clicks (all and unique), impressions, conversions (all and attributed to a partner)
    and net revenue of a program over `period`: one row, from one statement."""

    name = "program_totals"

    program_id: str
    period: Period = field(default_factory=Period)

    def build(self, ctx: ReportContext) -> Select:
        def total(table, at, *columns):
            return select(*columns).where(
                table.program_id == ctx.program_id, *self.period.where(at)
            )

        return select(
            total(Click, Click.at, func.count()).scalar_subquery().label("clicks"),
            total(Click, Click.at, func.count())
            .where(Click.duplicate.is_(False))
            .scalar_subquery()
            .label("unique_clicks"),
            total(Impression, Impression.at, func.count()).scalar_subquery().label("impressions"),
            total(Conversion, Conversion.occurred_at, func.count())
            .scalar_subquery()
            .label("conversions"),
            total(Conversion, Conversion.occurred_at, func.count(Conversion.partner_id))
            .scalar_subquery()
            .label("attributed"),
            total(Conversion, Conversion.occurred_at, func.coalesce(func.sum(net_revenue()), 0))
            .scalar_subquery()
            .label("revenue"),
        )

    def reshape(self, rows: Sequence[Row], ctx: ReportContext) -> list[Totals]:
        return [
            Totals(
                int(r.clicks or 0),
                int(r.unique_clicks or 0),
                int(r.impressions or 0),
                int(r.conversions or 0),
                int(r.attributed or 0),
                Money.from_minor(int(r.revenue or 0), ctx.currency),
            )
            for r in rows
        ]


@dataclass(frozen=True)
class StatusAmount:
    status: str
    count: int
    amount: Money


@dataclass(frozen=True)
class CommissionsByStatus(Report[StatusAmount]):
    """How many commissions, and how much, in each status (pending, locked, approved...)."""

    name = "commissions_by_status"

    program_id: str
    period: Period = field(default_factory=Period)

    def build(self, ctx: ReportContext) -> Select:
        return (
            select(
                Commission.status,
                func.count().label("n"),
                func.coalesce(func.sum(Commission.amount_minor), 0).label("amount"),
            )
            .where(
                Commission.program_id == ctx.program_id,
                *self.period.where(Commission.occurred_at),
            )
            .group_by(Commission.status)
            .order_by(Commission.status)
        )

    def reshape(self, rows: Sequence[Row], ctx: ReportContext) -> list[StatusAmount]:
        return [
            StatusAmount(r.status, int(r.n), Money.from_minor(int(r.amount), ctx.currency))
            for r in rows
        ]


@dataclass(frozen=True)
class CommissionsOverOrder(Report[str]):
    """Commissions that earned more than the order they came from, where no fixed amount
    in the terms accounts for it: a percent can never give more than the whole order.

    SQL finds the commissions above their order (normally none); the terms' lines of
    those few are then read for a fixed amount, as JSON reads differently on each database.
    """

    name = "commissions_over_order"

    program_id: str

    def build(self, ctx: ReportContext) -> Select:
        return (
            select(Commission.id, Commission.lines)
            .join(Conversion, Conversion.id == Commission.conversion_id)
            .where(
                Commission.program_id == ctx.program_id,
                Commission.kind == "conversion",
                Commission.original_minor > Conversion.program_amount_minor,
            )
            .order_by(Commission.id)
        )

    def reshape(self, rows: Sequence[Row], ctx: ReportContext) -> list[str]:
        return [cid for cid, lines in rows if not any(ln.get("fixed_minor") for ln in lines or ())]
