"""Forms Accord hosts for a brand: the brand chooses the fields, the consents with their
text, what a submission records (a download, a registration, a demo request) and the
thank-you (with a gated download); anyone may fill the form on its public page or framed in
the brand's site. Each submission is a capture like any other, with its consents kept on
the activity, the UTM tags and the page it came from."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError
from sqlalchemy import select, update

from accord.errors import InvalidInput, NotFound, Text
from accord.ids import new_id
from accord.leads.model import Capture, check_activity_type
from accord.leads.service import Captured, capture
from accord.leads.tables import LeadForm
from accord.store.engine import Store
from accord.tenancy.model import Caller, OrganizationKind
from accord.tenancy.service import require_brand

#: The fields a form may ask, in the order it shows them.
FORM_FIELDS = (
    "name", "email", "phone", "company", "title", "industry", "company_size", "region", "city",
)  # fmt: skip
#: What a submission may record.
FORM_ACTIVITIES = ("form_submit", "download", "event_registered", "demo_request", "trial_signup")
_PURPOSE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_CONSENTS = 5


@dataclass(frozen=True)
class FormField:
    name: str
    required: bool


@dataclass(frozen=True)
class FormConsent:
    purpose: str
    text: str
    required: bool


@dataclass(frozen=True)
class Form:
    id: str
    organization_id: str
    name: str
    activity: str
    subject: str | None
    campaign: str | None
    fields: tuple[FormField, ...]
    consents: tuple[FormConsent, ...]
    thanks: str | None
    download_url: str | None
    active: bool
    submissions: int


def _form(row: LeadForm) -> Form:
    return Form(
        row.id, row.organization_id, row.name, row.activity, row.subject, row.campaign,
        tuple(FormField(f["name"], bool(f.get("required"))) for f in row.fields),
        tuple(FormConsent(c["purpose"], c["text"], bool(c.get("required"))) for c in row.consents),
        row.thanks, row.download_url, row.active, row.submissions,
    )  # fmt: skip


def _text(value: Any, field: str, limit: int, *, required: bool = False) -> str | None:
    text = (str(value) if value is not None else "").strip()
    if not text:
        if required:
            raise InvalidInput(field, "is required")
        return None
    if len(text) > limit:
        raise InvalidInput(field, Text("at most %(most)s characters", most=limit))
    return text


def _checked(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A form's definition, checked: every problem names its field."""
    name = _text(spec.get("name"), "name", 200, required=True)
    activity = spec.get("activity") or "form_submit"
    if activity not in FORM_ACTIVITIES:
        raise InvalidInput("activity", Text("use one of: %(choices)s",
                                            choices=", ".join(FORM_ACTIVITIES)))  # fmt: skip
    check_activity_type(activity)
    fields = []
    for item in spec.get("fields") or []:
        field_name = item.get("name")
        if field_name not in FORM_FIELDS:
            raise InvalidInput("fields", Text("%(field)s is not a field a form may ask",
                                              field=repr(field_name)))  # fmt: skip
        if any(f["name"] == field_name for f in fields):
            continue
        fields.append({"name": field_name, "required": bool(item.get("required"))})
    if not any(f["name"] in ("email", "phone") for f in fields):
        raise InvalidInput("fields", "ask for an e-mail or a phone, or nobody can be found again")
    if not any(f["name"] in ("email", "phone") and f["required"] for f in fields):
        raise InvalidInput("fields", "make the e-mail or the phone required")
    consents = []
    for index, item in enumerate(spec.get("consents") or []):
        purpose = (item.get("purpose") or "").strip().lower()
        text = _text(item.get("text"), f"consents[{index}].text", 1000)
        if not purpose and not text:
            continue
        if not _PURPOSE.match(purpose):
            raise InvalidInput(f"consents[{index}].purpose", "lower-case letters, digits and _")
        if not text:
            raise InvalidInput(f"consents[{index}].text", "give the text the person agrees to")
        consents.append({"purpose": purpose, "text": text, "required": bool(item.get("required"))})
    if len(consents) > MAX_CONSENTS:
        raise InvalidInput("consents", Text("at most %(consents)s", consents=MAX_CONSENTS))
    download = _text(spec.get("download_url"), "download_url", 2000)
    if download and urlsplit(download).scheme not in ("http", "https"):
        raise InvalidInput("download_url", "must be an http(s) address")
    return {
        "name": name,
        "activity": activity,
        "subject": _text(spec.get("subject"), "subject", 500),
        "campaign": _text(spec.get("campaign"), "campaign", 200),
        "fields": fields,
        "consents": consents,
        "thanks": _text(spec.get("thanks"), "thanks", 2000),
        "download_url": download,
        "active": bool(spec.get("active", True)),
    }


def save_form(
    store: Store, caller: Caller, spec: Mapping[str, Any], form_id: str | None = None
) -> Form:
    """Make a form, or change one (its submissions so far stay)."""
    require_brand(caller)
    caller.require("leads:write")
    checked = _checked(spec)
    now = store.clock.now()
    with store.unit() as session:
        if form_id is None:
            row = LeadForm(
                id=new_id("frm"), organization_id=caller.organization_id, submissions=0,
                created_at=now, updated_at=now, **checked,
            )  # fmt: skip
            session.add(row)
        else:
            row = session.get(LeadForm, form_id)
            if row is None or row.organization_id != caller.organization_id:
                raise NotFound("form", form_id)
            for key, value in checked.items():
                setattr(row, key, value)
            row.updated_at = now
        session.flush()
        return _form(row)


