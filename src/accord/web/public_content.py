"""The brand's content for anyone: GET /content/{id} shows an item on a phone or a desk
(its text, its video or livestream, its file: free, or behind the brand's hosted form);
POST /content/{id} sends the gate form and gives the person their download link;
GET /content/{id}/file downloads; POST /content/{id}/share makes a share link.

The page keeps a first-party id for the browser (cookie `_accord_vid` on Accord's address),
so that what it does is one person's history once they are known (`leads.visits`).
Hostile input as for hosted forms: no session, answers checked field by field, sends per
address throttled, and a field only robots fill.
"""

from __future__ import annotations

import os
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from accord.errors import AccordError, NotFound
from accord.leads import content as library
from accord.leads import forms as lead_forms
from accord.leads.visits import check_vid
from accord.web.pages import OpenForm, peer, public_base, render, secure
from accord.web.public_forms import FORM_SENDS, TRAP, UTM, refused

router = APIRouter(include_in_schema=False)

VID = "_accord_vid"
TWO_YEARS = 730 * 86400


def _vid(request: Request) -> tuple[str, bool]:
    """The browser's id, and whether it is new (to be set)."""
    known = check_vid(request.cookies.get(VID))
    return (known, False) if known else (os.urandom(16).hex(), True)


def _page(request: Request, item, vid: str, fresh: bool, status: int = 200, **context):
    form = None
    if item is not None and item.form_id:
        try:
            form = lead_forms.public_form(request.app.state.store, item.form_id)
        except NotFound:
            form = None
    for name in ("error", "error_field", "typed", "token", "share_url"):
        context.setdefault(name, None)
    query = request.query_params
    response = render(request, "content_public.html", http_status=status, item=item, form=form,
                      utm={k: query.get(f"utm_{k}", "")[:200] for k in UTM}, trap=TRAP,
                      paragraphs=[p.strip() for p in (item.body or "").split("\n\n") if p.strip()]
                      if item else [], **context)  # fmt: skip
    if fresh:
        response.set_cookie(VID, vid, max_age=TWO_YEARS, samesite="lax", secure=secure(request),
                            httponly=True)  # fmt: skip
    response.headers["Cache-Control"] = "no-store, private"
    return response


def _item(request: Request, content_id: str):
    try:
        return library.public_item(request.app.state.store, content_id)
    except NotFound:
        return None


@router.get("/content/{content_id}")
def show(content_id: str, request: Request) -> HTMLResponse:
    vid, fresh = _vid(request)
    item = _item(request, content_id)
    if item is None:
        return _page(request, None, vid, fresh, status=404)
    query = request.query_params
    library.viewed(request.app.state.store, item, vid,
                   referrer=(request.headers.get("referer") or "")[:2000] or None,
                   utm={k: query.get(f"utm_{k}", "") for k in UTM},
                   shared_by=query.get("s"))  # fmt: skip
    return _page(request, item, vid, fresh)


@router.post("/content/{content_id}")
def get_it(content_id: str, request: Request, answers: OpenForm) -> HTMLResponse:
    """The gate form is sent: the person, and their own download link."""
    store = request.app.state.store
    vid, fresh = _vid(request)
    item = _item(request, content_id)
    if item is None or not item.form_id:
        return _page(request, item, vid, fresh, status=404 if item is None else 409)
    typed = {k: v[:320] for k, v in answers.items() if k != TRAP}
    if answers.get(TRAP):
        return _page(request, item, vid, fresh)
    key = f"{peer(request)}|{item.id}"
    if FORM_SENDS.wait_seconds(key):
        return _page(request, item, vid, fresh, status=429, error="too_many", typed=typed)
    FORM_SENDS.hit(key)
    try:
        done = lead_forms.submit(store, item.form_id, answers,
                                 utm={k: answers.get(f"utm_{k}", "") for k in UTM},
                                 referrer=(request.headers.get("referer") or "")[:2000] or None,
                                 cookie=vid, subject=item.title)  # fmt: skip
    except AccordError as error:
        field, reason = refused(error)
        return _page(request, item, vid, fresh, status=422, error=reason, error_field=field,
                     typed=typed)  # fmt: skip
    token = library.grant(store, item, done.contact_id)
    return _page(request, item, vid, fresh, token=token)


@router.get("/content/{content_id}/file")
def file(content_id: str, request: Request, t: str | None = None) -> Response:
    vid, _ = _vid(request)
    item = _item(request, content_id)
    if item is None:
        return _page(request, None, vid, False, status=404)
    try:
        got = library.download(request.app.state.store, item, vid, t)
    except NotFound:
        return _page(request, item, vid, False, status=403, error="gated")
    name = quote(got.name)
    return Response(got.data, media_type=got.media_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{name}",
        "Cache-Control": "no-store, private", "X-Content-Type-Options": "nosniff"})  # fmt: skip


@router.post("/content/{content_id}/share")
def share(content_id: str, request: Request) -> HTMLResponse:
    vid, fresh = _vid(request)
    item = _item(request, content_id)
    if item is None:
        return _page(request, None, vid, fresh, status=404)
    library.shared(request.app.state.store, item, vid)
    base = public_base(request)
    return _page(request, item, vid, fresh, share_url=f"{base}/content/{item.id}?s={vid}")
