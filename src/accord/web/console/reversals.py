"""The console's reversals: every reversal of the program's conversions, newest first, with
its reason, the commission it took back, and whether that was a clawback (money already
paid, taken from the partner's next payout)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from accord.commissions.service import reversal_lines
from accord.partners.service import partner_names
from accord.web.pages import SignedIn, program_or_first, render

router = APIRouter(include_in_schema=False)
PAGE = 100


@router.get("/console/reversals")
def reversals(request: Request, visitor: SignedIn, program: str | None = None,
              before: str | None = None):  # fmt: skip
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    rows = []
    if current is not None:
        rows = reversal_lines(store, visitor.caller, current.id, limit=PAGE, before=before)
    names = partner_names(store, visitor.caller, {r.partner_id for r in rows})
    return render(
        request,
        "reversals.html",
        visitor=visitor,
        programs=programs,
        current=current,
        rows=rows,
        names=names,
        older=rows[-1].id if len(rows) == PAGE else None,
        paged=before is not None,
    )
