"""Event types, and commission amounts rounded to each currency's minor unit."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from accord.contracts.engine import CompiledTerms, Facts, MemoryUsage
from accord.contracts.model import EventType, is_valid_event_type
from accord.contracts.terms import parse_terms
from accord.errors import InvalidRequest
from accord.money import Money

AT = datetime(2026, 11, 1, tzinfo=UTC)


def commission(currency: str, amount: str, percent: str, share: str = "1") -> Money:
    terms = CompiledTerms(
        parse_terms({"rules": [{"event_type": "sale", "percent": percent}]}), currency
    )
    facts = Facts("p", "sale", Money.of(amount, currency).minor, AT, share=Decimal(share))
    return Money.from_minor(terms.evaluate(facts, MemoryUsage()).amount_minor, currency)


# rounding -------------------------------------------------------------------------------
def test_a_percent_is_rounded_half_up_to_the_cent():
    assert commission("USD", "129.90", "8") == Money.of("10.39", "USD")  # 10.392
    assert commission("USD", "0.10", "5") == Money.of("0.01", "USD")  # 0.005


def test_rounding_happens_once_after_the_share_not_before():
    # 0.5% of 1.00 = 0.005; half of it is 0.0025 -> 0.00, not round(0.01 x 0.5) = 0.01
    assert commission("USD", "1.00", "0.5", share="0.5") == Money.of("0", "USD")


def test_amounts_round_to_each_currencys_exponent():
    assert commission("JPY", "1999", "3") == Money.of("60", "JPY")  # 59.97
    assert commission("KWD", "10.005", "10") == Money.of("1.001", "KWD")  # 1.0005


def test_a_fixed_amount_finer_than_the_currency_is_refused():
    with pytest.raises(InvalidRequest) as caught:
        CompiledTerms(parse_terms({"rules": [{"event_type": "sale", "fixed": "-1"}]}), "JPY")
    assert caught.value.field == "rules[0].fixed"


# event types --------------------------------------------------------------------------


@pytest.mark.parametrize("value", [e.value for e in EventType])
def test_is_valid_event_type_accepts_built_ins(value):
    assert is_valid_event_type(value)


@pytest.mark.parametrize(
    "value",
    ["custom:webinar", "custom:trial_started", "custom:v2.upgrade-now", "custom:" + "x" * 57],
)
def test_is_valid_event_type_accepts_custom_names(value):
    assert is_valid_event_type(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "refund",
        "Sale",
        "sale ",
        "custom:",
        "custom:" + "x" * 58,
        "custom:has space",
        "custom:a/b",
        "custom:a:b",
        "Custom:webinar",
        "webinar",
    ],
)
def test_is_valid_event_type_refuses_junk(value):
    assert not is_valid_event_type(value)
