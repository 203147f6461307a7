"""The console's creatives and codes: banners and copy for partners, and pools of promo
codes partners take one from; and creator briefs with the posts submitted for them."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from accord.engage import bounties as bt
from accord.engage import briefs as br
from accord.engage import creatives as cr
from accord.engage import feeds
from accord.engage import pools as pl
from accord.engage.calendar import calendar
from accord.errors import InvalidInput, Text
from accord.partners import recruiting as rc
from accord.partners.service import partner_names
from accord.programs.promotions import program_promotions
from accord.spreadsheets import spreadsheet_safe
from accord.web.pages import (
    Form,
    SignedIn,
    back_to,
    expired,
    forged,
    program_or_first,
    public_base,
    refuse,
    render_for_program,
    retry_with,
)

router = APIRouter(include_in_schema=False)
FEED_BYTES = 16 * 1024 * 1024


def _groups(store, visitor, program_id: str) -> dict[str, str]:
    return {g.id: g.name for g in rc.groups(store, visitor.caller, program_id)}


def _upcoming(store, visitor, program_id: str) -> list:
    """The program's promotions not over yet, soonest first (to attach things to)."""
    now = store.clock.now()
    return sorted((p for p in program_promotions(store, visitor.caller, program_id)
                   if p.ends_at > now), key=lambda p: p.starts_at)  # fmt: skip


# --- Creatives and code pools -------------------------------------------------------------


def creatives_page(request: Request, visitor, program: str | None, *, form=None, error=None,
                   status: int = 200, loaded=None, saved=None, feed_loaded=None):  # fmt: skip
    def gather(store, current) -> dict:
        return {
            "creatives": cr.creatives(store, visitor.caller, current.id),
            "pools": pl.pools(store, visitor.caller, current.id),
            "groups": _groups(store, visitor, current.id),
            "promotions": _upcoming(store, visitor, current.id),
            "products": feeds.products(store, visitor.caller, current.id),
        }

    return render_for_program(
        request, visitor, program, "creatives.html", gather=gather, http_status=status,
        section="partners", creatives=[], pools=[], groups={}, promotions=[], products=[],
        feed_loaded=feed_loaded, form=form or {}, error=error,
        loaded=loaded, saved=saved, image_base=public_base(request),
    )  # fmt: skip


@router.get("/console/creatives")
def creatives(request: Request, visitor: SignedIn, program: str | None = None,
              saved: str | None = None):  # fmt: skip
    return creatives_page(request, visitor, program, saved=saved)


