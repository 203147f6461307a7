"""Incrementality tests a brand defines, and their results from counts.

Two designs (see `incrementality_model`):

- switched off: the scope (a partner or a partner type) was off from `since` to `until`;
  the program's conversions per day then are compared with the matched on period
  (`on_since` to `on_until`; by default the same length just before). All of the
  program's conversions count, whoever is credited: the question is what the program
  loses without the scope.
- traffic: `share` of the scope's visitors were held out from `since` to `until`; the
  held-out arm's visitors and conversions are entered; the exposed arm's are entered too,
  or else counted: the scope's unique clicks and credited conversions in the period.

Incremental revenue is incremental conversions times the average order value (of the on
period, or of the scope's conversions in the period).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from accord.conversions.tables import Conversion
from accord.errors import InvalidInput, NotFound, Text, not_one_of
from accord.ids import new_id
from accord.money import Money
from accord.partners import taxonomy
from accord.partners.tables import Enrollment, Partner
from accord.partners.types import check_selectors, own_types
from accord.programs.service import load_program
from accord.programs.tables import Program
from accord.reports import incrementality_model as im
from accord.reports.runner import Period
from accord.reports.sql import net_revenue
from accord.reports.tables import Holdout
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand
from accord.tracking.tables import Click

DESIGNS = ("switched_off", "traffic")
SCOPES = ("partner", "partner_type")
MAX_TESTS = 200


@dataclass(frozen=True)
class HoldoutSpec:
    """What defines a test; checked by `define_holdout`."""

    name: str
    design: str
    scope_kind: str
    scope: str
    since: datetime
    until: datetime
    share: Decimal | None = None
    on_since: datetime | None = None
    on_until: datetime | None = None
    exposed_visitors: int | None = None
    exposed_conversions: int | None = None
    held_visitors: int | None = None
    held_conversions: int | None = None


def _check(session: Session, program_id: str, spec: HoldoutSpec) -> HoldoutSpec:
    name = spec.name.strip()
    if not 1 <= len(name) <= 200:
        raise InvalidInput("name", "give the test a name of 1 to 200 characters")
    if spec.design not in DESIGNS:
        raise not_one_of("design", spec.design, DESIGNS)
    if spec.scope_kind not in SCOPES:
        raise not_one_of("scope_kind", spec.scope_kind, SCOPES)
    if spec.scope_kind == "partner_type":
        org = session.scalar(select(Program.organization_id).where(Program.id == program_id))
        check_selectors([spec.scope], own_types(session, org), "scope")
    if spec.scope_kind == "partner":
        enrolled = session.scalar(
            select(Enrollment.id).where(
                Enrollment.program_id == program_id, Enrollment.partner_id == spec.scope
            )
        )
        if enrolled is None:
            raise InvalidInput("scope", "name a partner enrolled in the program")
    period = Period(spec.since, spec.until)
    changes: dict = {"name": name}
    if spec.design == "switched_off":
        on_since, on_until = spec.on_since, spec.on_until
        if on_since is None and on_until is None:
            on_since, on_until = spec.since - (spec.until - spec.since), spec.since
        if on_since is None or on_until is None:
            raise InvalidInput("on_since", "give both ends of the on period, or neither")
        Period(on_since, on_until)
        if on_since < period.until and period.since < on_until:  # type: ignore[operator]
            raise InvalidInput("on_since", "the on period must not overlap the off period")
        changes |= {"on_since": on_since, "on_until": on_until, "share": None}
    else:
        share = spec.share
        if share is None or not Decimal(0) < share < Decimal(1):
            raise InvalidInput("share", "give the held-out share as a number between 0 and 1")
        if spec.held_visitors is not None or spec.held_conversions is not None:
            _arm(spec.held_visitors, spec.held_conversions, "held")
        if spec.exposed_visitors is not None or spec.exposed_conversions is not None:
            _arm(spec.exposed_visitors, spec.exposed_conversions, "exposed")
        changes |= {"on_since": None, "on_until": None}
    return HoldoutSpec(**{**spec.__dict__, **changes})


def _arm(visitors: int | None, conversions: int | None, arm: str) -> None:
    if visitors is None or conversions is None:
        raise InvalidInput(f"{arm}_visitors", "give both the visitors and the conversions")
    if visitors < 1 or conversions < 0:
        raise InvalidInput(f"{arm}_visitors", "visitors must be at least 1, conversions 0 or more")
    if conversions > visitors:
        raise InvalidInput(f"{arm}_conversions", "cannot exceed the visitors")
    if visitors > 10**12:
        raise InvalidInput(f"{arm}_visitors", "is too large")


def parse_share(text: str | None) -> Decimal | None:
    """A share written as 0.1 or 10%."""
    if text is None or not str(text).strip():
        return None
    raw = str(text).strip()
    try:
        if raw.endswith("%"):
            return Decimal(raw[:-1].strip()) / 100
        return Decimal(raw)
    except InvalidOperation:
        raise InvalidInput("share", Text("%(raw)s is not a number", raw=repr(raw[:20]))) from None


def define_holdout(store: Store, caller: Caller, program_id: str, spec: HoldoutSpec) -> Holdout:
    require_brand(caller)
    caller.require("programs:write")
    with store.unit() as session:
        program = load_program(session, caller, program_id)
        checked = _check(session, program.id, spec)
        count = session.scalar(
            select(func.count()).select_from(Holdout).where(Holdout.program_id == program.id)
        )
        if (count or 0) >= MAX_TESTS:
            raise InvalidInput(
                "name", Text("a program keeps at most %(most)s tests", most=MAX_TESTS)
            )
        row = Holdout(
            id=new_id("hld"),
            organization_id=program.organization_id,
            program_id=program.id,
            created_at=store.clock.now(),
            **checked.__dict__,
        )
        session.add(row)
        session.flush()
        session.expunge(row)
        return row


def list_holdouts(store: Store, caller: Caller, program_id: str) -> list[Holdout]:
    require_brand(caller)
    with store.read() as session:
        load_program(session, caller, program_id)
        rows = session.scalars(
            select(Holdout)
            .where(Holdout.program_id == program_id)
            .order_by(Holdout.created_at.desc(), Holdout.id.desc())
        ).all()
        return list(rows)


def _load(session: Session, caller: Caller, program_id: str, holdout_id: str) -> Holdout:
    load_program(session, caller, program_id)
    row = session.scalar(
        select(Holdout).where(Holdout.id == holdout_id, Holdout.program_id == program_id)
    )
    if row is None:
        raise NotFound("holdout", holdout_id, field="holdout_id")
    return row


def get_holdout(store: Store, caller: Caller, program_id: str, holdout_id: str) -> Holdout:
    require_brand(caller)
    with store.read() as session:
        return _load(session, caller, program_id, holdout_id)


def update_counts(
    store: Store,
    caller: Caller,
    program_id: str,
    holdout_id: str,
    held: tuple[int, int] | None,
    exposed: tuple[int, int] | None = None,
) -> Holdout:
    """Enter (or replace) a traffic test's counts: (visitors, conversions) per arm."""
    require_brand(caller)
    caller.require("programs:write")
    with store.unit() as session:
        row = _load(session, caller, program_id, holdout_id)
        if row.design != "traffic":
            raise InvalidInput("design", "only a traffic test takes counts")
        if held is not None:
            _arm(*held, "held")
            row.held_visitors, row.held_conversions = held
        if exposed is not None:
            _arm(*exposed, "exposed")
            row.exposed_visitors, row.exposed_conversions = exposed
        session.flush()
        session.expunge(row)
        return row


