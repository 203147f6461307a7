"""Offline lists from a CSV file (trade-show badge scans, store visits, call-centre lists),
each row captured on its own with its own result: a new contact, an activity of a contact
already known, a merge of contacts the row shows to be one person, or the reason it was
refused. What the upload says once (the activity, channel, source, campaign) applies to
every row that does not say otherwise."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from accord.conversions.imports import read_rows
from accord.errors import AccordError, InvalidInput, Text
from accord.leads.model import Capture, erasure_marks
from accord.leads.service import capture
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand

#: Columns a file may have: a capture's fields, nested ones written with a dot, UTM tags as
#: utm_source ..., and a free `note`.
COLUMNS = frozenset(
    {
        "email", "phone", "customer_id", "cookie", "wechat.appid", "wechat.openid",
        "wechat.unionid", "device.gaid", "device.idfa", "device.idfv", "name", "company",
        "title", "industry", "company_size", "region", "city", "type", "channel", "source",
        "campaign", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
        "referrer", "keyword", "subject", "occurred_at", "note",
    }
)  # fmt: skip
#: What the upload may set for every row.
DEFAULTS = ("type", "channel", "source", "campaign", "subject")


@dataclass(frozen=True, slots=True)
class LeadRow:
    row: int  # the line in the file, the header being line 1
    #: created (a new contact), matched (a contact already known), merged (contacts the row
    #: showed to be one person), rejected
    status: str
    contact_id: str | None = None
    error: dict[str, Any] | None = field(default=None)
    #: a rejected row's identifiers as erasure marks (`model.erasure_marks`)
    marks: tuple[str, ...] = ()


def capture_of(row: Mapping[str, str], defaults: Mapping[str, str]) -> Capture:
    """The capture a row stands for (raises ValidationError or InvalidInput)."""
    data: dict[str, Any] = {}
    for name, value in {**{k: v for k, v in defaults.items() if v}, **row}.items():
        if value in (None, ""):
            continue
        if name == "note":
            data.setdefault("data", {})["note"] = value[:2000]
        elif name.startswith("utm_"):
            data.setdefault("utm", {})[name.removeprefix("utm_")] = value
        elif "." in name:
            group, key = name.split(".", 1)
            data.setdefault(group, {})[key] = value
        elif name == "company_size":
            try:
                data[name] = int(value.replace(",", "").replace(" ", ""))
            except ValueError:
                raise InvalidInput(
                    "company_size", Text("%(text)s is not a whole number", text=repr(value[:40]))
                ) from None
        elif name == "occurred_at":
            try:
                data[name] = datetime.fromisoformat(value)
            except ValueError:
                raise InvalidInput(
                    "occurred_at",
                    Text("%(text)s is not an ISO 8601 time with a timezone", text=repr(value[:40])),
                ) from None
        else:
            data[name] = value
    return Capture(**data)


def _refusal(error: Exception) -> dict[str, Any]:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "row"
        return {"field": where, "message": first["msg"].removeprefix("Value error, ")}
    if isinstance(error, AccordError):
        return {"field": getattr(error, "field", None), "message": error.message}
    raise error


def import_leads(
    store: Store,
    caller: Caller,
    text: str,
    *,
    defaults: Mapping[str, str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[LeadRow]:
    """Capture every row; a refused row is reported with the field and the reason."""
    require_brand(caller)
    given = {k: (v or "").strip() for k, v in (defaults or {}).items() if k in DEFAULTS}
    rows = read_rows(text, columns=COLUMNS, required=())
    results: list[LeadRow] = []
    for number, row in enumerate(rows, start=2):
        try:
            done = capture(store, caller, capture_of(row, given))
        except (ValidationError, AccordError) as error:
            given_ids = [(k, row.get(k) or "") for k in ("email", "phone", "customer_id")]
            marks = tuple(sorted(erasure_marks(given_ids)))
            results.append(LeadRow(number, "rejected", error=_refusal(error), marks=marks))
        else:
            status = "merged" if done.merged else "created" if done.created else "matched"
            results.append(LeadRow(number, status, done.contact_id))
        if progress is not None and (len(results) % 200 == 0 or len(results) == len(rows)):
            progress(len(results), len(rows))
    return results


def import_result(rows: list[LeadRow], filename: str | None) -> dict[str, Any]:
    """A job's result: counts by status and every row's outcome."""
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    return {
        "file": filename,
        "counts": counts,
        "rows": [
            {
                "row": r.row,
                "status": r.status,
                "id": r.contact_id,
                "field": (r.error or {}).get("field"),
                "message": (r.error or {}).get("message"),
                **({"marks": list(r.marks)} if r.marks else {}),
            }
            for r in rows
        ],
    }
