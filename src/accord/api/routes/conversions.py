"""Server-to-server conversions and their reversals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from accord.api import bodies
from accord.api.deps import CallerDep, Limit, StartingAfter, StoreDep, brands_conversion
from accord.api.schemas import (
    Amount,
    CommissionBrief,
    ConversionOut,
    ErrorResponse,
    Page,
    RejectedEventOut,
    ReversalOut,
)
from accord.commissions.service import commissions_of_conversions
from accord.conversions import service as conversions
from accord.conversions.imports import import_conversions, import_reversals, record_checked
from accord.conversions.model import ReversalRequest
from accord.conversions.reversals import reverse_conversion
from accord.errors import AccordError, InvalidRequest, describe_validation
from accord.tenancy.service import require_brand

if TYPE_CHECKING:  # rows the services return, named in annotations only
    from accord.commissions.tables import Commission
    from accord.conversions.tables import Conversion

router = APIRouter(tags=["conversions"])


ERRORS = {
    401: {"model": ErrorResponse, "description": "Missing or unknown API key"},
    404: {"model": ErrorResponse, "description": "Unknown program"},
    409: {"model": ErrorResponse, "description": "Same order id sent with different values"},
    422: {"model": ErrorResponse, "description": "A field is wrong; `field` names it"},
}


def conversion_out(
    conversion: Conversion, commissions: list[Commission], duplicate: bool = False
) -> ConversionOut:
    cur = conversion.currency
    return ConversionOut(
        id=conversion.id,
        program_id=conversion.program_id,
        event_type=conversion.event_type,
        order_id=conversion.order_id,
        amount=Amount.minor(conversion.amount_minor, cur),
        reversed_amount=Amount.minor(conversion.reversed_minor, cur),
        customer_id=conversion.customer_id,
        customer_status=conversion.customer_status,
        customer_status_source=conversion.customer_status_source,
        click_id=conversion.click_id,
        promo_code=conversion.promo_code,
        occurred_at=conversion.occurred_at,
        received_at=conversion.received_at,
        status=conversion.status,
        partner_id=conversion.partner_id,
        attribution_reason=conversion.attribution_reason,
        commission_note=conversion.commission_note,
        items=conversion.items,
        commissions=[
            CommissionBrief(
                id=c.id,
                partner_id=c.partner_id,
                status=c.status,
                amount=Amount.minor(c.amount_minor, c.currency),
            )
            for c in commissions
        ],
        duplicate=duplicate,
    )


FORM = "application/x-www-form-urlencoded"
BATCH_LIMIT = 1000


def _is_form(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip().lower() == FORM


def _decode(request: Request, raw: bytes) -> object:
    """The body as data: JSON (the default) or a form, decoded strictly (accord.api.bodies):
    too deep, not UTF-8 or holding a control character is refused naming the field."""
    if _is_form(request):
        return bodies.form_data(raw)
    return bodies.parse_json(raw)


async def _kept(store, caller, raw: bytes, error: AccordError) -> None:
    """Keep a refused body as a rejected event, its id on the error."""
    error.rejected_event_id = await run_in_threadpool(
        bodies.keep, store, caller, "conversion", raw, error
    )


def _record_one(store, caller, request: Request, data: object, source: str):
    """Validate and record one conversion; a refusal is kept as a rejected event."""
    recorder = getattr(request.app.state, "recorder", None)
    return conversions.record_submitted(
        store,
        caller,
        data,
        source=source,
        flush_clicks=recorder.ensure_stored if recorder else None,
    )


@router.post(
    "/conversions",
    response_model=ConversionOut,
    status_code=201,
    responses=ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/ConversionReport"}},
                FORM: {"schema": {"$ref": "#/components/schemas/ConversionReport"}},
            },
        }
    },
)
async def record_conversion(
    request: Request, response: Response, store: StoreDep, caller: CallerDep
):
    """Record a conversion, attribute it and compute its commission.

    The body is JSON, or a form (`application/x-www-form-urlencoded`, with `device.gaid`,
    `wechat.openid` for nested fields and `items` as a JSON array). Idempotent on
    (program_id, order_id, event_type): a retry with the same content returns the first
    result with `duplicate: true` and status 200; the same key with different content is
    refused with 409. A refused request is kept as a rejected event.
    """
    raw = await bodies.read_body(request)
    try:
        data = _decode(request, raw)
    except AccordError as error:
        await _kept(store, caller, raw, error)
        raise
    source = "form" if isinstance(data, dict) and _is_form(request) else "api"
    recorded = await run_in_threadpool(_record_one, store, caller, request, data, source)
    if not recorded.created:
        response.status_code = 200
    return conversion_out(recorded.conversion, recorded.commissions, duplicate=not recorded.created)


class BatchIn(BaseModel):
    conversions: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=BATCH_LIMIT,
        description="Up to 1,000 conversions, each shaped like the single conversion body.",
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "properties": {
                "conversions": {"items": {"$ref": "#/components/schemas/ConversionReport"}}
            }
        },
    )


#: The batch body as the docs show it (it is read by hand, see record_batch).
BATCH_SCHEMA = {
    "title": "BatchIn",
    "type": "object",
    "required": ["conversions"],
    "additionalProperties": False,
    "properties": {
        "conversions": {
            "type": "array",
            "minItems": 1,
            "maxItems": BATCH_LIMIT,
            "items": {"$ref": "#/components/schemas/ConversionReport"},
            "description": "Up to 1,000 conversions, each shaped like the single conversion body.",
        }
    },
}


class BatchItemOut(BaseModel):
    index: int
    status: str = Field(description="created, duplicate or rejected")
    conversion: ConversionOut | None = None
    error: dict[str, Any] | None = None


class BatchOut(BaseModel):
    created: int
    duplicates: int
    rejected: int
    results: list[BatchItemOut]


@router.post(
    "/conversions/batch",
    response_model=BatchOut,
    responses=ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": BATCH_SCHEMA}},
        }
    },
)
async def record_batch(request: Request, store: StoreDep, caller: CallerDep):
    """Record up to 1,000 conversions; each succeeds or fails on its own.

    The answer lists every item in order with `created`, `duplicate` or `rejected` and,
    for a rejected one, the error naming the field (the item is kept as a rejected event).
    A body that is not JSON, is nested too deep or is not shaped as below is refused as a
    whole (and kept).
    """
    require_brand(caller)
    raw = await bodies.read_body(request)
    try:
        # Text is checked item by item below, so that one bad item refuses only itself.
        data = bodies.parse_json(raw, allow=None)
        try:
            body = BatchIn.model_validate(data)
        except ValidationError as error:
            raise InvalidRequest(describe_validation(error.errors())) from None
    except AccordError as error:
        await _kept(store, caller, raw, error)
        raise
    recorder = getattr(request.app.state, "recorder", None)
    outcomes = await run_in_threadpool(
        record_checked,
        store,
        caller,
        body.conversions,
        source="batch",
        flush_clicks=recorder.ensure_stored if recorder else None,
    )
    results: list[BatchItemOut] = []
    for index, outcome in enumerate(outcomes):
        if isinstance(outcome, AccordError):
            detail = {**outcome.as_dict(), "rejected_event_id": outcome.rejected_event_id}
            results.append(BatchItemOut(index=index, status="rejected", error=detail))
            continue
        conversion = conversion_out(
            outcome.conversion, outcome.commissions, duplicate=not outcome.created
        )
        status = "created" if outcome.created else "duplicate"
        results.append(BatchItemOut(index=index, status=status, conversion=conversion))
    return BatchOut(
        created=sum(r.status == "created" for r in results),
        duplicates=sum(r.status == "duplicate" for r in results),
        rejected=sum(r.status == "rejected" for r in results),
        results=results,
    )


class ImportRowOut(BaseModel):
    row: int = Field(description="Line in the file; the header is line 1.")
    status: str = Field(description="created, duplicate or rejected")
    conversion_id: str | None = None
    error: dict[str, Any] | None = None


class ImportOut(BaseModel):
    created: int
    duplicates: int
    rejected: int
    rows: list[ImportRowOut]


@router.post(
    "/conversions/import",
    response_model=ImportOut,
    responses=ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": "order_id,amount,currency,click_id\nA-1001,129.90,USD,clk_...\n",
                }
            },
        }
    },
)
async def import_csv(
    request: Request, store: StoreDep, caller: CallerDep, program_id: str | None = None
):
    """Import offline conversions from CSV (UTF-8, a header line naming the columns).

    Columns are the conversion's fields (`device.gaid`, `wechat.openid` for nested ones,
    `items` as JSON); `program_id` may be given once as a query parameter instead. Each
    row is recorded on its own, idempotently, and the answer gives every row's result.
    """
    text = bodies.csv_text(await bodies.read_body(request))
    recorder = getattr(request.app.state, "recorder", None)
    if recorder is not None:
        await run_in_threadpool(recorder.flush)
    results = await run_in_threadpool(
        lambda: import_conversions(store, caller, text, program_id=program_id)
    )
    return ImportOut(
        created=sum(r.status == "created" for r in results),
        duplicates=sum(r.status == "duplicate" for r in results),
        rejected=sum(r.status == "rejected" for r in results),
        rows=[
            ImportRowOut(row=r.row, status=r.status, conversion_id=r.conversion_id, error=r.error)
            for r in results
        ],
    )


@router.post(
    "/reversals/import",
    responses=ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": "order_id,amount,items,reason_code,idempotency_key\n"
                    "A-1001,,TV-55:1,returned,rma-881\nA-1002,20.00,,order_error,\n",
                }
            },
        }
    },
)
async def import_reversals_csv(
    request: Request, store: StoreDep, caller: CallerDep, program_id: str | None = None
) -> dict:
    """Modify or reverse conversions from CSV: one reversal per row, whole (no amount, no
    items), partial (`amount`) or per item (`items` as `SKU:quantity;SKU:quantity`), each
    with a `reason_code`. Rows name the conversion by `conversion_id` or by `order_id` (and
    `event_type`, default sale) with `program_id` (a column or the query parameter). Each
    row gets its own result; a row with an `idempotency_key` applies once."""
    text = bodies.csv_text(await bodies.read_body(request))
    results = await run_in_threadpool(
        lambda: import_reversals(store, caller, text, program_id=program_id)
    )
    return {
        "reversed": sum(r.status == "reversed" for r in results),
        "duplicates": sum(r.status == "duplicate" for r in results),
        "rejected": sum(r.status == "rejected" for r in results),
        "rows": [
            {
                "row": r.row,
                "status": r.status,
                "conversion_id": r.conversion_id,
                "reversal_id": r.reversal_id,
                "commission_change": r.commission_change,
                "error": r.error,
            }
            for r in results
        ],
    }


@router.get("/conversions", response_model=Page[ConversionOut])
def list_conversions(
    store: StoreDep,
    caller: CallerDep,
    limit: Limit = 100,
    starting_after: StartingAfter = None,
    program_id: str | None = None,
    status: str | None = None,
    order_id: str | None = None,
):
    """Conversions of the brand's programs (a partner sees those attributed to it)."""
    found = conversions.conversions_page(
        store, caller, limit=limit, starting_after=starting_after, program_id=program_id,
        status=status, order_id=order_id,
    )  # fmt: skip
    coms = commissions_of_conversions(store, [r.id for r in found.rows])
    data = [conversion_out(r, coms[r.id]) for r in found.rows]
    if not caller.is_brand:
        data = [d.model_copy(update={"customer_id": None, "items": None}) for d in data]
    return Page[ConversionOut](
        data=data, has_more=found.has_more, next_starting_after=found.next_after
    )


