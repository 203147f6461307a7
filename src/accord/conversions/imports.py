"""Offline conversions from a CSV file, each row recorded on its own with its own result."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

from accord.conversions.model import from_form
from accord.conversions.service import ClickFlush, record_submitted
from accord.errors import AccordError, InvalidInput
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand

#: Columns a file may have: the conversion's fields, nested ones written with a dot.
COLUMNS = frozenset(
    {
        "program_id",
        "order_id",
        "event_type",
        "amount",
        "currency",
        "customer_id",
        "customer_status",
        "click_id",
        "promo_code",
        "occurred_at",
        "email_sha256",
        "ip",
        "user_agent",
        "items",
        "device.gaid",
        "device.idfa",
        "device.idfv",
        "wechat.appid",
        "wechat.openid",
        "wechat.unionid",
    }
)
REQUIRED = ("order_id", "currency")
MAX_ROWS = 100_000


@dataclass(frozen=True, slots=True)
class RowResult:
    row: int  # the line in the file, the header being line 1
    status: str  # created, duplicate, rejected
    conversion_id: str | None = None
    error: dict[str, object] | None = None


def read_rows(text: str) -> list[dict[str, str]]:
    """The file's rows, after checking its header names only known columns."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise InvalidInput("file", "is empty: the first line must name the columns")
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise InvalidInput(
            "columns",
            f"unknown column(s): {', '.join(unknown)}; known: " + ", ".join(sorted(COLUMNS)),
        )
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InvalidInput("columns", f"missing column(s): {', '.join(missing)}")
    reader.fieldnames = header
    rows = []
    for row in reader:
        if len(rows) >= MAX_ROWS:
            raise InvalidInput("file", f"has more than {MAX_ROWS:,} rows; split it")
        rows.append({k: (v or "").strip() for k, v in row.items() if k is not None})
    return rows


def import_conversions(
    store: Store,
    caller: Caller,
    text: str,
    *,
    program_id: str | None = None,
    flush_clicks: ClickFlush | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[RowResult]:
    """Record every row as a conversion (source `csv`); a bad row is kept and reported."""
    require_brand(caller)
    rows = read_rows(text)
    results = []
    for number, row in enumerate(rows, start=2):
        data = from_form(list(row.items()))
        if program_id and "program_id" not in data:
            data["program_id"] = program_id
        try:
            recorded = record_submitted(
                store, caller, data, source="csv", flush_clicks=flush_clicks
            )
        except AccordError as error:
            detail = {**error.as_dict(), "rejected_event_id": error.rejected_event_id}
            results.append(RowResult(number, "rejected", error=detail))
        else:
            results.append(
                RowResult(
                    number, "created" if recorded.created else "duplicate", recorded.conversion.id
                )
            )
        if progress is not None:
            progress(len(results), len(rows))
    return results
