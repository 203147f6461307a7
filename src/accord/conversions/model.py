"""A conversion as a brand reports it, validated field by field. Pure, no I/O."""

from __future__ import annotations

import hashlib
import ipaddress
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from accord.contracts.model import is_valid_event_type
from accord.errors import InvalidInput, InvalidRequest, Text, describe_validation
from accord.money import (
    MAX_MAJOR_DIGITS,
    Money,
    check_currency,
    check_places,
    exponent,
    to_decimal,
)

#: The earliest time a conversion may say it happened.
EPOCH_FLOOR = datetime(2000, 1, 1, tzinfo=UTC)


def _number(value: object) -> object:
    """An amount as sent: strings must be plain ASCII decimals (no full-width digits, no
    exponent); JSON numbers are read by their shortest decimal form."""
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, str | int | Decimal) and not isinstance(value, bool):
        try:
            return to_decimal(value)
        except InvalidInput as error:
            raise ValueError(error.message.removeprefix("amount: ")) from None
    return value


class Item(BaseModel):
    """One line of a cart."""

    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=200)
    category: str | None = Field(default=None, max_length=200)
    quantity: int = Field(default=1, ge=1, le=1_000_000)
    price: Decimal = Field(ge=0, description="Unit price in the conversion's currency.")

    _price = field_validator("price", mode="before")(_number)


class Device(BaseModel):
    """Mobile advertising and vendor ids of the device the event came from."""

    model_config = ConfigDict(extra="forbid")

    gaid: str | None = Field(default=None, max_length=64, description="Google advertising id")
    idfa: str | None = Field(default=None, max_length=64, description="Apple advertising id")
    idfv: str | None = Field(default=None, max_length=64, description="Apple vendor id")


class WeChat(BaseModel):
    """A WeChat user as a mini-program or official account sees them."""

    model_config = ConfigDict(extra="forbid")

    appid: str | None = Field(default=None, max_length=64)
    openid: str | None = Field(default=None, max_length=128)
    unionid: str | None = Field(default=None, max_length=128)


IDENTITY_KINDS = ("gaid", "idfa", "idfv", "openid", "unionid")


