"""Conversions reported by shoppers' browsers, and their confirmation by the brand's server.

Anything a browser sends can be forged: the tag's `/t/events` and the pixel take no key,
and their Origin and Referer headers are whatever the sender wrote. So a browser event
never becomes payable money on its own word. What a program does with them is a setting
(`browser_events`):

- `off` (the default for new programs): refused, kept as a rejected event;
- `held`: recorded and attributed as usual, but each commission it earns is held
  (`hold_reason: awaiting_confirmation`): it stays pending, never locks and so never
  becomes payable, until the brand's server confirms the order, by sending the same order
  to `POST /api/v1/conversions` or by `POST /api/v1/conversions/{id}/confirm` (with the
  amount it really had, which reverses the difference);
- `signed`: accepted only with a `token` the brand's server made for that order with the
  program's browser signing key; such an event counts as the server's own word.

In every mode a browser event's `occurred_at` must be within the program's
`browser_event_max_age_minutes` of its arrival, so it cannot be back-dated past its
locking period.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from sqlalchemy import select

from accord.commissions.model import ReasonCode
from accord.commissions.tables import Commission
from accord.conversions.model import ConversionReport, ReversalRequest, parse_report
from accord.conversions.reversals import reverse_conversion
from accord.conversions.tables import Conversion
from accord.errors import Conflict, Forbidden, InvalidInput, NotFound, Text
from accord.money import Money
from accord.programs.tables import Program
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand

#: Why a browser event's commission waits.
AWAITING = "awaiting_confirmation"

SIGNING_RECIPE = (
    "token = hex(HMAC-SHA256(key, program_id + '\\n' + order_id + '\\n' + event_type + '\\n' "
    "+ amount + '\\n' + currency)), the amount written with the currency's decimals "
    "(129.90 USD, 1200 JPY); send it as the event's `token`"
)


def signing_message(report: ConversionReport) -> bytes:
    """What the brand's server signs for one order (see SIGNING_RECIPE)."""
    amount = Money.of(report.amount, report.currency)
    parts = (report.program_id, report.order_id, report.event_type, str(amount.amount))
    return "\n".join((*parts, amount.currency)).encode()


def sign(key: str, report: ConversionReport) -> str:
    """The token the brand's server gives the page for this order."""
    return hmac.new(key.encode(), signing_message(report), hashlib.sha256).hexdigest()


def admit(program: Program, data: dict, now) -> tuple[ConversionReport, str]:
    """Check a browser event against the program's rules; returns the report and its
    confirmation (`awaiting` or `signed`), or raises naming what is wrong."""
    if program.browser_events == "off":
        raise Forbidden(
            "this program does not take conversions from browsers: report them from the "
            "brand's server (POST /api/v1/conversions), or set browser_events to held or "
            "signed in the program's settings",
            field="browser_events",
        )
    token = data.pop("token", None)
    report = parse_report(data)
    oldest = now - timedelta(minutes=program.browser_event_max_age_minutes)
    if report.occurred_at is not None and report.occurred_at < oldest:
        raise InvalidInput(
            "occurred_at",
            Text(
                "a browser event may be at most %(most)s minutes old; report older orders from "
                "the brand's server",
                most=program.browser_event_max_age_minutes,
            ),
        )
    if token is None:
        if program.browser_events == "signed":
            raise Forbidden(
                "this program takes browser events only with a token signed by the brand's "
                "server for the order",
                field="token",
            )
        return report, "awaiting"
    key = program.browser_signing_secret
    if (
        not isinstance(token, str)
        or key is None
        or not hmac.compare_digest(token.lower().encode(), sign(key, report).encode())
    ):
        raise Forbidden(
            "the token does not match this order's program, order id, event type, amount "
            "and currency under the program's browser signing key",
            field="token",
        )
    return report, "signed"


def confirm(
    store: Store, caller: Caller, conversion_id: str, amount: object | None = None
) -> Conversion:
    """The brand's server confirms a browser event: its held commissions are released
    (they lock and become payable as any other). With `amount`, the order really was that
    much: the difference is reversed first (reason order_error), never added."""
    require_brand(caller)
    with store.read() as session:
        conversion = _owned(session, caller, conversion_id)
        state, currency = conversion.confirmation, conversion.currency
        left = conversion.amount_minor - conversion.reversed_minor
    if state is None:
        raise Conflict(
            Text(
                "conversion %(conversion)s came from the brand's server: there is nothing to "
                "confirm",
                conversion=conversion_id,
            )
        )
    if amount is not None:
        confirmed = Money.parse(amount, currency)
        if confirmed.amount < 0:
            raise InvalidInput("amount", "must not be negative")
        if confirmed.minor > left:
            raise InvalidInput(
                "amount",
                Text(
                    "%(confirmed)s is more than the browser reported (%(left)s); a confirmation "
                    "can only lower it",
                    confirmed=confirmed,
                    left=Money.from_minor(left, currency),
                ),
            )
        if confirmed.minor < left:
            reverse_conversion(
                store,
                caller,
                conversion_id,
                ReversalRequest(
                    amount=Money.from_minor(left - confirmed.minor, currency).amount,
                    reason_code=ReasonCode.ORDER_ERROR.value,
                    note=f"confirmed by the brand's server at {confirmed}",
                    idempotency_key=f"confirm:{conversion_id}",
                ),
            )
    with store.unit() as session:
        conversion = _owned(session, caller, conversion_id, for_update=True)
        release(session, conversion, store.clock.now())
        return conversion


def release(session, conversion: Conversion, now) -> None:
    """Mark a held browser event confirmed and let its commissions lock."""
    if conversion.confirmation == "awaiting":
        conversion.confirmation = "confirmed"
        conversion.confirmed_at = now
    for commission in session.scalars(
        select(Commission).where(
            Commission.conversion_id == conversion.id, Commission.hold_reason == AWAITING
        )
    ):
        commission.hold_reason = None


def same_order(existing: Conversion, report: ConversionReport) -> list[str]:
    """The fields in which the server's report of an order differs from what the browser
    said (amount, currency, items); empty when the server confirms it."""
    before = existing.request or {}
    after = report.canonical()
    keys = ("amount", "currency", "items", "shipping", "tax", "discount")
    return [k for k in keys if before.get(k) != after.get(k)]


def _owned(session, caller: Caller, conversion_id: str, *, for_update: bool = False):
    query = select(Conversion).where(
        Conversion.id == conversion_id, Conversion.organization_id == caller.organization_id
    )
    if for_update:
        query = query.with_for_update()
    conversion = session.scalar(query)
    if conversion is None:
        raise NotFound("conversion", conversion_id, field="conversion_id")
    return conversion
