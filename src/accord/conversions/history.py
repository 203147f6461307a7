"""A program's history from the platform it moved from: the actions or commissions export of
impact.com, PartnerStack, Rewardful, FirstPromoter or Dub, recognised by its header row, each
row becoming a conversion credited to the partner it was for, or a result saying why not.

The partner is found by the id the partner export gave it (accord.partners.imports), else by
e-mail address, so the partner export is imported first. What the old platform owed decides
what Accord does with the commission:

- paid there (a paid status or a paid or cleared date): history only. The conversion counts
  in the reports; nothing is owed again and nothing is posted to the ledger.
- not paid yet (pending, approved, due): owed by Accord at the old platform's amount, never
  recomputed under today's contract, as a pending commission of kind `imported` posted to
  the ledger and paid on the program's schedule. Its page names the row it came from.
- reversed, declined, voided or refunded there: the conversion is recorded and reversed in
  whole, so reversal rates stay true; no commission.

Imported conversions earn nothing under the contract, are not judged by fraud protection
and are kept out of the journeys the attribution models learn from. Each row applies once:
a file uploaded again finds its conversions (duplicates) and adds no second commission.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from pydantic import ValidationError

from accord.commissions.service import award_fixed
from accord.conversions.model import ConversionReport, ReversalRequest
from accord.conversions.reversals import reverse_conversion
from accord.conversions.service import record_conversion
from accord.errors import AccordError, InvalidInput, Text
from accord.money import Money, check_currency
from accord.partners.imports import PLATFORMS, ExportLine, imported_partners, norm, read_export
from accord.partners.imports import detect as detect_platform
from accord.programs.service import get_program, max_order_amount
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand

MAX_ROWS = 100_000
WHAT = "an actions or commissions export"
#: The longest id (action, order, customer) a row may have: the commission's key holds it.
MAX_ID = 140
#: The kind of a commission the old platform owed when the program moved.
KIND = "imported"

#: Each platform's columns for each field (normalised: lowercase letters and digits). An
#: amount's column may also be written in minor units with `cents` after its name.
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "impact": {
        "action_id": ("actionid", "id"),
        "partner": ("partnerid", "mediapartnerid"),
        "email": ("partneremail", "mediapartneremail"),
        "order_id": ("oid", "orderid"),
        "type": ("eventtype", "actiontrackername", "actiontracker"),
        "sale": ("saleamount", "amount", "intendedamount"),
        "commission": ("payout", "commission", "intendedpayout"),
        "currency": ("currency", "currencycode"),
        "date": ("eventdate", "actiondate", "creationdate", "date"),
        "status": ("state", "status", "actionstatus"),
        "paid": ("cleareddate", "paiddate", "paidat"),
        "customer": ("customerid",),
        "promo_code": ("promocode",),
    },
    "partnerstack": {
        "action_id": ("rewardkey", "commissionkey", "id"),
        "partner": ("partnerkey",),
        "email": ("partneremail",),
        "order_id": ("transactionkey", "invoicekey", "orderid"),
        "type": ("rewardtype", "eventtype", "type"),
        "sale": ("transactionamount", "saleamount", "revenue"),
        "commission": ("amount", "rewardamount", "commissionamount", "commission"),
        "currency": ("currency", "currencycode"),
        "date": ("createdat", "transactiondate", "date"),
        "status": ("status", "rewardstatus", "state"),
        "paid": ("paidat", "paiddate", "paidon"),
        "customer": ("customerkey", "customerid"),
    },
    "rewardful": {
        "action_id": ("commissionid", "id"),
        "partner": ("affiliateid",),
        "email": ("affiliateemail",),
        "order_id": ("saleid", "referralid", "stripechargeid", "chargeid", "invoiceid", "orderid"),
        "sale": ("saleamount", "chargeamount"),
        "commission": ("commissionamount", "amount", "commission"),
        "currency": ("currency",),
        "date": ("createdat", "saledate", "date"),
        "status": ("state", "status"),
        "paid": ("paidat",),
        "customer": ("customerid", "stripecustomerid"),
        "promo_code": ("coupon", "couponcode"),
    },
    "firstpromoter": {
        "action_id": ("commissionid", "rewardid", "id"),
        "partner": ("promoterid",),
        "email": ("promoteremail",),
        "order_id": ("eventid", "saleid", "orderid", "invoiceid"),
        "type": ("type", "eventtype"),
        "sale": ("saleamount", "revenue"),
        "commission": ("amount", "commissionamount", "commission", "reward"),
        "currency": ("currency",),
        "date": ("createdat", "date"),
        "status": ("status", "state"),
        "paid": ("paidat", "paiddate"),
        "customer": ("customerid",),
        "promo_code": ("promocode",),
    },
    "dub": {
        "action_id": ("commissionid", "id"),
        "partner": ("partnerid",),
        "email": ("partneremail",),
        "order_id": ("invoiceid", "eventid", "orderid"),
        "type": ("type", "eventtype"),
        "sale": ("amount", "saleamount"),
        "commission": ("earnings", "commission"),
        "currency": ("currency",),
        "date": ("createdat", "date"),
        "status": ("status",),
        "paid": ("paidat",),
        "customer": ("customerid", "customer"),
    },
}

#: What recognises each platform's actions or commissions export: every name of one set.
SIGNATURES: tuple[tuple[str, tuple[frozenset[str], ...]], ...] = (
    ("dub", (frozenset({"earnings"}), frozenset({"earningscents"}))),
    ("partnerstack", (frozenset({"partnerkey"}),)),
    ("rewardful", (frozenset({"affiliateid"}), frozenset({"affiliateemail"}))),
    ("firstpromoter", (frozenset({"promoterid"}), frozenset({"promoteremail"}))),
    (
        "impact",
        (
            frozenset({"actionid"}),
            frozenset({"oid"}),
            frozenset({"actiontrackername"}),
            frozenset({"partnerid", "payout"}),
            frozenset({"mediapartnerid", "payout"}),
        ),
    ),
)

PAID = {"paid", "cleared", "processed", "paidout"}
OWED = {"pending", "approved", "due", "hold", "onhold", "locked", "unpaid", "open", "new",
        "accepted", "notpaid", "waiting", "active", "extended"}  # fmt: skip
#: A reversal's status on the old platform, and its reason code in Accord.
REVERSED = {
    "reversed": "other", "declined": "other", "denied": "other", "rejected": "other",
    "voided": "cancelled", "void": "cancelled", "canceled": "cancelled",
    "cancelled": "cancelled", "refunded": "returned", "returned": "returned",
    "fraud": "fraud", "duplicate": "duplicate",
}  # fmt: skip

#: The conversion's commission note: why it earned nothing under the contract.
NOTES = {
    "paid": "paid_before_import",
    "owed": "owed_from_import",
    "reversed": "reversed_before_import",
    "none": "no_commission_in_import",
}


@dataclass
class Action:
    line: int
    action_id: str = ""
    partner: str = ""
    email: str = ""
    order_id: str = ""
    raw_type: str = ""
    sale: Decimal | None = None
    commission: Decimal | None = None
    currency: str = ""
    date: str = ""
    status: str = ""  # paid, owed, reversed, unknown
    raw_status: str = ""
    customer: str = ""
    promo_code: str = ""
    problem: tuple[str, str] | None = None  # (field, message) found while reading
    #: The amounts ("sale", "commission") written in the currency's minor units.
    minor: set[str] = field(default_factory=set)

    def decimal(self, name: str, currency: str) -> Decimal | None:
        """The sale or the commission in `currency`'s major unit."""
        value = getattr(self, name)
        if value is None or name not in self.minor:
            return value
        return Money.from_minor(int(value), currency).amount

    @property
    def event_type(self) -> str:
        kind = norm(self.raw_type)
        for word, event in (("click", "click"), ("lead", "lead"), ("signup", "signup"),
                            ("registration", "signup"), ("install", "install"),
                            ("firstpurchase", "first_purchase")):  # fmt: skip
            if word in kind:
                return event
        return "sale"


