"""A partner's payout statement shows every commission it settles and adds up to the cent."""

# Babel and the Chinese labels use en dashes and full-width punctuation on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from accord.money import Money
from accord.payouts.documents import PayoutMethod, render_statement
from tests.payout_documents.examples import pdf_pages, pdf_text, statement, statement_lines


@pytest.fixture(scope="module")
def english() -> str:
    return pdf_text(render_statement(statement(), locale="en"))


def test_header_names_program_brand_partner_payout_batch_and_dates(english: str) -> None:
    for expected in (
        "Partner statement",
        "Northwind Spring Partners",
        "Northwind Outdoor GmbH",
        "Lena Fischer Media",
        "ptn_7QK2M9",
        "PO-2026-10-0117",
        "BATCH-2026-10-B",
        "Nov 5, 2026",
        "Oct 1 – 31, 2026",
    ):
        assert expected in english


def test_every_order_settled_or_clawed_back_is_listed(english: str) -> None:
    for line in statement().lines:
        assert line.order_id in english
    assert "ORD-09871" in english
    assert "PO-2026-09-0042" in english


def test_totals_net_the_clawback_from_an_earlier_payout(english: str) -> None:
    # lines 10.00 + 11.37 + 12.74 + 14.11 - 2.50 + 15.48 = 61.20; less 15.00 clawed back
    totals = statement().totals
    assert totals.gross == Money.of("61.20", "EUR")
    assert totals.clawbacks == Money.of("15.00", "EUR")
    assert totals.net == Money.of("46.20", "EUR")
    assert "€61.20" in english
    assert "-€15.00" in english
    assert "€46.20" in english
    assert "-€2.50" in english  # the adjusted line shows its adjustment
    assert "€11.61" in english  # and its final commission


def test_sepa_account_is_masked(english: str) -> None:
    assert "SEPA transfer to IBAN DE89 **** 3000" in english
    assert "3704" not in english
    assert "0532" not in english


@pytest.mark.parametrize(
    ("method", "shown", "hidden"),
    [
        (PayoutMethod("paypal", "alice.partner@example.com"), "PayPal to a***@example.com", "lice"),
        (PayoutMethod("bank", "0012 3456 789"), "Bank transfer to account **** 6789", "12345"),
    ],
)
def test_other_payout_methods_are_masked(method: PayoutMethod, shown: str, hidden: str) -> None:
    text = pdf_text(render_statement(statement(method=method)))
    assert shown in text
    assert hidden not in text.replace(" ", "")


def test_long_statement_runs_over_numbered_pages_with_the_heading_repeated() -> None:
    data = render_statement(statement(statement_lines(200)))
    pages = pdf_pages(data)
    count = len(pages)
    assert count >= 3
    assert len(data) < 1_000_000
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {count}" in page
    for page in pages[:-1]:
        assert "Original" in page and "Adjustments" in page and "Commission" in page
    text = "\n".join(pages)
    for line in statement_lines(200):
        assert line.order_id in text


def test_yen_amounts_have_no_decimals() -> None:
    data = render_statement(
        statement(statement_lines(3, "JPY"), currency="JPY", clawback_minor=300)
    )
    text = pdf_text(data)
    assert "¥1,000" in text
    assert "¥3,411" in text  # 1,000 + 1,137 + 1,274
    assert "-¥300" in text
    assert "¥3,111" in text
    assert not re.search(r"¥[\d,]+\.\d", text)


def test_dinar_amounts_have_three_decimals() -> None:
    lines = [replace(line, original=Money.of("1.125", "KWD")) for line in statement_lines(2, "KWD")]
    text = pdf_text(render_statement(statement(lines, currency="KWD", clawback_minor=0)))
    assert "KWD1.125" in text
    assert "KWD2.250" in text


def test_statement_whose_lines_do_not_add_up_to_the_net_paid_is_refused() -> None:
    with pytest.raises(ValueError, match=r"does not add up.*difference 0\.01 EUR"):
        statement(net_paid=Money.of("46.21", "EUR"))


def test_statement_mixing_currencies_is_refused() -> None:
    lines = statement_lines(2)
    lines[1] = replace(lines[1], original=Money.of("5", "USD"), adjustments=Money.zero("USD"))
    with pytest.raises(ValueError, match="USD"):
        statement(lines)


def test_amount_finer_than_the_currency_allows_is_refused() -> None:
    lines = [replace(statement_lines(1)[0], original=Money(Decimal("10.005"), "EUR"))]
    with pytest.raises(ValueError, match="more digits"):
        statement(lines, clawback_minor=0)


def test_statement_that_pays_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        statement(statement_lines(1), clawback_minor=1_000)


def test_period_ending_before_it_starts_is_refused() -> None:
    good = statement()
    with pytest.raises(ValueError, match="period"):
        replace(good, period_end=date(2026, 9, 30))


def test_output_is_a_pdf_a_strict_reader_accepts() -> None:
    data = render_statement(statement())
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    assert len(pdf_pages(data)) == 1


def test_rendering_is_repeatable() -> None:
    first = render_statement(statement())
    assert render_statement(statement()) == first


def test_statement_is_a_frozen_record() -> None:
    assert isinstance(statement().lines, tuple)
    with pytest.raises(AttributeError):
        statement().payout_id = "other"  # type: ignore[misc]
