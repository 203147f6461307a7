"""Leads over the API: capture a person and what they did from any channel, read contacts
with their identifiers, activities, merges and stages, undo a merge, move a contact's stage,
change the lead settings, and score every contact now."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from accord.api import bodies
from accord.api.deps import CallerDep, Limit, StoreDep
from accord.api.schemas import ErrorResponse, Strict
from accord.errors import InvalidInput
from accord.jobs import service as jobs
from accord.leads import crm, handoff
from accord.leads import forms as lead_forms
from accord.leads import jobs as lead_jobs
from accord.leads import service as leads
from accord.leads.imports import import_leads
from accord.leads.model import Capture
from accord.money import Money
from accord.tenancy.service import require_brand

router = APIRouter(tags=["leads"])

ERRORS = {
    401: {"model": ErrorResponse, "description": "Missing or unknown API key"},
    403: {"model": ErrorResponse, "description": "Not allowed for this kind of key"},
    404: {"model": ErrorResponse, "description": "Unknown contact, merge or job"},
    409: {"model": ErrorResponse, "description": "The merge was undone already"},
    422: {"model": ErrorResponse, "description": "A field is wrong; `field` names it"},
}


class CapturedOut(BaseModel):
    contact_id: str = Field(description="The contact the person is now (after any merge).")
    activity_id: str
    created: bool = Field(description="True when no identifier was known: a new contact.")
    merged: list[str] = Field(description="Contacts this capture showed to be the same person.")
    shared: list[list[str]] = Field(
        description="Identifiers ([kind, value]) seen with too many different people "
        "(a switchboard, a family phone): kept, but they merge nobody."
    )


@router.post("/leads/captures", response_model=CapturedOut, status_code=201, responses=ERRORS)
def capture(body: Capture, store: StoreDep, caller: CallerDep) -> CapturedOut:
    """A person and something they did, from any channel (a form, an event's check-in, a
    store visit, an import of badge scans): found again by any identifier given, merged
    with the contacts those identifiers name, and scored."""
    done = leads.capture(store, caller, body)
    return CapturedOut(
        contact_id=done.contact_id,
        activity_id=done.activity_id,
        created=done.created,
        merged=list(done.merged),
        shared=[list(pair) for pair in done.shared],
    )


class ContactRowOut(BaseModel):
    id: str
    name: str | None
    company: str | None
    title: str | None
    stage: str
    behaviour: int = Field(description="The behaviour score: decayed points of activities.")
    fit: int = Field(description="0 to 100 from the profile fields.")
    grade: str = Field(description="A, B, C or D from the fit.")
    email: str | None
    phone: str | None
    last_activity_at: datetime | None
    created_at: datetime


class ContactsOut(BaseModel):
    data: list[ContactRowOut]
    has_more: bool
    next_starting_after: str | None = None
    total: int


@router.get("/contacts", response_model=ContactsOut, responses=ERRORS)
def list_contacts(
    store: StoreDep,
    caller: CallerDep,
    limit: Limit = 50,
    starting_after: str | None = Query(default=None, max_length=40),
    search: str | None = Query(default=None, max_length=200),
    stage: str | None = Query(default=None, max_length=16),
    sort: str = Query(default="score", description="score, recent or created"),
) -> ContactsOut:
    """The brand's contacts, highest score first (or by latest activity, or newest), found
    by name, company, e-mail or phone, of one stage or all."""
    page = leads.contacts_page(
        store, caller, search=search, stage=stage, sort=sort, limit=limit, after=starting_after
    )
    return ContactsOut(
        data=[ContactRowOut(**row.__dict__) for row in page.rows],
        has_more=page.has_more,
        next_starting_after=page.next_after,
        total=page.total,
    )


class IdentityOut(BaseModel):
    kind: str
    value: str
    shared: bool
    first_seen: datetime
    channel: str | None
    activity_id: str | None = Field(description="The activity that brought it (the evidence).")
    origin_contact_id: str


class ActivityOut(BaseModel):
    id: str
    type: str
    channel: str | None
    source: str | None
    campaign: str | None
    utm: dict | None
    referrer: str | None
    keyword: str | None
    subject: str | None
    at: datetime
    data: dict | None
    origin_contact_id: str


class MergeOut(BaseModel):
    id: str
    survivor_id: str
    absorbed_id: str
    evidence: list[dict]
    at: datetime
    by: str | None
    undone_at: datetime | None
    undone_by: str | None
    undo_reason: str | None


class StageOut(BaseModel):
    stage_before: str | None
    stage: str
    at: datetime
    by: str | None
    reason: str | None


class ContactOut(BaseModel):
    id: str
    asked_for: str | None = Field(description="The id asked for, when it was merged into this one.")
    name: str | None
    company: str | None
    title: str | None
    industry: str | None
    company_size: int | None
    region: str | None
    city: str | None
    stage: str
    behaviour: int
    groups: dict[str, Decimal] = Field(description="Each group's part of the behaviour score.")
    fit: int
    grade: str
    in_mql_zone: bool
    created_at: datetime
    last_activity_at: datetime | None
    scored_at: datetime | None
    identities: list[IdentityOut]
    activities: list[ActivityOut] = Field(description="The latest 200.")
    activity_count: int
    merges: list[MergeOut]
    stages: list[StageOut]
    consents: dict[str, dict] = Field(
        description='The latest consent per purpose: {"marketing": {"granted", "at", "source"}}.'
    )
    predicted: float | None = Field(
        default=None,
        description="The predictive model's chance (0 to 1) that it becomes an opportunity "
        "or a customer; null without a model (see GET /leads/model) or after an outcome.",
    )


@router.get("/contacts/{contact_id}", response_model=ContactOut, responses=ERRORS)
def get_contact(contact_id: str, store: StoreDep, caller: CallerDep) -> ContactOut:
    """A contact (a merged one answers with the contact it is part of) with its identifiers
    and their evidence, latest activities, merges and stage history."""
    view = leads.contact_view(store, caller, contact_id)
    return ContactOut(
        id=view.id,
        asked_for=view.asked_for,
        name=view.name,
        company=view.company,
        title=view.title,
        industry=view.industry,
        company_size=view.company_size,
        region=view.region,
        city=view.city,
        stage=view.stage,
        behaviour=view.behaviour,
        groups=view.groups,
        fit=view.fit,
        grade=view.grade,
        in_mql_zone=view.in_zone,
        created_at=view.created_at,
        last_activity_at=view.last_activity_at,
        scored_at=view.scored_at,
        identities=[IdentityOut(**i.__dict__) for i in view.identities],
        activities=[ActivityOut(**a.__dict__) for a in view.activities],
        activity_count=view.activity_count,
        merges=[MergeOut(**m.__dict__) for m in view.merges],
        stages=[StageOut(**s.__dict__) for s in view.stages],
        consents=view.consents,
        predicted=view.predicted,
    )


def brands_contact(contact_id: str, store: StoreDep, caller: CallerDep) -> None:
    """The contact of a write, checked before the body is read: another organization's
    contact is 404 whatever the body, as one that does not exist."""
    leads.contact_view(store, caller, contact_id)


def brands_merge(merge_id: str, store: StoreDep, caller: CallerDep) -> None:
    leads.check_merge(store, caller, merge_id)


@router.get("/contacts/{contact_id}/export", responses=ERRORS)
def export_contact(contact_id: str, store: StoreDep, caller: CallerDep) -> dict:
    """Everything kept about a person (a data subject's request for a copy): the profile,
    every identifier, every activity with its answers, the merges and the stages."""
    return leads.export_contact(store, caller, contact_id)


class ErasedOut(BaseModel):
    contacts: int = Field(description="The contact and the records merged into it.")
    identities: int
    activities: int


class ErasureIn(Strict):
    contact_id: str = Field(min_length=1, max_length=40)


@router.post("/contact-erasures", response_model=ErasedOut, responses=ERRORS)
def erase_contact(body: ErasureIn, store: StoreDep, caller: CallerDep) -> ErasedOut:
    """Erase a person (a data subject's request): the contact and everything merged into
    it, identifiers, activities with their answers, stages and merges. It cannot be undone."""
    done = lead_jobs.erase_person(store, caller, body.contact_id)
    return ErasedOut(contacts=done.contacts, identities=done.identities, activities=done.activities)


class StageIn(Strict):
    stage: str = Field(description="new, mql, sql, opportunity, customer or lost")
    reason: str | None = Field(default=None, max_length=2000)
    amount: Decimal | None = Field(
        default=None, description="An opportunity's or a won deal's amount, with `currency`."
    )
    currency: str | None = Field(default=None, min_length=3, max_length=3)


@router.put(
    "/contacts/{contact_id}/stage",
    response_model=ContactOut,
    responses=ERRORS,
    dependencies=[Depends(brands_contact)],
)
def move_stage(contact_id: str, body: StageIn, store: StoreDep, caller: CallerDep) -> ContactOut:
    """Move a contact to a stage, with a reason; the stage history names who moved it."""
    amount = None
    if body.amount is not None:
        if not body.currency:
            raise InvalidInput("currency", "give the amount's currency")
        amount = Money.parse(body.amount, body.currency, field="amount")
    leads.set_stage(store, caller, contact_id, body.stage, body.reason, amount)
    return get_contact(contact_id, store, caller)


class UndoIn(Strict):
    reason: str | None = Field(default=None, max_length=2000)


@router.post(
    "/contact-merges/{merge_id}/undo",
    response_model=ContactOut,
    responses=ERRORS,
    dependencies=[Depends(brands_merge)],
)
def undo(merge_id: str, body: UndoIn, store: StoreDep, caller: CallerDep) -> ContactOut:
    """Undo a merge: the contact it absorbed is whole again, with its own identifiers and
    activities, and no capture merges the two again. Answers with the restored contact."""
    restored = leads.undo_merge(store, caller, merge_id, body.reason)
    return get_contact(restored.id, store, caller)


class SettingsOut(BaseModel):
    default_region: str | None
    half_life_days: Decimal
    points: dict[str, int] = Field(description="Points per activity type (any channel).")
    groups: dict[str, str] = Field(description="The group each activity type counts in.")
    caps: dict[str, int] = Field(description="The most points each group gives.")
    mql_zone: list[str] = Field(description="Cells of the fit x engagement grid (A1 to D4).")
    industries: dict[str, int]
    regions: dict[str, int]


def _settings_out(found: leads.Settings) -> SettingsOut:
    general = [r for r in found.scoring.rules if r.channel is None]
    return SettingsOut(
        default_region=found.default_region,
        half_life_days=found.scoring.half_life_days,
        points={r.activity: r.points for r in general},
        groups={r.activity: r.group for r in general},
        caps=dict(found.scoring.caps),
        mql_zone=sorted(found.zone),
        industries=dict(found.fit.industries),
        regions=dict(found.fit.regions),
    )


@router.get("/lead-settings", response_model=SettingsOut, responses=ERRORS)
def get_settings(store: StoreDep, caller: CallerDep) -> SettingsOut:
    """The brand's lead settings: default phone region, points, caps, half-life, MQL zone."""
    return _settings_out(leads.lead_settings(store, caller))


class SettingsIn(Strict):
    default_region: str | None = Field(default=None, max_length=2)
    half_life_days: Decimal | None = None
    points: dict[str, int] | None = None
    caps: dict[str, int] | None = None
    mql_zone: list[str] | None = Field(default=None, max_length=16)
    industries: dict[str, int] | None = None
    regions: dict[str, int] | None = None


@router.put("/lead-settings", response_model=SettingsOut, responses=ERRORS)
def put_settings(body: SettingsIn, store: StoreDep, caller: CallerDep) -> SettingsOut:
    """Change what is given; the rest stays. Scores follow at the next scoring pass (or
    POST /leads/score)."""
    return _settings_out(
        leads.change_lead_settings(
            store,
            caller,
            default_region=body.default_region,
            half_life_days=body.half_life_days,
            points=body.points,
            caps=body.caps,
            zone=body.mql_zone,
            industries=body.industries,
            regions=body.regions,
        )
    )


class JobOut(BaseModel):
    job_id: str
    status: str = Field(description="queued, running, done or failed")
    done: int
    total: int | None
    message: str | None
    result: dict | None = Field(description="When done: contacts scored, and how many moved.")


def _job_out(job) -> JobOut:
    return JobOut(job_id=job.id, status=job.status, done=job.done, total=job.total,
                  message=job.message, result=job.result)  # fmt: skip


@router.post("/leads/score", response_model=JobOut, status_code=202, responses=ERRORS)
def score_now(store: StoreDep, caller: CallerDep) -> JobOut:
    """Score every contact again now, as a job (the daily pass does it at 02:37 UTC);
    follow it with GET /jobs/{job_id}."""
    return _job_out(lead_jobs.start_scoring(store, caller))


@router.get("/jobs/{job_id}", response_model=JobOut, responses=ERRORS, tags=["jobs"])
def get_job(job_id: str, store: StoreDep, caller: CallerDep) -> JobOut:
    """A job the brand started (scoring contacts, a backtest, an import, ...): its progress,
    and its result once done."""
    require_brand(caller)
    return _job_out(jobs.get_job(store, caller, job_id))


class LeadImportRowOut(BaseModel):
    row: int = Field(description="The line in the file (the header is line 1).")
    status: str = Field(description="created, matched, merged or rejected")
    contact_id: str | None
    error: dict | None = Field(description="For a rejected row: `field` and `message`.")


class LeadImportOut(BaseModel):
    counts: dict[str, int]
    rows: list[LeadImportRowOut]


@router.post(
    "/leads/imports",
    response_model=LeadImportOut,
    responses=ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": "name,phone,company,title\nLi Wei,13800138000,Acme,CTO\n",
                }
            },
        }
    },
)
async def import_csv(
    request: Request,
    store: StoreDep,
    caller: CallerDep,
    type: str | None = Query(default=None, max_length=40, description="For rows without one."),
    channel: str | None = Query(default=None, max_length=40),
    source: str | None = Query(default=None, max_length=200),
    campaign: str | None = Query(default=None, max_length=200),
):
    """Import a list of people from CSV (UTF-8, a header line naming the columns: a
    capture's fields, `wechat.openid` for nested ones, `utm_source` ..., `note`). The query
    says the activity, channel, source and campaign for rows that do not. Each row is
    captured on its own; the answer gives every row's result. Large lists: the console's
    People page imports them as a job."""
    text = bodies.csv_text(await bodies.read_body(request))
    defaults = {"type": type, "channel": channel, "source": source, "campaign": campaign}
    results = await run_in_threadpool(
        lambda: import_leads(store, caller, text, defaults={k: v for k, v in defaults.items() if v})
    )
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    return LeadImportOut(
        counts=counts,
        rows=[
            LeadImportRowOut(row=r.row, status=r.status, contact_id=r.contact_id, error=r.error)
            for r in results
        ],
    )


