"""Commissions, balances and payouts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import Field

from accord.api.deps import CallerDep, Limit, StartingAfter, StoreDep, brands_program
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
    Strict,
)
from accord.commissions import service as commissions
from accord.money import Money
from accord.partners import service as partners
from accord.payouts import exports
from accord.payouts import service as payouts
from accord.programs.service import get_program

if TYPE_CHECKING:  # rows the services return, named in annotations only
    from accord.commissions.tables import Commission
    from accord.payouts.tables import Payout

router = APIRouter()


def _file(media_type: str, description: str) -> dict:
    """A route's 200 answer that is a file, not JSON (errors stay JSON)."""
    kind = "binary" if media_type == "application/pdf" else None
    schema = {"type": "string", **({"format": kind} if kind else {})}
    return {200: {"description": description, "content": {media_type: {"schema": schema}}}}


# Guards: the objects in the path are checked before the query or body is read, so a key
# that may not use them is refused the same way whatever it sends: 403 for a partner's key
# on a brand's action, 404 for another organization's id, as for an id that does not exist.
def brands_batch(batch_id: str, store: StoreDep, caller: CallerDep) -> None:
    payouts.get_batch(store, caller, batch_id)


def visible_payout(payout_id: str, store: StoreDep, caller: CallerDep) -> None:
    payouts.get_payout(store, caller, payout_id)


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
        hold_reason=c.hold_reason,
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
    found = commissions.commissions_page(
        store, caller, limit=limit, starting_after=starting_after, program_id=program_id,
        partner_id=partner_id, status=status,
    )  # fmt: skip
    return Page[CommissionOut](
        data=[commission_out(r) for r in found.rows],
        has_more=found.has_more,
        next_starting_after=found.next_after,
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
        sent=Amount.minor(p.sent_minor, p.sent_currency or p.currency),
        fx_rate=None if p.fx_rate is None else format(p.fx_rate, "f"),
        method=p.method,
        provider_ref=p.provider_ref,
        delivery_status=p.delivery_status,
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
    found = payouts.payouts_page(
        store, caller, limit=limit, starting_after=starting_after, program_id=program_id
    )
    return Page[PayoutOut](
        data=[payout_out(r) for r in found.rows],
        has_more=found.has_more,
        next_starting_after=found.next_after,
    )


@router.get("/payouts/{payout_id}", response_model=PayoutOut, tags=["payouts"])
def get_payout(payout_id: str, store: StoreDep, caller: CallerDep):
    return payout_out(payouts.get_payout(store, caller, payout_id))


@router.post(
    "/payout-batches",
    response_model=PayoutBatchOut,
    status_code=201,
    tags=["payouts"],
    responses={200: {"model": PayoutBatchOut, "description": "Nobody was due: no batch"}},
)
def run_payout_batch(body: PayoutBatchIn, response: Response, store: StoreDep, caller: CallerDep):
    """Pay every partner whose payable balance (net of clawbacks) reaches the threshold.

    201 with the new batch; 200 with `id: null` and no payouts when nobody is due. A
    partner without a payout method is paid by hand, or left out with
    `hold_without_method: true`.
    """
    result = payouts.run_batch(store, caller, body.program_id,
                               hold_without_method=body.hold_without_method)  # fmt: skip
    if result.batch is None:
        response.status_code = 200
    currency = get_program(store, caller, body.program_id).currency
    total = sum(p.amount_minor for p in result.payouts)
    return PayoutBatchOut(
        id=result.batch.id if result.batch else None,
        program_id=body.program_id,
        total=Amount.minor(total, currency),
        payouts=[payout_out(p) for p in result.payouts],
    )


class FundingIn(Strict):
    program_id: str
    amount: Decimal = Field(gt=0, examples=["5000.00"])
    reference: str = Field(min_length=1, max_length=120, description="The transfer reference.")


@router.post("/funding", tags=["payouts"])
def fund_program(body: FundingIn, store: StoreDep, caller: CallerDep) -> dict:
    """Record a deposit the brand made to pay partners; the same reference twice records
    it once. Answers the funding balance: deposits less payouts."""
    balance = payouts.fund_program(store, caller, body.program_id, body.amount, body.reference)
    currency = get_program(store, caller, body.program_id).currency
    return {"program_id": body.program_id, "funding_balance": Amount.minor(balance, currency)}


class PayoutMethodIn(Strict):
    """Where a partner is paid. sepa needs an IBAN (and BIC outside the IBAN's country);
    paypal an email; stripe a connected account id (acct_...)."""

    method: Literal["sepa", "paypal", "stripe", "manual"]
    currency: str | None = Field(
        default=None, min_length=3, max_length=3, description="Payout currency (default: the "
        "program's); converted at the exchange rate in force on the day of the payout."
    )  # fmt: skip
    account_name: str | None = Field(default=None, max_length=70)
    iban: str | None = None
    bic: str | None = None
    paypal_email: str | None = Field(default=None, max_length=320)
    stripe_account_id: str | None = Field(default=None, max_length=64)
    tax_id: str | None = Field(
        default=None,
        max_length=40,
        description="The partner's tax identification number (VAT, EIN, unified social "
        "credit code, ...), for invoices and tax reporting.",
    )


@router.put("/payout-method", tags=["payouts"])
def set_payout_method(body: PayoutMethodIn, store: StoreDep, caller: CallerDep) -> dict:
    """A partner sets how and in which currency they are paid."""
    partner = partners.set_payout_method(store, caller, body.model_dump(exclude_none=True))
    return {
        "partner_id": partner.id,
        "method": partner.payout_method,
        "currency": partner.payout_currency,
        "details": partners.masked_details(partner.payout_details or {}),
    }


@router.post("/schedule/run", tags=["payouts"])
def run_schedule(request: Request, store: StoreDep, caller: CallerDep) -> list[dict]:
    """The periodic work of each of the brand's programs, as `accord schedule run` does:
    pay yesterday's clicks under click rules, lock what is due (approving it for programs
    that approve automatically), then pay the programs whose payout schedule falls today."""
    recorder = getattr(request.app.state, "recorder", None)
    if recorder is not None:
        recorder.flush()  # clicks answered a moment ago are counted
    return [
        {
            "program_id": run.program_id,
            "click_commissions": run.click_commissions,
            "locked": run.locked,
            "auto_approve": run.approved_automatically,
            "payout_batch_id": run.batch.batch.id if run.batch and run.batch.batch else None,
        }
        for run in payouts.run_schedules(store, caller)
    ]


@router.get(
    "/payout-batches/{batch_id}/payouts.csv",
    tags=["payouts"],
    dependencies=[Depends(brands_batch)],
    response_class=Response,
    responses=_file("text/csv", "The batch's payouts, one a row (UTF-8)"),
)
def batch_csv(batch_id: str, store: StoreDep, caller: CallerDep) -> Response:
    """Every payout of a batch as CSV for a finance team."""
    text = exports.batch_csv(store, caller, batch_id)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{batch_id}.csv"'},
    )


