"""Text written into files people open in a spreadsheet (CSV and Excel exports, payout
files, product feeds).

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return
before one) as a formula: a partner's name or a product title written as `=HYPERLINK(...)`
would run on the reader's machine (CSV injection). `spreadsheet_safe` writes such text with a
leading apostrophe, which the spreadsheet shows as the text itself.
"""

from __future__ import annotations

#: A spreadsheet runs a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str | None) -> str:
    """Text a spreadsheet shows as text ('' for None)."""
    text = value or ""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
