"""Money: exact amounts, half-up rounding to the currency's minor unit, exact splits."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.errors import InvalidInput
from accord.money import Money, check_currency, exponent, split, to_decimal

PROPERTY = settings(max_examples=150, deadline=None)

EXPONENTS = {"USD": 2, "JPY": 0, "KWD": 3, "CNY": 2}
CURRENCIES = st.sampled_from(sorted(EXPONENTS))
INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)


def half_up(value: Fraction, places: int) -> int:
    """`value` in minor units rounded half away from zero, computed without Decimal."""
    scaled = value * 10**places
    magnitude = abs(scaled)
    rounded = int(magnitude + Fraction(1, 2))  # floor(|x| + 1/2)
    return -rounded if scaled < 0 else rounded


# rounding on construction -------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("1.005", "USD", "1.01"),
        ("1.004", "USD", "1.00"),
        ("2.675", "USD", "2.68"),
        ("-1.005", "USD", "-1.01"),
        ("10", "USD", "10.00"),
        ("0.5", "JPY", "1"),
        ("2.5", "JPY", "3"),
        ("1999.49", "JPY", "1999"),
        ("1.0005", "KWD", "1.001"),
        ("1.0004", "KWD", "1.000"),
        ("7", "KWD", "7.000"),
        ("0.125", "CNY", "0.13"),
        ("0.135", "CNY", "0.14"),
    ],
)
def test_money_of_rounds_half_up_to_the_currency_exponent(amount, currency, expected):
    money = Money.of(amount, currency)
    assert money.amount == Decimal(expected)
    assert money.amount.as_tuple().exponent == -EXPONENTS[currency]
    assert money.currency == currency


@pytest.mark.parametrize(("currency", "digits"), sorted(EXPONENTS.items()))
def test_exponent_is_the_number_of_minor_unit_digits(currency, digits):
    assert exponent(currency) == digits


@pytest.mark.parametrize(
    ("currency", "digits"),
    [("IQD", 3), ("LBP", 2), ("RSD", 2)],
)
def test_exponent_follows_iso_4217_minor_units(currency, digits):
    # ISO 4217 gives IQD 3 (fils), LBP 2 and RSD 2 minor-unit digits; CLDR's display
    # precision, which babel reports, differs for these currencies.
    assert exponent(currency) == digits


@PROPERTY
@given(
    currency=CURRENCIES,
    units=st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1),
    places=st.integers(min_value=0, max_value=6),
)
def test_money_of_matches_an_independent_half_up_rounding(currency, units, places):
    value = Fraction(units, 10**places)
    text = str(Decimal(units).scaleb(-places))
    money = Money.of(text, currency)
    assert money.minor == half_up(value, EXPONENTS[currency])


def test_money_of_accepts_integers_and_decimals():
    assert Money.of(12, "USD") == Money(Decimal("12.00"), "USD")
    assert Money.of(Decimal("12.345"), "USD") == Money(Decimal("12.35"), "USD")


# refused input ------------------------------------------------------------------------


def test_money_of_refuses_a_float_naming_the_field():
    with pytest.raises(InvalidInput) as caught:
        Money.of(129.9, "USD")
    assert caught.value.field == "amount"
    assert "floating point" in caught.value.message


def test_money_of_refuses_a_float_naming_a_custom_field():
    with pytest.raises(InvalidInput) as caught:
        Money.of(1.5, "USD", field="payout_threshold")
    assert caught.value.field == "payout_threshold"
    assert caught.value.message.startswith("payout_threshold:")


@pytest.mark.parametrize("value", [True, "abc", "", "NaN", "Infinity", "-inf", "1.2.3"])
def test_money_of_refuses_non_numbers_and_non_finite_numbers(value):
    with pytest.raises(InvalidInput) as caught:
        Money.of(value, "USD")
    assert caught.value.field == "amount"


def test_to_decimal_refuses_a_float():
    with pytest.raises(InvalidInput):
        to_decimal(0.1)


def test_money_of_refuses_an_amount_too_large_with_invalid_input():
    # 10**30 cannot be held to the cent in Decimal's 28-digit context; the user should get
    # an invalid_input error naming the field, not an internal decimal.InvalidOperation.
    with pytest.raises(InvalidInput) as caught:
        Money.of("1e30", "USD")
    assert caught.value.field == "amount"


@pytest.mark.parametrize("code", ["XYZ", "US", "USDX", "", "12A", "U$D"])
def test_money_of_refuses_an_unknown_currency(code):
    with pytest.raises(InvalidInput) as caught:
        Money.of("1", code)
    assert caught.value.field == "currency"


def test_check_currency_upper_cases_a_known_code():
    assert check_currency("usd") == "USD"
    assert Money.of("1", "jpy").currency == "JPY"


def test_check_currency_refuses_a_non_string():
    with pytest.raises(InvalidInput):
        check_currency(840)  # type: ignore[arg-type]


def test_money_refuses_a_non_decimal_amount_on_direct_construction():
    with pytest.raises(TypeError):
        Money(1, "USD")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Money(Decimal("NaN"), "USD")


# arithmetic ---------------------------------------------------------------------------


def test_same_currency_arithmetic_is_exact():
    a, b = Money.of("10.10", "USD"), Money.of("0.20", "USD")
    assert a + b == Money.of("10.30", "USD")
    assert a - b == Money.of("9.90", "USD")
    assert -a == Money.of("-10.10", "USD")
    assert b < a
    assert b <= a
    assert a > b
    assert a >= b
    assert Money.zero("USD").is_zero()


@pytest.mark.parametrize(
    "operation",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
    ids=["add", "sub", "lt", "le", "gt", "ge"],
)
def test_mixed_currency_arithmetic_raises(operation):
    with pytest.raises(ValueError, match="currency mismatch"):
        operation(Money.of("1", "USD"), Money.of("1", "EUR"))


def test_arithmetic_with_a_non_money_raises_type_error():
    with pytest.raises(TypeError):
        Money.of("1", "USD") + Decimal(1)  # type: ignore[operator]


def test_times_rounds_half_up_once_and_refuses_floats():
    assert Money.of("10.05", "USD").times(Decimal("0.5")) == Money.of("5.03", "USD")
    with pytest.raises(TypeError):
        Money.of("10", "USD").times(0.5)  # type: ignore[arg-type]


def test_str_shows_the_amount_to_the_minor_unit_and_the_currency():
    assert str(Money.of("5", "KWD")) == "5.000 KWD"


# minor units --------------------------------------------------------------------------


@PROPERTY
@given(currency=CURRENCIES, minor=INT64)
def test_from_minor_then_minor_round_trips(currency, minor):
    money = Money.from_minor(minor, currency)
    assert money.minor == minor
    assert money.currency == currency


@PROPERTY
@given(currency=CURRENCIES, minor=st.integers(min_value=-(10**14), max_value=10**14))
def test_minor_then_from_minor_round_trips_a_quantized_amount(currency, minor):
    text = str(Decimal(minor).scaleb(-EXPONENTS[currency]))
    money = Money.of(text, currency)
    assert Money.from_minor(money.minor, currency) == money


def test_minor_units_follow_the_currency_exponent():
    assert Money.of("129.90", "USD").minor == 12990
    assert Money.of("1999", "JPY").minor == 1999
    assert Money.of("1.234", "KWD").minor == 1234
    assert Money.from_minor(-5, "USD").amount == Decimal("-0.05")


# split --------------------------------------------------------------------------------

WEIGHTS = st.lists(
    st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=8,
).filter(lambda ws: sum(ws) > 0)


@PROPERTY
@given(
    currency=CURRENCIES,
    minor=st.integers(min_value=-(10**12), max_value=10**12),
    weights=WEIGHTS,
)
def test_split_parts_add_back_to_the_total_exactly(currency, minor, weights):
    total = Money.from_minor(minor, currency)
    parts = split(total, weights)
    assert len(parts) == len(weights)
    assert all(p.currency == currency for p in parts)
    assert sum(p.minor for p in parts) == minor


@PROPERTY
@given(
    currency=CURRENCIES,
    minor=st.integers(min_value=-(10**12), max_value=10**12),
    weights=WEIGHTS,
)
def test_split_parts_differ_from_their_exact_share_by_less_than_one_minor_unit(
    currency, minor, weights
):
    total = Money.from_minor(minor, currency)
    weight_sum = sum((Fraction(w) for w in weights), Fraction(0))
    for part, weight in zip(split(total, weights), weights, strict=True):
        exact = Fraction(minor) * Fraction(weight) / weight_sum
        assert abs(part.minor - exact) < 1


@PROPERTY
@given(minor=st.integers(min_value=-(10**9), max_value=-1), weights=WEIGHTS)
def test_split_of_a_negative_total_gives_no_positive_part(minor, weights):
    parts = split(Money.from_minor(minor, "USD"), weights)
    assert all(p.minor <= 0 for p in parts)
    assert sum(p.minor for p in parts) == minor


def test_split_gives_leftover_units_to_the_largest_remainders():
    # 10 cents by 1:2:4 is 1.43, 2.86, 5.71: floors 1, 2, 5 leave 2 cents for the two
    # largest remainders (the second and third parts).
    parts = split(Money.of("0.10", "USD"), [Decimal(1), Decimal(2), Decimal(4)])
    assert [p.minor for p in parts] == [1, 3, 6]


def test_split_gives_tied_remainders_to_the_earlier_weight():
    parts = split(Money.of("1.00", "USD"), [Decimal(1)] * 3)
    assert [p.minor for p in parts] == [34, 33, 33]


def test_split_of_a_negative_total_mirrors_the_positive_split():
    parts = split(Money.of("-1.00", "USD"), [Decimal(1)] * 3)
    assert [p.minor for p in parts] == [-34, -33, -33]


def test_split_gives_nothing_to_a_zero_weight():
    parts = split(Money.of("5.00", "USD"), [Decimal(0), Decimal(1)])
    assert [p.minor for p in parts] == [0, 500]


@pytest.mark.parametrize(
    "weights",
    [[], [Decimal(-1), Decimal(2)], [Decimal(0), Decimal(0)]],
    ids=["empty", "negative", "all-zero"],
)
def test_split_refuses_unusable_weights(weights):
    with pytest.raises(ValueError):
        split(Money.of("1", "USD"), weights)


# exact parsing of what users send ---------------------------------------------------------
@PROPERTY
@given(currency=CURRENCIES, minor=st.integers(-(10**12), 10**12), extra_zeros=st.integers(0, 3))
def test_parse_takes_any_amount_the_currency_holds_exactly(currency, minor, extra_zeros):
    places = EXPONENTS[currency]
    text = str(Decimal(minor).scaleb(-places))
    if extra_zeros:
        text += ("" if "." in text else ".") + "0" * extra_zeros
    assert Money.parse(text, currency).minor == minor


@PROPERTY
@given(currency=CURRENCIES, minor=st.integers(0, 10**10), digit=st.integers(1, 9))
def test_parse_refuses_a_digit_beyond_the_minor_unit_instead_of_rounding(currency, minor, digit):
    places = EXPONENTS[currency]
    text = str(Decimal(minor).scaleb(-places))
    text += ("" if "." in text else ".") + "0" * (places - len(text.partition(".")[2]))
    with pytest.raises(InvalidInput) as refused:
        Money.parse(text + str(digit), currency, field="price")
    assert refused.value.field == "price" and currency in refused.value.message


@pytest.mark.parametrize(
    "text",
    [
        "\uff11\uff12\uff13",
        "\u0661\u0662",
        "\u0967\u0968",
        "1e3",
        "1E+2",
        "1,5",
        " 12",
        "12 ",
        "+-1",
        ".",
        "",
        "NaN",
    ],
)
def test_to_decimal_takes_only_ascii_digits_and_one_point(text):
    with pytest.raises(InvalidInput) as refused:
        to_decimal(text, field="amount")
    assert refused.value.field == "amount"
