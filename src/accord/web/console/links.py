"""The console's links and promo codes: a program's links (searched, paged, exported) and
codes, and a new promo code for a partner."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from accord.partners.service import approved_partners, partner_names, partners_named
from accord.tracking.service import all_program_links, create_promo_code, program_codes
from accord.tracking.service import program_links as links_of
from accord.web import exports_table
from accord.web.pages import PAGE_SIZE, Form, SignedIn, back_to, program_or_first, render

router = APIRouter(include_in_schema=False)

COLUMNS = ("code", "partner_id", "partner", "destination_url", "active", "expires_at",
           "created_at")  # fmt: skip


def searched_partners(store, visitor, program_id: str, q: str) -> set[str]:
    """The program's partners whose name holds the search (their links and codes match)."""
    return partners_named(store, visitor.caller, program_id, q.strip()) if q.strip() else set()


def with_names(store, visitor, rows) -> list[tuple]:
    """(row, partner name) for each link or promo code."""
    names = partner_names(store, visitor.caller, {r.partner_id for r in rows})
    return [(r, names.get(r.partner_id, "")) for r in rows]


@router.get("/console/links.{kind}")
def links_export(request: Request, visitor: SignedIn, kind: str, program: str, q: str = ""):
    """Every link of the program (or of the search) as CSV or Excel."""
    if kind not in ("csv", "xlsx"):
        return Response("use links.csv or links.xlsx", status_code=404)
    store = request.app.state.store
    named = searched_partners(store, visitor, program, q)
    found = all_program_links(store, visitor.caller, program, search=q, partner_ids=named)
    names = partner_names(store, visitor.caller, {k.partner_id for k in found})
    rows = [
        (k.code, k.partner_id, names.get(k.partner_id, ""), k.destination_url, k.active,
         k.expires_at.isoformat() if k.expires_at else "", k.created_at.isoformat())
        for k in found
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
        named = searched_partners(store, visitor, current.id, q)
        found, more = links_of(
            store, caller, current.id, search=q, partner_ids=named, page=page, limit=PAGE_SIZE
        )
        links = with_names(store, visitor, found)
        codes = with_names(
            store,
            visitor,
            program_codes(store, caller, current.id, search=q, partner_ids=named, limit=PAGE_SIZE),
        )
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