class FormFieldIn(Strict):
    name: str = Field(description="name, email, phone, company, title, industry, company_size, "
                      "region or city")  # fmt: skip
    required: bool = False


class FormConsentIn(Strict):
    purpose: str = Field(max_length=40, description="A short name: marketing, newsletter, ...")
    text: str = Field(max_length=1000, description="What the person agrees to, as shown.")
    required: bool = False


class FormIn(Strict):
    name: str = Field(max_length=200)
    activity: str = Field(
        default="form_submit",
        description="What sending it records: form_submit, download, event_registered, "
        "demo_request or trial_signup.",
    )
    subject: str | None = Field(default=None, max_length=500)
    campaign: str | None = Field(default=None, max_length=200)
    fields: list[FormFieldIn] = Field(max_length=9)
    consents: list[FormConsentIn] = Field(default_factory=list, max_length=5)
    thanks: str | None = Field(default=None, max_length=2000)
    download_url: str | None = Field(default=None, max_length=2000)
    active: bool = True


class FormOut(BaseModel):
    id: str
    name: str
    activity: str
    subject: str | None
    campaign: str | None
    fields: list[dict]
    consents: list[dict]
    thanks: str | None
    download_url: str | None
    active: bool
    submissions: int
    url: str = Field(description="Its public page (append ?embed=1 to frame it).")


