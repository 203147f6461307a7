"""Reversing a conversion, in whole or in part, with a reason code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.commissions.model import ReasonCode
from accord.commissions.service import adjust_for_reversal
from accord.commissions.tables import Commission, CommissionAdjustment
from accord.conversions.model import ReversalRequest
from accord.conversions.tables import Conversion, ConversionReversal
from accord.errors import Conflict, IdempotencyConflict, InvalidInput, NotFound, Text, not_one_of
from accord.ids import new_id
from accord.money import Money
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand


@dataclass
class Reversed:
    reversal: ConversionReversal
    conversion: Conversion
    commission_delta_minor: int
    created: bool


def reverse_conversion(
    store: Store, caller: Caller, conversion_id: str, request: ReversalRequest
) -> Reversed:
    """Reverse `amount` (or all that remains) of a conversion and adjust its commissions."""
    require_brand(caller)
    with store.unit() as session:
        return reverse_in(session, caller, conversion_id, request, store.clock.now())


def reverse_in(
    session: Session, caller: Caller, conversion_id: str, request: ReversalRequest, now: datetime
) -> Reversed:
    """`reverse_conversion` inside the caller's unit of work."""
    require_brand(caller)
    try:
        reason = ReasonCode(request.reason_code)
    except ValueError:
        raise not_one_of(
            "reason_code", request.reason_code, (r.value for r in ReasonCode)
        ) from None
    conversion = session.scalar(
        select(Conversion)
        .where(
            Conversion.id == conversion_id,
            Conversion.organization_id == caller.organization_id,
        )
        .with_for_update()
    )
    if conversion is None:
        raise NotFound("conversion", conversion_id, field="conversion_id")
    asked = _request_record(request, conversion.currency)
    if request.idempotency_key:
        earlier = session.scalar(
            select(ConversionReversal).where(
                ConversionReversal.conversion_id == conversion.id,
                ConversionReversal.idempotency_key == request.idempotency_key,
            )
        )
        if earlier is not None:
            return _replay(session, earlier, conversion, asked)
    left = conversion.amount_minor - conversion.reversed_minor
    if left <= 0 and conversion.status == "reversed":
        raise Conflict(
            Text("conversion %(conversion)s is already fully reversed", conversion=conversion.id)
        )
    returned_before = returned_items(session, conversion.id)
    items_value = None
    if request.items:
        items_value = _returned_value(conversion, request.items, returned_before)
    if request.amount is None and items_value is not None:
        amount = Money.from_minor(min(items_value, left), conversion.currency)
        if amount.minor <= 0:
            raise InvalidInput("items", "the returned items have no value left to reverse")
    elif request.amount is None:
        amount = Money.from_minor(left, conversion.currency)
    else:
        amount = Money.of(request.amount, conversion.currency)
        if amount.minor > left:
            raise InvalidInput(
                "amount",
                Text(
                    "%(amount)s exceeds the unreversed amount %(left)s",
                    amount=amount,
                    left=Money.from_minor(left, conversion.currency),
                ),
            )
        if amount.minor <= 0:
            raise InvalidInput("amount", "must be at least one minor unit")
    reversal = ConversionReversal(
        id=new_id("rev"),
        conversion_id=conversion.id,
        amount_minor=amount.minor,
        currency=conversion.currency,
        reason_code=reason.value,
        note=request.note,
        idempotency_key=request.idempotency_key,
        request=asked,
        at=now,
    )
    session.add(reversal)
    session.flush()
    conversion.reversed_minor += amount.minor
    after = Money.from_minor(
        conversion.amount_minor - conversion.reversed_minor, conversion.currency
    )
    if after.is_zero():
        conversion.status = "reversed"
    returned = None
    if request.items or returned_before:
        returned = dict(returned_before)
        for item in request.items or ():
            returned[item.sku] = returned.get(item.sku, 0) + item.quantity
    delta = 0
    rows = session.scalars(
        select(Commission).where(Commission.conversion_id == conversion.id).order_by(Commission.id)
    ).all()
    for commission in rows:
        delta += adjust_for_reversal(session, commission, returned, reason.value, reversal.id, now)
    return Reversed(reversal, conversion, delta, True)


def returned_items(session, conversion_id: str) -> dict[str, int]:
    """SKU -> units returned so far, over every reversal of the conversion."""
    returned: dict[str, int] = {}
    for request in session.scalars(
        select(ConversionReversal.request).where(ConversionReversal.conversion_id == conversion_id)
    ):
        for item in (request or {}).get("items") or ():
            returned[item["sku"]] = returned.get(item["sku"], 0) + int(item["quantity"])
    return returned


def _returned_value(conversion: Conversion, items, returned_before: dict[str, int]) -> int:
    """The value of returned cart lines, refusing SKUs the order did not have or more
    units than are left of them."""
    lines: dict[str, tuple[int, int]] = {}
    for line in conversion.items or ():
        price = Money.of(line["price"], conversion.currency).minor
        quantity, _ = lines.get(line["sku"], (0, price))
        lines[line["sku"]] = (quantity + int(line.get("quantity") or 1), price)
    value = 0
    asked: dict[str, int] = {}
    for i, item in enumerate(items):
        if item.sku not in lines:
            known = ", ".join(sorted(lines)) or "none"
            raise InvalidInput(
                f"items[{i}].sku",
                Text(
                    "%(sku)s is not in the order (its SKUs: %(known)s)",
                    sku=repr(item.sku),
                    known=known,
                ),
            )
        asked[item.sku] = asked.get(item.sku, 0) + item.quantity
        bought, price = lines[item.sku]
        still = bought - returned_before.get(item.sku, 0)
        if asked[item.sku] > still:
            raise InvalidInput(
                f"items[{i}].quantity",
                Text(
                    "only %(still)s of %(sku)s are left to return (bought %(bought)s)",
                    still=still,
                    sku=repr(item.sku),
                    bought=bought,
                ),
            )
        value += price * item.quantity
    return value


def _request_record(request: ReversalRequest, currency: str) -> dict[str, object]:
    """The request as stored, amounts written one way, to tell a retry from a new request."""
    amount = None if request.amount is None else str(Money.of(request.amount, currency).amount)
    record: dict[str, object] = {
        "amount": amount,
        "reason_code": request.reason_code,
        "note": request.note,
    }
    if request.items:
        record["items"] = [{"sku": i.sku, "quantity": i.quantity} for i in request.items]
    return record


def _replay(
    session, earlier: ConversionReversal, conversion: Conversion, asked: dict[str, object]
) -> Reversed:
    """Answer a retry with the first result; refuse the same key with a different request."""
    changed = sorted(
        k for k in set(asked) | set(earlier.request) if earlier.request.get(k) != asked.get(k)
    )
    if changed:
        raise IdempotencyConflict(
            Text(
                "idempotency_key %(key)s was used for a reversal with different values for: "
                "%(changed)s",
                key=repr(earlier.idempotency_key),
                changed=", ".join(changed),
            ),
            field=changed[0],
        )
    delta = session.scalar(
        select(func.coalesce(func.sum(CommissionAdjustment.delta_minor), 0)).where(
            CommissionAdjustment.reversal_id == earlier.id
        )
    )
    return Reversed(earlier, conversion, int(delta), False)
