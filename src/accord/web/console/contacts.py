"""The console's people: every contact of the brand, found by name, company, e-mail or phone,
by stage, by score; one contact's page with its identifiers (and what brought each), its
activities, its score and how it adds up, its merges (each can be undone) and its stages.

GET /console/contacts lists them (with a form to add a person, e.g. from a phone call);
GET /console/contacts/{id} shows one. The forms post to /console/contacts (add),
/console/contacts/{id}/stage (move), /console/contact-merges/{id}/undo and
/console/leads/score (score everyone now, as a job); all need leads:write.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from accord.errors import AccordError, InvalidInput
from accord.leads import crm
from accord.leads import jobs as lead_jobs
from accord.leads import nurture as lead_nurture
from accord.leads import service as leads
from accord.leads.model import STAGES, Capture
from accord.money import Money
from accord.web.pages import Form, SignedIn, back_to, render, retry_with, said

router = APIRouter(include_in_schema=False)

#: Activities a person adds by hand, in the order the form offers them.
MANUAL_TYPES = ("phone_call", "store_visit", "event_attended", "demo_request", "form_submit")
PAGE = 50


def _list_url(**query: str) -> str:
    kept = {k: v for k, v in query.items() if v}
    return "/console/contacts" + ("?" + "&".join(f"{k}={quote(v)}" for k, v in kept.items())
                                  if kept else "")  # fmt: skip


def contacts_page_for(
    request: Request,
    visitor,
    q: str = "",
    stage: str = "",
    sort: str = "score",
    after: str | None = None,
    status: int = 200,
    **context,
):
    store = request.app.state.store
    sort = sort if sort in leads.SORTS else "score"
    stage = stage if stage in {s.value for s in STAGES} else ""
    page = leads.contacts_page(
        store, visitor.caller, search=q or None, stage=stage or None, sort=sort, limit=PAGE,
        after=after,
    )  # fmt: skip
    counts = leads.stage_counts(store, visitor.caller)
    for name in ("error", "error_field", "typed", "added", "erased"):
        context.setdefault(name, None)
    return render(
        request,
        "contacts.html",
        http_status=status,
        visitor=visitor,
        section="contacts",
        current=None,
        programs=[],
        page=page,
        counts=counts,
        everyone=sum(counts.values()),
        q=q,
        stage=stage,
        sort=sort,
        stages=[s.value for s in STAGES],
        manual_types=MANUAL_TYPES,
        next_url=_list_url(q=q, stage=stage, sort=sort, after=page.next_after or "")
        if page.has_more
        else None,
        **context,
    )


@router.get("/console/contacts")
def contacts(
    request: Request,
    visitor: SignedIn,
    q: str = "",
    stage: str = "",
    sort: str = "score",
    after: str | None = None,
    added: str | None = None,
    erased: str | None = None,
):
    return contacts_page_for(
        request, visitor, q[:200], stage, sort, after, added=added, erased=erased
    )


@router.post("/console/contacts")
def add_contact(request: Request, visitor: SignedIn, form: Form):
    """A person the marketer or a sales rep met (a call, a visit, an event): recorded as a
    capture like any other, so it merges with what the brand already knows of them."""
    typed = {k: (form.get(k) or "").strip() for k in
             ("name", "email", "phone", "company", "title", "type", "note")}  # fmt: skip

    def again(error: AccordError):
        return contacts_page_for(
            request, visitor, status=422, error=said(request, error),
            error_field=getattr(error, "field", None), typed=typed,
        )  # fmt: skip

    retry_with(request, again)
    activity = typed["type"] if typed["type"] in MANUAL_TYPES else "phone_call"
    try:
        given = Capture(
            name=typed["name"] or None,
            email=typed["email"] or None,
            phone=typed["phone"] or None,
            company=typed["company"] or None,
            title=typed["title"] or None,
            type=activity,
            channel="console",
            source=visitor.email,
            data={"note": typed["note"][:2000]} if typed["note"] else None,
        )
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "form"
        raise InvalidInput(where, first["msg"].removeprefix("Value error, ")) from None
    done = leads.capture(request.app.state.store, visitor.caller, given)
    return RedirectResponse(f"/console/contacts/{done.contact_id}?added=1", status_code=303)


def contact_page_for(request: Request, visitor, contact_id: str, status: int = 200, **context):
    store = request.app.state.store
    view = leads.contact_view(store, visitor.caller, contact_id)
    settings = leads.lead_settings(store, visitor.caller)
    for name in ("error", "error_field", "added", "moved", "undone"):
        context.setdefault(name, None)
    groups = sorted(view.groups.items(), key=lambda kv: -kv[1])
    people = crm.owners(store, visitor.caller)
    context.setdefault("tasks", crm.tasks_of(store, visitor.caller, contact_id=view.id,
                                             open_only=False))  # fmt: skip
    context.setdefault("owner", None)
    context.setdefault("nurture_result", None)
    caps = dict(settings.scoring.caps)
    return render(
        request,
        "contact.html",
        http_status=status,
        visitor=visitor,
        section="contacts",
        current=None,
        programs=[],
        c=view,
        groups=groups,
        caps=caps,
        zone=sorted(settings.zone),
        half_life=settings.scoring.half_life_days,
        stages=[s.value for s in STAGES],
        owners=people,
        owner_of={o.id: o.email for o in people},
        today=store.clock.now().date(),
        enrolments=lead_nurture.enrolments_of(store, visitor.caller, view.id),
        sequences=[
            s for s in lead_nurture.sequences_of(store, visitor.caller) if s.status != "paused"
        ],
        **context,
    )


@router.get("/console/contacts/{contact_id}")
def contact(
    contact_id: str,
    request: Request,
    visitor: SignedIn,
    added: str | None = None,
    moved: str | None = None,
    undone: str | None = None,
    nurture: str | None = None,
):
    back_to(request, "/console/contacts")
    return contact_page_for(request, visitor, contact_id, added=added, moved=moved, undone=undone,
                            nurture_result=(nurture or "")[:20] or None)  # fmt: skip


@router.post("/console/contacts/{contact_id}/stage")
def move_stage(contact_id: str, request: Request, visitor: SignedIn, form: Form):
    def again(error: AccordError):
        return contact_page_for(
            request, visitor, contact_id, status=422, error=said(request, error)
        )

    retry_with(request, again)
    amount = None
    if (form.get("amount") or "").strip():
        amount = Money.parse(form["amount"].strip(), (form.get("currency") or "").strip().upper(),
                             field="amount")  # fmt: skip
    moved = leads.set_stage(
        request.app.state.store, visitor.caller, contact_id, form.get("stage", ""),
        form.get("reason"), amount,
    )  # fmt: skip
    return RedirectResponse(f"/console/contacts/{moved.id}?moved=1", status_code=303)


@router.post("/console/contact-merges/{merge_id}/undo")
def undo_merge(merge_id: str, request: Request, visitor: SignedIn, form: Form):
    back_to(request, "/console/contacts")
    restored = leads.undo_merge(
        request.app.state.store, visitor.caller, merge_id, form.get("reason")
    )
    return RedirectResponse(f"/console/contacts/{restored.id}?undone=1", status_code=303)


@router.post("/console/contacts/import")
async def import_people(request: Request, visitor: SignedIn):
    """A CSV of people, imported as a job (a leads permission, not conversions')."""
    from accord.web.jobs_pages import start_import

    return await start_import("leads", request, visitor)


@router.get("/console/lead-model")
def lead_model(request: Request, visitor: SignedIn):
    """The predictive score: how well it predicts (AUC on held-out outcomes), what moves
    it, or how many more outcomes it needs."""
    from accord.leads.predict import model_view

    store = request.app.state.store
    view = model_view(store, visitor.caller)
    most = max((abs(w) for _, w in view.movers), default=0.0)
    return render(
        request, "lead_model.html", visitor=visitor, section="contacts", current=None,
        programs=[], m=view, most=most,
    )  # fmt: skip


@router.post("/console/lead-model/train")
def train_model(request: Request, visitor: SignedIn, form: Form):
    back_to(request, "/console/lead-model")
    job = lead_jobs.start_training(request.app.state.store, visitor.caller, visitor.user_id)
    return RedirectResponse(f"/console/jobs/{job.id}", status_code=303)


@router.post("/console/leads/score")
def score_now(request: Request, visitor: SignedIn, form: Form):
    back_to(request, "/console/contacts")
    job = lead_jobs.start_scoring(request.app.state.store, visitor.caller, user_id=visitor.user_id)
    return RedirectResponse(f"/console/jobs/{job.id}", status_code=303)


@router.get("/console/contacts/{contact_id}/export.json")
def export_json(contact_id: str, request: Request, visitor: SignedIn):
    """A person's data as one JSON file, to hand over on request."""
    back_to(request, "/console/contacts")
    data = leads.export_contact(request.app.state.store, visitor.caller, contact_id)
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2, default=str),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{data["contact_id"]}.json"'},
    )


