"""Money: a Decimal amount with an ISO 4217 currency, exact to the currency's minor unit.

Accord never uses floats for money. Amounts are stored as integer minor units (cents,
fen, yen) next to a currency column, so both SQLite and PostgreSQL keep them exact and
sums in SQL are exact too. Rounding is half-up to the currency's exponent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

from iso4217 import Currency

from accord.errors import InvalidInput, Text

#: ISO 4217 minor units of every current currency that has one (not XAU, XXX and the like).
_EXPONENTS: dict[str, int] = {
    c.code: c.exponent for c in Currency if c.exponent is not None and len(c.code) == 3
}

#: Amounts are stored as 64-bit integers of minor units; anything near that is refused.
MAX_MAJOR_DIGITS = 15
_WIDE = Context(prec=60)
#: How amounts are written: ASCII digits, an optional sign and decimal point. Full-width or
#: other scripts' digits, exponents, spaces and thousands separators are refused.
_PLAIN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


def check_currency(code: str, *, field: str = "currency") -> str:
    """Return the ISO 4217 code in upper case, or raise naming the field."""
    if not isinstance(code, str) or len(code) != 3 or not code.isalpha():
        raise InvalidInput(
            field, Text("%(code)s is not a three-letter ISO 4217 currency code", code=repr(code))
        )
    upper = code.upper()
    if upper not in _EXPONENTS:
        raise InvalidInput(
            field, Text("%(code)s is not an ISO 4217 currency with a minor unit", code=repr(code))
        )
    return upper


def exponent(currency: str) -> int:
    """Digits after the decimal point in the ISO 4217 minor unit (USD 2, JPY 0, KWD 3)."""
    return _EXPONENTS[currency]


def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-exponent(currency))


def to_decimal(value: object, *, field: str = "amount") -> Decimal:
    """Parse a user-supplied amount into a finite Decimal; floats are refused."""
    if isinstance(value, float):
        raise InvalidInput(field, "send amounts as strings or integers, not floating point")
    if isinstance(value, bool):
        raise InvalidInput(field, "is not a number")
    if isinstance(value, str) and not _PLAIN.fullmatch(value):
        raise InvalidInput(
            field,
            Text(
                "%(value)s is not a decimal number written with 0-9 and a point",
                value=repr(value[:40]),
            ),
        )
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(
            field, Text("%(value)s is not a decimal number", value=repr(str(value)[:40]))
        ) from None
    if not number.is_finite():
        raise InvalidInput(field, "must be a finite number")
    if number.adjusted() >= MAX_MAJOR_DIGITS:
        raise InvalidInput(
            field,
            Text(
                "is too large: at most %(digits)s digits before the point", digits=MAX_MAJOR_DIGITS
            ),
        )
    return number


def check_places(number: Decimal, currency: str, *, field: str = "amount") -> Decimal:
    """Refuse a number with more significant decimals than the currency's minor unit."""
    places = exponent(currency)
    if number.is_finite() and number != number.quantize(_quantum(currency), context=_WIDE):
        if places == 0:
            raise InvalidInput(
                field,
                Text(
                    "%(number)s cannot be paid in %(currency)s: it takes no decimals",
                    number=number,
                    currency=currency,
                ),
            )
        raise InvalidInput(
            field,
            Text(
                "%(number)s cannot be paid in %(currency)s: it takes at most %(places)s decimals",
                number=number,
                currency=currency,
                places=places,
            ),
        )
    return number


@dataclass(frozen=True, slots=True, order=False)
class Money:
    """An exact amount in one currency. Arithmetic refuses mixed currencies."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal")
        if not self.amount.is_finite():
            raise ValueError("Money.amount must be finite")

    # construction ---------------------------------------------------------------
    @classmethod
    def of(cls, amount: object, currency: str, *, field: str = "amount") -> Money:
        """Money from user input, rounded half-up to the currency's minor unit."""
        code = check_currency(currency)
        number = to_decimal(amount, field=field)
        return cls(number.quantize(_quantum(code), rounding=ROUND_HALF_UP, context=_WIDE), code)

    @classmethod
    def parse(cls, amount: object, currency: str, *, field: str = "amount") -> Money:
        """Money from what a user sent, exactly: more decimals than the currency has
        (0.001 USD, 10 JPY and 5 fen written 10.5) are refused, never rounded away."""
        code = check_currency(currency)
        number = to_decimal(amount, field=field)
        check_places(number, code, field=field)
        return cls(number.quantize(_quantum(code), context=_WIDE), code)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0).quantize(_quantum(currency)), currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        """Money from integer minor units as stored in the database."""
        return cls(Decimal(int(minor)).scaleb(-exponent(currency), context=_WIDE), currency)

    # conversion -----------------------------------------------------------------
    @property
    def minor(self) -> int:
        """The amount in integer minor units (exact: amounts are always quantized)."""
        scaled = self.quantized().amount.scaleb(exponent(self.currency), context=_WIDE)
        return int(scaled)

    def quantized(self) -> Money:
        return Money(
            self.amount.quantize(_quantum(self.currency), rounding=ROUND_HALF_UP, context=_WIDE),
            self.currency,
        )

    def __str__(self) -> str:
        return f"{self.quantized().amount} {self.currency}"

    # arithmetic -----------------------------------------------------------------
    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise ValueError(f"currency mismatch: {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def times(self, factor: Decimal) -> Money:
        """Multiply by an exact factor and round half-up to the minor unit."""
        if isinstance(factor, float):
            raise TypeError("factor must be a Decimal, not a float")
        return Money(self.amount * factor, self.currency).quantized()

    def is_zero(self) -> bool:
        return self.amount == 0


def split(total: Money, weights: list[Decimal]) -> list[Money]:
    """Split money by weights with the largest-remainder method.

    The parts always add back to the total exactly, to the minor unit; ties in the
    remainder go to the earlier weight.
    """
    if not weights:
        raise ValueError("split needs at least one weight")
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    weight_sum = sum(weights, Decimal(0))
    if weight_sum == 0:
        raise ValueError("weights must not all be zero")
    minor_total = total.minor
    sign = -1 if minor_total < 0 else 1
    magnitude = abs(minor_total)
    exact = [Decimal(magnitude) * w / weight_sum for w in weights]
    floors = [int(x) for x in exact]
    leftover = magnitude - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:leftover]:
        floors[i] += 1
    return [Money.from_minor(sign * part, total.currency) for part in floors]
