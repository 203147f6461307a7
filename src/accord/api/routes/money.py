"""Commissions, balances and payouts."""

from __future__ import annotations

from fastapi import APIRouter, Response

from accord.api.deps import CallerDep, Limit, StartingAfter, StoreDep, page
from accord.api.schemas import (
    AdjustmentOut,
    Amount,
    ApproveIn,
    BalanceOut,
    CommissionDetail,
    CommissionOut,
    CountOut,
    LockIn,
    Page,
    PayoutBatchIn,
    PayoutBatchOut,
    PayoutOut,
)
from accord.commissions import service as commissions
from accord.commissions.tables import Commission
from accord.money import Money
from accord.payouts import service as payouts
from accord.payouts.tables import Payout
from accord.programs.service import load_program

router = APIRouter()


def commission_out(c: Commission) -> CommissionOut:
    return CommissionOut(
        id=c.id,
        program_id=c.program_id,
        partner_id=c.partner_id,
        kind=c.kind,
        conversion_id=c.conversion_id,
        status=c.status,
        amount=Amount.minor(c.amount_minor, c.currency),
        original_amount=Amount.minor(c.original_minor, c.currency),
        gross_amount=Amount.minor(c.gross_minor, c.currency),
        contract_version_id=c.contract_version_id,
        payout_rule_id=c.payout_rule_id,
        occurred_at=c.occurred_at,
        lock_due_at=c.lock_due_at,
        locked_at=c.locked_at,
        approved_at=c.approved_at,
        paid_at=c.paid_at,
        reversed_at=c.reversed_at,
        payout_id=c.payout_id,
    )


@router.get("/commissions", response_model=Page[CommissionOut], tags=["commissions"])
def list_commissions(
    store: StoreDep,
    caller: CallerDep,
    limit: Limit = 100,
    starting_after: StartingAfter = None,
    program_id: str | None = None,
    partner_id: str | None = None,
    status: str | None = None,
):
    query = commissions.visible_commissions(caller)
    if program_id:
        query = query.where(Commission.program_id == program_id)
    if partner_id:
        query = query.where(Commission.partner_id == partner_id)
    wanted = commissions.parse_status(status)
    if wanted:
        query = query.where(Commission.status == wanted.value)
    with store.read() as session:
        rows, more, nxt = page(session, query, Commission.id, limit, starting_after)
    return Page[CommissionOut](
        data=[commission_out(r) for r in rows], has_more=more, next_starting_after=nxt
    )


@router.get("/commissions/{commission_id}", response_model=CommissionDetail, tags=["commissions"])
def get_commission(commission_id: str, store: StoreDep, caller: CallerDep):
    """One commission with its explanation: the contract version, the rule, the arithmetic."""
    c, adjustments = commissions.get_commission(store, caller, commission_id)
    return CommissionDetail(
        **commission_out(c).model_dump(),
        explanation=c.explanation,
        adjustments=[
            AdjustmentOut(
                id=a.id,
                change=Amount.minor(a.delta_minor, a.currency),
                reason_code=a.reason_code,
                status_before=a.status_before,
                reversal_id=a.reversal_id,
                at=a.at,
            )
            for a in adjustments
        ],
    )


@router.get("/commissions/{commission_id}/explain", tags=["commissions"])
def explain_commission(commission_id: str, store: StoreDep, caller: CallerDep) -> dict:
    """Why this amount: the contract version and rule that matched, the inputs (amounts in
    the program currency, the exchange rate if one was used), each line's arithmetic, caps,
    tiers, and every adjustment since, adding up to the current amount."""
    return commissions.explain(store, caller, commission_id)


@router.post("/commissions/lock", response_model=CountOut, tags=["commissions"])
def lock_commissions(body: LockIn, store: StoreDep, caller: CallerDep):
    """Lock pending commissions whose locking period has passed (the scheduler does this too)."""
    return CountOut(count=commissions.lock_due(store, caller, body.program_id))


@router.post("/commissions/approve", response_model=CountOut, tags=["commissions"])
def approve_commissions(body: ApproveIn, store: StoreDep, caller: CallerDep):
    """Approve locked commissions in bulk; their money becomes payable."""
    ids = commissions.approve(store, caller, body.program_id, body.commission_ids)
    return CountOut(count=len(ids), ids=ids)


@router.get("/balances", response_model=list[BalanceOut], tags=["payouts"])
def list_balances(program_id: str, store: StoreDep, caller: CallerDep):
    """Each partner's pending, payable and paid amounts, derived from the ledger."""
    return [
        BalanceOut(
            partner_id=b.partner_id,
            currency=b.currency,
            pending=str(Money.from_minor(b.pending_minor, b.currency).amount),
            payable=str(Money.from_minor(b.payable_minor, b.currency).amount),
            paid=str(Money.from_minor(b.paid_minor, b.currency).amount),
        )
        for b in payouts.partner_balances(store, caller, program_id)
    ]


def payout_out(p: Payout) -> PayoutOut:
    return PayoutOut(
        id=p.id,
        batch_id=p.batch_id,
        program_id=p.program_id,
        partner_id=p.partner_id,
        amount=Amount.minor(p.amount_minor, p.currency),
        commission_count=p.commission_count,
        status=p.status,
        created_at=p.created_at,
    )


@router.get("/payouts", response_model=Page[PayoutOut], tags=["payouts"])
def list_payouts(
    store: StoreDep,
    caller: CallerDep,
    limit: Limit = 100,
    starting_after: StartingAfter = None,
    program_id: str | None = None,
):
    query = payouts.visible_payouts(caller)
    if program_id:
        query = query.where(Payout.program_id == program_id)
    with store.read() as session:
        rows, more, nxt = page(session, query, Payout.id, limit, starting_after)
    return Page[PayoutOut](
        data=[payout_out(r) for r in rows], has_more=more, next_starting_after=nxt
    )


@router.get("/payouts/{payout_id}", response_model=PayoutOut, tags=["payouts"])
def get_payout(payout_id: str, store: StoreDep, caller: CallerDep):
    return payout_out(payouts.get_payout(store, caller, payout_id))


@router.post("/payout-batches", response_model=PayoutBatchOut, status_code=201, tags=["payouts"])
def run_payout_batch(body: PayoutBatchIn, response: Response, store: StoreDep, caller: CallerDep):
    """Pay every partner whose payable balance (net of clawbacks) reaches the threshold.

    201 with the new batch; 200 with `id: null` and no payouts when nobody is due.
    """
    result = payouts.run_batch(store, caller, body.program_id)
    if result.batch is None:
        response.status_code = 200
    with store.read() as session:
        currency = load_program(session, caller, body.program_id).currency
    total = sum(p.amount_minor for p in result.payouts)
    return PayoutBatchOut(
        id=result.batch.id if result.batch else None,
        program_id=body.program_id,
        total=Amount.minor(total, currency),
        payouts=[payout_out(p) for p in result.payouts],
    )
