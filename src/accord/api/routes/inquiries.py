"""Inquiries about missing commissions: partners open them, brands accept or decline them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from accord.api.deps import CallerDep, Limit, StartingAfter, StoreDep
from accord.api.schemas import Amount, ErrorResponse, Page, Strict
from accord.inquiries import service as inquiries
from accord.inquiries.model import MAX_EVIDENCE, MAX_ORDER_ID, MAX_REASON
from accord.store.engine import Store
from accord.tenancy.service import require_brand

if TYPE_CHECKING:  # rows the services return, named in annotations only
    from accord.inquiries.tables import Inquiry

router = APIRouter(tags=["inquiries"])


def brands_inquiry(inquiry_id: str, store: StoreDep, caller: CallerDep) -> None:
    """A decision's inquiry, checked before the body is read: a partner's key is refused
    and another brand's inquiry is 404 whatever the body, as an id that does not exist."""
    require_brand(caller)
    inquiries.get_inquiry(store, caller, inquiry_id)


ERRORS = {
    401: {"model": ErrorResponse, "description": "Missing or unknown API key"},
    403: {"model": ErrorResponse, "description": "Not allowed for this kind of key"},
    404: {"model": ErrorResponse, "description": "Unknown program or inquiry"},
    409: {"model": ErrorResponse, "description": "Already asked, already decided, or recorded"},
    422: {"model": ErrorResponse, "description": "A field is wrong; `field` names it"},
}


class InquiryIn(Strict):
    """An order the partner expected a commission for and did not see."""

    program_id: str = Field(min_length=1, max_length=40)
    order_id: str = Field(
        min_length=1, max_length=MAX_ORDER_ID, description="The brand's order id, as on receipts."
    )
    occurred_at: datetime = Field(
        description="When the order was placed: ISO 8601 with a timezone, at most 180 days ago."
    )
    amount: Decimal = Field(description='Order value as a decimal string, e.g. "129.90".')
    currency: str = Field(
        min_length=3, max_length=3, description="ISO 4217 code; must be the program's currency."
    )
    event_type: str = Field(
        default="sale", description="sale, lead, signup, install, first_purchase, or custom:<name>"
    )
    evidence: str = Field(
        min_length=1,
        max_length=MAX_EVIDENCE,
        description="What shows the order came through you: a receipt, a chat, a link used.",
    )


class AcceptIn(Strict):
    """Accept an inquiry, optionally correcting the order value."""

    amount: Decimal | None = Field(
        default=None,
        description="The order value as the brand knows it; omit to keep the one asked.",
    )
    note: str | None = Field(
        default=None, max_length=MAX_REASON, description="Shown to the partner."
    )


class DeclineIn(Strict):
    """Decline an inquiry; the reason is shown to the partner."""

    reason: str = Field(min_length=1, max_length=MAX_REASON)


class InquiryOut(BaseModel):
    id: str
    program_id: str
    partner_id: str
    order_id: str
    event_type: str
    occurred_at: datetime
    amount: Amount
    status: str = Field(description="open, accepted or declined")
    evidence: str
    decision_reason: str | None = Field(description="The brand's note or reason for declining.")
    conversion_id: str | None = Field(description="The conversion an acceptance recorded.")
    commission_ids: list[str] = Field(description="The partner's commissions on that conversion.")
    opened_at: datetime
    decided_at: datetime | None


def inquiry_out(inquiry: Inquiry, commission_ids: list[str]) -> InquiryOut:
    return InquiryOut(
        id=inquiry.id,
        program_id=inquiry.program_id,
        partner_id=inquiry.partner_id,
        order_id=inquiry.order_id,
        event_type=inquiry.event_type,
        occurred_at=inquiry.occurred_at,
        amount=Amount.minor(inquiry.amount_minor, inquiry.currency),
        status=inquiry.status,
        evidence=inquiry.evidence,
        decision_reason=inquiry.decision_reason,
        conversion_id=inquiry.conversion_id,
        commission_ids=commission_ids,
        opened_at=inquiry.opened_at,
        decided_at=inquiry.decided_at,
    )


def _out(store: Store, inquiry: Inquiry) -> InquiryOut:
    return inquiry_out(inquiry, inquiries.commission_ids(store, [inquiry])[inquiry.id])


@router.post("/inquiries", response_model=InquiryOut, status_code=201, responses=ERRORS)
def open_inquiry(body: InquiryIn, store: StoreDep, caller: CallerDep):
    """Ask the brand about an order that earned no commission (partner keys only).

    One inquiry per order and partner; an order already credited to you is refused with
    its conversion and commission ids. The brand then accepts or declines it.
    """
    inquiry = inquiries.open_inquiry(
        store,
        caller,
        body.program_id,
        order_id=body.order_id,
        occurred_at=body.occurred_at,
        amount=body.amount,
        currency=body.currency,
        event_type=body.event_type,
        evidence=body.evidence,
    )
    return inquiry_out(inquiry, [])


@router.get("/inquiries", response_model=Page[InquiryOut])
def list_inquiries(
    store: StoreDep,
    caller: CallerDep,
    limit: Limit = 100,
    starting_after: StartingAfter = None,
    program_id: str | None = None,
    status: str | None = None,
):
    """Inquiries about the brand's programs (a partner sees only its own), oldest first.

    Filter by `program_id` and by `status`: open, accepted or declined.
    """
    found = inquiries.inquiries_page(
        store, caller, program_id, status, limit=limit, starting_after=starting_after
    )
    ids = inquiries.commission_ids(store, found.rows)
    return Page[InquiryOut](
        data=[inquiry_out(r, ids[r.id]) for r in found.rows],
        has_more=found.has_more,
        next_starting_after=found.next_after,
    )


@router.get("/inquiries/{inquiry_id}", response_model=InquiryOut, responses=ERRORS)
def get_inquiry(inquiry_id: str, store: StoreDep, caller: CallerDep):
    """One inquiry, with the brand's decision and the commissions it led to."""
    return _out(store, inquiries.get_inquiry(store, caller, inquiry_id))


@router.post(
    "/inquiries/{inquiry_id}/accept",
    response_model=InquiryOut,
    responses=ERRORS,
    dependencies=[Depends(brands_inquiry)],
)
def accept_inquiry(
    inquiry_id: str, store: StoreDep, caller: CallerDep, body: AcceptIn | None = None
):
    """Accept an open inquiry (brand keys only).

    The order is recorded as a conversion credited to the partner (source `inquiry`), and
    its commission follows the partner's contract. If the order was already recorded with
    other values, the answer is 409 naming them: reverse that conversion first, or decline.
    """
    body = body or AcceptIn()
    done = inquiries.accept_inquiry(store, caller, inquiry_id, amount=body.amount, note=body.note)
    return inquiry_out(done.inquiry, done.commission_ids)


@router.post(
    "/inquiries/{inquiry_id}/decline",
    response_model=InquiryOut,
    responses=ERRORS,
    dependencies=[Depends(brands_inquiry)],
)
def decline_inquiry(inquiry_id: str, body: DeclineIn, store: StoreDep, caller: CallerDep):
    """Decline an open inquiry with a reason the partner sees (brand keys only)."""
    done = inquiries.decline_inquiry(store, caller, inquiry_id, reason=body.reason)
    return inquiry_out(done.inquiry, [])
