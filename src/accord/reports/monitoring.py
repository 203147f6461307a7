"""The figures monitoring watches, aggregated in SQL: each partner's daily clicks,
conversions and reversals; revenue by partner type and month; a week's totals and top
partners; the programs there are to watch.

Each function is one statement (or one report run); Python only reshapes the rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import BigInteger, case, func, literal_column, select, union_all

from accord.conversions.tables import Conversion, ConversionReversal
from accord.monitoring.model import DayFigures
from accord.partners.tables import Partner
from accord.programs.tables import Program
from accord.reports.performance import Performance, PerformanceRow
from accord.reports.runner import Page, Period, context_for, run_report
from accord.reports.sql import Grain, utc_bucket
from accord.store.engine import Store
from accord.tenancy.model import Caller, OrganizationKind
from accord.tracking.tables import Click


@dataclass(frozen=True)
class WatchedProgram:
    id: str
    organization_id: str
    name: str
    currency: str

    @property
    def caller(self) -> Caller:
        """The program's brand, as background work acts for it."""
        return Caller(self.organization_id, OrganizationKind.BRAND, role="owner")


def watched_programs(store: Store, organization_id: str | None = None) -> list[WatchedProgram]:
    """Every program of every brand (or of one), oldest first."""
    query = select(Program.id, Program.organization_id, Program.name, Program.currency)
    if organization_id is not None:
        query = query.where(Program.organization_id == organization_id)
    with store.read() as session:
        rows = session.execute(query.order_by(Program.created_at, Program.id)).all()
    return [WatchedProgram(r.id, r.organization_id, r.name, r.currency) for r in rows]


def watched_program(store: Store, program_id: str) -> WatchedProgram | None:
    """One program, whoever's it is (the caller is checked by the service)."""
    with store.read() as session:
        row = session.execute(
            select(Program.id, Program.organization_id, Program.name, Program.currency).where(
                Program.id == program_id
            )
        ).first()
    return (
        None if row is None else WatchedProgram(row.id, row.organization_id, row.name, row.currency)
    )


def _start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


@dataclass(frozen=True)
class PartnerDays:
    """Each partner's days with activity between two days (both included)."""

    days: dict[str, dict[date, DayFigures]]
    names: dict[str, str]


def partner_days(
    store: Store, caller: Caller, program_id: str, first: date, last: date
) -> PartnerDays:
    """Clicks, conversions (by when they happened) and reversals (by when they were
    recorded, credited to the conversion's partner) of each partner per UTC day."""
    since, until = _start(first), _start(last + timedelta(days=1))
    zero = literal_column("0", BigInteger)
    with store.read() as session:
        context_for(session, caller, program_id, store.clock.now())  # may the caller see it
        clicks = (
            select(
                Click.partner_id.label("partner_id"),
                utc_bucket(Click.at, Grain.DAY).label("day"),
                func.count().label("clicks"),
                zero.label("conversions"),
                zero.label("reversals"),
            )
            .where(Click.program_id == program_id, Click.at >= since, Click.at < until)
            .group_by(Click.partner_id, utc_bucket(Click.at, Grain.DAY))
        )
        conversions = (
            select(
                Conversion.partner_id.label("partner_id"),
                utc_bucket(Conversion.occurred_at, Grain.DAY).label("day"),
                zero.label("clicks"),
                func.count().label("conversions"),
                zero.label("reversals"),
            )
            .where(
                Conversion.program_id == program_id,
                Conversion.partner_id.is_not(None),
                Conversion.occurred_at >= since,
                Conversion.occurred_at < until,
            )
            .group_by(Conversion.partner_id, utc_bucket(Conversion.occurred_at, Grain.DAY))
        )
        reversals = (
            select(
                Conversion.partner_id.label("partner_id"),
                utc_bucket(ConversionReversal.at, Grain.DAY).label("day"),
                zero.label("clicks"),
                zero.label("conversions"),
                func.count().label("reversals"),
            )
            .join(Conversion, Conversion.id == ConversionReversal.conversion_id)
            .where(
                Conversion.program_id == program_id,
                Conversion.partner_id.is_not(None),
                ConversionReversal.at >= since,
                ConversionReversal.at < until,
            )
            .group_by(Conversion.partner_id, utc_bucket(ConversionReversal.at, Grain.DAY))
        )
        facts = union_all(clicks, conversions, reversals).subquery("facts")
        rows = session.execute(
            select(
                facts.c.partner_id,
                facts.c.day,
                Partner.name,
                func.sum(facts.c.clicks).label("clicks"),
                func.sum(facts.c.conversions).label("conversions"),
                func.sum(facts.c.reversals).label("reversals"),
            )
            .join(Partner, Partner.id == facts.c.partner_id)
            .group_by(facts.c.partner_id, facts.c.day, Partner.name)
            .order_by(facts.c.partner_id, facts.c.day)
        ).all()
    days: dict[str, dict[date, DayFigures]] = defaultdict(dict)
    names: dict[str, str] = {}
    for r in rows:
        day = date.fromisoformat(str(r.day))
        days[r.partner_id][day] = DayFigures(
            day, int(r.clicks or 0), int(r.conversions or 0), int(r.reversals or 0)
        )
        names[r.partner_id] = r.name
    return PartnerDays(dict(days), names)


