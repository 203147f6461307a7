"""The console's home: a program's figures, its daily chart and what needs attention."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from accord.protect.partner_risk import high_risk_count
from accord.protect.service import waiting_count
from accord.reports.activity import attention, daily_series
from accord.reports.service import program_summary
from accord.signin.service import Visitor
from accord.web.pages import (
    MaybeVisitor,
    Refused,
    brand_visitor,
    chart_of,
    program_or_first,
    render,
)

router = APIRouter(include_in_schema=False)


async def home_visitor(request: Request, visitor: MaybeVisitor) -> Visitor:
    """The brand user; a partner's home is the portal."""
    if visitor is not None and visitor.caller.partner_id is not None:
        raise Refused(RedirectResponse("/portal", status_code=303))
    return await brand_visitor(request, visitor)


@router.get("/console")
def dashboard(
    request: Request,
    visitor: Annotated[Visitor, Depends(home_visitor)],
    program: str | None = None,
):
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    if current is None:
        return render(request, "dashboard.html", visitor=visitor, programs=[], current=None)
    summary = program_summary(store, visitor.caller, current.id)
    series = daily_series(store, visitor.caller, current.id)
    conversion_rate = (
        Decimal(summary.attributed_conversions) / summary.unique_clicks
        if summary.unique_clicks
        else None
    )
    epc = summary.commissions / summary.unique_clicks if summary.unique_clicks else None
    return render(
        request,
        "dashboard.html",
        visitor=visitor,
        programs=programs,
        current=current,
        summary=summary,
        conversion_rate=conversion_rate,
        epc=epc,
        todo=attention(store, visitor.caller, current.id),
        held_waiting=waiting_count(store, visitor.caller, current.id),
        high_risk=high_risk_count(store, visitor.caller, current.id),
        chart_json=chart_of(series),
        section="dashboard",
    )