@dataclass
class RowResult:
    row: int
    status: str  # created, duplicate, skipped (nothing to record), rejected
    conversion_id: str | None = None
    commission_id: str | None = None
    error: dict | None = None
    notes: list[str] = field(default_factory=list)
    owed_minor: int = 0  # what the commission owes, in the program's currency


@dataclass
class HistoryReport:
    platform: str
    rows: list[RowResult]
    currency: str

    @property
    def owed(self) -> Money:
        """What the rows' commissions owe, those the old platform had not paid."""
        return Money.from_minor(sum(r.owed_minor for r in self.rows), self.currency)


_SYMBOLS = re.compile(r"[\s$€£¥\u00a0]|^[A-Z]{3}|[A-Z]{3}$")


def amount(text: str) -> Decimal:
    """A decimal amount as exports write it: `1,234.50`, `1.234,50`, `$12.00`, `12,50` or
    `USD 12`."""
    value = _SYMBOLS.sub("", text.strip())
    if "," in value and "." in value:  # the last one is the decimal point: 1,234.50 1.234,50
        value = (value.replace(",", "") if value.rfind(".") > value.rfind(",")
                 else value.replace(".", "").replace(",", "."))  # fmt: skip
    elif re.fullmatch(r"-?\d+,\d{1,2}", value):
        value = value.replace(",", ".")
    else:
        value = value.replace(",", "")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(Text("%(text)s is not an amount", text=repr(text))) from None
    if not number.is_finite():
        raise ValueError(Text("%(text)s is not an amount", text=repr(text)))
    return number


