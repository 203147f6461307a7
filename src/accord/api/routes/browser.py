"""The browser side of tracking: the first-party tag, its event endpoint and the pixel.

These endpoints take no API key: they are called from shoppers' browsers on the brand's
site, and anyone can call them. What they may do is the program's `browser_events` setting
(accord.conversions.browser): off by default; when on, an event's commissions are held
until the brand's server confirms the order, or the event carries a token the brand's
server signed. The Origin or Referer must name the program's own site, which stops other
sites' pages, not a forger. Everything refused is kept as a rejected event with its reason.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from accord.api import bodies
from accord.api.deps import CallerDep, StoreDep, brands_conversion
from accord.api.schemas import Amount, ErrorResponse, Strict
from accord.conversions import browser
from accord.conversions.service import keep_rejected, record_conversion
from accord.edge.click import PIXEL
from accord.errors import (
    AccordError,
    Forbidden,
    InvalidInput,
    NotFound,
)
from accord.programs.service import find_program
from accord.store.engine import Store
from accord.tenancy.model import Caller, OrganizationKind
from accord.tracking.model import host_permitted

router = APIRouter(tags=["browser tracking"])
#: The brand's side of browser events, under /api/v1 with a key.
api_router = APIRouter(tags=["conversions"])
TAG = Path(__file__).resolve().parents[2] / "edge" / "accord.js"
CORS = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "POST, OPTIONS",
    "access-control-allow-headers": "content-type",
    "access-control-max-age": "86400",
}


@cache
def _tag() -> bytes:
    return TAG.read_bytes()


@router.get(
    "/accord.js",
    response_class=Response,
    responses={
        200: {
            "description": "The tag's source",
            "content": {"application/javascript": {"schema": {"type": "string"}}},
        }
    },
)
def tag() -> Response:
    """The first-party JavaScript tag (see its header comment for how to install it)."""
    return Response(
        _tag(),
        media_type="application/javascript",
        headers={"cache-control": "public, max-age=3600"},
    )


def _site(request: Request) -> str | None:
    for header in ("origin", "referer"):
        value = request.headers.get(header)
        if value and value != "null":
            return urlsplit(value).hostname
    return None


def _record(
    store: Store, data: dict, site: str | None, source: str, flush=None, refused=None
) -> dict:
    """Validate, check the site and the program's rules for browser events, record;
    returns the result or raises after keeping what was sent."""
    program_id = str(data.get("program_id", ""))
    program = find_program(store, program_id)
    if program is None:
        raise NotFound("program", program_id, field="program_id")
    caller = Caller(program.organization_id, OrganizationKind.BRAND)
    sent = dict(data)
    try:
        if refused is not None:  # what was sent could not be read: kept as it came
            raise refused
        allowed = (
            urlsplit(program.default_landing_url).hostname or "",
            *(program.permitted_domains or []),
        )
        if site is None or not host_permitted(site, tuple(allowed)):
            raise Forbidden(
                f"browser events for this program must come from its own site, not "
                f"{site or 'an unknown page'}; add the host to the program's permitted domains",
                field="origin",
            )
        report, confirmation = browser.admit(program, data, store.clock.now())
        recorded = record_conversion(
            store, caller, report, source=source, flush_clicks=flush, confirmation=confirmation
        )
    except AccordError as error:
        sent.pop("token", None)
        error.rejected_event_id = keep_rejected(store, caller, "conversion", sent, error)
        raise
    return {
        "id": recorded.conversion.id,
        "duplicate": not recorded.created,
        "status": recorded.conversion.status,
        "confirmation": recorded.conversion.confirmation,
    }


def _flush(request: Request):
    """Lets a conversion find a click this process answered a moment ago."""
    recorder = getattr(request.app.state, "recorder", None)
    return recorder.ensure_stored if recorder is not None else None


@router.options("/t/events", include_in_schema=False)
def events_preflight() -> Response:
    return Response(status_code=204, headers=CORS)


class EventResult(BaseModel):
    id: str
    duplicate: bool = Field(description="The same order was reported before.")
    status: str
    confirmation: str | None = Field(
        description="awaiting (held until the brand confirms) or signed"
    )


_EVENT_REFUSED = {"model": ErrorResponse}


@router.post(
    "/t/events",
    responses={
        200: {"model": EventResult, "description": "The same order again: nothing new"},
        201: {"model": EventResult, "description": "Recorded"},
        403: {
            **_EVENT_REFUSED,
            "description": "The program takes no browser events, or not from this site, "
            "or not without a valid token",
        },
        404: {**_EVENT_REFUSED, "description": "Unknown program"},
        409: {**_EVENT_REFUSED, "description": "The same order sent with other values"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The conversion's fields as for POST /api/v1/conversions; the "
            "tag adds `program_id` and the stored `click_id`, and a signed order a `token`.",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/ConversionReport"}}
            },
        }
    },
)
async def browser_event(request: Request) -> Response:
    """A conversion or event sent by the tag (`accord('track', ...)`), as JSON.

    The body is the conversion's fields; the tag adds program_id and the stored click_id.
    """
    store: Store = request.app.state.store
    try:
        data = await bodies.read_json(request)
        if not isinstance(data, dict):
            raise InvalidInput("body", "is not a JSON object")
    except AccordError as error:
        body = {"error": error.as_dict()}
        return Response(json.dumps(body), error.status, headers=CORS, media_type="application/json")
    try:
        result = await run_in_threadpool(
            _record, store, data, _site(request), "js", _flush(request)
        )
    except AccordError as error:
        body = error.as_dict()
        if getattr(error, "rejected_event_id", None):
            body["rejected_event_id"] = error.rejected_event_id
        return Response(
            json.dumps({"error": body}), error.status, headers=CORS, media_type="application/json"
        )
    return Response(
        json.dumps(result),
        200 if result["duplicate"] else 201,
        headers=CORS,
        media_type="application/json",
    )


@router.options("/t/leads", include_in_schema=False)
def leads_preflight() -> Response:
    return Response(status_code=204, headers=CORS)


class VisitResult(BaseModel):
    recorded: str = Field(description="activity (the browser's person is known) or waiting "
                          "(kept by the cookie id until the person is)")  # fmt: skip
    contact_id: str | None = Field(default=None, description="With `identify`: the person.")


def _visit(store: Store, data: dict, site: str | None) -> dict:
    from pydantic import ValidationError

    from accord.leads.model import Capture
    from accord.leads.service import capture
    from accord.leads.visits import Visit, record_visit

    try:
        visit = Visit.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise InvalidInput(where, first["msg"].removeprefix("Value error, ")) from None
    program = find_program(store, visit.program_id)
    if program is None:
        raise NotFound("program", visit.program_id, field="program_id")
    allowed = (urlsplit(program.default_landing_url).hostname or "",
               *(program.permitted_domains or []))  # fmt: skip
    if site is None or not host_permitted(site, tuple(allowed)):
        raise Forbidden(
            f"page views for this brand must come from its own site, not "
            f"{site or 'an unknown page'}; add the host to a program's permitted domains",
            field="origin",
        )
    if visit.identify is not None:
        caller = Caller(program.organization_id, OrganizationKind.BRAND, None,
                        scopes=frozenset({"leads:write"}))  # fmt: skip
        given = visit.identify.model_dump(exclude_none=True)
        if not ({"email", "phone", "customer_id"} & given.keys()):
            raise InvalidInput("identify", "give an email, a phone or a customer_id")
        try:
            report = Capture(**given, cookie=visit.vid, type="identified", channel="web",
                             subject=(visit.title or visit.url or "")[:500] or None,
                             referrer=visit.referrer)  # fmt: skip
        except ValidationError as error:
            first = error.errors()[0]
            where = "identify." + ".".join(str(p) for p in first["loc"])
            raise InvalidInput(where, first["msg"].removeprefix("Value error, ")) from None
        done = capture(store, caller, report)
        return {"recorded": "activity", "contact_id": done.contact_id}
    return {"recorded": record_visit(store, program.organization_id, visit.vid, visit)}


@router.post(
    "/t/leads",
    responses={
        202: {"model": VisitResult, "description": "Recorded"},
        403: {**_EVENT_REFUSED, "description": "Not from the brand's own site"},
        404: {**_EVENT_REFUSED, "description": "Unknown program"},
        422: {**_EVENT_REFUSED, "description": "A field is wrong; `field` names it"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "A page view or event from the tag: program_id, vid (the "
            "browser's cookie id), type, url, title, referrer, utm, data; with `identify` "
            "({email, phone, customer_id, name, company, title}) it names the person.",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def lead_visit(request: Request) -> Response:
    """What a browser did on the brand's site, for leads (`accord('page')`,
    `accord('event', type)`, `accord('identify', {...})`)."""
    store: Store = request.app.state.store
    try:
        data = await bodies.read_json(request)
        if not isinstance(data, dict):
            raise InvalidInput("body", "is not a JSON object")
        result = await run_in_threadpool(_visit, store, data, _site(request))
    except AccordError as error:
        body = {"error": error.as_dict()}
        return Response(json.dumps(body), error.status, headers=CORS, media_type="application/json")
    return Response(json.dumps(result), 202, headers=CORS, media_type="application/json")


_PIXEL_FIELDS = {
    "program_id": "The program (required)",
    "event_type": "sale, lead, ... (or `event`)",
    "order_id": "The order's id",
    "amount": "Order value as a decimal, e.g. 129.90",
    "currency": "ISO 4217 code",
    "click_id": "The click the shopper came from",
    "promo_code": "A promo code used on the order",
}


@router.get(
    "/t/pixel.gif",
    response_class=Response,
    responses={
        200: {
            "description": "Always the image; `X-Accord-Result` says created, duplicate or "
            "rejected: CODE",
            "headers": {"X-Accord-Result": {"schema": {"type": "string"}}},
            "content": {"image/gif": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
    openapi_extra={
        "parameters": [
            {"name": name, "in": "query", "description": text, "schema": {"type": "string"}}
            for name, text in _PIXEL_FIELDS.items()
        ],
        "x-never-refuses": True,  # see accord.api.app._document_errors
    },
)
async def pixel(request: Request) -> Response:
    """A conversion pixel for pages that cannot run JavaScript.

    `<img src="https://TRACK.HOST/t/pixel.gif?program_id=prg_...&event_type=sale&order_id=1001
    &amount=129.90&currency=USD&click_id=clk_...">` (or `event=` for `event_type=`). It
    always answers the image; the outcome is in the `X-Accord-Result` header and, when
    refused, in the rejected events.
    """
    store: Store = request.app.state.store
    data, refused = bodies.form_data_kept(request.scope["query_string"])
    if "event" in data and "event_type" not in data:
        data["event_type"] = data.pop("event")
    try:
        result = await run_in_threadpool(
            _record, store, data, _site(request), "pixel", _flush(request), refused
        )
        outcome = "duplicate" if result["duplicate"] else "created"
    except AccordError as error:
        outcome = f"rejected: {error.code}"
    return Response(
        PIXEL,
        media_type="image/gif",
        headers={"cache-control": "no-store", "x-accord-result": outcome},
    )


class ConfirmIn(Strict):
    amount: Decimal | None = Field(
        default=None,
        description="The order's real amount, if lower than the browser said: the "
        "difference is reversed. Omit to confirm the amount reported.",
    )


class ConfirmOut(BaseModel):
    id: str
    confirmation: str | None
    confirmed_at: datetime | None
    amount: Amount


@api_router.post(
    "/conversions/{conversion_id}/confirm",
    response_model=ConfirmOut,
    dependencies=[Depends(brands_conversion)],
)
def confirm_conversion(
    conversion_id: str, store: StoreDep, caller: CallerDep, body: ConfirmIn | None = None
):
    """The brand's server confirms an order a browser reported: its held commissions
    lock and become payable as any other. Sending the same order to POST /conversions
    confirms it too."""
    amount = body.amount if body is not None else None
    conversion = browser.confirm(store, caller, conversion_id, amount)
    return ConfirmOut(
        id=conversion.id,
        confirmation=conversion.confirmation,
        confirmed_at=conversion.confirmed_at,
        amount=Amount.minor(
            conversion.amount_minor - conversion.reversed_minor, conversion.currency
        ),
    )
