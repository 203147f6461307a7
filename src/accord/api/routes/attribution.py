"""Attribution: the journey that led to a conversion."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from accord.api.deps import CallerDep, StoreDep, brands_conversion
from accord.api.schemas import Amount, ErrorResponse
from accord.attribution import service as attribution

router = APIRouter(tags=["attribution"])

ERRORS = {
    401: {"model": ErrorResponse, "description": "Missing or unknown API key"},
    403: {"model": ErrorResponse, "description": "A partner's key: journeys are the brand's"},
    404: {"model": ErrorResponse, "description": "Unknown conversion, or kept no journey"},
}


class JourneyStepOut(BaseModel):
    position: int = Field(description="Order in the journey, from 0 (oldest first).")
    type: str = Field(
        description="click, impression, promo_code, app_identity (a click an app or "
        "mini-program event was led back to), subscription or inquiry."
    )
    via: str = Field(
        description="How it is tied to the customer: click_id, code, customer (an earlier "
        "journey of the same customer id), shopper (same IP and browser), assigned, or the "
        "app identity's kind (gaid, idfa, idfv, openid, unionid)."
    )
    ref: str = Field(description="The click, impression or first order id, or the code.")
    at: datetime | None = Field(description="When it happened; none: at the conversion.")
    partner_id: str
    partner_type: str | None
    link_id: str | None
    credited: bool = Field(description="Whether it won credit for the conversion.")
    share: str | None = Field(description="Its share of the credit (1 = all of it).")


class JourneyOut(BaseModel):
    conversion_id: str
    program_id: str
    event_type: str
    converted_at: datetime
    value: Amount = Field(description="The order's amount in the program's currency.")
    model: str = Field(description="The attribution model that decided the credit.")
    reason: str = Field(description="Why the credit went where it did (or nowhere).")
    steps: list[JourneyStepOut]


@router.get(
    "/conversions/{conversion_id}/journey",
    response_model=JourneyOut,
    responses=ERRORS,
    dependencies=[Depends(brands_conversion)],
)
def get_journey(conversion_id: str, store: StoreDep, caller: CallerDep) -> JourneyOut:
    """The touchpoints that led to the conversion within the program's window, in order,
    with partner, partner type and link, and which of them won credit, with its share."""
    kept = attribution.journey(store, caller, conversion_id)
    return JourneyOut(
        conversion_id=kept.conversion_id,
        program_id=kept.program_id,
        event_type=kept.event_type,
        converted_at=kept.converted_at,
        value=Amount.minor(kept.value_minor, kept.currency),
        model=kept.model,
        reason=kept.reason,
        steps=[
            JourneyStepOut(
                position=s.position,
                type=s.step_type,
                via=s.via,
                ref=s.ref,
                at=s.at,
                partner_id=s.partner_id,
                partner_type=s.partner_type,
                link_id=s.link_id,
                credited=s.credited,
                share=str(s.share) if s.share is not None else None,
            )
            for s in kept.steps
        ],
    )
