"""The program summary: traffic, conversions, money and the ledger's reconciliation.

Each figure comes from a report runner (`reports.totals`, `reports.performance`) or the
ledger's service; these functions keep the shapes the console, the API and the CLI read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.commissions.tables import Commission
from accord.conversions.tables import Conversion
from accord.ledger.model import AccountKind
from accord.ledger.service import totals_by_kind, trial_balance
from accord.money import Money
from accord.partners.tables import Enrollment, Partner
from accord.programs.service import load_program
from accord.reports.performance import (
    Dimension,
    Performance,
    PerformanceFilters,
    PerformanceRow,
)
from accord.reports.runner import (
    DEFAULT_LIMIT,
    Page,
    ReportContext,
    ReportResult,
    context_for,
    execute,
    run_report,
)
from accord.reports.sql import net_revenue
from accord.reports.totals import CommissionsByStatus, CommissionsOverOrder, ProgramTotals
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand
from accord.tracking.tables import Click

__all__ = [
    "PartnerFigures",
    "Row",
    "Summary",
    "commissions_over_order",
    "net_revenue",
    "partner_figures",
    "partner_rows",
    "partner_table",
    "program_summary",
]


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


def _trusted(program_id: str) -> ReportContext:
    """A context for a program the caller already loaded and checked (no money shaped)."""
    return ReportContext(program_id, "", "", datetime.now(UTC))


def commissions_over_order(session: Session, program_id: str) -> list[str]:
    """Commissions that earned more than the order they came from, where no fixed amount
    in the terms accounts for it: a percent can never give more than the whole order."""
    return execute(session, _trusted(program_id), CommissionsOverOrder(program_id)).rows


def _row(r: PerformanceRow, key: str, name: str) -> Row:
    return Row(
        key,
        name,
        r.partners,
        r.clicks,
        r.conversions,
        r.revenue.amount,
        r.commissions.amount,
        r.partner_type,
    )


def program_summary(store: Store, caller: Caller, program_id: str, *, top: int = 10) -> Summary:
    """Totals for one program, per partner type and for the top partners by commission."""
    require_brand(caller)
    with store.read() as session:
        ctx = context_for(session, caller, program_id, store.clock.now(), days=True)
        pid, cur = ctx.program_id, ctx.currency
        [totals] = execute(session, ctx, ProgramTotals(pid)).rows
        by_status = {
            s.status: s.amount for s in execute(session, ctx, CommissionsByStatus(pid)).rows
        }
        balances = totals_by_kind(session, pid)
        trial = trial_balance(session, pid)
        over_order = execute(session, ctx, CommissionsOverOrder(pid)).rows
        types = execute(session, ctx, Performance(pid, group_by=(Dimension.PARTNER_TYPE,))).rows
        leaders = []
        if top > 0:
            ranked = Performance(
                pid,
                group_by=(Dimension.PARTNER,),
                sort=("-commissions", "-revenue", "partner_id"),
                page=Page(min(top, 1000)),
            )
            leaders = execute(session, ctx, ranked).rows

    def dec(minor: int) -> Decimal:
        return Money.from_minor(minor, cur).amount

    def balance(kind: AccountKind) -> int:
        return balances.get((kind.value, cur), 0)

    commission_total = sum(m.minor for m in by_status.values())
    expense = balance(AccountKind.COMMISSION_EXPENSE)
    pending = balance(AccountKind.PARTNER_PENDING)
    payable = balance(AccountKind.PARTNER_PAYABLE)
    paid = balance(AccountKind.PAID_OUT)
    fees = balance(AccountKind.PLATFORM_FEES)
    funding = balance(AccountKind.BRAND_FUNDING)
    checks = {
        "debits_equal_credits": all(d == c for d, c in trial.values()),
        "commissions_equal_expense": commission_total == expense,
        "expense_equals_pending_payable_paid": expense == pending + payable + paid,
        "fee_expense_equals_fees": balance(AccountKind.PLATFORM_FEE_EXPENSE) == fees,
        "funds_held_equal_brand_funding": balance(AccountKind.FUNDS_HELD) == funding,
        "commissions_within_orders": not over_order,
    }
    return Summary(
        program_id=pid,
        program_name=ctx.program_name,
        currency=cur,
        clicks=totals.clicks,
        unique_clicks=totals.unique_clicks,
        impressions=totals.impressions,
        conversions=totals.conversions,
        attributed_conversions=totals.attributed_conversions,
        revenue=totals.revenue.amount,
        commissions=dec(commission_total),
        commissions_by_status={k: v.amount for k, v in sorted(by_status.items())},
        pending=dec(pending),
        payable=dec(payable),
        paid=dec(paid),
        platform_fees=dec(fees),
        funding_balance=dec(funding),
        ledger_balanced=all(checks.values()),
        checks=checks,
        by_partner_type=[_row(r, r.partner_type, r.partner_type) for r in types],
        top_partners=[_row(r, r.partner_id, r.partner_name) for r in leaders],
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


def partner_rows(session: Session, program_id: str) -> list[_PartnerAgg]:
    """One aggregated row per enrolled partner (all of them, unpaged), in one query; for a
    program the caller already loaded. New code runs `Performance` instead."""
    report = Performance(program_id, group_by=(Dimension.PARTNER,), page=None)
    rows = session.execute(report.build(_trusted(program_id))).all()
    return [
        _PartnerAgg(
            r.partner_id,
            r.partner_name,
            r.partner_type,
            int(r.clicks),
            int(r.conversions),
            int(r.revenue),
            int(r.commissions),
        )
        for r in rows
    ]


#: The console's partner list sorts, by the names its links use.
PARTNER_TABLE_SORTS = {
    "earned": ("-commissions",),
    "clicks": ("-clicks",),
    "conversions": ("-conversions",),
    "name": ("name",),
}


def partner_table(
    store: Store,
    caller: Caller,
    program_id: str,
    *,
    search: str = "",
    partner_type: str = "",
    status: str = "",
    sort: str = "earned",
    page: int = 1,
    page_size: int = DEFAULT_LIMIT,
) -> ReportResult[PerformanceRow]:
    """One page of the program's partners with their figures, searched (name or id),
    filtered (type, enrollment status; empty means all) and sorted as the console's
    partner list offers (an unknown sort is by earnings), with the number of matching
    partners: two queries whatever the number of partners."""
    report = Performance(
        program_id,
        group_by=(Dimension.PARTNER,),
        filters=PerformanceFilters(
            partner_type=partner_type or None, status=status or None, search=search
        ),
        sort=PARTNER_TABLE_SORTS.get(sort, PARTNER_TABLE_SORTS["earned"]),
        page=Page.number(max(1, page), page_size),
    )
    return run_report(store, caller, report)


@dataclass(frozen=True, slots=True)
class PartnerFigures:
    """A partner in a program: its standing and what it brought, in the program's currency."""

    id: str
    name: str
    type: str
    status: str
    country: str
    clicks: int
    conversions: int
    revenue_minor: int
    earned_minor: int
    joined_at: datetime | None = None  # when the partner applied to the program
    last_activity: datetime | None = None  # its latest click or order in the program