def _form_out(form, request: Request) -> FormOut:
    settings = getattr(request.app.state, "settings", None)
    base = (getattr(settings, "public_url", None) or str(request.base_url)).rstrip("/")
    return FormOut(
        id=form.id, name=form.name, activity=form.activity, subject=form.subject,
        campaign=form.campaign, fields=[f.__dict__ for f in form.fields],
        consents=[c.__dict__ for c in form.consents], thanks=form.thanks,
        download_url=form.download_url, active=form.active, submissions=form.submissions,
        url=f"{base}/f/{form.id}",
    )  # fmt: skip


@router.get("/lead-forms", response_model=list[FormOut], responses=ERRORS)
def list_forms(request: Request, store: StoreDep, caller: CallerDep) -> list[FormOut]:
    """The brand's hosted forms, newest first, with their submissions."""
    return [_form_out(f, request) for f in lead_forms.forms_of(store, caller)]


@router.post("/lead-forms", response_model=FormOut, status_code=201, responses=ERRORS)
def create_form(body: FormIn, request: Request, store: StoreDep, caller: CallerDep) -> FormOut:
    """A form Accord hosts at /f/{id}: its fields (an e-mail or a phone required), consents
    with their text, what sending it records, its thank-you and a gated download."""
    return _form_out(lead_forms.save_form(store, caller, body.model_dump()), request)


