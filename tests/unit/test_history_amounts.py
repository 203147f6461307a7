"""Amounts in other platforms' exports are read exactly, however they are written."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from accord.conversions.history import COLUMNS, amount

cents = st.integers(min_value=0, max_value=10**12).map(lambda n: Decimal(n).scaleb(-2))


@given(cents, st.sampled_from(["{:,.2f}", "{:.2f}", "${:,.2f}", "USD {:.2f}", "{:.2f} EUR"]))
def test_an_amount_reads_back_exactly_in_every_written_form(value, form):
    assert amount(form.format(value)) == value


@given(cents, st.booleans())
def test_a_decimal_comma_is_read_as_one(value, grouped):
    english = f"{value:,.2f}" if grouped else f"{value:.2f}"
    written = english.replace(",", " ").replace(".", ",").replace(" ", ".")  # 1.234,50
    assert amount(written) == value


def test_cents_are_read_in_the_rows_currency_and_must_be_whole():
    from accord.conversions.history import _action
    from accord.partners.imports import ExportLine, norm

    header = ["id", "affiliate_id", "sale_amount_cents", "commission_amount_cents", "currency"]
    where = {norm(h): i for i, h in enumerate(header)}
    columns = COLUMNS["rewardful"]
    yen = _action(ExportLine(2, ["c1", "a1", "1500", "150", "jpy"], where), columns)
    assert (yen.decimal("sale", "JPY"), yen.decimal("commission", "JPY")) == (1500, 150)
    dollars = _action(ExportLine(3, ["c2", "a1", "1500", "150", "usd"], where), columns)
    assert dollars.decimal("sale", "USD") == Decimal("15.00") and dollars.problem is None
    broken = _action(ExportLine(4, ["c3", "a1", "1500.5", "150", "usd"], where), columns)
    assert broken.problem[0] == "sale" and "whole number" in broken.problem[1]