@router.get("/conversions/{conversion_id}", response_model=ConversionOut)
def get_conversion(conversion_id: str, store: StoreDep, caller: CallerDep):
    conversion = conversions.get_conversion(store, caller, conversion_id)
    coms = commissions_of_conversions(store, [conversion.id])
    out = conversion_out(conversion, coms[conversion.id])
    if not caller.is_brand:
        out = out.model_copy(update={"customer_id": None, "items": None})
    return out


@router.post(
    "/conversions/{conversion_id}/reversals",
    response_model=ReversalOut,
    status_code=201,
    responses=ERRORS,
    dependencies=[Depends(brands_conversion)],
)
def create_reversal(
    conversion_id: str,
    body: ReversalRequest,
    response: Response,
    store: StoreDep,
    caller: CallerDep,
):
    """Reverse the whole conversion (no amount) or part of it, with a reason code.

    Commissions are recomputed on what remains; money already paid is clawed back from the
    partner's next payout.
    """
    try:
        done = reverse_conversion(store, caller, conversion_id, body)
    except AccordError as error:
        error.rejected_event_id = conversions.keep_rejected(
            store,
            caller,
            "reversal",
            {"conversion_id": conversion_id, **body.model_dump(mode="json")},
            error,
        )
        raise
    if not done.created:
        response.status_code = 200
    cur = done.conversion.currency
    return ReversalOut(
        id=done.reversal.id,
        conversion_id=done.conversion.id,
        amount=Amount.minor(done.reversal.amount_minor, cur),
        reason_code=done.reversal.reason_code,
        note=done.reversal.note,
        at=done.reversal.at,
        commission_change=Amount.minor(done.commission_delta_minor, cur),
        conversion_status=done.conversion.status,
        duplicate=not done.created,
    )


@router.get("/rejected-events", response_model=Page[RejectedEventOut])
def list_rejected(
    store: StoreDep, caller: CallerDep, limit: Limit = 100, starting_after: StartingAfter = None
):
    """Requests Accord refused, with the reason: nothing sent is lost silently."""
    found = conversions.rejected_events_page(
        store, caller, limit=limit, starting_after=starting_after
    )
    return Page[RejectedEventOut](
        data=[RejectedEventOut.model_validate(r, from_attributes=True) for r in found.rows],
        has_more=found.has_more,
        next_starting_after=found.next_after,
    )
