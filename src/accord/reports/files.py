"""Report tables as files people open: CSV (safe for spreadsheets), Excel and JSON.

The API, the console and the command line write every report through these, so a report
downloaded anywhere has the same columns and the same exact amounts.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from xlsxwriter import Workbook

from accord.spreadsheets import spreadsheet_safe


def _cell(value: object) -> object:
    # a spreadsheet must not run a partner's name as a formula
    return spreadsheet_safe(value) if isinstance(value, str) else value


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


def to_json(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A list of objects, one per row; amounts and ratios as exact decimal strings."""

    def plain(value: object) -> object:
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, datetime | date):
            return value.isoformat()
        return value

    return json.dumps(
        [dict(zip(columns, map(plain, row), strict=True)) for row in rows],
        ensure_ascii=False,
        indent=2,
    )


FORMATS = ("csv", "xlsx", "json")
