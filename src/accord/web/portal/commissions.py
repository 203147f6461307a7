"""The portal's earnings: the partner's commissions in a program by status, why each one
was earned, and exports."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from accord.commissions.model import CommissionStatus
from accord.commissions.service import explain, partner_commission_page, partner_commission_subs
from accord.money import Money
from accord.partners.service import partner_enrollments
from accord.protect.service import assessment_of
from accord.web import exports_table
from accord.web.pages import PAGE_SIZE, SignedIn, back_to, pick, portal_page, render

router = APIRouter(include_in_schema=False)

STATUSES = [s.value for s in CommissionStatus]
SUBS = ("sub1", "sub2", "sub3", "sub4", "sub5")
COLUMNS = ("commission_id", "order_id", "kind", "event_type", "status", "amount",
           "currency", "occurred_at", *SUBS)  # fmt: skip
NO_SUBS = (None,) * len(SUBS)


@router.get("/portal/commissions")
def commissions_page(
    request: Request,
    visitor: SignedIn,
    program: str | None = None,
    status: str | None = None,
    after: str | None = None,
):
    store = request.app.state.store
    enrolled = partner_enrollments(store, visitor.caller)
    current = pick(enrolled, program, approved_only=True)
    status = status if status in STATUSES else None
    rows, more = [], False
    if current is not None:
        rows, more = partner_commission_page(
            store, visitor.caller, current.program.id, status=status, before=after, limit=PAGE_SIZE
        )
    subs = partner_commission_subs(store, visitor.caller, [c.id for c, _ in rows])
    return portal_page(
        request,
        "portal/commissions.html",
        visitor,
        enrolled,
        current,
        "commissions",
        rows=rows,
        subs={cid: [(SUBS[i], v) for i, v in enumerate(found) if v] for cid, found in subs.items()},
        more=more,
        statuses=STATUSES,
        status_filter=status,
    )


@router.get("/portal/commissions.{kind}")
def commissions_export(
    request: Request, visitor: SignedIn, kind: str, program: str, status: str | None = None
):
    """All of the partner's commissions in a program (or of one status), CSV or Excel."""
    if kind not in ("csv", "xlsx"):
        return Response("use commissions.csv or commissions.xlsx", status_code=404)
    store = request.app.state.store
    rows, before = [], None
    while True:
        page, more = partner_commission_page(
            store, visitor.caller, program, status=status, before=before, limit=PAGE_SIZE
        )
        subs = partner_commission_subs(store, visitor.caller, [c.id for c, _ in page])
        rows += [
            (c.id, order or "", c.kind, c.event_type, c.status,
             Money.from_minor(c.amount_minor, c.currency).amount, c.currency,
             c.occurred_at.isoformat(), *subs.get(c.id, NO_SUBS))
            for c, order in page
        ]  # fmt: skip
        if not more:
            break
        before = page[-1][0].id
    return exports_table.download("earnings", kind, COLUMNS, rows)


@router.get("/portal/commissions/{commission_id}")
def commission_page(commission_id: str, request: Request, visitor: SignedIn):
    back_to(request, "/portal/commissions")
    store = request.app.state.store
    explained = explain(store, visitor.caller, commission_id)
    conversion_id = explained.get("conversion_id")
    risk = assessment_of(store, visitor.caller, conversion_id) if conversion_id else None
    return render(
        request,
        "portal/commission.html",
        visitor=visitor,
        c=explained,
        # the fraud review, when the order was held: why, and the brand's decision
        risk=risk if risk is not None and risk.action == "held" else None,
        section="commissions",
        programs=[],
        current=None,
    )
