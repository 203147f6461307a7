"""Amounts in other platforms' exports are read exactly, however they are written."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from accord.conversions.history import amount

cents = st.integers(min_value=0, max_value=10**12).map(lambda n: Decimal(n).scaleb(-2))


@given(cents, st.sampled_from(["{:,.2f}", "{:.2f}", "${:,.2f}", "USD {:.2f}", "{:.2f} EUR"]))
def test_an_amount_reads_back_exactly_in_every_written_form(value, form):
    assert amount(form.format(value)) == value


@given(cents, st.booleans())
def test_a_decimal_comma_is_read_as_one(value, grouped):
    english = f"{value:,.2f}" if grouped else f"{value:.2f}"
    written = english.replace(",", " ").replace(".", ",").replace(" ", ".")  # 1.234,50
    assert amount(written) == value
