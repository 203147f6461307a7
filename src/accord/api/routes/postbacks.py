"""Postback endpoints a partner registers, and the deliveries made to them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from accord.api.deps import CallerDep, Limit, StartingAfter, StoreDep
from accord.api.schemas import Page, Strict
from accord.errors import InvalidInput
from accord.postbacks import service as postbacks
from accord.postbacks.model import MACROS, PostbackEventType

if TYPE_CHECKING:  # rows the services return, named in annotations only
    from accord.postbacks.tables import PostbackDelivery, PostbackEndpoint

router = APIRouter(tags=["postbacks"])


def partners_endpoint(postback_id: str, store: StoreDep, caller: CallerDep) -> None:
    """The calling partner's own endpoint, checked before the query is read: a brand's key
    is refused, another partner's endpoint is 404 as an id that does not exist."""
    postbacks.get_endpoint(store, caller, postback_id)


_MACRO_LIST = ", ".join("{" + name + "}" for name in MACROS)


class PostbackIn(Strict):
    url: str = Field(
        description=f"An http(s) URL; its path and query may use the macros {_MACRO_LIST}, "
        "each replaced by its URL-encoded value.",
        examples=["https://partner.example/pb?click={click_id}&payout={payout}&s1={sub1}"],
    )
    program_id: str | None = Field(
        default=None, description="Only this program's commissions; leave out for all."
    )
    events: list[str] | None = Field(
        default=None,
        description="Events to send; leave out for all: "
        + ", ".join(e.value for e in PostbackEventType),
    )


class PostbackOut(BaseModel):
    id: str
    partner_id: str
    program_id: str | None
    url: str
    events: list[str]
    active: bool
    created_at: datetime


class NewPostbackOut(PostbackOut):
    secret: str = Field(
        description="The signing secret (`whsec_` + base64 key), shown in this response only. "
        "Each request carries webhook-id, webhook-timestamp and webhook-signature headers, "
        'as Standard Webhooks: "v1," + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")).'
    )


class DeliveryOut(BaseModel):
    id: str = Field(description="Also the webhook-id header: the same on every retry.")
    endpoint_id: str
    commission_id: str
    event: str
    url: str
    body: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


def postback_out(e: PostbackEndpoint) -> PostbackOut:
    return PostbackOut(
        id=e.id,
        partner_id=e.partner_id,
        program_id=e.program_id,
        url=e.url_template,
        events=list(e.events),
        active=e.active,
        created_at=e.created_at,
    )


def delivery_out(d: PostbackDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=d.id,
        endpoint_id=d.endpoint_id,
        commission_id=d.commission_id,
        event=d.event,
        url=d.url,
        body=json.loads(d.body),
        status=d.status,
        attempts=d.attempts,
        next_attempt_at=d.next_attempt_at,
        last_status_code=d.last_status_code,
        last_error=d.last_error,
        created_at=d.created_at,
        delivered_at=d.delivered_at,
    )


@router.post("/postbacks", response_model=NewPostbackOut, status_code=201)
def register_postback(body: PostbackIn, request: Request, store: StoreDep, caller: CallerDep):
    """Register a postback URL (a partner's key). Accord calls it when a conversion is
    attributed to the partner and when the commission's status changes, retrying for up
    to three days. The signing secret is in this response only; send an `Idempotency-Key`
    header to retry safely (the retry returns the same endpoint and secret)."""
    key = request.headers.get("idempotency-key")
    if key is not None and not 1 <= len(key) <= 200:
        raise InvalidInput(
            "idempotency_key", "the Idempotency-Key header takes 1 to 200 characters"
        )
    endpoint = postbacks.register_endpoint(
        store,
        caller,
        body.url,
        program_id=body.program_id,
        events=body.events,
        allow_private=request.app.state.settings.postback_allow_private,
        idempotency_key=key,
    )
    return NewPostbackOut(**postback_out(endpoint).model_dump(), secret=endpoint.secret)


@router.get("/postbacks", response_model=list[PostbackOut])
def list_postbacks(store: StoreDep, caller: CallerDep):
    """The partner's postback endpoints, disabled ones included (secrets are not shown)."""
    return [postback_out(e) for e in postbacks.list_endpoints(store, caller)]


@router.delete("/postbacks/{postback_id}", status_code=204)
def delete_postback(postback_id: str, store: StoreDep, caller: CallerDep):
    """Disable an endpoint: nothing more is sent to it, pending deliveries included."""
    postbacks.disable_endpoint(store, caller, postback_id)
    return Response(status_code=204)


@router.get(
    "/postbacks/{postback_id}/deliveries",
    response_model=Page[DeliveryOut],
    dependencies=[Depends(partners_endpoint)],
)
def list_deliveries(
    postback_id: str,
    store: StoreDep,
    caller: CallerDep,
    limit: Limit = 100,
    starting_after: StartingAfter = None,
    status: str | None = None,
):
    """What was sent to an endpoint, oldest first: status, attempts, the last answer."""
    found = postbacks.deliveries_page(
        store, postback_id, limit=limit, starting_after=starting_after, status=status
    )
    return Page[DeliveryOut](
        data=[delivery_out(d) for d in found.rows],
        has_more=found.has_more,
        next_starting_after=found.next_after,
    )
