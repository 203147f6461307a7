"""Partner mix and diagnostic metrics: one statement of per-partner facts for the program's
approved partners (clicks, conversions and revenue in the period; lifetime revenue and
commissions; journey touches and assists), reshaped by `growth_model` into rows by
partner, by partner type and for the program, and the mix against the stage's shares.

Assists are counted from the attribution stage's stored journeys (`journey_steps`, one row
per touch, `credited` marking the touch that earned the order): the touches of journeys
converted in the period, by partner; a touch not credited is an assist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Row, Select, and_, case, func, select

from accord.attribution.tables import Journey, JourneyStep
from accord.clock import from_store
from accord.commissions.tables import Commission
from accord.conversions.tables import Conversion
from accord.errors import not_one_of
from accord.partners import taxonomy
from accord.partners.model import EnrollmentStatus
from accord.partners.tables import Enrollment, Partner
from accord.partners.types import own_types
from accord.programs.tables import Program
from accord.reports import growth_model as gm
from accord.reports.runner import Period, Report, ReportContext, context_for, execute
from accord.reports.sql import net_revenue
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tracking.tables import Click

#: The period diagnostics cover when none is given: the last 90 days.
DEFAULT_DAYS = 90


@dataclass(frozen=True)
class PartnerFactsReport(Report[gm.PartnerFacts]):
    """Every approved partner of the program with its facts for `period`."""

    name = "partner_facts"

    program_id: str
    period: Period

    def build(self, ctx: ReportContext) -> Select:
        program = ctx.program_id
        clicks = (
            select(Click.partner_id, func.count().label("n"))
            .where(Click.program_id == program, *self.period.where(Click.at))
            .group_by(Click.partner_id)
            .subquery("c")
        )
        in_period = and_(*self.period.where(Conversion.occurred_at))
        orders = (
            select(
                Conversion.partner_id,
                func.count().filter(in_period).label("n"),
                func.count().filter(in_period, Conversion.customer_status == "new").label("new"),
                func.coalesce(func.sum(case((in_period, net_revenue()), else_=0)), 0).label(
                    "revenue"
                ),
                func.coalesce(func.sum(net_revenue()), 0).label("lifetime"),
            )
            .where(Conversion.program_id == program, Conversion.partner_id.is_not(None))
            .group_by(Conversion.partner_id)
            .subquery("o")
        )
        earned = (
            select(Commission.partner_id, func.sum(Commission.amount_minor).label("amount"))
            .where(Commission.program_id == program, Commission.status != "reversed")
            .group_by(Commission.partner_id)
            .subquery("e")
        )
        touches = (
            select(
                JourneyStep.partner_id,
                func.count().label("n"),
                func.count().filter(JourneyStep.credited.is_(False)).label("assists"),
            )
            .join(Journey, Journey.conversion_id == JourneyStep.conversion_id)
            .where(Journey.program_id == program, *self.period.where(Journey.converted_at))
            .group_by(JourneyStep.partner_id)
            .subquery("t")
        )
        return (
            select(
                Partner.id,
                Partner.name,
                Partner.partner_type,
                func.coalesce(clicks.c.n, 0).label("clicks"),
                func.coalesce(orders.c.n, 0).label("conversions"),
                func.coalesce(orders.c.new, 0).label("new"),
                func.coalesce(orders.c.revenue, 0).label("revenue"),
                func.coalesce(orders.c.lifetime, 0).label("lifetime"),
                func.coalesce(earned.c.amount, 0).label("earned"),
                func.coalesce(touches.c.n, 0).label("touches"),
                func.coalesce(touches.c.assists, 0).label("assists"),
            )
            .select_from(Enrollment)
            .join(Partner, Partner.id == Enrollment.partner_id)
            .outerjoin(clicks, clicks.c.partner_id == Partner.id)
            .outerjoin(orders, orders.c.partner_id == Partner.id)
            .outerjoin(earned, earned.c.partner_id == Partner.id)
            .outerjoin(touches, touches.c.partner_id == Partner.id)
            .where(
                Enrollment.program_id == program,
                Enrollment.status == EnrollmentStatus.APPROVED.value,
            )
            .order_by(func.lower(Partner.name), Partner.id)
        )

    def reshape(self, rows: Sequence[Row], ctx: ReportContext) -> list[gm.PartnerFacts]:
        return [
            gm.PartnerFacts(
                r.id,
                r.name,
                r.partner_type,
                int(r.clicks),
                int(r.conversions),
                int(r.new),
                int(r.revenue or 0),
                int(r.lifetime or 0),
                int(r.earned or 0),
                int(r.touches),
                int(r.assists),
            )
            for r in rows
        ]


@dataclass
class MixReport:
    """The partner mix against the stage, the lacking types, and the diagnostic rows."""

    program_id: str
    currency: str
    period: Period
    stage: gm.Stage
    inferred_stage: gm.Stage
    age_days: int
    approved_partners: int
    rows: list[gm.MixRow]
    lacking: list[str]
    partners: list[gm.Diagnostics]
    types: list[gm.Diagnostics]
    program: gm.Diagnostics
    #: The recruiting goal asked about, and the groups serving it with no approved partner.
    goal: str | None = None
    goal_gaps: list[str] | None = None


def default_period(store: Store) -> Period:
    today = store.clock.now().date()
    return Period.days(today - timedelta(days=DEFAULT_DAYS - 1), today)


def partner_mix(
    store: Store,
    caller: Caller,
    program_id: str,
    period: Period | None = None,
    stage: str | None = None,
    goal: str | None = None,
) -> MixReport:
    """The program's mix and diagnostics over `period` (default: the last 90 days); the
    stage is the one given, else the one the program's age and partners suggest; with a
    recruiting goal (`accord.partners.taxonomy.GOALS`), the groups it lacks for it."""
    if stage is not None and stage not in set(gm.Stage):
        raise not_one_of("stage", stage, gm.Stage)
    if goal is not None and goal not in taxonomy.GOAL_BY_CODE:
        raise not_one_of("goal", goal, taxonomy.GOAL_BY_CODE)
    period = period or default_period(store)
    with store.read() as session:
        ctx = context_for(session, caller, program_id, store.clock.now())
        created = from_store(
            session.scalar(select(Program.created_at).where(Program.id == program_id))
        )
        facts = execute(session, ctx, PartnerFactsReport(program_id, period)).rows
        own = own_types(session, ctx.organization_id).groups
    age = max(0, (ctx.now - created).days) if created else 0
    inferred = gm.infer_stage(age, len(facts))
    chosen = gm.Stage(stage) if stage else inferred
    by_type: dict[str, tuple[int, int]] = {}
    for f in facts:
        partners, revenue = by_type.get(f.partner_type, (0, 0))
        by_type[f.partner_type] = (partners + 1, revenue + f.revenue_minor)
    rows, lacking = gm.mix(by_type, chosen, own)
    per_partner, per_type, whole = gm.diagnostics(facts)
    return MixReport(
        program_id,
        ctx.currency,
        period,
        chosen,
        inferred,
        age,
        len(facts),
        rows,
        lacking,
        per_partner,
        per_type,
        whole,
        goal,
        gm.goal_gaps(by_type, goal, own) if goal else None,
    )
