"""The console's payouts: what is payable, a preview of the batch before it is run (who,
how much, by which method, who lacks a payout method), the latest batches and payouts,
exports, statements and a batch's bank file. (A batch is run as a job:
accord.web.jobs_pages.)"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from accord.errors import AccordError
from accord.payouts.exports import batch_csv, statement_pdf
from accord.payouts.service import (
    all_payouts,
    partner_balances,
    payout_page,
    preview_batch,
    recent_batches,
)
from accord.web import exports_table
from accord.web.pages import PAGE_SIZE, Language, SignedIn, back_to, program_or_first, render

router = APIRouter(include_in_schema=False)


@router.get("/console/payouts")
def payouts_page(
    request: Request,
    visitor: SignedIn,
    program: str | None = None,
    done: str | None = None,
    before: str = "",
):
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    batches, payouts, more, payable, due = [], [], False, 0, 0
    if current is not None:
        balances = partner_balances(store, visitor.caller, current.id)
        owed = [b.payable_minor for b in balances if b.payable_minor > 0]
        payable = sum(owed)
        due = sum(1 for minor in owed if minor >= current.payout_threshold_minor)
        batches = recent_batches(store, visitor.caller, current.id)
        payouts, more = payout_page(
            store, visitor.caller, current.id, before=before, limit=PAGE_SIZE
        )
    return render(
        request,
        "payouts.html",
        visitor=visitor,
        programs=programs,
        current=current,
        batches=batches,
        payouts=payouts,
        more=more,
        payable=payable,
        due=due,
        done=done,
        section="payouts",
    )


@router.get("/console/payouts/preview")
def batch_preview(request: Request, visitor: SignedIn, program: str | None = None):
    """What a batch run now would pay, read only; confirming it runs the batch."""
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    preview = preview_batch(store, visitor.caller, current.id) if current else None
    return render(
        request,
        "payout_preview.html",
        visitor=visitor,
        programs=programs,
        current=current,
        preview=preview,
        section="payouts",
    )


@router.get("/console/payouts.{kind}")
def payouts_export(request: Request, visitor: SignedIn, kind: str, program: str):
    """Every payout of the program as CSV or Excel."""
    if kind not in ("csv", "xlsx"):
        return Response("use payouts.csv or payouts.xlsx", status_code=404)
    rows = [
        (p.id, p.batch_id, name, *exports_table.payout_row(p)[1:])
        for p, name in all_payouts(request.app.state.store, visitor.caller, program)
    ]
    columns = ("payout_id", "batch_id", "partner", *exports_table.PAYOUT_COLUMNS[1:])
    return exports_table.download("payouts", kind, columns, rows)


@router.get("/console/payouts/{payout_id}/statement.pdf")
def statement_from_console(payout_id: str, request: Request, visitor: SignedIn, locale: Language):
    back_to(request, "/console/payouts")
    pdf = statement_pdf(request.app.state.store, visitor.caller, payout_id, locale=locale)
    return exports_table.pdf(pdf, payout_id)


@router.get("/console/payout-batches/{batch_id}.csv")
def batch_csv_from_console(batch_id: str, request: Request, visitor: SignedIn):
    try:
        text = batch_csv(request.app.state.store, visitor.caller, batch_id)
    except AccordError as error:  # a download link: the reason as text, not a page
        return Response(error.message, status_code=error.status)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{batch_id}.csv"'},
    )
