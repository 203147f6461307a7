"""The console's rejected events: what Accord refused (a bad currency, an unknown click, a
changed retry...), newest first, with the field and reason and the request as it came."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import Response

from accord.conversions.service import all_rejected, rejected_page
from accord.web import exports_table
from accord.web.pages import PAGE_SIZE, SignedIn, program_or_first, render

router = APIRouter(include_in_schema=False)

COLUMNS = ("id", "at", "kind", "error_code", "field", "message", "request")


def pretty(payload: str) -> str:
    """The request as sent, indented if it is JSON, cut at 4,000 characters."""
    try:
        return json.dumps(json.loads(payload), indent=2, ensure_ascii=False)[:4000]
    except (ValueError, TypeError):
        return payload[:4000]


@router.get("/console/rejected")
def rejected_events(
    request: Request, visitor: SignedIn, program: str | None = None, before: str | None = None
):
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    found, more = rejected_page(store, visitor.caller, before=before, limit=PAGE_SIZE)
    return render(
        request,
        "rejected.html",
        visitor=visitor,
        programs=programs,
        current=current,
        section="rejected",
        rows=[(r, pretty(r.payload)) for r in found],
        more=more,
    )


@router.get("/console/rejected.{kind}")
def rejected_export(request: Request, visitor: SignedIn, kind: str):
    """Every rejected event, with its reason and the request as sent, as CSV or Excel."""
    if kind not in ("csv", "xlsx"):
        return Response("use rejected.csv or rejected.xlsx", status_code=404)
    rows = [
        (r.id, r.at.isoformat(), r.kind, r.error_code, r.field or "", r.message, r.payload)
        for r in all_rejected(request.app.state.store, visitor.caller)
    ]
    return exports_table.download("rejected", kind, COLUMNS, rows)