def delete_holdout(store: Store, caller: Caller, program_id: str, holdout_id: str) -> None:
    require_brand(caller)
    caller.require("programs:write")
    with store.unit() as session:
        session.delete(_load(session, caller, program_id, holdout_id))


@dataclass(frozen=True)
class HoldoutResult:
    holdout: Holdout
    currency: str
    test: im.ProportionTest | im.RateTest | None
    average_order: Money | None
    incremental_revenue: Money | None
    missing: str | None = None  # why there is no result yet

    @property
    def too_small(self) -> bool:
        return self.test is not None and self.test.too_small


def _scope_condition(session: Session, row: Holdout, partner_column):
    if row.scope_kind == "partner":
        return partner_column == row.scope
    # the brand's partners of the type (or of every type of the group)
    own = own_types(session, row.organization_id).groups
    return partner_column.in_(
        select(Partner.id).where(Partner.partner_type.in_(taxonomy.types_in(row.scope, own)))
    )


def holdout_result(store: Store, caller: Caller, program_id: str, holdout_id: str) -> HoldoutResult:
    """The test's statistics from its counts (one aggregate query for what is counted)."""
    require_brand(caller)
    with store.read() as session:
        row = _load(session, caller, program_id, holdout_id)
        program = load_program(session, caller, program_id)
        currency = program.currency
        if row.design == "switched_off":
            return _switched_off(session, row, currency)
        return _traffic(session, row, currency)


