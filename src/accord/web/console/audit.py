"""The console's audit log: every change to money, contracts, settings, keys and users,
newest first, filtered, and exported."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from accord.audit.service import OBJECT_TYPES, audit_events
from accord.errors import InvalidInput
from accord.web import exports_table
from accord.web.pages import PAGE_SIZE, SignedIn, back_to, program_or_first, render

router = APIRouter(include_in_schema=False)

COLUMNS = ("id", "at", "actor_kind", "actor_id", "actor", "actor_organization_id",
           "address", "action", "object_type", "object_id", "before", "after")  # fmt: skip


def day(value: str | None, field: str):
    if not value:
        return None
    try:
        return datetime.combine(datetime.strptime(value, "%Y-%m-%d").date(), time(), UTC)
    except ValueError:
        raise InvalidInput(field, "use a date like 2026-12-31") from None


def filters_of(request: Request) -> dict:
    """The log's filters from the page's query (a bad one is refused, 422, naming it)."""
    q = request.query_params
    until = day(q.get("until"), "until")
    return {
        "object_type": q.get("type") or None,
        "actor": (q.get("actor") or "").strip() or None,
        "since": day(q.get("since"), "since"),
        "until": until + timedelta(days=1) if until else None,  # the whole last day
    }


@router.get("/console/audit")
def audit_page(request: Request, visitor: SignedIn, before: str | None = None):
    """Every change to money, contracts, settings, keys and users, newest first."""
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, request.query_params.get("program"))
    back_to(request, "/console/audit")
    found = audit_events(
        store, visitor.caller, before=before, limit=PAGE_SIZE + 1, **filters_of(request)
    )
    q = request.query_params
    kept = {k: q.get(k, "") for k in ("type", "actor", "since", "until")}
    return render(
        request,
        "audit.html",
        visitor=visitor,
        programs=programs,
        current=current,
        section="audit",
        events=found[:PAGE_SIZE],
        more=len(found) > PAGE_SIZE,
        object_types=OBJECT_TYPES,
        filters=kept,
        query="&".join(f"{k}={v}" for k, v in kept.items() if v),
    )


@router.get("/console/audit.{kind}")
def audit_export(request: Request, visitor: SignedIn, kind: str):
    """The audit log as filtered on the page, every row, as CSV or Excel."""
    if kind not in ("csv", "xlsx"):
        return Response("use audit.csv or audit.xlsx", status_code=404)
    back_to(request, "/console/audit")
    events = audit_events(
        request.app.state.store, visitor.caller, newest_first=False, **filters_of(request)
    )
    rows = [
        (e.id, e.at.isoformat(), e.actor_kind, e.actor_id or "", e.actor_label or "",
         e.actor_organization_id or "", e.address or "", e.action, e.object_type,
         e.object_id, json.dumps(e.before, ensure_ascii=False) if e.before else "",
         json.dumps(e.after, ensure_ascii=False) if e.after else "")
        for e in events
    ]  # fmt: skip
    return exports_table.download("audit", kind, COLUMNS, rows)
