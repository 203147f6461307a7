"""Use cases for commissions: create on conversion, lock, approve, adjust, read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accord.commissions.model import (
    UNAPPROVED,
    CommissionStatus,
    check_transition,
    lock_due_at,
)
from accord.commissions.tables import Commission, CommissionAdjustment
from accord.contracts.model import CustomerStatus, Facts, apply_rule, quote
from accord.contracts.service import terms_at, to_rule
from accord.contracts.tables import PayoutRule
from accord.errors import InvalidInput, NotFound
from accord.ids import new_id
from accord.ledger.model import AccountKind, accounts_for, transfer
from accord.ledger.service import post
from accord.money import Money
from accord.postbacks.service import enqueue
from accord.programs.service import load_program
from accord.programs.tables import Program
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand


def create_commission(
    session: Session,
    program: Program,
    conversion,
    attribution,
    contract_id: str | None,
    now: datetime,
) -> Commission | None:
    """Compute the commission for one attributed share and accrue it in the ledger."""
    terms = terms_at(session, program.id, contract_id, conversion.occurred_at)
    if terms is None:
        return None
    facts = Facts(
        event_type=conversion.event_type,
        customer_status=CustomerStatus(conversion.customer_status),
        amount=Money.from_minor(conversion.amount_minor, conversion.currency),
        share=attribution.share,
    )
    result = quote(terms.rules, facts, terms.contract_version_id)
    if result is None:
        return None
    commission = Commission(
        id=new_id("com"),
        organization_id=program.organization_id,
        program_id=program.id,
        partner_id=attribution.partner_id,
        conversion_id=conversion.id,
        attribution_id=attribution.id,
        contract_version_id=terms.contract_version_id,
        payout_rule_id=result.rule.id,
        status=CommissionStatus.PENDING.value,
        amount_minor=result.amount.minor,
        original_minor=result.amount.minor,
        currency=result.amount.currency,
        explanation=result.explanation,
        occurred_at=conversion.occurred_at,
        created_at=now,
        lock_due_at=lock_due_at(conversion.occurred_at, program.locking_days),
    )
    session.add(commission)
    session.flush()
    acct = accounts_for(program.id, commission.partner_id, commission.currency)
    post(
        session,
        program.organization_id,
        transfer(
            f"commission:{commission.id}:accrue",
            f"commission on order {conversion.order_id}",
            acct[AccountKind.COMMISSION_EXPENSE],
            acct[AccountKind.PARTNER_PENDING],
            result.amount,
        ),
        now,
    )
    enqueue(session, commission, conversion, "conversion.attributed", now)
    return commission


def adjust_for_reversal(
    session: Session,
    commission: Commission,
    remaining: Money,
    share,
    reason_code: str,
    reversal_id: str,
    now: datetime,
) -> int:
    """Recompute a commission on the order's remaining amount and post the difference.

    Percent rules shrink with the amount; a fixed amount stays until the whole order is
    reversed. Money already approved or paid comes back out of the partner's payable
    balance, which may go negative: a clawback netted against the next payout.
    """
    if commission.status == CommissionStatus.REVERSED:
        return 0
    rule = to_rule(session.get(PayoutRule, commission.payout_rule_id))
    if remaining.is_zero():
        target = Money.zero(commission.currency)
    else:
        target = apply_rule(rule, remaining, share)
    delta = target.minor - commission.amount_minor
    status_before = commission.status
    if delta:
        session.add(
            CommissionAdjustment(
                id=new_id("adj"),
                commission_id=commission.id,
                delta_minor=delta,
                currency=commission.currency,
                reason_code=reason_code,
                status_before=status_before,
                reversal_id=reversal_id,
                at=now,
            )
        )
        acct = accounts_for(commission.program_id, commission.partner_id, commission.currency)
        side = (
            AccountKind.PARTNER_PENDING
            if CommissionStatus(status_before) in UNAPPROVED
            else AccountKind.PARTNER_PAYABLE
        )
        post(
            session,
            commission.organization_id,
            transfer(
                f"reversal:{reversal_id}:{commission.id}",
                f"reversal ({reason_code})",
                acct[AccountKind.COMMISSION_EXPENSE],
                acct[side],
                Money.from_minor(delta, commission.currency),
            ),
            now,
        )
        commission.amount_minor = target.minor
    if remaining.is_zero():
        check_transition(commission.status, CommissionStatus.REVERSED, commission.id)
        commission.status = CommissionStatus.REVERSED.value
        commission.reversed_at = now
    if delta or remaining.is_zero():
        event = "commission.reversed" if remaining.is_zero() else "commission.adjusted"
        enqueue(session, commission, None, event, now)
    return delta


def lock_due(store: Store, caller: Caller, program_id: str) -> int:
    """Lock every pending commission whose locking period has passed; returns how many."""
    require_brand(caller)
    now = store.clock.now()
    with store.unit() as session:
        load_program(session, caller, program_id)
        result = session.execute(
            update(Commission)
            .where(
                Commission.program_id == program_id,
                Commission.status == CommissionStatus.PENDING.value,
                Commission.lock_due_at <= now,
            )
            .values(
                status=CommissionStatus.LOCKED.value, locked_at=now, version=Commission.version + 1
            )
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)


def approve(
    store: Store, caller: Caller, program_id: str, commission_ids: Sequence[str] | None = None
) -> list[str]:
    """Approve locked commissions (the listed ones, or all locked); moves money to payable.

    Approving a commission that is not locked is refused, naming it; a second approval of
    the same commission fails instead of paying twice.
    """
    require_brand(caller)
    now = store.clock.now()
    with store.unit() as session:
        # The program row lock orders approvals with payout batches: a batch never sees a
        # commission approved half-way through it.
        program = load_program(session, caller, program_id, for_update=True)
        query = select(Commission).where(Commission.program_id == program.id)
        if commission_ids is None:
            query = query.where(Commission.status == CommissionStatus.LOCKED.value)
        else:
            query = query.where(Commission.id.in_(list(commission_ids)))
        rows = list(session.scalars(query.order_by(Commission.id)))
        if commission_ids is not None:
            missing = set(commission_ids) - {c.id for c in rows}
            if missing:
                raise NotFound("commission", sorted(missing)[0], field="commission_ids")
        approved = []
        for commission in rows:
            check_transition(commission.status, CommissionStatus.APPROVED, commission.id)
            commission.status = CommissionStatus.APPROVED.value
            commission.approved_at = now
            acct = accounts_for(program.id, commission.partner_id, commission.currency)
            post(
                session,
                program.organization_id,
                transfer(
                    f"commission:{commission.id}:approve",
                    "commission approved",
                    acct[AccountKind.PARTNER_PENDING],
                    acct[AccountKind.PARTNER_PAYABLE],
                    Money.from_minor(commission.amount_minor, commission.currency),
                ),
                now,
            )
            enqueue(session, commission, None, "commission.approved", now)
            approved.append(commission.id)
        session.flush()
        return approved


def visible_commissions(caller: Caller):
    query = select(Commission)
    if caller.is_brand:
        return query.where(Commission.organization_id == caller.organization_id)
    return query.where(Commission.partner_id == caller.partner_id)


def get_commission(store: Store, caller: Caller, commission_id: str) -> tuple[Commission, list]:
    with store.read() as session:
        commission = session.scalar(
            visible_commissions(caller).where(Commission.id == commission_id)
        )
        if commission is None:
            raise NotFound("commission", commission_id, field="commission_id")
        adjustments = list(
            session.scalars(
                select(CommissionAdjustment)
                .where(CommissionAdjustment.commission_id == commission.id)
                .order_by(CommissionAdjustment.at)
            )
        )
        return commission, adjustments


def parse_status(value: str | None) -> CommissionStatus | None:
    if value is None:
        return None
    try:
        return CommissionStatus(value)
    except ValueError:
        allowed = ", ".join(s.value for s in CommissionStatus)
        raise InvalidInput("status", f"{value!r} is not one of: {allowed}") from None