def _switched_off(session: Session, row: Holdout, currency: str) -> HoldoutResult:
    assert row.on_since is not None and row.on_until is not None
    at = Conversion.occurred_at
    on = and_(at >= row.on_since, at < row.on_until)
    off = and_(at >= row.since, at < row.until)
    side = case((on, literal("on")), else_=literal("off")).label("side")
    rows = session.execute(
        select(side, func.count().label("n"), func.coalesce(func.sum(net_revenue()), 0).label("r"))
        .where(Conversion.program_id == row.program_id, or_(on, off))
        .group_by(side)
    ).all()
    counts = {r.side: (int(r.n), int(r.r or 0)) for r in rows}
    x_on, revenue_on = counts.get("on", (0, 0))
    x_off, _ = counts.get("off", (0, 0))
    days_on = (row.on_until - row.on_since).total_seconds() / 86400
    days_off = (row.until - row.since).total_seconds() / 86400
    test = im.rate_test(x_on, days_on, x_off, days_off)
    return _with_revenue(row, currency, test, x_on, revenue_on)


def _traffic(session: Session, row: Holdout, currency: str) -> HoldoutResult:
    conversions = session.execute(
        select(func.count().label("n"), func.coalesce(func.sum(net_revenue()), 0).label("r")).where(
            Conversion.program_id == row.program_id,
            Conversion.occurred_at >= row.since,
            Conversion.occurred_at < row.until,
            _scope_condition(session, row, Conversion.partner_id),
        )
    ).one()
    x, revenue = int(conversions.n), int(conversions.r or 0)
    visitors, converted = row.exposed_visitors, row.exposed_conversions
    if visitors is None or converted is None:
        visitors = int(
            session.scalar(
                select(func.count()).where(
                    Click.program_id == row.program_id,
                    Click.at >= row.since,
                    Click.at < row.until,
                    Click.duplicate.is_(False),
                    _scope_condition(session, row, Click.partner_id),
                )
            )
            or 0
        )
        converted = x
    if row.held_visitors is None or row.held_conversions is None:
        return HoldoutResult(row, currency, None, None, None, "held")
    if visitors < 1 or converted > visitors:
        return HoldoutResult(row, currency, None, None, None, "exposed")
    test = im.two_proportion_test(converted, visitors, row.held_conversions, row.held_visitors)
    return _with_revenue(row, currency, test, x, revenue)


def _with_revenue(
    row: Holdout, currency: str, test, conversions: int, revenue_minor: int
) -> HoldoutResult:
    if not conversions:
        return HoldoutResult(row, currency, test, None, None)
    average = Money.from_minor(revenue_minor, currency).amount / conversions
    incremental = Decimal(repr(test.incremental_conversions)) * average
    return HoldoutResult(
        row,
        currency,
        test,
        Money.of(average, currency),
        Money.of(incremental, currency),
    )
