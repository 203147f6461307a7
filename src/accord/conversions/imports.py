"""Offline conversions from a CSV file, each row recorded on its own with its own result."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

from accord.conversions.model import from_form
from accord.conversions.service import (
    BATCH_UNIT,
    ClickFlush,
    Recorded,
    keep_rejected_many,
    record_batch,
)
from accord.errors import AccordError, InvalidInput, Text
from accord.inputs import STRICT, TEXT, check_depth, check_text
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


def read_rows(
    text: str, *, columns: frozenset[str] = COLUMNS, required: tuple[str, ...] = REQUIRED
) -> list[dict[str, str]]:
    """The file's rows, after checking its header names only known columns.

    Lines may end in LF, CRLF or a bare CR (old Mac files); a quoted field may hold any of
    them. A file the csv module cannot read is refused naming the line.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        return _rows(reader, columns, required)
    except csv.Error as error:
        raise InvalidInput(
            "file", Text("line %(line)s: %(error)s", line=reader.line_num, error=str(error))
        ) from None


def _rows(
    reader: csv.DictReader, columns: frozenset[str], required: tuple[str, ...]
) -> list[dict[str, str]]:
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise InvalidInput("file", "is empty: the first line must name the columns")
    unknown = [h for h in header if h not in columns]
    if unknown:
        raise InvalidInput(
            "columns",
            Text(
                "unknown column(s): %(unknown)s; known: %(known)s",
                unknown=", ".join(unknown),
                known=", ".join(sorted(columns)),
            ),
        )
    missing = [c for c in required if c not in header]
    if missing:
        raise InvalidInput(
            "columns", Text("missing column(s): %(missing)s", missing=", ".join(missing))
        )
    reader.fieldnames = header
    rows = []
    for row in reader:
        if len(rows) >= MAX_ROWS:
            raise InvalidInput(
                "file", Text("has more than %(most)s rows; split it", most=f"{MAX_ROWS:,}")
            )
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
    items: list[object] = []
    refused: dict[int, AccordError] = {}
    for index, row in enumerate(rows):
        try:
            check_depth(row.get("items") or "", field="items")
        except AccordError as error:
            refused[index] = error
            items.append(row)
            continue
        data = from_form(list(row.items()))
        if program_id and "program_id" not in data:
            data["program_id"] = program_id
        items.append(data)
    results: list[RowResult] = []
    for start in range(0, len(items), BATCH_UNIT):
        chunk = items[start : start + BATCH_UNIT]
        outcomes = record_checked(
            store,
            caller,
            chunk,
            source="csv",
            flush_clicks=flush_clicks,
            refused={i - start: e for i, e in refused.items() if start <= i < start + BATCH_UNIT},
        )
        for number, outcome in enumerate(outcomes, start=start + 2):
            if isinstance(outcome, AccordError):
                detail = {**outcome.as_dict(), "rejected_event_id": outcome.rejected_event_id}
                results.append(RowResult(number, "rejected", error=detail))
            else:
                status = "created" if outcome.created else "duplicate"
                results.append(RowResult(number, status, outcome.conversion.id))
        if progress is not None:
            progress(len(results), len(rows))
    return results


def record_checked(
    store: Store,
    caller: Caller,
    items: list[object],
    *,
    source: str,
    flush_clicks: ClickFlush | None = None,
    refused: dict[int, AccordError] | None = None,
) -> list[Recorded | AccordError]:
    """`record_batch`, after refusing the items whose text no store can hold or that carry
    control characters (NUL, escapes, line breaks; a tab is fine), naming the field. Items
    in `refused` were refused earlier. Every refused item is kept as a rejected event."""
    refused = dict(refused or {})
    for index, item in enumerate(items):
        if index not in refused:
            try:
                check_text(item, STRICT)
            except AccordError as error:
                refused[index] = error
    clean = [item for index, item in enumerate(items) if index not in refused]
    outcomes = iter(
        record_batch(store, caller, clean, source=source, flush_clicks=flush_clicks)
        if clean
        else []
    )
    if refused:
        order = sorted(refused)
        kept = keep_rejected_many(
            store, caller, "conversion", [(items[i], refused[i]) for i in order]
        )
        for index, rejected_id in zip(order, kept, strict=True):
            refused[index].rejected_event_id = rejected_id
    return [refused[i] if i in refused else next(outcomes) for i in range(len(items))]