@router.post("/console/contacts/{contact_id}/erase")
def erase(contact_id: str, request: Request, visitor: SignedIn, form: Form):
    back_to(request, f"/console/contacts/{contact_id}")
    if form.get("confirm") != "yes":
        raise InvalidInput("confirm", "tick the box to confirm: erasing cannot be undone")
    lead_jobs.erase_person(request.app.state.store, visitor.caller, contact_id)
    return RedirectResponse("/console/contacts?erased=1", status_code=303)


def _on_contact(request: Request, visitor, contact_id: str):
    def again(error: AccordError):
        return contact_page_for(
            request, visitor, contact_id, status=422, error=said(request, error)
        )

    retry_with(request, again)


@router.post("/console/contacts/{contact_id}/owner")
def hand_over(contact_id: str, request: Request, visitor: SignedIn, form: Form):
    _on_contact(request, visitor, contact_id)
    crm.assign(request.app.state.store, visitor.caller, contact_id, form.get("owner") or None)
    return RedirectResponse(f"/console/contacts/{contact_id}", status_code=303)


@router.post("/console/contacts/{contact_id}/notes")
def note(contact_id: str, request: Request, visitor: SignedIn, form: Form):
    _on_contact(request, visitor, contact_id)
    crm.add_note(request.app.state.store, visitor.caller, contact_id, form.get("note", ""))
    return RedirectResponse(f"/console/contacts/{contact_id}#acts-title", status_code=303)


