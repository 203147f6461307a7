"""The console's mail (Settings, Mail): whether mail leaves through a server, the program's
sender, and the outbox of every notice Accord wrote for the brand (waiting, sent, given up),
each readable as its recipient reads it, and a mail that was given up can be sent again."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from accord.errors import AccordError
from accord.notices.service import (
    KINDS,
    STATUSES,
    outbox_counts,
    outbox_mail,
    outbox_page,
    send_again,
)
from accord.programs.service import set_mail_from
from accord.web.pages import Form, SignedIn, program_or_first, render, retry_with, said

router = APIRouter(include_in_schema=False)
PAGE = 50


def mail_page(request: Request, visitor, program: str | None, *, status: str | None = None,
              before: str | None = None, form=None, error=None, saved=False,
              http_status: int = 200):  # fmt: skip
    store = request.app.state.store
    settings = request.app.state.settings
    programs, current = program_or_first(store, visitor, program)
    status = status if status in STATUSES else None
    rows = outbox_page(store, visitor.caller, status=status, limit=PAGE, before=before)
    return render(
        request,
        "outbox.html",
        http_status=http_status,
        visitor=visitor,
        programs=programs,
        current=current,
        section="mail",
        server=f"{settings.smtp_host}:{settings.smtp_port}" if settings.smtp_host else None,
        sender=settings.mail_from,
        counts=outbox_counts(store, visitor.caller),
        status=status,
        rows=rows.rows,
        older=rows.next_after,
        paged=before is not None,
        kinds=KINDS,
        form=form or {},
        error=error,
        saved=saved,
    )


@router.get("/console/settings/mail")
def mail(request: Request, visitor: SignedIn, program: str | None = None,
         status: str | None = None, before: str | None = None, saved: int = 0):  # fmt: skip
    return mail_page(request, visitor, program, status=status, before=before, saved=bool(saved))


@router.post("/console/settings/mail")
def save_sender(request: Request, visitor: SignedIn, form: Form):
    program = form.get("program") or None

    def again(error: AccordError):
        return mail_page(request, visitor, program, form=form, error=said(request, error),
                         http_status=error.status)  # fmt: skip

    retry_with(request, again)
    store = request.app.state.store
    _, current = program_or_first(store, visitor, program)
    if current is not None:
        set_mail_from(store, visitor.caller, current.id, form.get("mail_from"))
    target = "/console/settings/mail?saved=1"
    if current is not None:
        target += f"&program={current.id}"
    return RedirectResponse(target, status_code=303)


@router.get("/console/settings/mail/{mail_id}")
def one_mail(mail_id: str, request: Request, visitor: SignedIn, program: str | None = None):
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    row = outbox_mail(store, visitor.caller, mail_id)
    response = render(
        request,
        "outbox_mail.html",
        visitor=visitor,
        programs=programs,
        current=current,
        section="mail",
        mail=row,
        kinds=KINDS,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/console/settings/mail/{mail_id}/again")
def again(mail_id: str, request: Request, visitor: SignedIn, form: Form):
    send_again(request.app.state.store, visitor.caller, mail_id)
    return RedirectResponse(f"/console/settings/mail/{mail_id}?again=1", status_code=303)
