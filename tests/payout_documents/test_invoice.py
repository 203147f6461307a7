"""A brand's invoice charges approved commissions plus the platform fee, less clawbacks."""

# Babel and the Chinese labels use en dashes and full-width punctuation on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from accord.money import Money
from accord.payouts.documents import InvoiceLine, render_invoice
from tests.payout_documents.examples import invoice, invoice_lines, pdf_pages, pdf_text


@pytest.fixture(scope="module")
def english() -> str:
    return pdf_text(render_invoice(invoice(), locale="en"))


def test_invoice_names_number_dates_issuer_and_brand(english: str) -> None:
    for expected in (
        "Invoice",
        "INV-2026-0031",
        "Nov 2, 2026",
        "Nov 16, 2026",
        "Oct 1 – 31, 2026",
        "Accord Hosting Ltd",
        "12 Harbour Street",
        "Tax ID: IE6388047V",
        "Bill to",
        "Northwind Outdoor GmbH",
        "10969 Berlin",
    ):
        assert expected in english


def test_lines_per_program_and_partner_with_clawbacks_credited(english: str) -> None:
    assert "Spring Partners" in english
    assert "Loyalty Creators" in english
    assert "All partners" in english
    assert "€1,250.40" in english
    assert "-€45.20" in english


def test_totals_add_the_fee_on_the_net_commissions(english: str) -> None:
    totals = invoice().totals
    assert totals.commissions == Money.of("1650.35", "EUR")
    assert totals.clawbacks == Money.of("45.20", "EUR")
    assert totals.subtotal == Money.of("1605.15", "EUR")
    assert totals.platform_fee == Money.of("80.26", "EUR")  # 80.2575 rounded half-up
    assert totals.total_due == Money.of("1685.41", "EUR")
    for figure in ("€1,650.35", "€1,605.15", "Platform fee (5% of subtotal)", "€80.26"):
        assert figure in english
    assert "Total due (EUR)" in english
    assert "€1,685.41" in english


def test_fee_is_rounded_once_half_up() -> None:
    lines = [InvoiceLine("commissions", "Tiny", Money.of("0.10", "EUR"), 1)]
    assert invoice(lines).totals.platform_fee == Money.of("0.01", "EUR")  # 0.005
    fractional = invoice(lines, rate=Decimal("0.025"))
    assert fractional.totals.platform_fee == Money.zero("EUR")  # 0.0025
    assert "Platform fee (2.5% of subtotal)" in pdf_text(render_invoice(fractional))


def test_yen_invoice_has_no_decimals() -> None:
    lines = [
        InvoiceLine("commissions", "Spring Partners", Money.of("125040", "JPY"), 42),
        InvoiceLine("clawbacks", "Spring Partners", Money.of("4520", "JPY"), 2),
    ]
    text = pdf_text(render_invoice(invoice(lines, currency="JPY")))
    assert "¥125,040" in text
    assert "¥6,026" in text  # 5 % of 120,520
    assert "¥126,546" in text
    assert not re.search(r"¥[\d,]+\.\d", text)


def test_invoice_whose_lines_do_not_give_the_total_due_is_refused() -> None:
    with pytest.raises(ValueError, match=r"does not add up.*difference -0\.41 EUR"):
        invoice(total_due=Money.of("1685.00", "EUR"))


def test_clawbacks_larger_than_commissions_are_refused() -> None:
    lines = [InvoiceLine("clawbacks", "Spring Partners", Money.of("10", "EUR"), 1)]
    with pytest.raises(ValueError, match="credit note"):
        invoice(lines, total_due=Money.of("-10.50", "EUR"))


def test_invoice_due_before_it_is_issued_is_refused() -> None:
    with pytest.raises(ValueError, match="due before"):
        replace(invoice(), due_on=date(2026, 11, 1))


def test_fee_rate_must_be_a_decimal_fraction() -> None:
    with pytest.raises(ValueError, match="platform_fee_rate"):
        invoice(rate=Decimal("5"))


def test_negative_line_amount_is_refused() -> None:
    lines = [*invoice_lines()[:1], InvoiceLine("clawbacks", "X", Money.of("-1", "EUR"), 1)]
    with pytest.raises(ValueError, match="negative"):
        invoice(lines)


def test_invoice_without_lines_says_so() -> None:
    text = pdf_text(render_invoice(invoice([])))
    assert "No commissions or clawbacks in this period." in text
    assert "€0.00" in text


def test_output_is_a_one_page_pdf() -> None:
    data = render_invoice(invoice())
    assert data.startswith(b"%PDF-")
    assert len(pdf_pages(data)) == 1
    assert "Page 1 of 1" in pdf_pages(data)[0]
