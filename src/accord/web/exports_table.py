"""Tables as files people open: CSV (safe for spreadsheets) and Excel."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal

from xlsxwriter import Workbook

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value  # a spreadsheet must not run a partner's name as a formula
    return value


def to_csv(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def to_xlsx(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    """One sheet with a bold, frozen header; amounts stay numbers."""
    buffer = io.BytesIO()
    book = Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet(title[:31])
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "#,##0.00"})
    sheet.write_row(0, 0, columns, bold)
    sheet.freeze_panes(1, 0)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, Decimal):
                sheet.write_number(r, c, float(value), money)  # display only; CSV stays exact
            else:
                sheet.write(r, c, _cell(value))
    sheet.autofit()
    book.close()
    return buffer.getvalue()


def download(name: str, kind: str, columns: Sequence[str], rows: Sequence[Sequence[object]]):
    """The table as an attachment: `kind` is csv or xlsx."""
    from fastapi.responses import Response

    if kind == "xlsx":
        return Response(
            to_xlsx(name.capitalize(), columns, rows),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    return Response(
        to_csv(columns, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


PAYOUT_COLUMNS = ("payout_id", "amount", "currency", "sent", "sent_currency", "method",
                  "commissions", "created_at")  # fmt: skip


def payout_row(p) -> tuple:
    """A payout as an export row (PAYOUT_COLUMNS), for the brand's and the partner's files."""
    from accord.money import Money

    sent = (
        Money.from_minor(p.sent_minor, p.sent_currency).amount
        if p.sent_currency and p.sent_minor is not None
        else ""
    )
    return (p.id, Money.from_minor(p.amount_minor, p.currency).amount, p.currency, sent,
            p.sent_currency or "", p.method or "", p.commission_count,
            p.created_at.isoformat())  # fmt: skip


def pdf(data: bytes, name: str):
    """A PDF shown in the browser."""
    from fastapi.responses import Response

    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
    )
