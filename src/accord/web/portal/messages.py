"""The portal's messages: the partner's thread with the brand of each program it is in,
where it reads what the brand wrote and answers (the brand is told by mail)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from accord.engage import service as messages
from accord.partners.service import partner_enrollments
from accord.web.pages import Form, SignedIn, back_to, pick, portal_page

router = APIRouter(include_in_schema=False)


@router.get("/portal/messages")
def messages_page(request: Request, visitor: SignedIn, program: str | None = None):
    store = request.app.state.store
    enrolled = partner_enrollments(store, visitor.caller)
    current = pick(enrolled, program, approved_only=False)
    thread = []
    if current is not None:
        thread = messages.thread(store, visitor.caller, current.program.id)
    return portal_page(request, "portal/messages.html", visitor, enrolled, current, "messages",
                       thread=thread)  # fmt: skip


@router.post("/portal/messages")
def post_message(request: Request, visitor: SignedIn, form: Form):
    program = form.get("program", "")
    back = f"/portal/messages?program={quote(program)}"
    back_to(request, back)
    messages.post(request.app.state.store, visitor.caller, program, form.get("body", ""),
                  user_id=visitor.user_id, author_name=visitor.organization_name)  # fmt: skip
    return RedirectResponse(f"{back}#messages", status_code=303)