class ConversionReport(BaseModel):
    """A conversion reported server-to-server. Unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")

    program_id: str = Field(min_length=1, max_length=40)
    event_type: str = Field(
        default="sale", description="sale, lead, signup, install, first_purchase, or custom:<name>"
    )
    order_id: str = Field(
        min_length=1,
        max_length=200,
        description="The brand's order or "
        "event id; with program and event type it makes the request idempotent.",
    )
    amount: Decimal = Field(
        default=Decimal(0),
        ge=0,
        description='Order value as a decimal string, e.g. "129.90"; rounded half-up to the '
        "currency's minor unit.",
    )
    shipping: Decimal = Field(
        default=Decimal(0), ge=0, description="Shipping charged, included in `amount`."
    )
    tax: Decimal = Field(default=Decimal(0), ge=0, description="Tax charged, included in `amount`.")
    discount: Decimal = Field(
        default=Decimal(0),
        ge=0,
        description="Discounts taken off the cart's lines to reach `amount` (promo codes, "
        "vouchers). With `items`, lines + shipping + tax - discount must equal `amount` "
        "within the program's tolerance.",
    )
    currency: str = Field(
        min_length=3,
        max_length=3,
        description="ISO 4217 code. Another currency than the program's is converted with "
        "the exchange rate in force when the conversion happened.",
    )
    customer_id: str | None = Field(default=None, max_length=200)
    customer_status: Literal["new", "returning"] | None = Field(
        default=None, description="Omit to let Accord derive it from the customer's history."
    )
    click_id: str | None = Field(default=None, max_length=64)
    country: str | None = Field(
        default=None,
        min_length=2,
        max_length=2,
        description="The customer's country, ISO 3166-1 alpha-2 (for country rules).",
    )
    device_type: Literal["desktop", "mobile", "tablet", "app", "other"] | None = Field(
        default=None, description="The device the order came from (for device rules)."
    )
    subscription_id: str | None = Field(
        default=None,
        max_length=200,
        description="Subscriptions: send it with the first order and each `renewal`; "
        "renewals are credited to the partner of the subscription's first order.",
    )
    promo_code: str | None = Field(default=None, max_length=64)
    occurred_at: datetime | None = Field(
        default=None,
        description="ISO 8601 with a timezone; defaults to the time Accord receives it.",
    )
    items: list[Item] | None = Field(default=None, max_length=1000)
    email_sha256: str | None = Field(
        default=None,
        description="SHA-256 (hex) of the customer's trimmed, lower-case email; "
        "Accord never stores a plain email.",
    )
    ip: str | None = Field(default=None, max_length=64, description="The shopper's IP address.")
    payment_fingerprint: str | None = Field(
        default=None,
        max_length=200,
        description="A stable fingerprint of the payment card or account (Stripe's "
        "`card.fingerprint`, Adyen's or Braintree's equivalent): Accord keeps only its "
        "SHA-256, to recognise a partner paying for its own orders.",
    )
    referrer: str | None = Field(
        default=None,
        max_length=2000,
        description="The page the shopper came to the store from in this visit (the landing "
        "referrer, e.g. Shopify's `referring_site`): promo-code orders from coupon sites.",
    )
    user_agent: str | None = Field(default=None, max_length=512)
    device: Device | None = Field(default=None, description="App events: the device's ids.")
    wechat: WeChat | None = Field(
        default=None, description="Mini-program and official account events: the WeChat user."
    )

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.isalpha():
            raise ValueError("must be a two-letter country code such as US")
        return value.upper()

    @field_validator("email_sha256")
    @classmethod
    def _email_hash(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().lower()
        if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
            raise ValueError("must be 64 hexadecimal characters (SHA-256 of the email)")
        return value

    @field_validator("payment_fingerprint")
    @classmethod
    def _payment(cls, value: str | None) -> str | None:
        """Kept as its SHA-256 only (a value already hashed by this rule stays as it is, so
        a stored request replays to the same conversion)."""
        if value is None or not value.strip():
            return None
        value = value.strip()
        if value.startswith("sha256:"):
            digest = value.removeprefix("sha256:")
            if len(digest) == 64 and all(c in "0123456789abcdef" for c in digest):
                return value
        return "sha256:" + hashlib.sha256(value.encode()).hexdigest()

    @field_validator("referrer")
    @classmethod
    def _referrer(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        text = value if "://" in value else "http://" + value
        try:
            parts = urlsplit(text)
            host = parts.hostname
        except ValueError:
            host = None
        if (
            not host
            or parts.scheme not in ("http", "https", "android-app", "ios-app")
            or ("." not in host and host != "localhost")
        ):
            raise ValueError(
                Text(
                    "%(value)s is not a page address such as https://example.com/",
                    value=repr(value[:100]),
                )
            )
        return value

    def referrer_host(self) -> str | None:
        """The referrer's host, lower case, without `www.` (None: no referrer)."""
        if not self.referrer:
            return None
        text = self.referrer if "://" in self.referrer else "http://" + self.referrer
        host = urlsplit(text).hostname
        return host.removeprefix("www.")[:255] if host else None

    def payment_sha256(self) -> str | None:
        """The payment fingerprint's SHA-256 (hex), or None."""
        return (
            self.payment_fingerprint.removeprefix("sha256:") if self.payment_fingerprint else None
        )

    @field_validator("ip")
    @classmethod
    def _ip(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return str(ipaddress.ip_address(value.strip()))
        except ValueError:
            raise ValueError(
                Text("%(value)s is not an IPv4 or IPv6 address", value=repr(value))
            ) from None

    def identities(self) -> dict[str, str]:
        """Device and WeChat identifiers, by kind; the mini-program's OpenID is scoped to
        its appid, so it is stored as 'appid:openid'."""
        found: dict[str, str] = {}
        if self.device:
            for kind in ("gaid", "idfa", "idfv"):
                value = getattr(self.device, kind)
                if value and value.strip("0-"):  # all-zero ids mean tracking is off
                    found[kind] = value.strip().lower()
        if self.wechat:
            if self.wechat.openid:
                prefix = f"{self.wechat.appid}:" if self.wechat.appid else ""
                found["openid"] = prefix + self.wechat.openid
            if self.wechat.unionid:
                found["unionid"] = self.wechat.unionid
        return found

    @field_validator("event_type")
    @classmethod
    def _event_type(cls, value: str) -> str:
        if not is_valid_event_type(value):
            raise ValueError("use sale, lead, signup, install, first_purchase or custom:<name>")
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        try:
            return check_currency(value)
        except InvalidInput as error:  # report it as a validation error on the field
            raise ValueError(error.message.removeprefix("currency: ")) from None

    _numbers = field_validator("amount", "shipping", "tax", "discount", mode="before")(_number)

    @model_validator(mode="after")
    def _representable(self) -> ConversionReport:
        """Every amount must be payable in the currency: no digits rounded away."""
        for name in ("amount", "shipping", "tax", "discount"):
            try:
                check_places(getattr(self, name), self.currency, field=name)
            except InvalidInput as error:
                raise _field_error(name, error) from None
        for index, item in enumerate(self.items or []):
            try:
                check_places(item.price, self.currency, field=f"items[{index}].price")
            except InvalidInput as error:
                raise _field_error(f"items[{index}].price", error) from None
        return self

    def items_total(self) -> Decimal | None:
        """What the cart's lines add up to with shipping and tax, less the discount."""
        if not self.items:
            return None
        lines = sum((item.price * item.quantity for item in self.items), Decimal(0))
        return lines + self.shipping + self.tax - self.discount

    @field_validator("amount")
    @classmethod
    def _amount(cls, value: Decimal) -> Decimal:
        if not value.is_finite():
            raise ValueError("must be a finite number")
        if value.adjusted() >= MAX_MAJOR_DIGITS:
            raise ValueError(
                Text(
                    "is too large: at most %(most)s digits before the point", most=MAX_MAJOR_DIGITS
                )
            )
        return value

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("needs a timezone, e.g. 2026-11-11T10:00:00Z")
        if value < EPOCH_FLOOR:
            raise ValueError("is before the year 2000: send when the conversion really happened")
        return value.astimezone(UTC)

    def fingerprint(self) -> str:
        """A hash of the request's content, to tell a retry from a changed request."""
        canonical = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def canonical(self) -> dict[str, object]:
        """The request's content with amounts written one way (129.9 and 129.90 are equal)."""
        data = self.model_dump(mode="json", exclude_none=True)
        data["amount"] = str(Money.of(self.amount, self.currency).amount)
        for name in ("shipping", "tax", "discount"):  # absent and zero are the same request
            value = getattr(self, name)
            if value:
                data[name] = str(Money.of(value, self.currency).amount)
            else:
                data.pop(name, None)
        for item, dumped in zip(self.items or [], data.get("items", []), strict=True):
            dumped["price"] = _plain(item.price)
        return data


def check_order_total(report: ConversionReport, tolerance_percent: Decimal) -> None:
    """Refuse an order whose cart does not add up to its amount: the lines (price times
    quantity) plus shipping and tax, less the discount, may differ from `amount` by the
    program's tolerance (a percent of the amount), or by one minor unit a line."""
    total = report.items_total()
    if total is None:
        return
    quantum = Decimal(1).scaleb(-exponent(report.currency))
    allowed = max(report.amount * tolerance_percent / 100, quantum * len(report.items or []))
    if abs(total - report.amount) > allowed:
        raise InvalidInput(
            "items",
            Text(
                "the lines, shipping and tax less the discount come to %(total)s %(currency)s, "
                "not the order's amount %(amount)s (tolerance %(tolerance)s%%); send shipping, "
                "tax and discount as their own fields",
                total=total,
                currency=report.currency,
                amount=report.amount,
                tolerance=tolerance_percent,
            ),
        )


def _field_error(name: str, error: InvalidInput) -> InvalidRequest:
    return InvalidRequest([{"field": name, "message": error.message.removeprefix(f"{name}: ")}])


class ReturnedItem(BaseModel):
    """Units of one cart line that came back."""

    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=200)
    quantity: int = Field(ge=1, le=1_000_000)


