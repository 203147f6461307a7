"""The payout CSV a finance team reviews: exact amounts, safe text, one row a payout."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from accord.errors import InvalidInput
from accord.money import Money
from accord.payouts.files import (
    CSV_COLUMNS,
    Payee,
    PayoutInstruction,
    PayoutMethod,
    payouts_csv,
)
from accord.spreadsheets import spreadsheet_safe
from tests.payout_files.support import payout


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_the_csv_starts_with_a_header_row_naming_every_column():
    text = payouts_csv([payout("pay_01", "12.5", iban="DE89370400440532013000")])
    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    assert text.endswith("\r\n")


def test_an_empty_batch_is_just_the_header():
    assert payouts_csv([]) == ",".join(CSV_COLUMNS) + "\r\n"


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        ("12.5", "EUR", "12.50"),
        ("1000", "EUR", "1000.00"),
        ("0.01", "EUR", "0.01"),
        ("1500", "JPY", "1500"),
        ("1.25", "KWD", "1.250"),
        ("7", "KWD", "7.000"),
    ],
)
def test_amounts_are_plain_decimals_in_the_currencys_precision(amount, currency, shown):
    (row,) = rows(payouts_csv([payout("pay_01", amount, currency)]))
    assert row["amount"] == shown
    assert row["currency"] == currency


def test_each_payout_is_one_row_with_its_payee_details():
    batch = [
        payout(
            "pay_01",
            "12.50",
            name="Zoë Müller",
            email="zoe@example.com",
            country="DE",
            iban="DE89370400440532013000",
            bic="COBADEFFXXX",
            reference="Commissions November 2026",
        ),
        payout("pay_02", "3", "USD", partner_id="prt_ben", name="Ben", paypal_email="b@x.io"),
        payout("pay_03", "40", partner_id="prt_cho", name="Cho", stripe_account_id="acct_1X"),
        payout("pay_04", "5", partner_id="prt_dan", name="Dan"),
    ]
    got = rows(payouts_csv(batch))
    assert [r["payout_id"] for r in got] == ["pay_01", "pay_02", "pay_03", "pay_04"]
    assert [r["method"] for r in got] == ["sepa", "paypal", "stripe", "manual"]
    assert got[0] == {
        "payout_id": "pay_01",
        "partner_id": "prt_ana",
        "payee_name": "Zoë Müller",
        "email": "zoe@example.com",
        "country": "DE",
        "method": "sepa",
        "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
        "paypal_email": "",
        "stripe_account": "",
        "amount": "12.50",
        "currency": "EUR",
        "reference": "Commissions November 2026",
        # only for Alipay, WeChat Pay, Payoneer and SWIFT wires
        "app_account": "",
        "account_number": "",
        "bank_name": "",
        "bank_address": "",
        "bank_country": "",
        "intermediary_bic": "",
    }
    assert got[1]["paypal_email"] == "b@x.io"
    assert got[2]["stripe_account"] == "acct_1X"
    assert sum(Decimal(r["amount"]) for r in got if r["currency"] == "EUR") == Decimal("57.50")


def test_an_explicit_method_wins_over_the_details_on_file():
    payee = Payee("prt_ana", "Ana", iban="DE89370400440532013000", paypal_email="a@x.io")
    ins = PayoutInstruction(
        "pay_01", "prt_ana", payee, Money.of("1", "EUR"), "", PayoutMethod.PAYPAL
    )
    assert rows(payouts_csv([ins]))[0]["method"] == "paypal"


@pytest.mark.parametrize(
    "evil",
    ['=HYPERLINK("http://evil.example","x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx"],
)
def test_text_that_a_spreadsheet_would_run_as_a_formula_is_defused(evil):
    ins = payout("pay_01", "1", name=evil, reference=evil, email=evil)
    (row,) = rows(payouts_csv([ins]))
    for column in ("payee_name", "reference", "email"):
        assert row[column] == "'" + evil
    assert row["amount"] == "1.00"


def test_ordinary_text_is_left_alone():
    assert spreadsheet_safe("Ana Lima") == "Ana Lima"
    assert spreadsheet_safe("a=b") == "a=b"
    assert spreadsheet_safe(None) == ""


def test_commas_quotes_and_newlines_in_text_survive_the_round_trip():
    text = 'Lima, Ana "the closer"\nsecond line'
    (row,) = rows(payouts_csv([payout("pay_01", "1", name=text)]))
    assert row["payee_name"] == text


def test_a_payout_must_be_positive():
    with pytest.raises(InvalidInput) as refused:
        payout("pay_01", "0")
    assert refused.value.field == "amount"
    assert "pay_01" in refused.value.message


def test_a_payout_finer_than_the_currencys_minor_unit_is_refused_not_rounded():
    payee = Payee("prt_ana", "Ana")
    with pytest.raises(InvalidInput, match="more decimals than EUR allows"):
        PayoutInstruction("pay_01", "prt_ana", payee, Money(Decimal("1.005"), "EUR"))
    with pytest.raises(InvalidInput, match="more decimals than JPY allows"):
        PayoutInstruction("pay_01", "prt_ana", payee, Money(Decimal("10.5"), "JPY"))


def test_a_payout_and_its_payee_must_name_the_same_partner():
    payee = Payee("prt_ben", "Ben")
    with pytest.raises(InvalidInput) as refused:
        PayoutInstruction("pay_01", "prt_ana", payee, Money.of("1", "EUR"))
    assert refused.value.field == "payee.partner_id"
