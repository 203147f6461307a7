"""A program over time and what needs a person's attention: for the console's dashboard."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.commissions.model import CommissionStatus
from accord.commissions.tables import Commission
from accord.conversions.tables import Conversion, ConversionReversal, RejectedEvent
from accord.inquiries.tables import Inquiry
from accord.money import Money
from accord.partners.tables import Enrollment
from accord.programs.service import load_program
from accord.reports.service import net_revenue
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tracking.tables import Click


def _day(session: Session, column):
    """A timestamp's UTC day as YYYY-MM-DD text, on either database."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.date(column)


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
    if not caller.is_brand:
        partner_id = caller.partner_id
    today = store.clock.now().date()
    first = today - timedelta(days=days - 1)
    keys = [(first + timedelta(days=i)).isoformat() for i in range(days)]
    with store.read() as session:
        program = load_program(session, caller, program_id)
        since = store.clock.now() - timedelta(days=days)

        def mine(table) -> tuple:
            return () if partner_id is None else (table.partner_id == partner_id,)

        def per_day(query) -> dict[str, int]:
            return {str(k): int(v or 0) for k, v in session.execute(query).all()}

        click_day = _day(session, Click.at)
        clicks = per_day(
            select(click_day, func.count())
            .where(Click.program_id == program.id, Click.at >= since, *mine(Click))
            .group_by(click_day)
        )
        conv_day = _day(session, Conversion.occurred_at)
        rows = session.execute(
            select(conv_day, func.count(), func.coalesce(func.sum(net_revenue()), 0))
            .where(
                Conversion.program_id == program.id,
                Conversion.occurred_at >= since,
                *mine(Conversion),
            )
            .group_by(conv_day)
        ).all()
        conversions = {str(k): int(n) for k, n, _ in rows}
        revenue = {str(k): int(r) for k, _, r in rows}
        com_day = _day(session, Commission.occurred_at)
        commissions = per_day(
            select(com_day, func.coalesce(func.sum(Commission.amount_minor), 0))
            .where(
                Commission.program_id == program.id,
                Commission.occurred_at >= since,
                *mine(Commission),
            )
            .group_by(com_day)
        )
        currency = program.currency

    def money(minor: int) -> Decimal:
        return Money.from_minor(minor, currency).amount

    return Series(
        keys,
        [clicks.get(k, 0) for k in keys],
        [conversions.get(k, 0) for k in keys],
        [money(revenue.get(k, 0)) for k in keys],
        [money(commissions.get(k, 0)) for k in keys],
    )


def attention(store: Store, caller: Caller, program_id: str) -> Attention:
    """Work waiting for the brand: approvals, applications, inquiries, recent reversals and
    refused events."""
    week_ago = store.clock.now() - timedelta(days=7)
    with store.read() as session:
        program = load_program(session, caller, program_id)
        count, amount = session.execute(
            select(func.count(), func.coalesce(func.sum(Commission.amount_minor), 0)).where(
                Commission.program_id == program.id,
                Commission.status == CommissionStatus.LOCKED.value,
            )
        ).one()
        result = Attention(
            to_approve=int(count),
            to_approve_amount=Money.from_minor(int(amount), program.currency).amount,
        )
        result.applications = int(
            session.scalar(
                select(func.count()).where(
                    Enrollment.program_id == program.id, Enrollment.status == "applied"
                )
            )
            or 0
        )
        result.inquiries = int(
            session.scalar(
                select(func.count()).where(
                    Inquiry.program_id == program.id, Inquiry.status == "open"
                )
            )
            or 0
        )
        result.reversals_7d = int(
            session.scalar(
                select(func.count())
                .select_from(ConversionReversal)
                .join(Conversion, Conversion.id == ConversionReversal.conversion_id)
                .where(Conversion.program_id == program.id, ConversionReversal.at >= week_ago)
            )
            or 0
        )
        result.rejected_7d = int(
            session.scalar(
                select(func.count()).where(
                    RejectedEvent.organization_id == program.organization_id,
                    RejectedEvent.at >= week_ago,
                )
            )
            or 0
        )
    return result
