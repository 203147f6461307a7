"""The portal's links and promo codes: the partner's links in a program, a link built with
a deep link and sub-ids, and a new link."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from accord.errors import InvalidInput
from accord.partners.service import partner_enrollments
from accord.tracking.model import deep_link
from accord.tracking.service import create_link, partner_codes, partner_links, target_of
from accord.web.pages import Form, SignedIn, back_to, pick, portal_page

router = APIRouter(include_in_schema=False)


@router.get("/portal/links")
def links_page(
    request: Request,
    visitor: SignedIn,
    program: str | None = None,
    link: str | None = None,
    url: str = "",
    sub1: str = "",
    sub2: str = "",
    sub3: str = "",
    sub4: str = "",
    sub5: str = "",
    made: str | None = None,
):
    store = request.app.state.store
    caller = visitor.caller
    enrolled = partner_enrollments(store, caller)
    current = pick(enrolled, program, approved_only=True)
    links, codes, built, landed, fell_back = [], [], None, None, False
    base = request.app.state.settings.links_base(str(request.base_url))
    subs = {"sub1": sub1, "sub2": sub2, "sub3": sub3, "sub4": sub4, "sub5": sub5}
    if current is not None:
        program_id = current.program.id
        links = partner_links(store, caller, program_id, caller.partner_id)
        codes = partner_codes(store, caller, program_id, caller.partner_id)
        chosen = next((x for x in links if x.code == link), None)
        if chosen is not None:
            query = {k: v.strip() for k, v in subs.items() if v.strip()}
            if url.strip():
                query = {"url": url.strip(), **query}
                target = target_of(store, chosen.code)
                landed = deep_link(url.strip(), target) if target else None
                fell_back = landed == chosen.destination_url and url.strip() not in (
                    chosen.destination_url,
                    "/",
                )
            built = f"{base}/c/{chosen.code}" + (f"?{urlencode(query)}" if query else "")
    return portal_page(
        request,
        "portal/links.html",
        visitor,
        enrolled,
        current,
        "links",
        links=links,
        codes=codes,
        base=base,
        built=built,
        landed=landed,
        fell_back=fell_back,
        chosen=link,
        url=url,
        subs=subs,
        made=made,
    )


def expiry(text: str | None) -> datetime | None:
    """The end of the day a link expires on (UTC), from the form's date."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(f"{text}T23:59:59+00:00")
    except ValueError:
        raise InvalidInput("expires_on", "use a date such as 2027-01-31") from None


@router.post("/portal/links")
def make_link(request: Request, visitor: SignedIn, form: Form):
    program = form.get("program", "")
    back = f"/portal/links?program={quote(program)}"
    back_to(request, back)
    link = create_link(
        request.app.state.store,
        visitor.caller,
        program,
        destination_url=(form.get("destination_url") or "").strip() or None,
        code=(form.get("code") or "").strip() or None,
        expires_at=expiry(form.get("expires_on")),
    )
    return RedirectResponse(
        f"{back}&made={quote(link.code)}&link={quote(link.code)}", status_code=303
    )