@router.post("/console/creatives")
async def add_creative(request: Request, visitor: SignedIn):
    """A banner (multipart, field `image`) or a piece of copy."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cr.MAX_IMAGE + 256 * 1024:
        raise refuse("image: at most %(mib)s MiB", 413, mib=cr.MAX_IMAGE // (1024 * 1024))
    sent = await request.form()
    form = {k: v for k, v in sent.items() if isinstance(v, str)}
    if forged(visitor, form, request):
        return expired()
    program = form.get("program") or None
    retry_with(request, lambda error: creatives_page(request, visitor, program, form=form,
                                                     error=error, status=error.status))  # fmt: skip
    upload = sent.get("image")
    image = None
    if upload is not None and not isinstance(upload, str) and upload.filename:
        image = await upload.read(cr.MAX_IMAGE + 1)
        await upload.close()
    store = request.app.state.store
    _, current = program_or_first(store, visitor, program)
    if current is None:
        raise InvalidInput("program", "create a program first")
    cr.create_creative(store, visitor.caller, current.id, kind=form.get("kind", ""),
                       name=form.get("name", ""), body=form.get("body", ""), image=image,
                       landing_url=form.get("landing_url"), group_id=form.get("group") or None,
                       promotion=form.get("promotion") or None)  # fmt: skip
    return RedirectResponse(f"/console/creatives?program={current.id}&saved=creative",
                            status_code=303)  # fmt: skip


@router.post("/console/creatives/{creative_id}/active")
def switch_creative(request: Request, visitor: SignedIn, creative_id: str, form: Form):
    back_to(request, "/console/creatives")
    row = cr.set_active(request.app.state.store, visitor.caller, creative_id,
                        form.get("active") == "1")  # fmt: skip
    return RedirectResponse(f"/console/creatives?program={row.program_id}", status_code=303)


@router.post("/console/code-pools")
def add_pool(request: Request, visitor: SignedIn, form: Form):
    program = form.get("program") or None
    retry_with(request, lambda error: creatives_page(request, visitor, program, form=form,
                                                     error=error, status=error.status))  # fmt: skip
    store = request.app.state.store
    _, current = program_or_first(store, visitor, program)
    if current is None:
        raise InvalidInput("program", "create a program first")
    pool, loaded = pl.create_pool(store, visitor.caller, current.id, name=form.get("name", ""),
                                  codes=form.get("codes", ""),
                                  description=form.get("description", ""),
                                  group_id=form.get("group") or None,
                                  promotion=form.get("promotion") or None)  # fmt: skip
    return creatives_page(request, visitor, current.id, loaded=(pool, loaded))


@router.post("/console/code-pools/{pool_id}/codes")
def add_codes(request: Request, visitor: SignedIn, pool_id: str, form: Form):
    back_to(request, "/console/creatives")
    pool, loaded = pl.add_codes(request.app.state.store, visitor.caller, pool_id,
                                form.get("codes", ""))  # fmt: skip
    return creatives_page(request, visitor, pool.program_id, loaded=(pool, loaded))


@router.post("/console/code-pools/{pool_id}/active")
def switch_pool(request: Request, visitor: SignedIn, pool_id: str, form: Form):
    back_to(request, "/console/creatives")
    pool = pl.set_active(request.app.state.store, visitor.caller, pool_id,
                         form.get("active") == "1")  # fmt: skip
    return RedirectResponse(f"/console/creatives?program={pool.program_id}", status_code=303)


@router.get("/console/code-pools/{pool_id}/taken.csv")
def taken_csv(request: Request, visitor: SignedIn, pool_id: str):
    """Who took which code of a pool, and when (CSV)."""
    import csv
    import io

    store = request.app.state.store
    rows = pl.taken_codes(store, visitor.caller, pool_id)
    names = partner_names(store, visitor.caller, [r[1] for r in rows])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code", "partner_id", "partner", "taken_at"])
    for code, partner_id, at in rows:  # a partner's name must not run as a formula
        writer.writerow([spreadsheet_safe(code), partner_id,
                         spreadsheet_safe(names.get(partner_id)), at.isoformat()])  # fmt: skip
    disposition = f'attachment; filename="{pool_id}-taken.csv"'
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": disposition})  # fmt: skip


# --- Briefs -------------------------------------------------------------------------------


def briefs_page(request: Request, visitor, program: str | None, *, form=None, error=None,
                status: int = 200, saved=None):  # fmt: skip
    def gather(store, current) -> dict:
        return {"rows": br.briefs(store, visitor.caller, current.id),
                "groups": _groups(store, visitor, current.id),
                "promotions": _upcoming(store, visitor, current.id)}  # fmt: skip

    return render_for_program(
        request, visitor, program, "briefs.html", gather=gather, http_status=status,
        section="partners", rows=[], groups={}, promotions=[], form=form or {}, error=error,
        saved=saved,
    )  # fmt: skip


@router.get("/console/briefs")
def briefs(request: Request, visitor: SignedIn, program: str | None = None,
           saved: str | None = None):  # fmt: skip
    return briefs_page(request, visitor, program, saved=saved)


def _day(value: str | None, field: str):
    from datetime import UTC, datetime

    value = (value or "").strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError as error:
        raise InvalidInput(field, "give a date as YYYY-MM-DD") from error


@router.post("/console/briefs")
def add_brief(request: Request, visitor: SignedIn, form: Form):
    program = form.get("program") or None
    retry_with(request, lambda error: briefs_page(request, visitor, program, form=form,
                                                  error=error, status=error.status))  # fmt: skip
    store = request.app.state.store
    _, current = program_or_first(store, visitor, program)
    if current is None:
        raise InvalidInput("program", "create a program first")
    brief = br.create_brief(store, visitor.caller, current.id, br.BriefIn(
        title=form.get("title", ""), deliverables=form.get("deliverables", ""),
        starts_on=_day(form.get("starts_on"), "starts_on"),
        due_on=_day(form.get("due_on"), "due_on"), keywords=form.get("keywords", ""),
        hashtags=form.get("hashtags", ""), disclosure=form.get("disclosure", ""),
        forbidden=form.get("forbidden", ""), fee=form.get("fee"),
        group_id=form.get("group") or None, promotion=form.get("promotion") or None))  # fmt: skip
    return RedirectResponse(f"/console/briefs/{brief.id}?saved=1", status_code=303)


def brief_page(request: Request, visitor, brief_id: str, *, error=None, status: int = 200,
               saved=None):  # fmt: skip
    store = request.app.state.store
    brief, rows = br.brief_of(store, visitor.caller, brief_id)

    def gather(store, current) -> dict:
        return {"names": partner_names(store, visitor.caller, {r.partner_id for r in rows}),
                "groups": _groups(store, visitor, current.id)}  # fmt: skip

    return render_for_program(
        request, visitor, brief.program_id, "brief.html", gather=gather, http_status=status,
        section="partners", brief=brief, rows=rows, names={}, groups={}, error=error,
        saved=saved,
    )  # fmt: skip


@router.get("/console/briefs/{brief_id}")
def brief(request: Request, visitor: SignedIn, brief_id: str, saved: str | None = None):
    return brief_page(request, visitor, brief_id, saved=saved)


@router.post("/console/brief-submissions/{submission_id}")
def decide(request: Request, visitor: SignedIn, submission_id: str, form: Form):
    brief_id = form.get("brief", "")
    retry_with(request, lambda error: brief_page(request, visitor, brief_id, error=error,
                                                 status=error.status))  # fmt: skip
    row = br.decide(request.app.state.store, visitor.caller, submission_id,
                    form.get("decision") == "approve", form.get("note", ""))  # fmt: skip
    return RedirectResponse(f"/console/briefs/{row.brief_id}?saved={row.status}", status_code=303)


@router.post("/console/briefs/{brief_id}/active")
def switch_brief(request: Request, visitor: SignedIn, brief_id: str, form: Form):
    back_to(request, "/console/briefs")
    row = br.set_active(request.app.state.store, visitor.caller, brief_id,
                        form.get("active") == "1")  # fmt: skip
    return RedirectResponse(f"/console/briefs/{row.id}", status_code=303)


# --- Promotions calendar ------------------------------------------------------------------


@router.get("/console/calendar")
def calendar_page(request: Request, visitor: SignedIn, program: str | None = None):
    def gather(store, current) -> dict:
        return {"entries": calendar(store, visitor.caller, current.id),
                "groups": _groups(store, visitor, current.id)}  # fmt: skip

    return render_for_program(request, visitor, program, "calendar.html", gather=gather,
                              section="partners", entries=[], groups={},
                              now=request.app.state.store.clock.now())  # fmt: skip


# --- Bounties -----------------------------------------------------------------------------


def bounties_page(request: Request, visitor, program: str | None, *, form=None, error=None,
                  status: int = 200, saved=None):  # fmt: skip
    def gather(store, current) -> dict:
        rows = bt.bounties(store, visitor.caller, current.id)
        ids = {p.partner_id for _, progress in rows for p in progress}
        return {"rows": rows, "names": partner_names(store, visitor.caller, ids),
                "groups": _groups(store, visitor, current.id),
                "promotions": _upcoming(store, visitor, current.id)}  # fmt: skip

    return render_for_program(
        request, visitor, program, "bounties.html", gather=gather, http_status=status,
        section="partners", rows=[], names={}, groups={}, promotions=[], form=form or {},
        error=error, saved=saved, now=request.app.state.store.clock.now(), day=timedelta(days=1),
    )  # fmt: skip


@router.get("/console/bounties")
def bounties(request: Request, visitor: SignedIn, program: str | None = None,
             saved: str | None = None):  # fmt: skip
    return bounties_page(request, visitor, program, saved=saved)


@router.post("/console/bounties")
def add_bounty(request: Request, visitor: SignedIn, form: Form):
    program = form.get("program") or None
    retry_with(request, lambda error: bounties_page(request, visitor, program, form=form,
                                                    error=error, status=error.status))  # fmt: skip
    store = request.app.state.store
    _, current = program_or_first(store, visitor, program)
    if current is None:
        raise InvalidInput("program", "create a program first")
    starts = _day(form.get("starts_on"), "starts_at")
    ends = _day(form.get("ends_on"), "ends_at")
    if starts is None:
        raise InvalidInput("starts_at", "give the first day")
    if ends is None:
        raise InvalidInput("ends_at", "give the last day")
    bt.create_bounty(store, visitor.caller, current.id, bt.BountyIn(
        title=form.get("title", ""), kind=form.get("kind", ""), target=form.get("target"),
        starts_at=starts, ends_at=ends + timedelta(days=1), reward=form.get("reward", ""),
        description=form.get("description", ""), group_id=form.get("group") or None,
        promotion=form.get("promotion") or None))  # fmt: skip
    return RedirectResponse(f"/console/bounties?program={current.id}&saved=1", status_code=303)


@router.post("/console/bounties/{bounty_id}/claims/{partner_id}")
def decide_claim(request: Request, visitor: SignedIn, bounty_id: str, partner_id: str,
                 form: Form):  # fmt: skip
    program = form.get("program") or None
    retry_with(request, lambda error: bounties_page(request, visitor, program, error=error,
                                                    status=error.status))  # fmt: skip
    claim = bt.decide(request.app.state.store, visitor.caller, bounty_id, partner_id,
                      form.get("decision") == "approve", form.get("note", ""))  # fmt: skip
    return RedirectResponse(f"/console/bounties?program={program or ''}&saved={claim.status}",
                            status_code=303)  # fmt: skip


# --- Product feed -------------------------------------------------------------------------


@router.post("/console/product-feed")
async def upload_feed(request: Request, visitor: SignedIn):
    """The program's products (multipart, field `file`: a CSV), replacing the feed."""
    sent = await request.form()
    form = {k: v for k, v in sent.items() if isinstance(v, str)}
    if forged(visitor, form, request):
        return expired()
    program = form.get("program") or None
    retry_with(request, lambda error: creatives_page(request, visitor, program, error=error,
                                                     status=error.status))  # fmt: skip
    upload = sent.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        raise InvalidInput("file", "choose the CSV of your products")
    data = await upload.read(FEED_BYTES + 1)
    await upload.close()
    if len(data) > FEED_BYTES:
        raise InvalidInput("file", Text("at most %(mib)s MiB", mib=FEED_BYTES // (1024 * 1024)))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInput("file", "save the CSV as UTF-8") from error
    store = request.app.state.store
    _, current = program_or_first(store, visitor, program)
    if current is None:
        raise InvalidInput("program", "create a program first")
    result = feeds.load_feed(store, visitor.caller, current.id, text)
    return creatives_page(request, visitor, current.id, feed_loaded=result)
