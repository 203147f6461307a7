"""The console's forms: the brand's hosted forms with their submissions, a form's editor
(fields, consents and their text, what a submission records, the thank-you and a gated
download), and how to put it on the brand's site (a link, or a frame).

GET /console/forms lists them with an empty editor; GET /console/forms/{id} edits one.
The editors post to /console/forms and /console/forms/{id} (leads:write).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from accord.errors import AccordError
from accord.leads import forms as lead_forms
from accord.leads import qr
from accord.web.pages import (
    Form,
    FormPairs,
    SignedIn,
    back_to,
    public_base,
    render,
    retry_with,
    said,
)

router = APIRouter(include_in_schema=False)

#: What a new form starts with.
BLANK = {
    "name": "", "activity": "download", "subject": "", "campaign": "", "thanks": "",
    "download_url": "", "active": True,
    "fields": [{"name": "name", "required": True}, {"name": "email", "required": True},
               {"name": "company", "required": False}, {"name": "title", "required": False}],
    "consents": [],
}  # fmt: skip


def page_for(request: Request, visitor, form_id: str | None, status: int = 200, **context):
    store = request.app.state.store
    editing = lead_forms.form_of(store, visitor.caller, form_id) if form_id else None
    context.setdefault("spec", lead_forms.form_spec(editing) if editing else BLANK)
    for name in ("error", "error_field", "saved"):
        context.setdefault(name, None)
    return render(
        request,
        "forms.html",
        http_status=status,
        visitor=visitor,
        section="contacts",
        current=None,
        programs=[],
        forms=lead_forms.forms_of(store, visitor.caller),
        editing=editing,
        field_names=lead_forms.FORM_FIELDS,
        activities=lead_forms.FORM_ACTIVITIES,
        base=public_base(request),
        codes=qr.codes_of(store, visitor.caller, editing.id) if editing else [],
        places=list(qr.PLACES),
        **context,
    )


@router.get("/console/forms")
def forms_page(request: Request, visitor: SignedIn, saved: str | None = None):
    return page_for(request, visitor, None, saved=saved)


@router.get("/console/forms/{form_id}")
def form_page(form_id: str, request: Request, visitor: SignedIn, saved: str | None = None):
    back_to(request, "/console/forms")
    return page_for(request, visitor, form_id, saved=saved)


def _save(request: Request, visitor, pairs, form_id: str | None):
    values = dict(pairs)
    picked = [v for k, v in pairs if k == "field"]
    spec = lead_forms.spec_from_form(values, picked)

    def again(error: AccordError):
        return page_for(
            request, visitor, form_id, status=422, error=said(request, error),
            error_field=getattr(error, "field", None), spec=spec,
        )  # fmt: skip

    retry_with(request, again)
    form = lead_forms.save_form(request.app.state.store, visitor.caller, spec, form_id)
    return RedirectResponse(f"/console/forms/{form.id}?saved=1", status_code=303)


@router.post("/console/forms")
def create_form(request: Request, visitor: SignedIn, pairs: FormPairs):
    return _save(request, visitor, pairs, None)


@router.post("/console/forms/{form_id}")
def change_form(form_id: str, request: Request, visitor: SignedIn, pairs: FormPairs):
    back_to(request, "/console/forms")
    return _save(request, visitor, pairs, form_id)


@router.post("/console/forms/{form_id}/qr-codes")
def add_code(form_id: str, request: Request, visitor: SignedIn, form: Form):
    def again(error: AccordError):
        return page_for(request, visitor, form_id, status=422, error=said(request, error),
                        error_field=getattr(error, "field", None))  # fmt: skip

    retry_with(request, again)
    qr.make_code(request.app.state.store, visitor.caller, form_id, form.get("place", ""),
                 form.get("label", ""))  # fmt: skip
    return RedirectResponse(f"/console/forms/{form_id}?saved=qr#qr-title", status_code=303)


@router.get("/console/lead-qr-codes/{code_id}.{kind}")
def code_image(code_id: str, kind: str, request: Request, visitor: SignedIn):
    """The code to print: PNG, or SVG for a designer."""
    back_to(request, "/console/forms")
    code = qr.code_of(request.app.state.store, visitor.caller, code_id)
    body, media = qr.image(qr.code_url(public_base(request), code), kind)
    name = f"qr-{code.place}-{code.id}.{kind}"
    return Response(body, media_type=media,
                    headers={"Content-Disposition": f'inline; filename="{name}"'})  # fmt: skip
