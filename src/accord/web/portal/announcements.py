"""The portal's announcements: the news of the brand of each program the partner is in;
opening the page counts them read."""

from __future__ import annotations

from fastapi import APIRouter, Request

from accord.engage import service as engage
from accord.partners.service import partner_enrollments
from accord.web.pages import SignedIn, pick, portal_page

router = APIRouter(include_in_schema=False)


@router.get("/portal/announcements")
def announcements_page(request: Request, visitor: SignedIn, program: str | None = None):
    store = request.app.state.store
    enrolled = partner_enrollments(store, visitor.caller)
    current = pick(enrolled, program, approved_only=True)
    rows = []
    if current is not None:
        rows = engage.announcements(store, visitor.caller, current.program.id)
        engage.mark_read(store, visitor.caller, [a.id for a in rows if a.read_at is None])
    return portal_page(request, "portal/announcements.html", visitor, enrolled, current,
                       "announcements", rows=rows)  # fmt: skip
