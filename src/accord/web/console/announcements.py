"""The console's announcements: news to a program's partners (all, a group or a type),
shown in the portal and sent by mail when asked, with how many read each."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from accord.engage import service as engage
from accord.errors import InvalidInput
from accord.partners import recruiting as rc
from accord.partners.types import brand_types
from accord.web.pages import Form, SignedIn, locale_of, program_or_first, render, retry_with

router = APIRouter(include_in_schema=False)


def page(request: Request, visitor, program: str | None, *, form=None, error=None,
         status: int = 200, published: bool = False):  # fmt: skip
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    rows, groups = [], []
    if current is not None:
        rows = engage.announcements(store, visitor.caller, current.id)
        groups = rc.groups(store, visitor.caller, current.id)
    return render(request, "announcements.html", http_status=status, visitor=visitor,
                  programs=programs, current=current, section="partners", rows=rows,
                  groups=groups, group_names={g.id: g.name for g in groups},
                  types=brand_types(store, visitor.caller, locale_of(request)),
                  form=form or {}, error=error, published=published)  # fmt: skip


@router.get("/console/announcements")
def announcements(request: Request, visitor: SignedIn, program: str | None = None,
                  published: int = 0):  # fmt: skip
    return page(request, visitor, program, published=bool(published))


@router.post("/console/announcements")
def publish(request: Request, visitor: SignedIn, form: Form):
    program = form.get("program") or None
    retry_with(request, lambda error: page(request, visitor, program, form=form, error=error,
                                           status=error.status))  # fmt: skip
    store = request.app.state.store
    _, current = program_or_first(store, visitor, program)
    if current is None:
        raise InvalidInput("program", "create a program first")
    audience = form.get("audience", "all")
    value = {"group": form.get("group"), "type": form.get("partner_type")}.get(audience)
    engage.publish(store, visitor.caller, current.id, title=form.get("title", ""),
                   body=form.get("body", ""), audience=audience, value=value,
                   by_mail=bool(form.get("by_mail")), user_id=visitor.user_id)  # fmt: skip
    return RedirectResponse(f"/console/announcements?program={current.id}&published=1",
                            status_code=303)  # fmt: skip