def _latest(*moments: datetime | None) -> datetime | None:
    found = [m for m in moments if m is not None]
    return max(found) if found else None


def partner_figures(
    store: Store, caller: Caller, program_id: str, *, partner_id: str | None = None
) -> list[PartnerFigures]:
    """Every partner enrolled in a brand's program (or only `partner_id`), with its clicks,
    conversions, net revenue and commissions: one grouped query each, joined in SQL."""
    require_brand(caller)
    with store.read() as session:
        program = load_program(session, caller, program_id)
        scope = [Enrollment.program_id == program.id]
        if partner_id is not None:
            scope.append(Partner.id == partner_id)

        def by_partner(column, *figures, where):
            query = select(column.label("pid"), *figures).where(*where)
            if partner_id is not None:
                query = query.where(column == partner_id)
            return query.group_by(column).subquery()

        clicks = by_partner(
            Click.partner_id,
            func.count().label("n"),
            func.max(Click.at).label("last"),
            where=[Click.program_id == program.id],
        )
        convs = by_partner(
            Conversion.partner_id,
            func.count().label("n"),
            func.sum(net_revenue()).label("rev"),
            func.max(Conversion.occurred_at).label("last"),
            where=[Conversion.program_id == program.id, Conversion.partner_id.is_not(None)],
        )
        coms = by_partner(
            Commission.partner_id,
            func.sum(Commission.amount_minor).label("amt"),
            where=[Commission.program_id == program.id],
        )
        query = (
            select(
                Partner.id,
                Partner.name,
                Partner.partner_type,
                Enrollment.status,
                Partner.country,
                func.coalesce(clicks.c.n, 0),
                func.coalesce(convs.c.n, 0),
                func.coalesce(convs.c.rev, 0),
                func.coalesce(coms.c.amt, 0),
                Enrollment.applied_at,
                clicks.c.last,
                convs.c.last,
            )
            .join(Enrollment, Enrollment.partner_id == Partner.id)
            .outerjoin(clicks, clicks.c.pid == Partner.id)
            .outerjoin(convs, convs.c.pid == Partner.id)
            .outerjoin(coms, coms.c.pid == Partner.id)
            .where(*scope)
        )
        return [
            PartnerFigures(pid, name, kind, status, country or "", *(int(x) for x in numbers),
                           joined_at=joined, last_activity=_latest(last_click, last_order))
            for pid, name, kind, status, country, *numbers, joined, last_click, last_order
            in session.execute(query)
        ]  # fmt: skip


def top_partners(
    store: Store, caller: Caller, program_id: str, *, share: float = 0.2, most: int = 10
) -> list[tuple[str, int]]:
    """The program's best approved partners by net revenue, best first: the top `share`
    of those with revenue (at least one, at most `most`), with their revenue."""
    earning = sorted(
        (
            (f.id, f.revenue_minor)
            for f in partner_figures(store, caller, program_id)
            if f.status == "approved" and f.revenue_minor > 0
        ),
        key=lambda r: (-r[1], r[0]),
    )
    if not earning:
        return []
    return earning[: max(1, min(most, math.ceil(len(earning) * share)))]


def results_between(
    store: Store,
    program_id: str,
    since: datetime,
    until: datetime,
    partner_ids: Sequence[str] | None = None,
) -> dict[str, tuple[int, int]]:
    """Each partner's (conversions, net revenue in minor units) of a program from `since` to
    `until` (half-open), not counting what was reversed; for the engage stage's bounties."""
    query = (
        select(Conversion.partner_id, func.count(), func.coalesce(func.sum(net_revenue()), 0))
        .where(
            Conversion.program_id == program_id,
            Conversion.partner_id.is_not(None),
            Conversion.status != "reversed",
            Conversion.occurred_at >= since,
            Conversion.occurred_at < until,
        )
        .group_by(Conversion.partner_id)
    )
    with store.read() as session:
        if partner_ids is None:
            return {pid: (int(n), int(rev)) for pid, n, rev in session.execute(query)}
        wanted, found = list(partner_ids), {}
        for at in range(0, len(wanted), 500):  # a bounded list of bound parameters a query
            chunk = query.where(Conversion.partner_id.in_(wanted[at : at + 500]))
            found.update({pid: (int(n), int(rev)) for pid, n, rev in session.execute(chunk)})
        return found