@router.get(
    "/payout-batches/{batch_id}/sepa.xml",
    tags=["payouts"],
    dependencies=[Depends(brands_batch)],
    response_class=Response,
    responses=_file("application/xml", "A SEPA credit transfer, pain.001.001.09"),
)
def batch_sepa(
    batch_id: str,
    store: StoreDep,
    caller: CallerDep,
    debtor_name: str,
    debtor_iban: str,
    debtor_bic: str | None = None,
    execution_date: date | None = None,
) -> Response:
    """The batch as a SEPA credit transfer file (pain.001.001.09) to upload to the brand's
    bank: EUR payouts to partners with an IBAN; anything else is refused naming the payout."""
    xml = exports.batch_sepa(
        store,
        caller,
        batch_id,
        debtor_name=debtor_name,
        debtor_iban=debtor_iban,
        debtor_bic=debtor_bic,
        execution_date=execution_date,
    )
    return Response(
        xml,
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{batch_id}.xml"'},
    )


@router.get(
    "/payouts/{payout_id}/statement.pdf",
    tags=["payouts"],
    dependencies=[Depends(visible_payout)],
    response_class=Response,
    responses=_file("application/pdf", "The payout's statement"),
)
def payout_statement(
    payout_id: str, store: StoreDep, caller: CallerDep, locale: str = "en"
) -> Response:
    """The partner's PDF statement for a payout (locale en or zh_Hans)."""
    pdf = exports.statement_pdf(store, caller, payout_id, locale=locale)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{payout_id}.pdf"'},
    )


@router.get(
    "/programs/{program_id}/invoice.pdf",
    tags=["payouts"],
    dependencies=[Depends(brands_program)],
    response_class=Response,
    responses=_file("application/pdf", "The brand's invoice for the period"),
)
def program_invoice(
    program_id: str,
    store: StoreDep,
    caller: CallerDep,
    since: date,
    until: date,
    locale: str = "en",
) -> Response:
    """The brand's PDF invoice for [since, until): commissions approved, clawbacks
    credited, and the platform fee on the net."""
    pdf = exports.invoice_pdf(store, caller, program_id, since=since, until=until, locale=locale)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="invoice-{program_id}.pdf"'},
    )


class SendIn(Strict):
    provider: Literal["paypal", "stripe"]


def _provider(request: Request, name: str):
    """The configured PayPal or Stripe adapter (tests may put their own in app state)."""
    factory = getattr(request.app.state, "payout_provider", None) or exports.provider_for
    return factory(request.app.state.settings, name)


@router.post(
    "/payout-batches/{batch_id}/send", tags=["payouts"], dependencies=[Depends(brands_batch)]
)
def send_batch(batch_id: str, body: SendIn, request: Request, store: StoreDep, caller: CallerDep):
    """Send the batch's payouts through PayPal Payouts or Stripe Connect transfers (to the
    partners who chose that method), with our batch and payout ids as idempotency keys;
    each payout keeps the provider's reference and status. Credentials come from the
    server's settings (ACCORD_PAYPAL_CLIENT_ID/SECRET, ACCORD_STRIPE_SECRET_KEY)."""
    provider = _provider(request, body.provider)
    sent = exports.send_batch(store, caller, batch_id, provider)
    return {
        "batch_id": batch_id,
        "provider": body.provider,
        "payouts": [
            {
                "payout_id": p.id,
                "reference": p.provider_ref,
                "status": p.delivery_status,
                "message": p.delivery_message,
            }
            for p in sent
        ],
    }


@router.post(
    "/payout-batches/{batch_id}/refresh", tags=["payouts"], dependencies=[Depends(brands_batch)]
)
def refresh_batch(
    batch_id: str, body: SendIn, request: Request, store: StoreDep, caller: CallerDep
):
    """Ask the provider where the batch's sent payouts stand now (PayPal: paid, unclaimed,
    returned, failed...) and keep it on each payout. Stripe transfers are final when sent."""
    provider = _provider(request, body.provider)
    updated = exports.refresh_batch(store, caller, batch_id, provider)
    return {
        "batch_id": batch_id,
        "provider": body.provider,
        "payouts": [
            {"payout_id": p.id, "status": p.delivery_status, "message": p.delivery_message}
            for p in updated
        ],
    }
