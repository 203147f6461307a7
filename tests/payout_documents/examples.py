"""Worked examples of statements and invoices used by the document tests."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

from pypdf import PdfReader

from accord.money import Money
from accord.payouts.documents import (
    Clawback,
    Invoice,
    InvoiceLine,
    Party,
    PayoutMethod,
    Statement,
    StatementLine,
)

EVENTS = ("sale", "lead", "subscription", "sale")
RULES = ("Spring sale 10%", "Lead bounty", "First month 20%", "Returning customer 5%")


def statement_lines(count: int, currency: str = "EUR") -> list[StatementLine]:
    """Commission lines with amounts that differ from line to line; some are adjusted."""
    lines = []
    for i in range(count):
        original = Money.from_minor(1_000 + 137 * i, currency)
        adjustment = Money.from_minor(-250 if i % 7 == 3 else 0, currency)
        lines.append(
            StatementLine(
                occurred_on=date(2026, 10, 1) + timedelta(days=i % 31),
                order_id=f"ORD-{10_000 + i}",
                event_type=EVENTS[i % len(EVENTS)],
                rule_name=RULES[i % len(RULES)],
                original=original,
                adjustments=adjustment,
                status="adjusted" if adjustment.amount else "approved",
            )
        )
    return lines


def statement(
    lines: list[StatementLine] | None = None,
    *,
    currency: str = "EUR",
    clawback_minor: int = 1_500,
    net_paid: Money | None = None,
    partner_name: str = "Lena Fischer Media",
    method: PayoutMethod | None = None,
) -> Statement:
    """A payout statement; net_paid is computed from the lines unless given."""
    lines = statement_lines(5, currency) if lines is None else lines
    clawbacks = (
        [
            Clawback(
                occurred_on=date(2026, 10, 12),
                order_id="ORD-09871",
                reason="refund",
                earlier_payout_id="PO-2026-09-0042",
                amount=Money.from_minor(clawback_minor, currency),
            )
        ]
        if clawback_minor
        else []
    )
    if net_paid is None:
        net_paid = Money.zero(currency)
        for line in lines:
            net_paid = net_paid + line.final
        for claw in clawbacks:
            net_paid = net_paid - claw.amount
    return Statement(
        program_name="Northwind Spring Partners",
        brand_name="Northwind Outdoor GmbH",
        partner_name=partner_name,
        partner_id="ptn_7QK2M9",
        payout_id="PO-2026-10-0117",
        batch_id="BATCH-2026-10-B",
        paid_on=date(2026, 11, 5),
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        method=method or PayoutMethod("sepa", "DE89 3704 0044 0532 0130 00"),
        net_paid=net_paid,
        lines=lines,
        clawbacks=clawbacks,
    )


OPERATOR = Party(
    name="Accord Hosting Ltd",
    address=("12 Harbour Street", "Dublin D02 X285", "Ireland"),
    tax_id="IE6388047V",
)
BRAND = Party(
    name="Northwind Outdoor GmbH",
    address=("Lindenstrasse 4", "10969 Berlin", "Germany"),
    tax_id="DE811569869",
)


def invoice_lines(currency: str = "EUR") -> list[InvoiceLine]:
    """Commissions for two programs, one split per partner, and one clawback credit."""
    return [
        InvoiceLine(
            "commissions", "Spring Partners", Money.of("1250.40", currency), 42, "Lena Fischer"
        ),
        InvoiceLine("commissions", "Spring Partners", Money.of("310.00", currency), 9, "Trailhub"),
        InvoiceLine("commissions", "Loyalty Creators", Money.of("89.95", currency), 3),
        InvoiceLine("clawbacks", "Spring Partners", Money.of("45.20", currency), 2, "Trailhub"),
    ]


def invoice(
    lines: list[InvoiceLine] | None = None,
    *,
    currency: str = "EUR",
    rate: Decimal = Decimal("0.05"),
    total_due: Money | None = None,
) -> Invoice:
    """An invoice for October 2026; total_due is computed from the lines unless given."""
    lines = invoice_lines(currency) if lines is None else lines
    if total_due is None:
        subtotal = Money.zero(currency)
        for line in lines:
            subtotal = subtotal + line.signed
        total_due = subtotal + subtotal.times(rate)
    return Invoice(
        invoice_number="INV-2026-0031",
        issued_on=date(2026, 11, 2),
        due_on=date(2026, 11, 16),
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        issuer=OPERATOR,
        bill_to=BRAND,
        platform_fee_rate=rate,
        lines=lines,
        total_due=total_due,
        payment_terms="Pay by bank transfer to IBAN IE29 AIBK 9311 5212 3456 78 "
        "quoting the invoice number.",
    )


# reading documents back ------------------------------------------------------------------------


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page, as a PDF reader extracts it.

    pypdf reads two-byte glyph codes of an embedded CJK subset as two characters, a NUL
    and the glyph; the NULs are dropped (pdftotext and viewers need no such help).
    """
    reader = PdfReader(io.BytesIO(data), strict=True)
    return [page.extract_text().replace("\x00", "") for page in reader.pages]


def pdf_text(data: bytes) -> str:
    return "\n".join(pdf_pages(data))


def squeezed(text: str) -> str:
    """Text without whitespace: extraction spaces CJK glyphs out unevenly."""
    return "".join(text.split())