@dataclass(frozen=True)
class SubIdFigures:
    """One sub-id of a partner over a period: its clicks, the orders whose click carried it,
    and how many of those orders were reversed since (in whole or in part)."""

    clicks: int
    orders: int
    reversed: int


def sub_id_figures(
    store: Store, caller: Caller, program_id: str, first: date, last: date
) -> dict[str, dict[str, SubIdFigures]]:
    """Each partner's sub-ids (sub1) between two days (both included), by partner id and
    sub-id: clicks by when they were made, orders by when they happened (through the click
    they report). Clicks without a sub-id are left out. Two grouped statements."""
    since, until = _start(first), _start(last + timedelta(days=1))
    with store.read() as session:
        context_for(session, caller, program_id, store.clock.now())  # may the caller see it
        clicks = session.execute(
            select(Click.partner_id, Click.sub1, func.count())
            .where(
                Click.program_id == program_id,
                Click.at >= since,
                Click.at < until,
                Click.sub1.is_not(None),
            )
            .group_by(Click.partner_id, Click.sub1)
        ).all()
        orders = session.execute(
            select(
                Click.partner_id,
                Click.sub1,
                func.count(),
                func.sum(case((Conversion.reversed_minor > 0, 1), else_=0)),
            )
            .join(Click, Click.id == Conversion.click_id)
            .where(
                Conversion.program_id == program_id,
                Conversion.occurred_at >= since,
                Conversion.occurred_at < until,
                Click.program_id == program_id,
                Click.sub1.is_not(None),
            )
            .group_by(Click.partner_id, Click.sub1)
        ).all()
    found: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for partner_id, sub, count in clicks:
        found[(partner_id, sub)][0] = int(count)
    for partner_id, sub, count, reversed_ in orders:
        found[(partner_id, sub)][1:] = [int(count), int(reversed_ or 0)]
    out: dict[str, dict[str, SubIdFigures]] = defaultdict(dict)
    for (partner_id, sub), (n_clicks, n_orders, n_reversed) in found.items():
        out[partner_id][sub] = SubIdFigures(n_clicks, n_orders, n_reversed)
    return dict(out)


def month_starts(until: date, months: int) -> list[date]:
    """The first days of the `months` whole months before the month holding `until`."""
    first = until.replace(day=1)
    starts = []
    for _ in range(months):
        first = (first - timedelta(days=1)).replace(day=1)
        starts.append(first)
    return starts[::-1]


def monthly_revenue_by_type(
    store: Store, caller: Caller, program_id: str, today: date, months: int = 12
) -> tuple[list[date], dict[str, list[int]]]:
    """Net revenue (minor units) of each partner type in each of the `months` whole months
    before today's, oldest first; a month without revenue is 0."""
    starts = month_starts(today, months)
    period = Period(_start(starts[0]), _start(today.replace(day=1)))
    result = run_report(
        store,
        caller,
        Performance(
            program_id,
            group_by=("partner_type", "month"),
            period=period,
            page=Page(1000),
        ),
    )
    index = {d.isoformat(): i for i, d in enumerate(starts)}
    by_type: dict[str, list[int]] = {}
    for row in result.rows:
        if row.partner_type is None or row.bucket not in index:
            continue
        totals = by_type.setdefault(row.partner_type, [0] * len(starts))
        totals[index[row.bucket]] += row.revenue.minor
    return starts, by_type


def week_totals(
    store: Store, caller: Caller, program_id: str, monday: date
) -> PerformanceRow | None:
    """The program's clicks, conversions, revenue and commissions in the week from `monday`."""
    result = run_report(
        store,
        caller,
        Performance(
            program_id,
            group_by=(),
            period=Period.days(monday, monday + timedelta(days=6)),
            page=None,
        ),
    )
    return result.rows[0] if result.rows else None


def top_partners(
    store: Store, caller: Caller, program_id: str, monday: date, count: int = 5
) -> list[PerformanceRow]:
    """The partners with the most revenue in the week from `monday` (those with some)."""
    result = run_report(
        store,
        caller,
        Performance(
            program_id,
            group_by=("partner",),
            period=Period.days(monday, monday + timedelta(days=6)),
            sort=("-revenue", "-commissions"),
            page=Page(count),
        ),
    )
    return [r for r in result.rows if r.revenue.amount > 0 or r.commissions.amount > 0]


def partner_names(store: Store, partner_ids: set[str]) -> dict[str, str]:
    """The names of these partners."""
    if not partner_ids:
        return {}
    with store.read() as session:
        rows = session.execute(
            select(Partner.id, Partner.name).where(Partner.id.in_(sorted(partner_ids)))
        ).all()
    return {r.id: r.name for r in rows}
