"""The console's inquiries: partners' questions about commissions they expected, the open
ones first, each accepted (the order recorded and credited, optionally at a corrected
amount) or declined with a reason the partner reads."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from accord.errors import AccordError
from accord.inquiries import service as inquiries
from accord.money import Money
from accord.partners.service import partner_names
from accord.web.pages import Form, SignedIn, back_to, program_or_first, render, retry_with

router = APIRouter(include_in_schema=False)

#: The statuses the page filters on; "all" shows every inquiry.
SHOWN = ("open", "accepted", "declined", "all")
PAGE = 100


def inquiries_page(request: Request, visitor, program: str | None, status: str,
                   after: str | None = None, *, failed: dict | None = None,
                   done: str | None = None, http_status: int = 200):  # fmt: skip
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    status = status if status in SHOWN else "open"
    rows, more, counts = [], False, {}
    if current is not None:
        found = inquiries.inquiries_page(store, visitor.caller, current.id,
                                         None if status == "all" else status, limit=PAGE,
                                         starting_after=after)  # fmt: skip
        rows, more = found.rows, found.has_more
        counts = inquiries.inquiry_counts(store, visitor.caller, current.id)
    names = partner_names(store, visitor.caller, {r.partner_id for r in rows})
    commissions = inquiries.commission_ids(store, rows)
    return render(
        request,
        "inquiries.html",
        http_status=http_status,
        visitor=visitor,
        programs=programs,
        current=current,
        status=status,
        shown=SHOWN,
        counts=counts,
        rows=[
            {
                "row": r,
                "partner": names.get(r.partner_id, r.partner_id),
                "amount": Money.from_minor(r.amount_minor, r.currency),
                "commissions": commissions.get(r.id, []),
            }
            for r in rows
        ],
        more=more,
        next_after=rows[-1].id if more and rows else None,
        failed=failed,
        done=done,
    )


@router.get("/console/inquiries")
def inquiries_list(request: Request, visitor: SignedIn, program: str | None = None,
                   status: str = "open", after: str | None = None,
                   done: str | None = None):  # fmt: skip
    return inquiries_page(request, visitor, program, status, after, done=done)


def _decided(form: dict, word: str) -> RedirectResponse:
    program = form.get("program") or ""
    return RedirectResponse(
        f"/console/inquiries?program={program}&status={form.get('status') or 'open'}"
        f"&done={word}", status_code=303)  # fmt: skip


def _retry(request: Request, visitor, form: dict, inquiry_id: str) -> None:
    def again(error: AccordError):
        return inquiries_page(request, visitor, form.get("program"), form.get("status") or "open",
                              failed={"id": inquiry_id, "message": error.message,
                                      "field": error.field, "form": form},
                              http_status=error.status)  # fmt: skip

    retry_with(request, again)


@router.post("/console/inquiries/{inquiry_id}/accept")
def accept(inquiry_id: str, request: Request, visitor: SignedIn, form: Form):
    back_to(request, "/console/inquiries")
    _retry(request, visitor, form, inquiry_id)
    amount = (form.get("amount") or "").strip().replace(",", ".") or None
    note = (form.get("note") or "").strip() or None
    inquiries.accept_inquiry(
        request.app.state.store, visitor.caller, inquiry_id, amount=amount, note=note
    )
    return _decided(form, "accepted")


@router.post("/console/inquiries/{inquiry_id}/decline")
def decline(inquiry_id: str, request: Request, visitor: SignedIn, form: Form):
    back_to(request, "/console/inquiries")
    _retry(request, visitor, form, inquiry_id)
    inquiries.decline_inquiry(request.app.state.store, visitor.caller, inquiry_id,
                              reason=(form.get("reason") or "").strip())  # fmt: skip
    return _decided(form, "declined")
