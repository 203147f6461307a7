"""A program over time and what needs a person's attention: for the console's dashboard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import Row, Select, func, select

from accord.commissions.model import CommissionStatus
from accord.commissions.tables import Commission
from accord.conversions.tables import Conversion, ConversionReversal, RejectedEvent
from accord.errors import InvalidInput, Text
from accord.inquiries.tables import Inquiry
from accord.money import Money
from accord.partners.tables import Enrollment
from accord.reports.performance import Dimension, Performance, PerformanceFilters
from accord.reports.runner import MAX_LIMIT, Page, Period, Report, ReportContext, run_report
from accord.store.engine import Store
from accord.tenancy.model import Caller


@dataclass
class Series:
    days: list[str]
    clicks: list[int]
    conversions: list[int]
    revenue: list[Decimal]
    commissions: list[Decimal]


@dataclass
class Attention:
    to_approve: int = 0
    to_approve_amount: Decimal = Decimal(0)
    applications: int = 0
    inquiries: int = 0
    reversals_7d: int = 0
    rejected_7d: int = 0
    notes: list[str] = field(default_factory=list)


def daily_series(
    store: Store, caller: Caller, program_id: str, days: int = 30, *, partner_id: str | None = None
) -> Series:
    """Clicks, conversions, revenue and commissions per UTC day, the last `days` days: the
    program's, or one partner's in it. A partner's caller always gets only its own."""
    if not 1 <= days <= MAX_LIMIT:
        raise InvalidInput("days", Text("give a number of days from 1 to %(most)s", most=MAX_LIMIT))
    if not caller.is_brand:
        partner_id = caller.partner_id
    today = store.clock.now().date()
    first = today - timedelta(days=days - 1)
    report = Performance(
        program_id,
        group_by=(Dimension.DAY,),
        period=Period(since=datetime.combine(first, time(), tzinfo=UTC)),
        filters=PerformanceFilters(partner_id=partner_id),
        page=Page(days),
    )
    result = run_report(store, caller, report)
    by_day = {row.bucket: row for row in result.rows}
    keys = [(first + timedelta(days=i)).isoformat() for i in range(days)]
    found = [by_day.get(k) for k in keys]
    none = Money.zero(result.currency).amount
    return Series(
        keys,
        [r.clicks if r else 0 for r in found],
        [r.conversions if r else 0 for r in found],
        [r.revenue.amount if r else none for r in found],
        [r.commissions.amount if r else none for r in found],
    )


@dataclass(frozen=True)
class WaitingWork(Report[Attention]):
    """Work waiting for the brand, in one statement: commissions locked and waiting for
    approval (count and amount), applications and open inquiries, and the reversals and
    refused events of the last seven days."""

    name = "waiting_work"

    program_id: str

    def build(self, ctx: ReportContext) -> Select:
        week_ago = ctx.now - timedelta(days=7)
        locked = (
            Commission.program_id == ctx.program_id,
            Commission.status == CommissionStatus.LOCKED.value,
        )
        return select(
            select(func.count()).where(*locked).scalar_subquery().label("to_approve"),
            select(func.coalesce(func.sum(Commission.amount_minor), 0))
            .where(*locked)
            .scalar_subquery()
            .label("to_approve_minor"),
            select(func.count())
            .where(Enrollment.program_id == ctx.program_id, Enrollment.status == "applied")
            .scalar_subquery()
            .label("applications"),
            select(func.count())
            .where(Inquiry.program_id == ctx.program_id, Inquiry.status == "open")
            .scalar_subquery()
            .label("inquiries"),
            select(func.count())
            .select_from(ConversionReversal)
            .join(Conversion, Conversion.id == ConversionReversal.conversion_id)
            .where(Conversion.program_id == ctx.program_id, ConversionReversal.at >= week_ago)
            .scalar_subquery()
            .label("reversals_7d"),
            select(func.count())
            .where(
                RejectedEvent.organization_id == ctx.organization_id,
                RejectedEvent.at >= week_ago,
            )
            .scalar_subquery()
            .label("rejected_7d"),
        )

    def reshape(self, rows: Sequence[Row], ctx: ReportContext) -> list[Attention]:
        return [
            Attention(
                to_approve=int(r.to_approve or 0),
                to_approve_amount=Money.from_minor(
                    int(r.to_approve_minor or 0), ctx.currency
                ).amount,
                applications=int(r.applications or 0),
                inquiries=int(r.inquiries or 0),
                reversals_7d=int(r.reversals_7d or 0),
                rejected_7d=int(r.rejected_7d or 0),
            )
            for r in rows
        ]


def attention(store: Store, caller: Caller, program_id: str) -> Attention:
    """Work waiting for the brand: approvals, applications, inquiries, recent reversals and
    refused events."""
    [result] = run_report(store, caller, WaitingWork(program_id)).rows
    return result
