"""The portal's home: the partner's figures in a program, its daily chart, recent
earnings, and contract terms waiting for acceptance."""

from __future__ import annotations

from fastapi import APIRouter, Request

from accord.commissions.service import partner_commission_page
from accord.contracts.service import partner_contract
from accord.partners.service import partner_enrollments
from accord.reports.activity import daily_series
from accord.web.pages import SignedIn, chart_of, partner_earnings, pick, portal_page

router = APIRouter(include_in_schema=False)


@router.get("/portal")
def home(
    request: Request, visitor: SignedIn, program: str | None = None, accepted: int | None = None
):
    store = request.app.state.store
    caller = visitor.caller
    enrolled = partner_enrollments(store, caller)
    current = pick(enrolled, program)
    context: dict = {"accepted": accepted}
    if current is not None and current.status == "approved":
        chosen = current.program
        context.update(
            totals=partner_earnings(store, caller, chosen),
            contract=partner_contract(store, caller, chosen.id),
            chart_json=chart_of(daily_series(store, caller, chosen.id), revenue=False),
            recent=partner_commission_page(store, caller, chosen.id, limit=8)[0],
        )
    return portal_page(request, "portal/home.html", visitor, enrolled, current, "home", **context)