def brands_form(form_id: str, store: StoreDep, caller: CallerDep) -> None:
    lead_forms.form_of(store, caller, form_id)


@router.put(
    "/lead-forms/{form_id}",
    response_model=FormOut,
    responses=ERRORS,
    dependencies=[Depends(brands_form)],
)
def change_form(
    form_id: str, body: FormIn, request: Request, store: StoreDep, caller: CallerDep
) -> FormOut:
    """Change a form (its submissions so far stay); `active: false` closes it."""
    return _form_out(lead_forms.save_form(store, caller, body.model_dump(), form_id), request)


class OwnerIn(Strict):
    owner_id: str | None = Field(
        default=None, max_length=40, description="A user id; null: nobody."
    )


@router.put(
    "/contacts/{contact_id}/owner",
    response_model=ContactOut,
    responses=ERRORS,
    dependencies=[Depends(brands_contact)],
)
def hand_over(contact_id: str, body: OwnerIn, store: StoreDep, caller: CallerDep) -> ContactOut:
    """Hand the contact to a user of the brand (an owner, manager or sales rep)."""
    crm.assign(store, caller, contact_id, body.owner_id)
    return get_contact(contact_id, store, caller)


class NoteIn(Strict):
    note: str = Field(min_length=1, max_length=5000)


