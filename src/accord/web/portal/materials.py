"""The portal's creatives and briefs: the banners and copy of each program with the
partner's own link (and code) filled in, the promo-code pools it takes a code from, and the
creator briefs it submits posts for, each requirement shown met or missing."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from accord.engage import bounties as bt
from accord.engage import briefs as br
from accord.engage import creatives as cr
from accord.engage import feeds
from accord.engage import pools as pl
from accord.engage.calendar import calendar
from accord.partners.service import partner_enrollments
from accord.web.pages import Form, SignedIn, back_to, pick, portal_page, public_base, retry_with

router = APIRouter(include_in_schema=False)


def creatives_page(request: Request, visitor, program: str | None, *, used=None, taken=None,
                   status: int = 200):  # fmt: skip
    store = request.app.state.store
    enrolled = partner_enrollments(store, visitor.caller)
    current = pick(enrolled, program, approved_only=True)
    creatives, pools, products = [], [], 0
    if current is not None:
        creatives = cr.partner_creatives(store, visitor.caller, current.program.id)
        pools = pl.partner_pools(store, visitor.caller, current.program.id)
        products = len(feeds.products(store, visitor.caller, current.program.id))
    response = portal_page(request, "portal/creatives.html", visitor, enrolled, current,
                           "creatives", creatives=creatives, pools=pools, used=used,
                           taken=taken, image_base=public_base(request),
                           products=products)  # fmt: skip
    response.status_code = status
    return response


@router.get("/portal/creatives")
def creatives(request: Request, visitor: SignedIn, program: str | None = None,
              taken: str | None = None):  # fmt: skip
    return creatives_page(request, visitor, program, taken=taken)


@router.post("/portal/creatives/{creative_id}/use")
def use(request: Request, visitor: SignedIn, creative_id: str, form: Form):
    """The creative with the partner's link (made the first time) and code filled in."""
    program = form.get("program") or None
    back_to(request, f"/portal/creatives?program={quote(program or '')}")
    store = request.app.state.store
    links_base = request.app.state.settings.links_base(str(request.base_url))
    used = cr.use(store, visitor.caller, creative_id, links_base, public_base(request))
    return creatives_page(request, visitor, used.creative.program_id, used=used)


@router.post("/portal/code-pools/{pool_id}/take")
def take(request: Request, visitor: SignedIn, pool_id: str, form: Form):
    program = form.get("program") or ""
    back = f"/portal/creatives?program={quote(program)}"
    back_to(request, back)
    code = pl.take_code(request.app.state.store, visitor.caller, pool_id)
    return RedirectResponse(f"{back}&taken={quote(code)}#pools", status_code=303)


@router.get("/portal/briefs")
def briefs(request: Request, visitor: SignedIn, program: str | None = None):
    store = request.app.state.store
    enrolled = partner_enrollments(store, visitor.caller)
    current = pick(enrolled, program, approved_only=True)
    rows = br.partner_briefs(store, visitor.caller, current.program.id) if current else []
    return portal_page(request, "portal/briefs.html", visitor, enrolled, current, "briefs",
                       rows=rows)  # fmt: skip


def brief_page(request: Request, visitor, brief_id: str, *, form=None, error=None,
               status: int = 200, sent: str | None = None):  # fmt: skip
    store = request.app.state.store
    brief, rows = br.brief_of(store, visitor.caller, brief_id)
    enrolled = partner_enrollments(store, visitor.caller)
    current = pick(enrolled, brief.program_id, approved_only=True)
    response = portal_page(request, "portal/brief.html", visitor, enrolled, current, "briefs",
                           brief=brief, rows=rows, form=form or {}, error=error,
                           sent=next((r for r in rows if r.id == sent), None))  # fmt: skip
    response.status_code = status
    return response


@router.get("/portal/briefs/{brief_id}")
def brief(request: Request, visitor: SignedIn, brief_id: str, sent: str | None = None):
    return brief_page(request, visitor, brief_id, sent=sent)


@router.post("/portal/briefs/{brief_id}")
def submit(request: Request, visitor: SignedIn, brief_id: str, form: Form):
    retry_with(request, lambda error: brief_page(request, visitor, brief_id, form=form,
                                                 error=error, status=error.status))  # fmt: skip
    row = br.submit(request.app.state.store, visitor.caller, brief_id, url=form.get("url"),
                    text=form.get("text", ""))  # fmt: skip
    return RedirectResponse(f"/portal/briefs/{brief_id}?sent={row.id}#posts", status_code=303)


@router.get("/portal/calendar")
def calendar_page(request: Request, visitor: SignedIn, program: str | None = None):
    store = request.app.state.store
    enrolled = partner_enrollments(store, visitor.caller)
    current = pick(enrolled, program, approved_only=True)
    entries = calendar(store, visitor.caller, current.program.id) if current else []
    return portal_page(request, "portal/calendar.html", visitor, enrolled, current, "calendar",
                       entries=entries, now=store.clock.now())  # fmt: skip


def bounties_page(request: Request, visitor, program: str | None, *, error=None,
                  status: int = 200, sent: bool = False):  # fmt: skip
    store = request.app.state.store
    enrolled = partner_enrollments(store, visitor.caller)
    current = pick(enrolled, program, approved_only=True)
    rows = bt.partner_bounties(store, visitor.caller, current.program.id) if current else []
    response = portal_page(request, "portal/bounties.html", visitor, enrolled, current,
                           "bounties", rows=rows, error=error, sent=sent,
                           now=store.clock.now(), day=timedelta(days=1))  # fmt: skip
    response.status_code = status
    return response


@router.get("/portal/bounties")
def bounties(request: Request, visitor: SignedIn, program: str | None = None, sent: int = 0):
    return bounties_page(request, visitor, program, sent=bool(sent))


@router.post("/portal/bounties/{bounty_id}")
def submit_content(request: Request, visitor: SignedIn, bounty_id: str, form: Form):
    program = form.get("program") or None
    retry_with(request, lambda error: bounties_page(request, visitor, program, error=error,
                                                    status=error.status))  # fmt: skip
    bt.submit_content(request.app.state.store, visitor.caller, bounty_id, form.get("url", ""))
    return RedirectResponse(f"/portal/bounties?program={quote(program or '')}&sent=1",
                            status_code=303)  # fmt: skip


@router.get("/portal/product-feed.{kind}")
def product_feed(request: Request, visitor: SignedIn, kind: str, program: str = ""):
    """The program's products with the partner's own link to each (CSV or XML)."""
    back_to(request, f"/portal/creatives?program={quote(program)}")
    links_base = request.app.state.settings.links_base(str(request.base_url))
    body, media = feeds.partner_feed(request.app.state.store, visitor.caller, program,
                                     links_base, kind)  # fmt: skip
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="products.{kind}"'})  # fmt: skip
