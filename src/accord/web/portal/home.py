"""The portal's home: the partner's figures in a program, its daily chart, recent
earnings, and contract terms waiting for acceptance."""

from __future__ import annotations

from fastapi import APIRouter, Request

from accord.commissions.service import earned_by_status, partner_commission_page
from accord.contracts.service import partner_contract
from accord.conversions.service import partner_conversion_count
from accord.money import Money
from accord.partners.service import partner_enrollments
from accord.payouts.service import partner_balances
from accord.reports.activity import daily_series
from accord.tracking.service import partner_clicks
from accord.web.console.dashboard import chart_of
from accord.web.pages import SignedIn, pick, portal_page

router = APIRouter(include_in_schema=False)


def earnings(store, caller, program) -> dict:
    """The partner's figures in a program: clicks, conversions, and earnings by status."""
    clicks, unique = partner_clicks(store, caller, program.id)
    by_status = earned_by_status(store, caller, program.id)
    balance = next((b.payable_minor for b in partner_balances(store, caller, program.id)), 0)

    def money(minor) -> Money:
        return Money.from_minor(int(minor or 0), program.currency)

    return {
        "currency": program.currency,
        "clicks": clicks,
        "unique_clicks": unique,
        "conversions": partner_conversion_count(store, caller, program.id),
        "pending": money(by_status.get("pending", 0) + by_status.get("locked", 0)),
        "approved": money(by_status.get("approved", 0)),
        "paid": money(by_status.get("paid", 0)),
        "payable": money(balance),
        "threshold": money(program.payout_threshold_minor),
    }


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
            totals=earnings(store, caller, chosen),
            contract=partner_contract(store, caller, chosen.id),
            chart_json=chart_of(daily_series(store, caller, chosen.id), revenue=False),
            recent=partner_commission_page(store, caller, chosen.id, limit=8)[0],
        )
    return portal_page(request, "portal/home.html", visitor, enrolled, current, "home", **context)
