"""The program summary: traffic, conversions, money and the ledger's reconciliation.

Every figure is aggregated in SQL; Python only reshapes the aggregated rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import case, func, select

from accord.commissions.tables import Commission
from accord.conversions.tables import Conversion
from accord.ledger.model import AccountKind
from accord.ledger.service import totals_by_kind, trial_balance
from accord.money import Money
from accord.partners.tables import Enrollment, Partner
from accord.programs.service import load_program
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand
from accord.tracking.tables import Click, Impression


@dataclass
class Row:
    key: str
    name: str
    partners: int = 0
    clicks: int = 0
    conversions: int = 0
    revenue: Decimal = Decimal(0)
    commissions: Decimal = Decimal(0)
    partner_type: str | None = None

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
        return (self.commissions / self.clicks).quantize(Decimal("0.0001"))

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "name": self.name,
            "partner_type": self.partner_type,
            "partners": self.partners,
            "clicks": self.clicks,
            "conversions": self.conversions,
            "conversion_rate": None if self.conversion_rate is None else str(self.conversion_rate),
            "revenue": str(self.revenue),
            "commissions": str(self.commissions),
            "epc": None if self.epc is None else str(self.epc),
        }


@dataclass
class Summary:
    program_id: str
    program_name: str
    currency: str
    clicks: int
    unique_clicks: int
    impressions: int
    conversions: int
    attributed_conversions: int
    revenue: Decimal
    commissions: Decimal
    commissions_by_status: dict[str, Decimal]
    pending: Decimal
    payable: Decimal
    paid: Decimal
    platform_fees: Decimal
    funding_balance: Decimal
    ledger_balanced: bool
    checks: dict[str, bool]
    by_partner_type: list[Row] = field(default_factory=list)
    top_partners: list[Row] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "program_id": self.program_id,
            "program_name": self.program_name,
            "currency": self.currency,
            "clicks": self.clicks,
            "unique_clicks": self.unique_clicks,
            "impressions": self.impressions,
            "conversions": self.conversions,
            "attributed_conversions": self.attributed_conversions,
            "revenue": str(self.revenue),
            "commissions": str(self.commissions),
            "commissions_by_status": {k: str(v) for k, v in self.commissions_by_status.items()},
            "pending": str(self.pending),
            "payable": str(self.payable),
            "paid": str(self.paid),
            "platform_fees": str(self.platform_fees),
            "funding_balance": str(self.funding_balance),
            "ledger_balanced": self.ledger_balanced,
            "checks": self.checks,
            "by_partner_type": [r.as_dict() for r in self.by_partner_type],
            "top_partners": [r.as_dict() for r in self.top_partners],
        }


def commissions_over_order(session, program_id: str) -> list[str]:
    """Commissions that earned more than the order they came from, where no fixed amount
    in the terms accounts for it: a percent can never give more than the whole order."""
    rows = session.execute(
        select(Commission.id, Commission.lines)
        .join(Conversion, Conversion.id == Commission.conversion_id)
        .where(
            Commission.program_id == program_id,
            Commission.kind == "conversion",
            Commission.original_minor > Conversion.program_amount_minor,
        )
        .order_by(Commission.id)
    ).all()
    return [cid for cid, lines in rows if not any(ln.get("fixed_minor") for ln in lines or ())]


def program_summary(store: Store, caller: Caller, program_id: str, *, top: int = 10) -> Summary:
    """Totals for one program, per partner type and for the top partners by commission."""
    require_brand(caller)
    with store.read() as session:
        program = load_program(session, caller, program_id)
        cur = program.currency

        def dec(minor: int | None) -> Decimal:
            return Money.from_minor(int(minor or 0), cur).amount

        clicks, unique_clicks = session.execute(
            select(func.count(), func.count().filter(Click.duplicate.is_(False))).where(
                Click.program_id == program.id
            )
        ).one()
        impressions = session.scalar(
            select(func.count()).where(Impression.program_id == program.id)
        )
        net = net_revenue()
        conv_count, attributed, revenue = session.execute(
            select(
                func.count(),
                func.count(Conversion.partner_id),
                func.coalesce(func.sum(net), 0),
            ).where(Conversion.program_id == program.id)
        ).one()
        by_status = dict(
            session.execute(
                select(Commission.status, func.coalesce(func.sum(Commission.amount_minor), 0))
                .where(Commission.program_id == program.id)
                .group_by(Commission.status)
            ).all()
        )
        commission_total = sum(int(v) for v in by_status.values())
        balances = totals_by_kind(session, program.id)
        expense = balances.get((AccountKind.COMMISSION_EXPENSE.value, cur), 0)
        pending = balances.get((AccountKind.PARTNER_PENDING.value, cur), 0)
        payable = balances.get((AccountKind.PARTNER_PAYABLE.value, cur), 0)
        paid = balances.get((AccountKind.PAID_OUT.value, cur), 0)
        fee_expense = balances.get((AccountKind.PLATFORM_FEE_EXPENSE.value, cur), 0)
        fees = balances.get((AccountKind.PLATFORM_FEES.value, cur), 0)
        held = balances.get((AccountKind.FUNDS_HELD.value, cur), 0)
        funding = balances.get((AccountKind.BRAND_FUNDING.value, cur), 0)
        trial = trial_balance(session, program.id)
        checks = {
            "debits_equal_credits": all(d == c for d, c in trial.values()),
            "commissions_equal_expense": commission_total == expense,
            "expense_equals_pending_payable_paid": expense == pending + payable + paid,
            "fee_expense_equals_fees": fee_expense == fees,
            "funds_held_equal_brand_funding": held == funding,
            "commissions_within_orders": not commissions_over_order(session, program.id),
        }
        rows = partner_rows(session, program.id)
    types: dict[str, Row] = {}
    for row in rows:
        agg = types.setdefault(
            row.key_type, Row(row.key_type, row.key_type, partner_type=row.key_type)
        )
        agg.partners += 1
        agg.clicks += row.clicks
        agg.conversions += row.conversions
        agg.revenue += row.revenue_minor
        agg.commissions += row.commission_minor
    for agg in types.values():
        agg.revenue, agg.commissions = dec(int(agg.revenue)), dec(int(agg.commissions))
    ranked = sorted(rows, key=lambda r: (-r.commission_minor, -r.revenue_minor, r.partner_id))
    top_rows = [
        Row(
            r.partner_id,
            r.name,
            1,
            r.clicks,
            r.conversions,
            dec(r.revenue_minor),
            dec(r.commission_minor),
            r.key_type,
        )
        for r in ranked[:top]
    ]
    return Summary(
        program_id=program.id,
        program_name=program.name,
        currency=cur,
        clicks=int(clicks),
        unique_clicks=int(unique_clicks),
        impressions=int(impressions or 0),
        conversions=int(conv_count),
        attributed_conversions=int(attributed),
        revenue=dec(revenue),
        commissions=dec(commission_total),
        commissions_by_status={k: dec(v) for k, v in sorted(by_status.items())},
        pending=dec(pending),
        payable=dec(payable),
        paid=dec(paid),
        platform_fees=dec(fees),
        funding_balance=dec(funding),
        ledger_balanced=all(checks.values()),
        checks=checks,
        by_partner_type=sorted(types.values(), key=lambda r: -r.commissions),
        top_partners=top_rows,
    )


@dataclass
class _PartnerAgg:
    partner_id: str
    name: str
    key_type: str
    clicks: int
    conversions: int
    revenue_minor: int
    commission_minor: int


def net_revenue():
    """What is left of each order, in the program's currency at the order's rate (whole
    minor units, rounded down for a partly reversed foreign order)."""
    return case(
        (Conversion.amount_minor == 0, 0),
        else_=Conversion.program_amount_minor
        * (Conversion.amount_minor - Conversion.reversed_minor)
        // Conversion.amount_minor,
    )


def partner_rows(session, program_id: str) -> list[_PartnerAgg]:
    """One aggregated row per enrolled partner: three grouped queries, joined in SQL."""
    clicks = (
        select(Click.partner_id.label("pid"), func.count().label("n"))
        .where(Click.program_id == program_id)
        .group_by(Click.partner_id)
        .subquery()
    )
    convs = (
        select(
            Conversion.partner_id.label("pid"),
            func.count().label("n"),
            func.sum(net_revenue()).label("rev"),
        )
        .where(Conversion.program_id == program_id, Conversion.partner_id.is_not(None))
        .group_by(Conversion.partner_id)
        .subquery()
    )
    coms = (
        select(Commission.partner_id.label("pid"), func.sum(Commission.amount_minor).label("amt"))
        .where(Commission.program_id == program_id)
        .group_by(Commission.partner_id)
        .subquery()
    )
    query = (
        select(
            Partner.id,
            Partner.name,
            Partner.partner_type,
            func.coalesce(clicks.c.n, 0),
            func.coalesce(convs.c.n, 0),
            func.coalesce(convs.c.rev, 0),
            func.coalesce(coms.c.amt, 0),
        )
        .join(Enrollment, Enrollment.partner_id == Partner.id)
        .outerjoin(clicks, clicks.c.pid == Partner.id)
        .outerjoin(convs, convs.c.pid == Partner.id)
        .outerjoin(coms, coms.c.pid == Partner.id)
        .where(Enrollment.program_id == program_id)
    )
    return [_PartnerAgg(*(r[:3]), *(int(x) for x in r[3:])) for r in session.execute(query)]
