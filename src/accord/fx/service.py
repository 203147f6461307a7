"""Exchange rates: enter them, find the one in force, convert money with it.

A rate is entered for a pair (base -> quote) and holds from its effective moment until the
next one. The inverse pair is used when only it was entered (1 / rate). The rate used is
stored with whatever it computed, so a figure can always be explained later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.errors import InvalidInput, Text
from accord.fx.tables import ExchangeRate
from accord.ids import new_id
from accord.money import Money, check_currency, exponent, to_decimal
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand

RATE_PLACES = Decimal("1e-12")


@dataclass(frozen=True, slots=True)
class Rate:
    base: str
    quote: str
    rate: Decimal
    effective_from: datetime | None  # None: the identity rate of a currency to itself


def set_rate(
    store: Store,
    caller: Caller,
    base: str,
    quote: str,
    rate: object,
    effective_from: datetime | None = None,
) -> ExchangeRate:
    """Enter a rate; earlier conversions keep the rate they were computed with."""
    require_brand(caller)
    base = check_currency(base, field="base")
    quote = check_currency(quote, field="quote")
    if base == quote:
        raise InvalidInput("quote", "must differ from base")
    value = to_decimal(rate, field="rate")
    if value <= 0:
        raise InvalidInput("rate", "must be greater than zero")
    now = store.clock.now()
    with store.unit() as session:
        row = ExchangeRate(
            id=new_id("fxr"),
            organization_id=caller.organization_id,
            base=base,
            quote=quote,
            rate=value,
            effective_from=effective_from or now,
            created_at=now,
        )
        session.add(row)
    return row


def list_rates(store: Store, caller: Caller) -> list[ExchangeRate]:
    with store.read() as session:
        return list(
            session.scalars(
                select(ExchangeRate)
                .where(ExchangeRate.organization_id == caller.organization_id)
                .order_by(ExchangeRate.base, ExchangeRate.quote, ExchangeRate.effective_from)
            )
        )


def rate_at(
    session: Session, organization_id: str, base: str, quote: str, at: datetime, *, field: str
) -> Rate:
    """The rate in force at `at`, or an error naming the missing pair."""
    if base == quote:
        return Rate(base, quote, Decimal(1), None)

    def latest(b: str, q: str) -> ExchangeRate | None:
        return session.scalar(
            select(ExchangeRate)
            .where(
                ExchangeRate.organization_id == organization_id,
                ExchangeRate.base == b,
                ExchangeRate.quote == q,
                ExchangeRate.effective_from <= at,
            )
            .order_by(ExchangeRate.effective_from.desc(), ExchangeRate.created_at.desc())
            .limit(1)
        )

    direct, inverse = latest(base, quote), latest(quote, base)
    if direct is not None and (inverse is None or direct.effective_from >= inverse.effective_from):
        return Rate(base, quote, direct.rate, direct.effective_from)
    if inverse is not None:
        with localcontext() as ctx:
            ctx.prec = 40
            value = (Decimal(1) / inverse.rate).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)
        return Rate(base, quote, value, inverse.effective_from)
    raise InvalidInput(
        field,
        Text(
            "no exchange rate from %(base)s to %(quote)s in force at %(at)s; "
            "enter one under Settings, Exchange rates",
            base=base,
            quote=quote,
            at=at.isoformat(),
        ),
    )


def convert_minor(minor: int, source: str, target: str, rate: Decimal) -> int:
    """Minor units of `source` in `target` at `rate`, rounded half-up once."""
    if source == target:
        return minor
    with localcontext() as ctx:
        ctx.prec = 60
        major = Decimal(minor).scaleb(-exponent(source)) * rate
        return int(major.scaleb(exponent(target)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def convert(money: Money, target: str, rate: Decimal) -> Money:
    return Money.from_minor(convert_minor(money.minor, money.currency, target, rate), target)
