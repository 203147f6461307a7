"""The console's payouts: what is payable, a preview of the batch before it is run (who,
how much, by which method, who lacks a payout method), the latest batches and payouts,
exports, statements and a batch's bank file. (A batch is run as a job:
accord.web.jobs_pages.)"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from accord.errors import AccordError, InvalidInput
from accord.payouts.exports import (
    batch_csv,
    batch_sepa,
    provider_for,
    refresh_batch,
    send_batch,
    statement_pdf,
)
from accord.payouts.service import (
    all_payouts,
    batch_payouts,
    get_batch,
    partner_balances,
    payout_page,
    preview_batch,
    recent_batches,
)
from accord.web import exports_table
from accord.web.pages import (
    PAGE_SIZE,
    Form,
    Language,
    SignedIn,
    back_to,
    program_or_first,
    render,
    retry_with,
)

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
def batch_preview(request: Request, visitor: SignedIn, program: str | None = None,
                  manual: int = 0):  # fmt: skip
    """What a batch run now would pay, read only; confirming it runs the batch. Partners
    without payout details are held back unless the manager chooses to pay them by hand."""
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    preview = None
    if current:
        preview = preview_batch(store, visitor.caller, current.id,
                                hold_without_method=not manual)  # fmt: skip
    return render(
        request,
        "payout_preview.html",
        visitor=visitor,
        programs=programs,
        current=current,
        preview=preview,
        manual=bool(manual),
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


#: The providers a batch is sent through from the page.
PROVIDERS = ("paypal", "stripe")


def batch_page_for(request: Request, visitor, batch_id: str, *, error=None, sent=None,
                   form=None, status: int = 200):  # fmt: skip
    store = request.app.state.store
    batch = get_batch(store, visitor.caller, batch_id)
    programs, current = program_or_first(store, visitor, batch.program_id)
    rows = batch_payouts(store, visitor.caller, batch_id)
    waiting = {p: sum(1 for r, _ in rows if r.method == p and r.provider_ref is None)
               for p in PROVIDERS}  # fmt: skip
    checkable = {p: any(r.method == p and r.delivery_status == "sent" for r, _ in rows)
                 for p in PROVIDERS}  # fmt: skip
    return render(request, "payout_batch.html", http_status=status, visitor=visitor,
                  programs=programs, current=current, batch=batch, rows=rows,
                  waiting=waiting, checkable=checkable, error=error, sent=sent,
                  form=form or {},
                  sepa=sum(1 for r, _ in rows if r.method == "sepa"),
                  section="payouts")  # fmt: skip


@router.get("/console/payout-batches/{batch_id}")
def batch_page(batch_id: str, request: Request, visitor: SignedIn, sent: str | None = None):
    """A batch's payouts, each with its method and where it stands at the provider; the
    buttons that send it through PayPal or Stripe, or ask them where it stands."""
    return batch_page_for(request, visitor, batch_id, sent=sent)


def _provider(request: Request, name: str):
    factory = getattr(request.app.state, "payout_provider", None) or provider_for
    return factory(request.app.state.settings, name)


@router.post("/console/payout-batches/{batch_id}/send")
def send_from_console(batch_id: str, request: Request, visitor: SignedIn, form: Form):
    """Send the batch's payouts of one provider's partners (PayPal or Stripe); payouts sent
    before are skipped, so pressing twice never pays twice."""
    name = form.get("provider", "")
    retry_with(request, lambda error: batch_page_for(request, visitor, batch_id, error=error,
                                                     status=error.status))  # fmt: skip
    provider = _provider(request, name if name in PROVIDERS else "")
    if form.get("check"):
        done = refresh_batch(request.app.state.store, visitor.caller, batch_id, provider)
        return RedirectResponse(f"/console/payout-batches/{batch_id}?sent=checked-{len(done)}",
                                status_code=303)  # fmt: skip
    done = send_batch(request.app.state.store, visitor.caller, batch_id, provider)
    return RedirectResponse(f"/console/payout-batches/{batch_id}?sent={name}-{len(done)}",
                            status_code=303)  # fmt: skip


@router.post("/console/payout-batches/{batch_id}/sepa")
def batch_sepa_from_console(batch_id: str, request: Request, visitor: SignedIn, form: Form):
    """The batch's SEPA credit transfer file (pain.001) for the brand's bank, from the
    account the brand pays from: each partner paid by SEPA is one transfer."""
    retry_with(request, lambda error: batch_page_for(request, visitor, batch_id, error=error,
                                                     form=form, status=error.status))  # fmt: skip
    day = (form.get("execution_date") or "").strip()
    try:
        execution = date.fromisoformat(day) if day else None
    except ValueError:
        raise InvalidInput("execution_date", "expected a date like 2026-12-07") from None
    body = batch_sepa(request.app.state.store, visitor.caller, batch_id,
                      debtor_name=(form.get("debtor_name") or "").strip(),
                      debtor_iban=(form.get("debtor_iban") or "").strip(),
                      debtor_bic=(form.get("debtor_bic") or "").strip() or None,
                      execution_date=execution)  # fmt: skip
    return Response(body, media_type="application/xml", headers={
        "content-disposition": f'attachment; filename="{batch_id}-sepa.xml"'})  # fmt: skip
