"""The console's content library: the brand's articles, white papers, decks, videos, event
and livestream pages with their views, downloads and shares; an item's editor (text, link,
tags, category, the form that gates its file, published or not), its file upload, its
public address and a QR code for print.

GET /console/content lists them with an empty editor; GET /console/content/{id} edits one.
The editors post to /console/content and /console/content/{id}; the file goes to
/console/content/{id}/file (multipart, leads:write).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from accord.errors import AccordError
from accord.leads import content as library
from accord.leads import forms as lead_forms
from accord.leads import qr
from accord.web.pages import (
    Form,
    SignedIn,
    back_to,
    expired,
    forged,
    public_base,
    refuse,
    render,
    retry_with,
    said,
)

router = APIRouter(include_in_schema=False)

BLANK = {"kind": "white_paper", "title": "", "summary": "", "body": "", "url": "", "tags": "",
         "category": "", "form_id": "", "published": False}  # fmt: skip


def _spec_of(item) -> dict:
    return {"kind": item.kind, "title": item.title, "summary": item.summary or "",
            "body": item.body or "", "url": item.url or "", "tags": ", ".join(item.tags),
            "category": item.category or "", "form_id": item.form_id or "",
            "published": item.published}  # fmt: skip


def page_for(request: Request, visitor, content_id: str | None, status: int = 200, **context):
    store = request.app.state.store
    editing = library.content_of(store, visitor.caller, content_id) if content_id else None
    spec = context.pop("spec", None) or (_spec_of(editing) if editing else BLANK)
    for name in ("error", "error_field", "saved"):
        context.setdefault(name, None)
    kind = request.query_params.get("kind") or None
    return render(
        request, "content.html", http_status=status, visitor=visitor, section="contacts",
        current=None, programs=[], editing=editing, spec=spec,
        items=library.library(store, visitor.caller, kind=kind if kind in library.KINDS else None),
        kinds=library.KINDS, forms=lead_forms.forms_of(store, visitor.caller),
        base=public_base(request), max_mib=library.MAX_FILE // (1024 * 1024), **context,
    )  # fmt: skip


@router.get("/console/content")
def content_page(request: Request, visitor: SignedIn, saved: str | None = None):
    return page_for(request, visitor, None, saved=saved)


@router.get("/console/content/{content_id}")
def item_page(content_id: str, request: Request, visitor: SignedIn, saved: str | None = None):
    back_to(request, "/console/content")
    return page_for(request, visitor, content_id, saved=saved)


def _save(request: Request, visitor, form, content_id: str | None):
    spec = {k: form.get(k, "") for k in BLANK if k != "published"}
    spec["published"] = form.get("published") == "yes"

    def again(error: AccordError):
        return page_for(request, visitor, content_id, status=422, error=said(request, error),
                        error_field=getattr(error, "field", None), spec=spec)  # fmt: skip

    retry_with(request, again)
    saved = library.save_content(request.app.state.store, visitor.caller, spec, content_id)
    return RedirectResponse(f"/console/content/{saved.id}?saved=1", status_code=303)


@router.post("/console/content")
def create_item(request: Request, visitor: SignedIn, form: Form):
    return _save(request, visitor, form, None)


@router.post("/console/content/{content_id}")
def change_item(content_id: str, request: Request, visitor: SignedIn, form: Form):
    back_to(request, "/console/content")
    return _save(request, visitor, form, content_id)


@router.post("/console/content/{content_id}/file")
async def upload(content_id: str, request: Request, visitor: SignedIn):
    """The item's PDF or deck (multipart, field `file`)."""
    back_to(request, f"/console/content/{content_id}")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > library.MAX_FILE + 64 * 1024:
        raise refuse("file: at most %(mib)s MiB", 413, mib=library.MAX_FILE // (1024 * 1024))
    sent = await request.form()
    fields = {k: v for k, v in sent.items() if isinstance(v, str)}
    if forged(visitor, fields, request):
        return expired()
    upload = sent.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        raise refuse("file: choose a PDF or a slide deck to upload", 422)
    data = await upload.read(library.MAX_FILE + 1)
    await upload.close()
    library.put_file(request.app.state.store, visitor.caller, content_id, upload.filename,
                     upload.content_type or "", data)  # fmt: skip
    return RedirectResponse(f"/console/content/{content_id}?saved=file", status_code=303)


@router.get("/console/content/{content_id}/qr.{kind}")
def code(content_id: str, kind: str, request: Request, visitor: SignedIn):
    """A QR code of the item's page for print; people it brings come with source qr."""
    item = library.content_of(request.app.state.store, visitor.caller, content_id)
    url = f"{public_base(request)}/content/{item.id}?utm_source=qr&utm_medium=print"
    body, media = qr.image(url, kind)
    disposition = f'inline; filename="qr-{item.id}.{kind}"'
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})