class ReversalRequest(BaseModel):
    """Reverse a conversion in whole (no amount, no items) or in part: an amount, or the
    cart lines that came back (their value is the amount unless one is given)."""

    model_config = ConfigDict(extra="forbid")

    amount: Decimal | None = Field(default=None, gt=0, description="Omit to reverse the rest.")
    items: list[ReturnedItem] | None = Field(default=None, min_length=1, max_length=1000)
    reason_code: str = Field(
        description="returned, order_error, fraud, test, duplicate, cancelled or other"
    )
    note: str | None = Field(default=None, max_length=2000)
    idempotency_key: str | None = Field(default=None, max_length=200)


def _plain(value: Decimal) -> str:
    """A decimal without trailing zeros or exponent: 12.50 -> '12.5', 1E+2 -> '100'."""
    text = format(value.normalize(), "f")
    return text


def parse_report(data: object) -> ConversionReport:
    """A conversion from submitted data, or InvalidRequest naming every field at fault."""
    try:
        return ConversionReport.model_validate(data)
    except ValidationError as error:
        raise InvalidRequest(describe_validation(error.errors())) from None


def from_form(pairs: list[tuple[str, str]]) -> dict[str, object]:
    """A form-encoded conversion as the JSON body it stands for.

    `device.gaid=...` and `wechat.openid=...` become nested objects, `items` carries a JSON
    array, and empty fields count as absent (forms send every field).
    """
    data: dict[str, object] = {}
    for key, value in pairs:
        if value == "":
            continue
        if key == "items":
            try:
                data["items"] = json.loads(value)
            except ValueError:
                data["items"] = value  # validation names the field
            continue
        if "." in key:
            outer, inner = key.split(".", 1)
            nested = data.setdefault(outer, {})
            if isinstance(nested, dict):
                nested[inner] = value
            continue
        data[key] = value
    return data
