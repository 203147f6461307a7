"""Pay for traffic: click rules (cost per click) turn each partner's unique clicks of a whole
UTC day into one commission, once that day is over."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select

from accord.commissions.model import CommissionStatus, lock_due_at
from accord.commissions.service import _accrue
from accord.commissions.tables import Commission
from accord.contracts.engine import Facts, MemoryUsage
from accord.contracts.service import terms_at
from accord.ids import new_id
from accord.money import Money
from accord.partners.enrollments import contract_at
from accord.partners.model import EnrollmentStatus
from accord.partners.tables import Enrollment
from accord.programs.service import load_program
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand
from accord.tracking.tables import Click

MAX_DAYS = 400  # one run looks this far back at most


def accrue_click_commissions(store: Store, caller: Caller, program_id: str) -> int:
    """For every whole UTC day before today not yet paid, pay each approved partner's
    unique clicks at the fixed amount of the first `click` rule of the contract version in
    force at the end of that day.
    Duplicate clicks are never paid. Returns how many commissions were created; running it
    again for the same days creates none."""
    require_brand(caller)
    now = store.clock.now()
    today = datetime.combine(now.date(), time(), UTC)
    created = 0
    with store.unit() as session:
        program = load_program(session, caller, program_id, for_update=True)
        last = session.scalar(
            select(func.max(Commission.day_key)).where(
                Commission.program_id == program.id, Commission.kind == "clicks"
            )
        )
        if last:
            day = datetime(last // 10000, last // 100 % 100, last % 100, tzinfo=UTC)
            day += timedelta(days=1)
        else:
            first = session.scalar(select(func.min(Click.at)).where(Click.program_id == program.id))
            if first is None:
                return 0
            day = datetime.combine(first.date(), time(), UTC)
        day = max(day, today - timedelta(days=MAX_DAYS))
        approved = {
            e.partner_id: e
            for e in session.scalars(
                select(Enrollment).where(
                    Enrollment.program_id == program.id,
                    Enrollment.status == EnrollmentStatus.APPROVED.value,
                )
            )
        }
        while day < today:
            end = day + timedelta(days=1)
            counts = session.execute(
                select(Click.partner_id, func.count())
                .where(
                    Click.program_id == program.id,
                    Click.at >= day,
                    Click.at < end,
                    Click.duplicate.is_(False),
                )
                .group_by(Click.partner_id)
                .order_by(Click.partner_id)
            ).all()
            for partner_id, clicks in counts:
                if partner_id not in approved:
                    continue
                last_moment = end - timedelta(microseconds=1)  # terms in force as the day ends
                terms = terms_at(
                    session,
                    program.id,
                    contract_at(approved[partner_id], last_moment),
                    last_moment,
                    currency=program.currency,
                    partner_id=partner_id,
                )
                if terms is None:
                    continue
                facts = Facts(partner_id, "click", 0, last_moment)
                outcome = terms.compiled.evaluate(facts, MemoryUsage())
                if outcome.rule is None or outcome.gross_minor <= 0:
                    continue
                per_click = outcome.gross_minor
                amount = per_click * int(clicks)
                key = day.year * 10000 + day.month * 100 + day.day
                money = Money.from_minor(amount, program.currency)
                rule = outcome.rule.spec
                commission = Commission(
                    id=new_id("com"),
                    organization_id=program.organization_id,
                    program_id=program.id,
                    partner_id=partner_id,
                    kind="clicks",
                    bonus_key=f"clicks:{program.id}:{partner_id}:{key}",
                    contract_version_id=terms.version.id,
                    payout_rule_id=terms.rule_ids[outcome.rule.index],
                    event_type="click",
                    basis_minor=0,
                    gross_minor=amount,
                    lines=[],
                    month_key=key // 100,
                    day_key=key,
                    status=CommissionStatus.PENDING.value,
                    amount_minor=amount,
                    original_minor=amount,
                    currency=program.currency,
                    explanation={
                        "kind": "clicks",
                        "day": day.date().isoformat(),
                        "unique_clicks": int(clicks),
                        "per_click": str(Money.from_minor(per_click, program.currency).amount),
                        "rule": {"rank": outcome.rule.index, "name": rule.label()},
                        "contract_version": {
                            "id": terms.version.id,
                            "number": terms.version.number,
                        },
                        "arithmetic": f"{clicks} unique clicks x "
                        f"{Money.from_minor(per_click, program.currency).amount} = {money}",
                    },
                    occurred_at=last_moment,
                    created_at=now,
                    lock_due_at=lock_due_at(end, program.locking_days, program.lock_policy),
                )
                session.add(commission)
                session.flush()
                _accrue(session, program, commission, f"{clicks} clicks on {day.date()}", now)
                created += 1
            day = end
    return created