class NoteOut(BaseModel):
    activity_id: str


@router.post(
    "/contacts/{contact_id}/notes",
    response_model=NoteOut,
    status_code=201,
    responses=ERRORS,
    dependencies=[Depends(brands_contact)],
)
def add_note(contact_id: str, body: NoteIn, store: StoreDep, caller: CallerDep) -> NoteOut:
    """A note in the contact's history (an activity of type `note`)."""
    return NoteOut(activity_id=crm.add_note(store, caller, contact_id, body.note))


class TaskIn(Strict):
    title: str = Field(min_length=1, max_length=500)
    due: date
    owner_id: str | None = Field(default=None, max_length=40)


class TaskOut(BaseModel):
    id: str
    contact_id: str
    contact_name: str | None
    owner_id: str | None
    title: str
    due: date
    done_at: datetime | None


def _task_out(t) -> TaskOut:
    return TaskOut(id=t.id, contact_id=t.contact_id, contact_name=t.contact_name,
                   owner_id=t.owner_id, title=t.title, due=t.due, done_at=t.done_at)  # fmt: skip


@router.post(
    "/contacts/{contact_id}/tasks",
    response_model=TaskOut,
    status_code=201,
    responses=ERRORS,
    dependencies=[Depends(brands_contact)],
)
def add_task(contact_id: str, body: TaskIn, store: StoreDep, caller: CallerDep) -> TaskOut:
    """A task about the contact, due on a day, for a user (the contact's owner by default)."""
    if body.owner_id and body.owner_id not in {o.id for o in crm.owners(store, caller)}:
        raise InvalidInput("owner_id", "give a user of yours who is an owner, manager or sales rep")
    return _task_out(
        crm.add_task(store, caller, contact_id, body.title, body.due, owner_id=body.owner_id)
    )


