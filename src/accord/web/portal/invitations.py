"""The portal's invitations: what a brand's invitation says (for anyone holding its link),
and, signed in as a partner, answering it: applying with the program's questions, which
an invitation that approves on acceptance decides at once, or declining it."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from accord.errors import AccordError
from accord.partners.recruiting import decline_invitation, view_invitation
from accord.partners.service import apply_to_program
from accord.web.pages import Form, MaybeVisitor, SignedIn, render, retry_with
from accord.web.portal.programs import answers_in

router = APIRouter(include_in_schema=False)


def invitation_view(request: Request, visitor, token: str, *, form=None, error=None,
                    status: int = 200):  # fmt: skip
    store = request.app.state.store
    try:
        shown = view_invitation(store, token)
    except AccordError as exc:
        return render(request, "portal/invitation.html", http_status=exc.status,
                      visitor=visitor, invitation=None, gone=exc, token=token)  # fmt: skip
    return render(
        request,
        "portal/invitation.html",
        http_status=status,
        visitor=visitor,
        invitation=shown,
        token=token,
        here=f"/portal/invitations/{quote(token)}",
        partner=visitor is not None and not visitor.caller.is_brand,
        form=form or {},
        error=error,
        gone=None,
    )


@router.get("/portal/invitations/{token}")
def invitation_page(request: Request, visitor: MaybeVisitor, token: str):
    return invitation_view(request, visitor, token)


@router.post("/portal/invitations/{token}/accept")
def accept(request: Request, visitor: SignedIn, token: str, form: Form):
    def again(error: AccordError):
        return invitation_view(request, visitor, token, form=form, error=error,
                               status=error.status)  # fmt: skip

    retry_with(request, again)
    store = request.app.state.store
    shown = view_invitation(store, token)
    enrollment = apply_to_program(store, visitor.caller, shown.program_id, form.get("note"),
                                  answers_in(form), invitation_token=token)  # fmt: skip
    return RedirectResponse(
        f"/portal/programs?applied={quote(enrollment.status)}#p-{quote(shown.program_id)}",
        status_code=303,
    )


@router.post("/portal/invitations/{token}/decline")
def decline(request: Request, visitor: SignedIn, token: str, form: Form):
    retry_with(request, lambda error: invitation_view(request, visitor, token, error=error,
                                                      status=error.status))  # fmt: skip
    decline_invitation(request.app.state.store, visitor.caller, token)
    return RedirectResponse("/portal/programs?invitation=declined", status_code=303)