_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def moment(text: str) -> datetime:
    """A UTC time from an export's date: ISO 8601 (`2025-09-01`, `...T10:00:00Z`, with an
    offset) or the US form `09/01/2025 10:00`; a time without an offset is read as UTC."""
    value = text.strip()
    found = _US_DATE.fullmatch(value)
    try:
        if found:
            month, day, year, hour, minute, second = found.groups()
            when = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                            int(second or 0))  # fmt: skip
        else:
            when = datetime.fromisoformat(value.replace(" UTC", "").replace("/", "-"))
    except ValueError:
        message = Text("%(text)s is not a date (write 2025-09-01 or 2025-09-01T10:00:00Z)",
                       text=repr(text))  # fmt: skip
        raise ValueError(message) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def read(text: str) -> tuple[str, list[Action]]:
    """The platform and the rows of an export, each with the fields it has."""
    platform, lines = read_export(text, SIGNATURES, WHAT, MAX_ROWS, "rows")
    return platform, [_action(each, COLUMNS[platform]) for each in lines]


def detect(headers: list[str]) -> str:
    """The platform whose actions or commissions export has these headers."""
    return detect_platform(headers, SIGNATURES, WHAT)


def _action(each: ExportLine, columns: dict[str, tuple[str, ...]]) -> Action:
    def get(name: str) -> str:
        return each.first(columns.get(name, ()))

    row = Action(each.line, action_id=get("action_id"), partner=get("partner"),
                 email=get("email"), order_id=get("order_id"), raw_type=get("type"),
                 currency=get("currency").upper(), date=get("date"), customer=get("customer"),
                 promo_code=get("promo_code"))  # fmt: skip
    for name in ("sale", "commission"):
        for column in columns[name]:
            written, cents = each.cell(column), each.cell(column + "cents")
            if not (written or cents):
                continue
            try:
                number = amount(written or cents)
            except ValueError as error:
                row.problem = row.problem or (name, error.args[0])
                break
            if not written:  # in minor units: read once the row's currency is known
                if number != number.to_integral_value():
                    whole = Text("%(cents)s is not a whole number of cents", cents=repr(cents))
                    row.problem = row.problem or (name, whole)
                    break
                row.minor.add(name)
            setattr(row, name, number)
            break
    row.raw_status = get("status")
    state = norm(row.raw_status)
    row.status = (
        "reversed" if state in REVERSED else
        "paid" if state in PAID or (get("paid") and state not in REVERSED) else
        "owed" if state in OWED or not state else "unknown"
    )  # fmt: skip
    return row