@router.get("/lead-tasks", response_model=list[TaskOut], responses=ERRORS)
def list_tasks(
    store: StoreDep,
    caller: CallerDep,
    owner_id: str | None = Query(default=None, max_length=40),
    due_by: date | None = None,
    open_only: bool = True,
) -> list[TaskOut]:
    """Tasks (at most 500), earliest due first: one user's, due by a day, open or all."""
    tasks = crm.tasks_of(store, caller, owner_id=owner_id, due_by=due_by, open_only=open_only)
    return [_task_out(t) for t in tasks]


def brands_task(task_id: str, store: StoreDep, caller: CallerDep) -> None:
    crm.check_task(store, caller, task_id)


@router.post(
    "/lead-tasks/{task_id}/done",
    response_model=TaskOut,
    responses=ERRORS,
    dependencies=[Depends(brands_task)],
)
def task_done(task_id: str, store: StoreDep, caller: CallerDep) -> TaskOut:
    """Mark a task done."""
    return _task_out(crm.complete_task(store, caller, task_id))


class SourceOut(BaseModel):
    value: str | None = Field(description="The channel, campaign, source, keyword or subject.")
    leads: int = Field(description="Contacts it first brought in the period.")
    mqls: int
    opportunities: int
    won: int
    revenue: dict[str, Decimal] = Field(description="Revenue won, by currency.")


@router.get("/leads/sources", response_model=list[SourceOut], responses=ERRORS)
def lead_sources(
    store: StoreDep,
    caller: CallerDep,
    since: datetime,
    until: datetime,
    by: str = Query(default="channel", description="channel, campaign, source, keyword or subject"),
) -> list[SourceOut]:
    """Sources that pay off: per channel (or campaign, source, search keyword, content), the
    people it first brought in [since, until), and how many became MQLs, opportunities and
    won deals, with the revenue won."""
    from accord.leads.sources import sources

    require_brand(caller)
    if since.tzinfo is None or until.tzinfo is None:
        raise InvalidInput("since", "give times with their timezone")
    return [
        SourceOut(value=r.value, leads=r.leads, mqls=r.mqls, opportunities=r.opportunities,
                  won=r.won, revenue={c: m.amount for c, m in r.revenue.items()})
        for r in sources(store, caller, by, since, until)
    ]  # fmt: skip


# hand-off ---------------------------------------------------------------------------------
class HandoffIn(Strict):
    url: str | None = Field(
        default=None, max_length=2000,
        description="Where each new MQL is POSTed, signed (Standard Webhooks headers); "
        "null: no webhook.",
    )  # fmt: skip
    format: str = Field(default="hubspot", description="hubspot, salesforce or accord")
    assign: bool = Field(
        default=False, description="Hand each new MQL to the sales rep with the fewest open "
        "leads, with a task to call them today."
    )  # fmt: skip
    new_secret: bool = Field(default=False, description="Make a new signing secret.")


class HandoffOut(BaseModel):
    url: str | None
    format: str
    assign: bool
    secret: str | None = Field(
        default=None, description="The signing secret, shown once: when it is made."
    )


@router.get("/lead-handoff", response_model=HandoffOut, responses=ERRORS)
def get_handoff(store: StoreDep, caller: CallerDep) -> HandoffOut:
    """Where MQLs go: the webhook, its shape, and whether the built-in CRM assigns them."""
    found = handoff.handoff_settings(store, caller)
    return HandoffOut(url=found.url, format=found.format, assign=found.assign)


@router.put("/lead-handoff", response_model=HandoffOut, responses=ERRORS)
def put_handoff(body: HandoffIn, request: Request, store: StoreDep, caller: CallerDep):
    """Set where MQLs go. Only public addresses are called."""
    done = handoff.change_handoff(
        store, caller, url=body.url, format=body.format, assign=body.assign,
        new_secret=body.new_secret,
        allow_private=request.app.state.settings.postback_allow_private,
    )  # fmt: skip
    return HandoffOut(url=done.url, format=done.format, assign=done.assign, secret=done.secret)


class HandoffItemOut(BaseModel):
    id: str
    contact_id: str
    format: str
    status: str = Field(description="pending, sent or failed (no more attempts)")
    attempts: int
    status_code: int | None
    error: str | None
    created_at: datetime
    sent_at: datetime | None
    next_at: datetime | None


