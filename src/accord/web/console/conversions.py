"""The console's conversions: a program's list (newest first, searched by part of an order id,
customer, partner, promo code or sub-id, and by dates; exported), one
conversion with its commissions and reversals, reversing it and confirming a browser's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from accord.commissions.model import ReasonCode
from accord.conversions.browser import confirm
from accord.conversions.model import ReversalRequest
from accord.conversions.reversals import reverse_conversion
from accord.conversions.service import ConversionSearch, conversion_record, search_conversions
from accord.errors import InvalidInput, InvalidRequest, describe_validation
from accord.money import Money
from accord.partners.service import partner_names, partners_named
from accord.protect.service import assessment_of
from accord.web import exports_table
from accord.web.pages import PAGE_SIZE, Form, SignedIn, back_to, program_or_first, render

router = APIRouter(include_in_schema=False)

COLUMNS = ("conversion_id", "order_id", "event_type", "status", "amount", "currency",
           "partner", "occurred_at")  # fmt: skip
REASONS = [r.value for r in ReasonCode]


def _day(value: str, field: str, *, end: bool = False) -> datetime | None:
    """A day typed in the search form as the moment it starts (`end`: the next day's start,
    so that the range includes the whole day)."""
    if not value.strip():
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(field, "expected a date like 2026-12-01") from None
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start + timedelta(days=1) if end else start


def _search(store, visitor, program_id: str, q: str, since: str, until: str) -> ConversionSearch:
    needle = q.strip()[:200]
    partners = partners_named(store, visitor.caller, program_id, needle) if needle else set()
    return ConversionSearch(needle, frozenset(partners), _day(since, "since"),
                            _day(until, "until", end=True))  # fmt: skip


@router.get("/console/conversions")
def conversions_page(
    request: Request,
    visitor: SignedIn,
    program: str | None = None,
    q: str = "",
    since: str = "",
    until: str = "",
    before: str | None = None,
):
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    rows, more, error = [], False, None
    if current is not None:
        try:
            search = _search(store, visitor, current.id, q, since, until)
        except InvalidInput as problem:
            error, search = problem.field, None
        if search is not None:
            found, more = search_conversions(store, visitor.caller, current.id, search,
                                             before=before, limit=PAGE_SIZE)  # fmt: skip
            names = partner_names(store, visitor.caller, {c.partner_id for c in found})
            rows = [(c, names.get(c.partner_id)) for c in found]
    return render(
        request,
        "conversions.html",
        http_status=422 if error else 200,
        visitor=visitor,
        programs=programs,
        current=current,
        rows=rows,
        more=more,
        q=q,
        since=since,
        until=until,
        error=error,
        section="conversions",
    )


@router.get("/console/conversions.{kind}")
def conversions_export(request: Request, visitor: SignedIn, kind: str, program: str, q: str = "",
                       since: str = "", until: str = ""):  # fmt: skip
    """Every conversion of the search (newest first) as CSV or Excel."""
    if kind not in ("csv", "xlsx"):
        return Response("use conversions.csv or conversions.xlsx", status_code=404)
    store = request.app.state.store
    search = _search(store, visitor, program, q, since, until)
    found, _ = search_conversions(store, visitor.caller, program, search, limit=None)
    names = partner_names(store, visitor.caller, {c.partner_id for c in found})
    rows = [
        (c.id, c.order_id, c.event_type, c.status,
         Money.from_minor(c.amount_minor, c.currency).amount, c.currency,
         names.get(c.partner_id, ""), c.occurred_at.isoformat())
        for c in found
    ]  # fmt: skip
    return exports_table.download("conversions", kind, COLUMNS, rows)


@router.get("/console/conversions/{conversion_id}")
def conversion_detail(
    conversion_id: str, request: Request, visitor: SignedIn, done: str | None = None
):
    back_to(request, "/console/conversions")
    store = request.app.state.store
    record = conversion_record(store, visitor.caller, conversion_id)
    partner = record.conversion.partner_id
    names = partner_names(store, visitor.caller, {partner})
    return render(
        request,
        "conversion.html",
        visitor=visitor,
        conversion=record.conversion,
        partner=names.get(partner),
        commissions=record.commissions,
        reversals=record.reversals,
        risk=assessment_of(store, visitor.caller, conversion_id),
        reasons=REASONS,
        done=done,
        error=None,
        section="conversions",
        programs=[],
        current=None,
    )


@router.post("/console/conversions/{conversion_id}/reverse")
def reverse_from_console(conversion_id: str, request: Request, visitor: SignedIn, form: Form):
    back = f"/console/conversions/{quote(conversion_id)}"
    back_to(request, back)
    try:
        reversal = ReversalRequest(
            amount=form.get("amount") or None,
            reason_code=form.get("reason_code", ""),
            note=form.get("note") or None,
            idempotency_key=form.get("idempotency_key") or None,
        )
    except ValidationError as error:  # the amount was not a number, say
        raise InvalidRequest(describe_validation(error.errors())) from None
    asked_from = form.get("back") or ""
    if asked_from.startswith("/console/commissions/") and "?" not in asked_from:
        back = asked_from  # reversed from one of its commissions' pages: back there
        back_to(request, back)
    done = reverse_conversion(request.app.state.store, visitor.caller, conversion_id, reversal)
    return RedirectResponse(f"{back}?done={quote(done.reversal.id)}", status_code=303)


@router.post("/console/conversions/{conversion_id}/confirm")
def confirm_from_console(conversion_id: str, request: Request, visitor: SignedIn, form: Form):
    """Confirm an order a shopper's browser reported, at its amount or a lower one."""
    back = f"/console/conversions/{quote(conversion_id)}"
    back_to(request, back)
    amount = (form.get("amount") or "").strip() or None
    confirm(request.app.state.store, visitor.caller, conversion_id, amount)
    return RedirectResponse(f"{back}?done=confirmed", status_code=303)