def import_history(
    store: Store,
    caller: Caller,
    program_id: str,
    text: str,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> HistoryReport:
    """Every row of an actions or commissions export as a conversion credited to its
    partner, with its commission owed, settled or reversed as the old platform left it."""
    require_brand(caller)
    program = get_program(store, caller, program_id)  # the brand's own, else not found
    platform, rows = read(text)
    by_id, by_email = imported_partners(store, caller, program_id, platform)
    label = PLATFORMS[platform]
    results: list[RowResult] = []
    for done, row in enumerate(rows, 1):
        result = RowResult(row.line, "rejected")
        try:
            _one(store, caller, program, platform, label, row, by_id, by_email, result)
        except AccordError as error:
            result.status = "rejected"
            result.error = {"field": error.field, "message": error.message, "said": error.said}
        results.append(result)
        if progress is not None and (done % 25 == 0 or done == len(rows)):
            progress(done, len(rows))
    return HistoryReport(platform, results, program.currency)


def _one(store, caller, program, platform, label, row: Action, by_id, by_email,
         result: RowResult) -> None:  # fmt: skip
    if row.problem is not None:
        raise InvalidInput(*row.problem)
    if not (row.partner or row.email):
        raise InvalidInput("partner", "the row names no partner (an id or an e-mail address)")
    partner_id = by_id.get(row.partner) or by_email.get(row.email.lower())
    if partner_id is None:
        raise InvalidInput("partner", Text(
            "%(platform)s partner %(partner)s is not a partner of this program: import the "
            "partner export of %(platform)s first", platform=label, partner=row.partner)
            if row.partner else Text(
            "%(email)s is not a partner of this program: import the partner export of "
            "%(platform)s first", platform=label, email=row.email))  # fmt: skip
    if row.status == "unknown":
        raise InvalidInput("status", Text(
            "%(state)s is not a state Accord knows: paid, pending, approved or reversed",
            state=repr(row.raw_status)))  # fmt: skip
    if not (row.action_id or row.order_id):
        raise InvalidInput("order_id", "the row has neither an id nor an order id")
    for name, value in (("action_id", row.action_id), ("order_id", row.order_id),
                        ("customer_id", row.customer)):  # fmt: skip
        if len(value) > MAX_ID:  # an id is kept whole or the row is refused, never cut
            raise InvalidInput(name, Text("is %(length)s characters long; at most %(most)s",
                                          length=f"{len(value):,}", most=MAX_ID))  # fmt: skip
    if not row.date:
        raise InvalidInput("occurred_at", "the row has no date")
    try:
        when = moment(row.date)
    except ValueError as error:
        raise InvalidInput("occurred_at", error.args[0]) from None
    currency = row.currency or program.currency
    if not row.currency:
        result.notes.append(Text("no currency: read as the program's %(currency)s",
                                 currency=program.currency))  # fmt: skip
    check_currency(currency)
    sale, paid_out = row.decimal("sale", currency), row.decimal("commission", currency)
    commission = Money.zero(program.currency)
    if paid_out:
        if paid_out < 0:
            raise InvalidInput("commission", Text("%(amount)s is negative: a reversal is a "
                               "row with a reversed status", amount=paid_out))  # fmt: skip
        if currency != program.currency:
            raise InvalidInput("currency", Text(
                "the commission is in %(currency)s; the program pays in %(pays)s: convert the "
                "file's commissions first", currency=currency, pays=program.currency))  # fmt: skip
        commission = Money.parse(paid_out, currency, field="commission")
        if commission.minor > max_order_amount(program).minor:
            raise InvalidInput("commission", Text(
                "%(amount)s is more than the largest order this program accepts (%(most)s)",
                amount=commission, most=max_order_amount(program)))  # fmt: skip
    if row.event_type == "click":  # a click reward: a commission with no order behind it
        if row.status != "owed" or not commission.minor:
            result.status = "skipped"
            result.notes.append(Text("a click reward %(state)s on %(platform)s: nothing is "
                                     "owed", state=row.raw_status or "settled",
                                     platform=label))  # fmt: skip
            return
        result.commission_id = _owe(store, program, partner_id, platform, label, row, None,
                                    commission, when)  # fmt: skip
        result.status, result.owed_minor = "created", commission.minor
        return
    if sale is not None and sale < 0:
        raise InvalidInput("amount", Text("%(amount)s is negative: a reversal is a row with "
                           "a reversed status", amount=sale))  # fmt: skip
    owed = row.status == "owed" and commission.minor > 0
    note = NOTES["none" if row.status == "owed" and not owed else row.status]
    order_id = row.order_id or f"{platform}-{row.action_id}"
    fields = {"program_id": program.id, "event_type": row.event_type,
              "order_id": order_id, "amount": sale or Decimal(0),
              "currency": currency, "occurred_at": when, "customer_id": row.customer or None,
              "promo_code": row.promo_code or None}  # fmt: skip
    try:
        report = ConversionReport(**fields)
    except ValidationError as error:
        first = error.errors()[0]
        where = str(first["loc"][0]) if first["loc"] else "row"
        if where != "promo_code":
            raise InvalidInput(where, first["msg"]) from None
        result.notes.append(Text("promo code %(code)s left out: %(why)s",
                                 code=repr(row.promo_code), why=first["msg"]))  # fmt: skip
        report = ConversionReport(**{**fields, "promo_code": None})
    recorded = record_conversion(store, caller, report, source="import",
                                 credit_partner_id=partner_id, imported=note)  # fmt: skip
    conversion = recorded.conversion
    if conversion.partner_id != partner_id:
        raise InvalidInput("order_id", Text(
            "order %(order)s is recorded already as conversion %(conversion)s, credited to "
            "another partner", order=repr(order_id), conversion=conversion.id))  # fmt: skip
    result.conversion_id = conversion.id
    result.status = "created" if recorded.created else "duplicate"
    if row.status == "reversed":
        if conversion.reversed_minor < conversion.amount_minor or not conversion.amount_minor:
            reverse_conversion(store, caller, conversion.id, ReversalRequest(
                reason_code=REVERSED[norm(row.raw_status)],
                note=f"{row.raw_status} on {label} before the move",
                idempotency_key=f"import:{platform}:{row.action_id or order_id}",
            ))  # fmt: skip
    elif owed:
        result.commission_id = _owe(store, program, partner_id, platform, label, row,
                                    conversion.id, commission, when)  # fmt: skip
        result.owed_minor = commission.minor


def _owe(store, program, partner_id, platform, label, row: Action, conversion_id,
         commission: Money, when: datetime) -> str:  # fmt: skip
    """The old platform's unpaid commission, owed once at its amount."""
    ref = row.action_id or row.order_id
    with store.unit() as session:
        made = award_fixed(
            session, program.id, partner_id, key=f"import:{program.id}:{platform}:{ref}",
            kind=KIND, amount=commission,
            reason=f"owed on {label} when the program moved ({ref}, {row.raw_status or 'unpaid'})",
            explanation={"imported": f"{label} {ref}", "platform": label,
                         "action_id": row.action_id or None, "order_id": row.order_id or None,
                         "conversion_id": conversion_id, "occurred_at": when.isoformat(),
                         "status": row.raw_status or None},
            now=store.clock.now(),
        )  # fmt: skip
        return made.id