def forms_of(store: Store, caller: Caller) -> list[Form]:
    require_brand(caller)
    with store.read() as session:
        return [
            _form(r)
            for r in session.scalars(
                select(LeadForm)
                .where(LeadForm.organization_id == caller.organization_id)
                .order_by(LeadForm.created_at.desc(), LeadForm.id.desc())
            )
        ]


def form_of(store: Store, caller: Caller, form_id: str) -> Form:
    require_brand(caller)
    with store.read() as session:
        row = session.get(LeadForm, form_id)
        if row is None or row.organization_id != caller.organization_id:
            raise NotFound("form", form_id)
        return _form(row)


def public_form(store: Store, form_id: str) -> Form:
    """A form as its public page shows it: 404 for one that does not exist or is off."""
    with store.read() as session:
        row = session.get(LeadForm, form_id) if len(form_id) <= 40 else None
        if row is None or not row.active:
            raise NotFound("form", form_id)
        return _form(row)


def submit(
    store: Store,
    form_id: str,
    answers: Mapping[str, str],
    *,
    utm: Mapping[str, str] | None = None,
    referrer: str | None = None,
    qr: str | None = None,
    cookie: str | None = None,
    subject: str | None = None,
) -> Captured:
    """A visitor filled the form: check the required fields and consents, then capture
    them (the activity carries the consents and where they came from). `cookie` is the
    tag's id of the browser it was sent from (what that browser did before becomes the
    person's); `subject` what it was sent for, when not the form's own (a content item)."""
    form = public_form(store, form_id)
    given: dict[str, Any] = {}
    for field in form.fields:
        value = (answers.get(field.name) or "").strip()
        if not value:
            if field.required:
                raise InvalidInput(field.name, "is required")
            continue
        if field.name == "company_size":
            digits = value.replace(",", "").replace(" ", "")
            if not digits.isdigit():
                raise InvalidInput("company_size", "give the number of employees")
            given[field.name] = int(digits)
        else:
            given[field.name] = value[:320]
    consent = {}
    for item in form.consents:
        granted = answers.get(f"consent.{item.purpose}") in ("yes", "on", "true", "1")
        if item.required and not granted:
            raise InvalidInput(f"consent.{item.purpose}", "tick it to go on")
        consent[item.purpose] = granted
    tags = {k: v[:200] for k, v in (utm or {}).items() if v and k in
            ("source", "medium", "campaign", "term", "content")}  # fmt: skip
    from accord.leads.qr import source_of
    from accord.leads.visits import check_vid

    place = source_of(store, form.id, qr)  # sent through a printed code: its place
    channel, source = (place[0], place[1]) if place else ("web", form.name)
    extra = {"qr": place[2]} if place else {}
    try:
        report = Capture(
            **given,
            type=form.activity,
            channel=channel,
            source=source,
            campaign=form.campaign or tags.get("campaign"),
            subject=(subject or form.subject or "")[:500] or None,
            cookie=check_vid(cookie),
            utm=tags or None,
            keyword=tags.get("term"),
            referrer=(referrer or "")[:2000] or None,
            consent=consent or None,
            data={
                "form": form.id,
                **extra,
                "consent_texts": {c.purpose: c.text for c in form.consents},
            }
            if form.consents
            else {"form": form.id, **extra},
        )
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "form"
        raise InvalidInput(where, first["msg"].removeprefix("Value error, ")) from None
    owner = Caller(form.organization_id, OrganizationKind.BRAND, None,
                   scopes=frozenset({"leads:write"}))  # fmt: skip
    done = capture(store, owner, report)
    with store.unit() as session:
        session.execute(
            update(LeadForm)
            .where(LeadForm.id == form.id)
            .values(submissions=LeadForm.submissions + 1)
        )
    return done


def form_spec(form: Form) -> dict[str, Any]:
    """A form as the console's editor fills it in again."""
    return {
        "name": form.name, "activity": form.activity, "subject": form.subject or "",
        "campaign": form.campaign or "", "thanks": form.thanks or "",
        "download_url": form.download_url or "", "active": form.active,
        "fields": [{"name": f.name, "required": f.required} for f in form.fields],
        "consents": [{"purpose": c.purpose, "text": c.text, "required": c.required}
                     for c in form.consents],
    }  # fmt: skip


def spec_from_form(values: Mapping[str, str], picked: Sequence[str]) -> dict[str, Any]:
    """The console editor's fields as a form definition: `field.<name>` checkboxes
    (`picked`), `required.<name>`, and two consent rows."""
    return {
        "name": values.get("name"),
        "activity": values.get("activity"),
        "subject": values.get("subject"),
        "campaign": values.get("campaign"),
        "thanks": values.get("thanks"),
        "download_url": values.get("download_url"),
        "active": values.get("active") == "yes",
        "fields": [
            {"name": name, "required": values.get(f"required.{name}") == "yes"}
            for name in FORM_FIELDS
            if name in picked
        ],
        "consents": [
            {
                "purpose": values.get(f"consent{i}.purpose", ""),
                "text": values.get(f"consent{i}.text", ""),
                "required": values.get(f"consent{i}.required") == "yes",
            }
            for i in (1, 2)
        ],
    }