#: Columns of a modifications file: which order, and what to take off it.
REVERSAL_COLUMNS = frozenset(
    {
        "program_id",
        "conversion_id",
        "order_id",
        "event_type",
        "amount",
        "items",
        "reason_code",
        "note",
        "idempotency_key",
    }
)


@dataclass(frozen=True, slots=True)
class ReversalRowResult:
    row: int
    status: str  # reversed, duplicate, rejected
    conversion_id: str | None = None
    reversal_id: str | None = None
    commission_change: str | None = None
    error: dict[str, object] | None = None


def _returned_items(text: str) -> list[dict[str, object]]:
    """`SKU:qty;SKU:qty` (or JSON) as returned items."""
    import json

    if text.startswith("["):
        check_depth(text, field="items")
        try:
            return json.loads(text)
        except ValueError:
            raise InvalidInput("items", "is not valid JSON") from None
    items = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        sku, _, quantity = part.rpartition(":")
        if not sku or not quantity.isdigit():
            raise InvalidInput(
                "items", Text("%(part)s: write SKU:quantity, e.g. TV-55:1;HDMI:2", part=repr(part))
            )
        items.append({"sku": sku, "quantity": int(quantity)})
    return items


def import_reversals(
    store: Store,
    caller: Caller,
    text: str,
    *,
    program_id: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[ReversalRowResult]:
    """Reverse conversions row by row from a CSV (whole, an amount, or returned items, each
    with a reason code). Rows find their conversion by `conversion_id`, or by `order_id`
    (with `event_type`, default sale) in the program. A row with an `idempotency_key` is
    applied once however often the file is uploaded; every row gets its own result."""
    from pydantic import ValidationError
    from sqlalchemy import select

    from accord.conversions.model import ReversalRequest
    from accord.conversions.reversals import reverse_conversion
    from accord.conversions.tables import Conversion
    from accord.errors import InvalidRequest, describe_validation
    from accord.money import Money

    require_brand(caller)
    rows = read_rows(text, columns=REVERSAL_COLUMNS, required=("reason_code",))
    results = []
    for number, row in enumerate(rows, start=2):
        try:
            check_text(row, TEXT)  # a note may span lines; nothing may hold NUL
            conversion_id = row.get("conversion_id")
            if not conversion_id:
                program = row.get("program_id") or program_id
                if not (program and row.get("order_id")):
                    raise InvalidInput(
                        "order_id", "give conversion_id, or order_id with a program_id"
                    )
                with store.read() as session:
                    conversion_id = session.scalar(
                        select(Conversion.id).where(
                            Conversion.organization_id == caller.organization_id,
                            Conversion.program_id == program,
                            Conversion.order_id == row["order_id"],
                            Conversion.event_type == (row.get("event_type") or "sale"),
                        )
                    )
                if conversion_id is None:
                    raise InvalidInput(
                        "order_id",
                        Text("no conversion %(order)s found", order=repr(row["order_id"])),
                    )
            data: dict[str, object] = {"reason_code": row["reason_code"]}
            for key in ("amount", "note", "idempotency_key"):
                if row.get(key):
                    data[key] = row[key]
            if row.get("items"):
                data["items"] = _returned_items(row["items"])
            try:
                request = ReversalRequest.model_validate(data)
            except ValidationError as error:
                raise InvalidRequest(describe_validation(error.errors())) from None
            done = reverse_conversion(store, caller, conversion_id, request)
        except AccordError as error:
            results.append(ReversalRowResult(number, "rejected", error=error.as_dict()))
        else:
            change = Money.from_minor(done.commission_delta_minor, done.conversion.currency)
            results.append(
                ReversalRowResult(
                    number,
                    "reversed" if done.created else "duplicate",
                    done.conversion.id,
                    done.reversal.id,
                    str(change.amount),
                )
            )
        if progress is not None:
            progress(len(results), len(rows))
    return results
