"""Contract rules: which rule applies, what it pays, and how the quote explains it."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.contracts.model import (
    CustomerCondition,
    CustomerStatus,
    EventType,
    Facts,
    Rule,
    apply_rule,
    is_valid_event_type,
    quote,
    select_rule,
)
from accord.money import Money

PROPERTY = settings(max_examples=200, deadline=None)
EXPONENTS = {"USD": 2, "JPY": 0, "KWD": 3}


def rule(
    rule_id: str,
    rank: int,
    event_type: str = "sale",
    status: CustomerCondition = CustomerCondition.ANY,
    percent: str | None = None,
    fixed: Money | None = None,
) -> Rule:
    return Rule(
        id=rule_id,
        rank=rank,
        name=f"rule {rule_id}",
        event_type=event_type,
        customer_status=status,
        percent=None if percent is None else Decimal(percent),
        fixed=fixed,
    )


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


# select_rule --------------------------------------------------------------------------

RULES = [
    rule("r_any", 3, percent="5"),
    rule("r_lead", 1, event_type="lead", fixed=usd("20")),
    rule("r_new", 2, status=CustomerCondition.NEW, percent="10"),
    rule("r_ret", 2, status=CustomerCondition.RETURNING, percent="7", event_type="signup"),
]


def test_select_rule_picks_the_first_matching_rule_by_rank_not_list_order():
    assert select_rule(RULES, "sale", CustomerStatus.NEW).id == "r_new"


def test_select_rule_falls_through_to_a_later_rank_when_the_earlier_one_does_not_match():
    assert select_rule(RULES, "sale", CustomerStatus.RETURNING).id == "r_any"


def test_select_rule_matches_on_event_type():
    assert select_rule(RULES, "lead", CustomerStatus.RETURNING).id == "r_lead"


def test_select_rule_returns_none_when_nothing_matches():
    assert select_rule(RULES, "install", CustomerStatus.NEW) is None
    assert select_rule(RULES, "signup", CustomerStatus.NEW) is None
    assert select_rule([], "sale", CustomerStatus.NEW) is None


def test_select_rule_breaks_a_rank_tie_by_rule_id():
    rules = [rule("r_b", 1, percent="2"), rule("r_a", 1, percent="1")]
    assert select_rule(rules, "sale", CustomerStatus.NEW).id == "r_a"


@pytest.mark.parametrize(
    ("condition", "status", "matches"),
    [
        (CustomerCondition.NEW, CustomerStatus.NEW, True),
        (CustomerCondition.NEW, CustomerStatus.RETURNING, False),
        (CustomerCondition.RETURNING, CustomerStatus.RETURNING, True),
        (CustomerCondition.RETURNING, CustomerStatus.NEW, False),
        (CustomerCondition.ANY, CustomerStatus.NEW, True),
        (CustomerCondition.ANY, CustomerStatus.RETURNING, True),
    ],
)
def test_customer_condition_matches_the_customer_status(condition, status, matches):
    assert rule("r", 1, status=condition, percent="1").matches("sale", status) is matches


def test_rule_does_not_match_another_event_type():
    assert not rule("r", 1, event_type="sale", percent="1").matches("lead", CustomerStatus.NEW)


# apply_rule ---------------------------------------------------------------------------


def test_apply_rule_pays_a_percent_rounded_half_up():
    assert apply_rule(rule("r", 1, percent="8"), usd("129.90")) == usd("10.39")  # 10.392
    assert apply_rule(rule("r", 1, percent="5"), usd("0.10")) == usd("0.01")  # 0.005


def test_apply_rule_pays_a_fixed_amount_whatever_the_order_amount():
    fixed = rule("r", 1, fixed=usd("20.00"))
    assert apply_rule(fixed, usd("0")) == usd("20.00")
    assert apply_rule(fixed, usd("999.99")) == usd("20.00")


def test_apply_rule_pays_percent_plus_fixed():
    assert apply_rule(rule("r", 1, percent="5", fixed=usd("2.50")), usd("100")) == usd("7.50")


def test_apply_rule_scales_by_the_credit_share():
    assert apply_rule(rule("r", 1, percent="10"), usd("100"), Decimal("0.5")) == usd("5.00")
    both = rule("r", 1, percent="5", fixed=usd("2.50"))
    assert apply_rule(both, usd("100"), Decimal("0.25")) == usd("1.88")  # 1.875


def test_apply_rule_rounds_once_after_the_share_not_before():
    # 1.00 x 0.5% = 0.005; x share 0.5 = 0.0025 -> 0.00. Rounding before the share would
    # give 0.01 x 0.5 = 0.005 -> 0.01.
    assert apply_rule(rule("r", 1, percent="0.5"), usd("1.00"), Decimal("0.5")) == usd("0")


def test_apply_rule_rounds_to_the_currency_exponent():
    jpy = Money.of("1999", "JPY")
    assert apply_rule(rule("r", 1, percent="3"), jpy) == Money.of("60", "JPY")  # 59.97
    kwd = Money.of("10.005", "KWD")
    assert apply_rule(rule("r", 1, percent="10"), kwd) == Money.of("1.001", "KWD")  # 1.0005


def test_apply_rule_refuses_a_fixed_amount_in_another_currency():
    with pytest.raises(ValueError, match="EUR"):
        apply_rule(rule("r", 1, fixed=Money.of("5", "EUR")), usd("10"))


def half_up(value: Fraction, places: int) -> int:
    scaled = value * 10**places
    rounded = int(abs(scaled) + Fraction(1, 2))
    return -rounded if scaled < 0 else rounded


@PROPERTY
@given(
    currency=st.sampled_from(sorted(EXPONENTS)),
    amount_minor=st.integers(min_value=0, max_value=10**10),
    percent=st.none()
    | st.decimals(min_value=0, max_value=100, places=3, allow_nan=False, allow_infinity=False),
    fixed_minor=st.none() | st.integers(min_value=0, max_value=10**6),
    share=st.decimals(min_value=0, max_value=1, places=4, allow_nan=False, allow_infinity=False),
)
def test_apply_rule_equals_the_exact_formula_rounded_half_up_once(
    currency, amount_minor, percent, fixed_minor, share
):
    amount = Money.from_minor(amount_minor, currency)
    fixed = None if fixed_minor is None else Money.from_minor(fixed_minor, currency)
    the_rule = Rule("r", 1, "r", "sale", CustomerCondition.ANY, percent, fixed)

    places = EXPONENTS[currency]
    exact = Fraction(0)
    if percent is not None:
        exact += Fraction(amount_minor, 10**places) * Fraction(percent) / 100
    if fixed_minor is not None:
        exact += Fraction(fixed_minor, 10**places)
    exact *= Fraction(share)

    result = apply_rule(the_rule, amount, share)
    assert result.currency == currency
    assert result.minor == half_up(exact, places)
    assert result.amount.as_tuple().exponent == -places


# quote --------------------------------------------------------------------------------


def test_quote_names_the_rule_the_version_and_the_arithmetic():
    rules = [rule("r_pct", 1, percent="8")]
    facts = Facts("sale", CustomerStatus.NEW, usd("129.90"))
    result = quote(rules, facts, "cv_1")
    assert result is not None
    assert result.rule.id == "r_pct"
    assert result.amount == usd("10.39")
    explanation = result.explanation
    assert explanation["contract_version_id"] == "cv_1"
    assert explanation["rule_id"] == "r_pct"
    assert explanation["rule_name"] == "rule r_pct"
    assert explanation["rule_rank"] == 1
    assert explanation["percent"] == "8"
    assert explanation["fixed"] is None
    assert explanation["order_amount"] == "129.90"
    assert explanation["currency"] == "USD"
    assert explanation["share"] == "1"
    assert explanation["arithmetic"] == "129.90 x 8% = 10.39 USD (rounded half-up)"


def test_quote_explains_fixed_part_and_share():
    rules = [rule("r_mix", 4, percent="5", fixed=usd("2.50"))]
    facts = Facts("sale", CustomerStatus.RETURNING, usd("100"), share=Decimal("0.5"))
    result = quote(rules, facts, "cv_2")
    assert result is not None
    assert result.amount == usd("3.75")
    assert result.explanation["fixed"] == "2.50"
    assert result.explanation["customer_status"] == "returning"
    assert result.explanation["arithmetic"] == (
        "(100.00 x 5% + 2.50) x share 0.5 = 3.75 USD (rounded half-up)"
    )


def test_quote_amount_equals_apply_rule_of_the_selected_rule():
    facts = Facts("sale", CustomerStatus.NEW, usd("57.35"), share=Decimal("0.3"))
    result = quote(RULES, facts, "cv")
    assert result is not None
    assert result.amount == apply_rule(
        select_rule(RULES, "sale", CustomerStatus.NEW), usd("57.35"), Decimal("0.3")
    )


def test_quote_returns_none_when_no_rule_matches():
    assert quote(RULES, Facts("install", CustomerStatus.NEW, usd("1")), "cv") is None


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
