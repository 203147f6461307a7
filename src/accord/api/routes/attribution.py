"""Attribution: the journey that led to a conversion, and every attribution model over a
program's journeys side by side."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from accord.api.deps import CallerDep, StoreDep, brands_conversion, brands_program
from accord.api.schemas import Amount, ErrorResponse
from accord.attribution import service as attribution
from accord.attribution.insight import models_report

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


# Attribution models side by side ---------------------------------------------------------
class ModelCredit(BaseModel):
    conversions: str = Field(description="Conversions credited (4 decimals).", examples=["12.5"])
    revenue: Amount = Field(description="Revenue credited, in the program's currency.")


class ChannelModelsOut(BaseModel):
    key: str = Field(description="The partner's id, or the partner type.")
    name: str = Field(description="The partner's name, or the partner type.")
    models: dict[str, ModelCredit] = Field(
        description="By model: last_touch, first_touch, linear, position_based (40/20/40), "
        "time_decay (half life 7 days), markov, shapley, ordered_shapley."
    )
    ordered_shapley_by_position: list[str] = Field(
        description="Its ordered Shapley conversions as the 1st, the 2nd, and a later touch."
    )
    markov_removal_effect: str = Field(
        description="1 - P(conversion without it) / P(conversion): what the chain loses "
        "without its touches (0 to 1)."
    )
    touches: int
    first_share: str = Field(description="Share of its touches that open a journey.")
    middle_share: str = Field(description="Share of its touches between the first and last.")
    last_share: str = Field(description="Share of its touches that close a journey.")
    only_share: str = Field(description="Share of its touches that are a journey's only one.")
    role: Literal["introducer", "influencer", "closer", "alone"]


class AttributionModelsOut(BaseModel):
    program_id: str
    by: Literal["partner", "partner_type"]
    order: int = Field(description="The Markov chain's memory, in touches.")
    currency: str
    journeys: int = Field(description="Conversions with a kept journey in the period.")
    multi_touch: int = Field(description="Of those, the ones with two touches or more.")
    paths: int = Field(description="Distinct paths the models were fitted on.")
    revenue: Amount = Field(description="The revenue of the journeys with a touch.")
    converting_paths_only: bool = Field(
        description="Always true: only the journeys of conversions are kept, so the Markov "
        "removal effects measure presence on converting paths, not uplift."
    )
    models: list[str]
    channels: list[ChannelModelsOut]


MODEL_ERRORS = {
    **ERRORS,
    403: {"model": ErrorResponse, "description": "A partner's key: the models are the brand's"},
    404: {"model": ErrorResponse, "description": "Unknown program"},
}


def _day(value: date | None) -> datetime | None:
    return None if value is None else datetime.combine(value, time(), UTC)


@router.get(
    "/programs/{program_id}/attribution/models",
    response_model=AttributionModelsOut,
    responses=MODEL_ERRORS,
    dependencies=[Depends(brands_program)],
)
def get_attribution_models(
    program_id: str,
    store: StoreDep,
    caller: CallerDep,
    by: Annotated[
        Literal["partner", "partner_type"], Query(description="Credit partners or partner types.")
    ] = "partner",
    since: Annotated[date | None, Query(description="First day (UTC) of conversions.")] = None,
    until: Annotated[date | None, Query(description="The day (UTC) after the last one.")] = None,
    order: Annotated[int, Query(ge=1, le=3, description="Markov order: 1, 2 or 3.")] = 1,
) -> AttributionModelsOut:
    """Every attribution model over the program's journeys, side by side: the conversions and
    revenue last touch, first touch, linear, position-based, time decay, the Markov chain of
    the order asked for, Shapley and ordered Shapley credit to each partner (or partner type),
    and where its touches fall: introducer, influencer or closer."""
    report = models_report(
        store, caller, program_id, by=by, order=order, since=_day(since), until=_day(until)
    )
    return AttributionModelsOut(
        program_id=report.program_id,
        by=report.by,
        order=report.order,
        currency=report.currency,
        journeys=report.journeys,
        multi_touch=report.multi_touch,
        paths=report.paths,
        revenue=Amount(amount=str(report.revenue.amount), currency=report.currency),
        converting_paths_only=True,
        models=list(report.models),
        channels=[
            ChannelModelsOut(
                key=r.key,
                name=r.name,
                models={
                    m: ModelCredit(
                        conversions=str(r.conversions[m]),
                        revenue=Amount(amount=str(r.revenue[m].amount), currency=report.currency),
                    )
                    for m in report.models
                },
                ordered_shapley_by_position=[str(v) for v in r.by_position],
                markov_removal_effect=str(r.removal_effect),
                touches=r.touches,
                first_share=str(r.first),
                middle_share=str(r.middle),
                last_share=str(r.last),
                only_share=str(r.only),
                role=r.role,
            )
            for r in report.rows
        ],
    )