@router.post("/console/contacts/{contact_id}/tasks")
def task(contact_id: str, request: Request, visitor: SignedIn, form: Form):
    _on_contact(request, visitor, contact_id)
    crm.add_task(
        request.app.state.store, visitor.caller, contact_id, form.get("title", ""),
        form.get("due", ""), owner_id=form.get("owner") or visitor.user_id,
    )  # fmt: skip
    return RedirectResponse(f"/console/contacts/{contact_id}#sales-title", status_code=303)


@router.post("/console/lead-tasks/{task_id}/done")
def task_done(task_id: str, request: Request, visitor: SignedIn, form: Form):
    done = crm.complete_task(request.app.state.store, visitor.caller, task_id)
    target = form.get("back") if form.get("back") == "/console/my-day" else None
    return RedirectResponse(target or f"/console/contacts/{done.contact_id}#sales-title",
                            status_code=303)  # fmt: skip


@router.get("/console/my-day")
def my_day(request: Request, visitor: SignedIn):
    """A sales rep's day: tasks due today or late, and the people handed to them."""
    store = request.app.state.store
    today = store.clock.now().date()
    return render(
        request,
        "my_day.html",
        visitor=visitor,
        section="contacts",
        current=None,
        programs=[],
        today=today,
        tasks=crm.tasks_of(store, visitor.caller, owner_id=visitor.user_id, due_by=today),
        later=[t for t in crm.tasks_of(store, visitor.caller, owner_id=visitor.user_id)
               if t.due > today][:20],
        mine=crm.my_contacts(store, visitor.caller, visitor.user_id),
    )  # fmt: skip


@router.get("/console/lead-sources")
def lead_sources(
    request: Request,
    visitor: SignedIn,
    by: str = "channel",
    since: str | None = None,
    until: str | None = None,
):
    """Which channels, campaigns, events, keywords and contents bring buyers, not just
    sign-ups: leads first brought in a period, and what became of them."""
    from datetime import UTC, date, datetime, time, timedelta

    from accord.leads.sources import DIMENSIONS, sources

    store = request.app.state.store
    today = store.clock.now().date()
    try:
        first = date.fromisoformat(since) if since else today - timedelta(days=90)
        last = date.fromisoformat(until) if until else today
    except ValueError:
        raise InvalidInput("since", "give the days as YYYY-MM-DD") from None
    by = by if by in DIMENSIONS else "channel"
    rows = sources(
        store, visitor.caller, by,
        datetime.combine(first, time(), tzinfo=UTC),
        datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC),
    )  # fmt: skip
    most = max((r.leads for r in rows), default=0)
    return render(
        request, "lead_sources.html", visitor=visitor, section="contacts", current=None,
        programs=[], rows=rows, by=by, dimensions=DIMENSIONS, since=first, until=last,
        most=most,
    )  # fmt: skip


@router.get("/console/contacts-similar")
def similar(request: Request, visitor: SignedIn, done: str | None = None):
    """Contacts that look like one person without sharing an identifier, for a person to
    merge or to keep apart."""
    found = leads.similar_contacts(request.app.state.store, visitor.caller)
    return render(
        request, "contacts_similar.html", visitor=visitor, section="contacts", current=None,
        programs=[], pairs=found, done=done,
    )  # fmt: skip


@router.post("/console/contacts-similar/merge")
def similar_merge(request: Request, visitor: SignedIn, form: Form):
    back_to(request, "/console/contacts-similar")
    leads.merge_reviewed(
        request.app.state.store, visitor.caller, form.get("keep", ""), form.get("other", "")
    )
    return RedirectResponse("/console/contacts-similar?done=merged", status_code=303)


@router.post("/console/contacts-similar/apart")
def similar_apart(request: Request, visitor: SignedIn, form: Form):
    back_to(request, "/console/contacts-similar")
    leads.keep_apart(
        request.app.state.store, visitor.caller, form.get("keep", ""), form.get("other", "")
    )
    return RedirectResponse("/console/contacts-similar?done=apart", status_code=303)