@router.get("/lead-handoffs", response_model=list[HandoffItemOut], responses=ERRORS)
def list_handoffs(store: StoreDep, caller: CallerDep, limit: Limit = 50):
    """The latest hand-offs by webhook, newest first, with each one's last attempt."""
    return [
        HandoffItemOut(
            id=h.id, contact_id=h.contact_id, format=h.format, status=h.status,
            attempts=h.attempts, status_code=h.status_code, error=h.error,
            created_at=h.created_at, sent_at=h.sent_at, next_at=h.next_at,
        )
        for h in handoff.recent_handoffs(store, caller, limit)
    ]  # fmt: skip


@router.get(
    "/leads/handoff.csv",
    response_class=Response,
    responses={
        **ERRORS,
        200: {"description": "The contacts in the CRM's import columns (UTF-8)",
              "content": {"text/csv": {"schema": {"type": "string"}}}},
    },
)  # fmt: skip
def handoff_csv(
    store: StoreDep,
    caller: CallerDep,
    format: str = Query(default="hubspot", description="hubspot, salesforce or accord"),
    stage: str = Query(default="mql", description="The stage of the contacts to hand over."),
):
    """Every contact of a stage in the CRM's import columns (UTF-8 CSV)."""
    text = handoff.handoff_csv(store, caller, format, stage)
    return Response(
        text, media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="leads-{stage}-{format}.csv"'},
    )  # fmt: skip


class OutcomeIn(BaseModel):
    model_config = {"extra": "allow"}

    contact_id: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=320)
    outcome: str | None = Field(
        default=None, max_length=60,
        description="sql, opportunity, won or lost (or the CRM's own: Closed - Converted, "
        "salesqualifiedlead, ...)",
    )  # fmt: skip
    amount: str | None = Field(default=None, max_length=40)
    currency: str | None = Field(default=None, max_length=3)
    reason: str | None = Field(default=None, max_length=2000)


class OutcomesIn(Strict):
    outcomes: list[OutcomeIn] = Field(max_length=handoff.MAX_OUTCOMES)


class OutcomeRowOut(BaseModel):
    row: int
    status: str = Field(description="updated, unchanged or rejected")
    contact_id: str | None = None
    stage: str | None = None
    field: str | None = None
    message: str | None = None


class OutcomesOut(BaseModel):
    counts: dict[str, int]
    rows: list[OutcomeRowOut]


def _outcomes_out(results) -> OutcomesOut:
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    return OutcomesOut(counts=counts, rows=[OutcomeRowOut(**r.__dict__) for r in results])


@router.post(
    "/leads/outcomes",
    response_model=OutcomesOut,
    responses=ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": OutcomesIn.model_json_schema()},
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": "email,outcome,amount,currency,reason\n"
                    "li@acme.example,won,12000,CNY,\n",
                },
            },
        }
    },
)
async def post_outcomes(request: Request, store: StoreDep, caller: CallerDep) -> OutcomesOut:
    """What sales made of the leads handed over: each row's contact (Accord's id, or an
    e-mail), its outcome (an opportunity, won with its amount and currency, lost with its
    reason), in Accord's words or the CRM's columns. JSON or CSV; every row's result."""
    require_brand(caller)
    raw = await bodies.read_body(request)
    kind = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if kind == "text/csv":
        text = bodies.csv_text(raw)
        results = await run_in_threadpool(lambda: handoff.outcomes_from_csv(store, caller, text))
    else:
        try:
            given = OutcomesIn.model_validate_json(raw)
        except ValueError as error:
            raise InvalidInput("body", f"send JSON {{\"outcomes\": [...]}} or text/csv: "
                               f"{str(error).splitlines()[0][:200]}") from None  # fmt: skip
        rows = [o.model_dump(exclude_none=True) for o in given.outcomes]
        results = await run_in_threadpool(lambda: handoff.record_outcomes(store, caller, rows))
    return _outcomes_out(results)


# predictive score -------------------------------------------------------------------------
class ModelFeatureOut(BaseModel):
    feature: str
    weight: float = Field(description="Standardised: positive raises the chance.")


