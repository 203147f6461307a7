"""The portal's payouts: the partner's payouts in a program with its balance, exports and
statements."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from accord.partners.service import partner_enrollments
from accord.payouts.exports import statement_pdf
from accord.payouts.service import all_payouts, payout_page
from accord.web import exports_table
from accord.web.pages import (
    PAGE_SIZE,
    Language,
    SignedIn,
    back_to,
    partner_earnings,
    pick,
    portal_page,
)

router = APIRouter(include_in_schema=False)


@router.get("/portal/payouts")
def payouts_page(request: Request, visitor: SignedIn, program: str | None = None, before: str = ""):
    store = request.app.state.store
    enrolled = partner_enrollments(store, visitor.caller)
    current = pick(enrolled, program, approved_only=True)
    payouts, more, totals = [], False, None
    if current is not None:
        totals = partner_earnings(store, visitor.caller, current.program)
        rows, more = payout_page(
            store, visitor.caller, current.program.id, before=before, limit=PAGE_SIZE
        )
        payouts = [payout for payout, _ in rows]
    return portal_page(
        request,
        "portal/payouts.html",
        visitor,
        enrolled,
        current,
        "payouts",
        payouts=payouts,
        more=more,
        totals=totals,
    )


@router.get("/portal/payouts.{kind}")
def payouts_export(request: Request, visitor: SignedIn, kind: str, program: str):
    """All of the partner's payouts in a program, CSV or Excel."""
    if kind not in ("csv", "xlsx"):
        return Response("use payouts.csv or payouts.xlsx", status_code=404)
    rows = [
        exports_table.payout_row(p)
        for p, _ in all_payouts(request.app.state.store, visitor.caller, program)
    ]
    return exports_table.download("payouts", kind, exports_table.PAYOUT_COLUMNS, rows)


@router.get("/portal/payouts/{payout_id}/statement.pdf")
def statement(payout_id: str, request: Request, visitor: SignedIn, locale: Language):
    back_to(request, "/portal/payouts")
    pdf = statement_pdf(request.app.state.store, visitor.caller, payout_id, locale=locale)
    return exports_table.pdf(pdf, payout_id)
