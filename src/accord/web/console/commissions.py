"""The console's commissions: a program's list by status, locking pending ones early and
approving locked ones (a selection, never an empty one), why each one was earned, holding
and releasing one with a reason, reversing its order, and exports."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from accord.commissions.model import CommissionStatus, ReasonCode
from accord.commissions.service import (
    approve,
    commission_page,
    explain,
    get_commission,
    hold,
    lock_now,
    release,
)
from accord.money import Money
from accord.partners.service import partner_names
from accord.web import exports_table
from accord.web.pages import (
    PAGE_SIZE,
    Form,
    FormPairs,
    SignedIn,
    ask_again_for,
    back_to,
    program_or_first,
    render,
)

router = APIRouter(include_in_schema=False)

STATUSES = [s.value for s in CommissionStatus]
COLUMNS = ("commission_id", "partner", "order_id", "kind", "event_type", "status", "amount",
           "currency", "occurred_at")  # fmt: skip


@router.get("/console/commissions")
def commissions_page(
    request: Request,
    visitor: SignedIn,
    program: str | None = None,
    status: str | None = None,
    after: str | None = None,
    done: int | None = None,
    locked: int | None = None,
    empty: str | None = None,
):
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    status = status if status in STATUSES else None
    rows, more = [], False
    if current is not None:
        found, more = commission_page(
            store, visitor.caller, current.id, status=status, after=after, limit=PAGE_SIZE
        )
        rows = named(store, visitor, found)
    return render(
        request,
        "commissions.html",
        visitor=visitor,
        programs=programs,
        current=current,
        rows=rows,
        more=more,
        status_filter=status,
        statuses=STATUSES,
        after=after,
        done=done,
        locked=locked,
        empty=empty,
        section="commissions",
    )


@router.post("/console/commissions/approve")
def approve_selected(request: Request, visitor: SignedIn, pairs: FormPairs):
    form = dict(pairs)
    ids = [value for key, value in pairs if key == "id"]
    program = form.get("program", "")
    target = f"/console/commissions?program={quote(program)}&status=locked"
    if not ids:  # approving "nothing" would look like approving everything: refused
        return RedirectResponse(target + "&empty=1", status_code=303)
    back_to(request, target)
    approved = approve(request.app.state.store, visitor.caller, program, ids)
    return RedirectResponse(f"{target}&done={len(approved)}", status_code=303)


@router.post("/console/commissions/lock")
def lock_selected(request: Request, visitor: SignedIn, pairs: FormPairs):
    """Lock the selected pending commissions now, before their locking period ends."""
    form = dict(pairs)
    ids = [value for key, value in pairs if key == "id"]
    program = form.get("program", "")
    pending = f"/console/commissions?program={quote(program)}&status=pending"
    if not ids:
        return RedirectResponse(pending + "&empty=1", status_code=303)
    back_to(request, pending)
    count = lock_now(request.app.state.store, visitor.caller, program, ids)
    target = f"/console/commissions?program={quote(program)}&status=locked&locked={count}"
    return RedirectResponse(target, status_code=303)


@router.get("/console/commissions/{commission_id}")
def commission_detail(
    commission_id: str,
    request: Request,
    visitor: SignedIn,
    done: str | None = None,
    missing: str | None = None,
):
    back_to(request, "/console/commissions")
    store = request.app.state.store
    explained = explain(store, visitor.caller, commission_id)
    row, _ = get_commission(store, visitor.caller, commission_id)
    sharing = ((explained.get("computed") or {}).get("attribution") or {}).get("partners", [])
    left_out = ((explained.get("computed") or {}).get("attribution") or {}).get("left_out", [])
    ids = {p["partner_id"] for p in sharing + left_out} | {row.partner_id}
    return render(
        request,
        "commission.html",
        visitor=visitor,
        c=explained,
        row=row,
        reasons=[r.value for r in ReasonCode],
        done=done,
        missing=missing,
        names=partner_names(store, visitor.caller, ids),
        section="commissions",
        programs=[],
        current=None,
    )


@router.post("/console/commissions/{commission_id}/hold")
def hold_one(commission_id: str, request: Request, visitor: SignedIn, form: Form):
    back = f"/console/commissions/{quote(commission_id)}"
    ask_again_for(request, visitor, back, "note")  # a hold says why
    hold(request.app.state.store, visitor.caller, commission_id, form.get("note", ""))
    return RedirectResponse(f"{back}?done=held", status_code=303)


@router.post("/console/commissions/{commission_id}/release")
def release_one(commission_id: str, request: Request, visitor: SignedIn, form: Form):
    back = f"/console/commissions/{quote(commission_id)}"
    back_to(request, back)
    release(request.app.state.store, visitor.caller, commission_id)
    return RedirectResponse(f"{back}?done=released", status_code=303)


def named(store, visitor, rows) -> list[tuple]:
    """(commission, partner name, order id) for each (commission, order id)."""
    names = partner_names(store, visitor.caller, {c.partner_id for c, _ in rows})
    return [(c, names.get(c.partner_id, ""), order) for c, order in rows]


def all_commissions(store, visitor, program: str, status: str | None) -> list[tuple]:
    """Every commission of the filter, page after page, as export rows."""
    out, after = [], None
    while True:
        rows, more = commission_page(
            store, visitor.caller, program, status=status, after=after, limit=PAGE_SIZE
        )
        out += [
            (c.id, partner, order or c.kind, c.kind, c.event_type, c.status,
             Money.from_minor(c.amount_minor, c.currency).amount, c.currency,
             c.occurred_at.isoformat())
            for c, partner, order in named(store, visitor, rows)
        ]  # fmt: skip
        if not more:
            return out
        after = rows[-1][0].id


@router.get("/console/commissions.csv")
def commissions_csv(request: Request, visitor: SignedIn, program: str, status: str | None = None):
    """Every commission of the filter, not just one page, as CSV (or .xlsx below)."""
    rows = all_commissions(request.app.state.store, visitor, program, status)
    return Response(
        exports_table.to_csv(COLUMNS, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="commissions.csv"'},
    )


@router.get("/console/commissions.xlsx")
def commissions_xlsx(request: Request, visitor: SignedIn, program: str, status: str | None = None):
    rows = all_commissions(request.app.state.store, visitor, program, status)
    return Response(
        exports_table.to_xlsx("Commissions", COLUMNS, rows),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="commissions.xlsx"'},
    )