class ModelOut(BaseModel):
    status: str = Field(description="none (never trained), too_few (not enough outcomes: "
                        "see more_won and more_lost) or trained")  # fmt: skip
    won: int
    lost: int
    more_won: int = Field(description="Won outcomes still needed before a model is trained.")
    more_lost: int
    auc: float | None = Field(description="On held-out outcomes (0.5: chance, 1.0: perfect).")
    features: list[ModelFeatureOut]
    predicted: int = Field(description="Open contacts with a chance now.")
    trained_at: datetime | None


@router.get("/leads/model", response_model=ModelOut, responses=ERRORS)
def get_model(store: StoreDep, caller: CallerDep) -> ModelOut:
    """The predictive score's model: its AUC and the features that move it, or how many
    more outcomes it needs. Each contact's chance is `predicted` on `GET /contacts/{id}`."""
    from accord.leads.predict import model_view

    m = model_view(store, caller)
    return ModelOut(
        status=m.status, won=m.won, lost=m.lost, more_won=m.more_won, more_lost=m.more_lost,
        auc=m.auc, features=[ModelFeatureOut(feature=n, weight=w) for n, w in m.movers],
        predicted=m.predicted, trained_at=m.trained_at,
    )  # fmt: skip


@router.post("/leads/model", status_code=202, responses=ERRORS)
def train_model(store: StoreDep, caller: CallerDep) -> dict:
    """Train the model again now, as a job (`GET /jobs/{id}`)."""
    job = lead_jobs.start_training(store, caller)
    return {"job_id": job.id, "status": job.status}


# QR codes ---------------------------------------------------------------------------------
class QrCodeIn(Strict):
    place: str = Field(description="store, event, employee, partner or print")
    label: str = Field(max_length=200, description="The place's name: the store, the person.")


class QrCodeOut(BaseModel):
    id: str
    form_id: str
    place: str
    label: str
    scans: int
    people: int = Field(description="People who sent the form through this code.")
    url: str = Field(description="What the code opens.")
    png: str = Field(description="The image to print (GET with this API key).")
    svg: str


def _base_of(request: Request) -> str:
    settings = getattr(request.app.state, "settings", None)
    return (getattr(settings, "public_url", None) or str(request.base_url)).rstrip("/")


def _code_out(code, request: Request) -> QrCodeOut:
    from accord.leads.qr import code_url

    base = _base_of(request)
    image = f"{base}/api/v1/lead-qr-codes/{code.id}?format="
    return QrCodeOut(
        id=code.id, form_id=code.form_id, place=code.place, label=code.label,
        scans=code.scans, people=code.people, url=code_url(base, code),
        png=image + "png", svg=image + "svg",
    )  # fmt: skip


@router.get("/lead-forms/{form_id}/qr-codes", response_model=list[QrCodeOut], responses=ERRORS)
def list_codes(form_id: str, request: Request, store: StoreDep, caller: CallerDep):
    """The form's QR codes, each with its place, scans and the people it brought."""
    from accord.leads import qr

    lead_forms.form_of(store, caller, form_id)
    return [_code_out(c, request) for c in qr.codes_of(store, caller, form_id)]


@router.post(
    "/lead-forms/{form_id}/qr-codes",
    response_model=QrCodeOut,
    status_code=201,
    responses=ERRORS,
    dependencies=[Depends(brands_form)],
)
def make_code(form_id: str, body: QrCodeIn, request: Request, store: StoreDep,
              caller: CallerDep) -> QrCodeOut:  # fmt: skip
    """A QR code for one place the form is offered; whoever sends the form through it is
    credited to that place (channel) and its label (source)."""
    from accord.leads import qr

    return _code_out(qr.make_code(store, caller, form_id, body.place, body.label), request)


@router.get(
    "/lead-qr-codes/{code_id}",
    response_class=Response,
    responses={
        **ERRORS,
        200: {"description": "The code as an image",
              "content": {"image/png": {"schema": {"type": "string", "format": "binary"}},
                          "image/svg+xml": {"schema": {"type": "string"}}}},
    },
)  # fmt: skip
def code_image(
    code_id: str,
    request: Request,
    store: StoreDep,
    caller: CallerDep,
    format: str = Query(default="png", description="png or svg"),
):
    """The code's image."""
    from accord.leads import qr

    code = qr.code_of(store, caller, code_id)
    body, media = qr.image(qr.code_url(_base_of(request), code), format)
    return Response(body, media_type=media)
