"""The console's links and promo codes: a program's links (searched, paged, exported) and
codes, and a new promo code for a partner."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from accord.partners.service import approved_partners
from accord.tracking.service import all_program_links, create_promo_code, program_codes
from accord.tracking.service import program_links as links_of
from accord.web import exports_table
from accord.web.pages import PAGE_SIZE, Form, SignedIn, back_to, program_or_first, render

router = APIRouter(include_in_schema=False)

COLUMNS = ("code", "partner_id", "partner", "destination_url", "active", "expires_at",
           "created_at")  # fmt: skip


@router.get("/console/links.{kind}")
def links_export(request: Request, visitor: SignedIn, kind: str, program: str, q: str = ""):
    """Every link of the program (or of the search) as CSV or Excel."""
    if kind not in ("csv", "xlsx"):
        return Response("use links.csv or links.xlsx", status_code=404)
    rows = [
        (k.code, k.partner_id, name, k.destination_url, k.active,
         k.expires_at.isoformat() if k.expires_at else "", k.created_at.isoformat())
        for k, name in all_program_links(request.app.state.store, visitor.caller, program, search=q)
    ]  # fmt: skip
    return exports_table.download("links", kind, COLUMNS, rows)


@router.get("/console/links")
def links_page(
    request: Request,
    visitor: SignedIn,
    program: str | None = None,
    q: str = "",
    made: str = "",
    page: int = 1,
):
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    links, more, codes, partners = [], False, [], []
    page = min(max(1, page), 100_000)
    if current is not None:
        caller = visitor.caller
        links, more = links_of(store, caller, current.id, search=q, page=page, limit=PAGE_SIZE)
        codes = program_codes(store, caller, current.id, search=q, limit=PAGE_SIZE)
        partners = approved_partners(store, caller, current.id)
    return render(
        request,
        "links.html",
        visitor=visitor,
        programs=programs,
        current=current,
        section="links",
        links=links,
        more=more,
        page=page,
        codes=codes,
        partners=partners,
        q=q,
        made=made,
    )


@router.post("/console/promo-codes")
def make_promo_code(request: Request, visitor: SignedIn, form: Form):
    program = form.get("program", "")
    back = f"/console/links?program={quote(program)}"
    back_to(request, back)
    promo = create_promo_code(
        request.app.state.store,
        visitor.caller,
        program,
        form.get("code", ""),
        partner_id=form.get("partner_id") or None,
    )
    return RedirectResponse(f"{back}&made={quote(promo.code)}", status_code=303)
