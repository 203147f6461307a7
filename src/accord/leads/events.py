"""Events: conferences, seminars, trade shows and livestreams, with registration, reminders,
a ticket per registrant checked in at the door, and attendance recorded or imported.

- Each event has a public page (`/events/{id}`, `web.public_events`) with its registration
  form; registering is an activity (`event_registered`, channel event) and gives the person
  a ticket: a page with a QR code of their own.
- The queue's `send_event_mail` (every minute) mails each registrant a confirmation with
  their ticket, then a reminder at the hours before the start the brand chose (only the
  nearest one due, for someone who registers late). Without an SMTP server they wait.
- At the door, staff scan the ticket: the code opens the event's check-in page in the
  console, one tap checks the person in (`event_attended`, an activity). A registrant can
  also be checked in from the list, and a CSV of attendees (a livestream platform's export,
  badge scans) is imported with each row's result: known registrants are marked, others
  are captured as having attended.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.errors import AccordError, InvalidInput, NotFound, Text
from accord.ids import new_id
from accord.leads.model import Capture
from accord.leads.tables import LeadEvent, LeadEventRegistration
from accord.leads.visits import check_vid, record_for
from accord.store.engine import Store
from accord.tenancy.model import Caller, OrganizationKind
from accord.tenancy.service import organization_name, require_brand

KINDS = ("conference", "seminar", "trade_show", "livestream")
STATUSES = ("open", "closed")
LANGUAGES = ("en", "zh_Hans")
#: What a registration asks: the person's name and e-mail (required), and these.
FIELDS = ("name", "email", "phone", "company", "title")
MAX_IMPORT = 5_000


@dataclass(frozen=True)
class EventView:
    id: str
    kind: str
    name: str
    summary: str | None
    starts_at: datetime
    ends_at: datetime | None
    timezone: str
    place: str | None
    url: str | None
    capacity: int | None
    reminders: tuple[int, ...]
    consents: tuple[dict, ...]
    language: str
    status: str
    registered: int = 0
    attended: int = 0
    organization_id: str = ""

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(ZoneInfo(self.timezone))

    @property
    def full(self) -> bool:
        return self.capacity is not None and self.registered >= self.capacity


def _view(row: LeadEvent, registered: int = 0, attended: int = 0) -> EventView:
    return EventView(
        row.id, row.kind, row.name, row.summary, row.starts_at, row.ends_at, row.timezone,
        row.place, row.url, row.capacity, tuple(row.reminders or ()),
        tuple(row.consents or ()), row.language, row.status, registered, attended,
        row.organization_id,
    )  # fmt: skip


def _counts(session: Session, ids: list[str]) -> dict[str, tuple[int, int]]:
    if not ids:
        return {}
    return {
        event: (n, came)
        for event, n, came in session.execute(
            select(LeadEventRegistration.event_id, func.count(),
                   func.count(LeadEventRegistration.attended_at))
            .where(LeadEventRegistration.event_id.in_(ids))
            .group_by(LeadEventRegistration.event_id)
        )
    }  # fmt: skip


def _when(value: Any, name: str, zone: ZoneInfo, *, required: bool) -> datetime | None:
    if value in (None, ""):
        if required:
            raise InvalidInput(name, "is required")
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise InvalidInput(name, "give a date and time, e.g. 2026-12-18T14:00") from None
    if moment.tzinfo is None:  # a local time at the event's place
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(ZoneInfo("UTC"))


def check_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    kind = spec.get("kind")
    if kind not in KINDS:
        raise InvalidInput("kind", Text("use one of: %(choices)s", choices=", ".join(KINDS)))
    name = " ".join(str(spec.get("name") or "").split())
    if not name:
        raise InvalidInput("name", "is required")
    if len(name) > 200:
        raise InvalidInput("name", "at most 200 characters")
    zone_name = str(spec.get("timezone") or "UTC").strip()
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput("timezone", "name a time zone such as Asia/Shanghai") from None
    starts = _when(spec.get("starts_at"), "starts_at", zone, required=True)
    ends = _when(spec.get("ends_at"), "ends_at", zone, required=False)
    if ends is not None and ends <= starts:
        raise InvalidInput("ends_at", "must be after the start")
    url = str(spec.get("url") or "").strip() or None
    if url and not url.startswith(("https://", "http://")):
        raise InvalidInput("url", "give a full address starting with https://")
    capacity = spec.get("capacity")
    if capacity in ("", None):
        capacity = None
    else:
        try:
            capacity = int(capacity)
        except (TypeError, ValueError):
            raise InvalidInput("capacity", "give a whole number of seats") from None
        if not 1 <= capacity <= 1_000_000:
            raise InvalidInput("capacity", "must be from 1 to 1,000,000")
    raw = spec.get("reminders", [24, 1])
    if isinstance(raw, str):
        raw = [p for p in raw.replace("\uff0c", ",").split(",") if p.strip()]
    try:
        reminders = sorted({int(str(h).strip()) for h in raw}, reverse=True)
    except ValueError:
        raise InvalidInput("reminders", "give hours before the start, e.g. 24, 1") from None
    if any(not 1 <= h <= 24 * 30 for h in reminders) or len(reminders) > 5:
        raise InvalidInput("reminders", "up to 5 reminders, each 1 to 720 hours before")
    consents = []
    for n, item in enumerate(spec.get("consents") or []):
        purpose = str(item.get("purpose") or "").strip()
        text = str(item.get("text") or "").strip()
        if not purpose and not text:
            continue
        if not purpose.replace("_", "").isalnum() or not purpose.islower() or not text:
            raise InvalidInput(f"consents[{n}]", "give a purpose in lower case and its text")
        consents.append({"purpose": purpose[:40], "text": text[:1000],
                         "required": bool(item.get("required"))})  # fmt: skip
    status = spec.get("status") or "open"
    if status not in STATUSES:
        raise InvalidInput("status", Text("use one of: %(choices)s", choices=", ".join(STATUSES)))
    language = spec.get("language") or "en"
    if language not in LANGUAGES:
        raise InvalidInput("language", Text("use one of: %(choices)s",
                                            choices=", ".join(LANGUAGES)))  # fmt: skip
    summary = str(spec.get("summary") or "").strip()[:5000] or None
    place = " ".join(str(spec.get("place") or "").split())[:500] or None
    return {"kind": kind, "name": name, "summary": summary, "starts_at": starts,
            "ends_at": ends, "timezone": zone_name, "place": place, "url": url,
            "capacity": capacity, "reminders": reminders, "consents": consents,
            "language": language, "status": status}  # fmt: skip


def save_event(
    store: Store, caller: Caller, spec: Mapping[str, Any], event_id: str | None = None
) -> EventView:
    require_brand(caller)
    values = check_spec(spec)
    now = store.clock.now()
    with store.unit() as session:
        if event_id is None:
            row = LeadEvent(id=new_id("evt"), organization_id=caller.organization_id,
                            created_at=now, **values)  # fmt: skip
            session.add(row)
        else:
            row = _own(session, caller, event_id)
            for name, value in values.items():
                setattr(row, name, value)
        row.updated_at = now
        session.flush()
        return _view(row, *_counts(session, [row.id]).get(row.id, (0, 0)))


def _own(session: Session, caller: Caller, event_id: str) -> LeadEvent:
    row = session.get(LeadEvent, event_id)
    if row is None or row.organization_id != caller.organization_id:
        raise NotFound("event", event_id)
    return row


def events_of(store: Store, caller: Caller) -> list[EventView]:
    """The brand's events, the latest start first, with registrations and attendance."""
    require_brand(caller)
    with store.read() as session:
        rows = list(session.scalars(
            select(LeadEvent).where(LeadEvent.organization_id == caller.organization_id)
            .order_by(LeadEvent.starts_at.desc(), LeadEvent.id)))  # fmt: skip
        counts = _counts(session, [r.id for r in rows])
        return [_view(r, *counts.get(r.id, (0, 0))) for r in rows]


def event_of(store: Store, caller: Caller, event_id: str) -> EventView:
    require_brand(caller)
    with store.read() as session:
        row = _own(session, caller, event_id)
        return _view(row, *_counts(session, [row.id]).get(row.id, (0, 0)))


@dataclass(frozen=True)
class RegistrationView:
    id: str
    contact_id: str
    name: str | None
    email: str | None
    registered_at: datetime
    attended_at: datetime | None
    attended_by: str | None
    token: str


def registrations_of(store: Store, caller: Caller, event_id: str) -> list[RegistrationView]:
    require_brand(caller)
    with store.read() as session:
        _own(session, caller, event_id)
        return [
            RegistrationView(r.id, r.contact_id, r.name, r.email, r.registered_at,
                             r.attended_at, r.attended_by, r.token)
            for r in session.scalars(
                select(LeadEventRegistration).where(LeadEventRegistration.event_id == event_id)
                .order_by(LeadEventRegistration.registered_at, LeadEventRegistration.id))
        ]  # fmt: skip


# registering (public) ------------------------------------------------------------------------
def public_event(store: Store, event_id: str) -> EventView:
    with store.read() as session:
        row = session.get(LeadEvent, (event_id or "")[:40])
        if row is None:
            raise NotFound("event", event_id)
        return _view(row, *_counts(session, [row.id]).get(row.id, (0, 0)))


@dataclass(frozen=True)
class Registered:
    token: str
    contact_id: str
    again: bool


def register(
    store: Store, event_id: str, answers: Mapping[str, str], *,
    utm: Mapping[str, str] | None = None, referrer: str | None = None,
    cookie: str | None = None,
) -> Registered:  # fmt: skip
    """Someone registered on the event's page: captured (with their consents), and given a
    ticket; registering twice gives the same ticket."""
    from accord.leads.service import capture

    event = public_event(store, event_id)
    if event.status != "open":
        raise InvalidInput("event", "registration is closed")
    if event.starts_at <= store.clock.now() and event.kind != "livestream":
        raise InvalidInput("event", "the event has begun: registration is closed")
    given = {f: (answers.get(f) or "").strip()[:320] for f in FIELDS}
    for required in ("name", "email"):
        if not given[required]:
            raise InvalidInput(required, "is required")
    consent = {}
    for item in event.consents:
        granted = answers.get(f"consent.{item['purpose']}") in ("yes", "on", "true", "1")
        if item.get("required") and not granted:
            raise InvalidInput(f"consent.{item['purpose']}", "tick it to go on")
        consent[item["purpose"]] = granted
    tags = {k: v[:200] for k, v in (utm or {}).items() if v}
    try:
        report = Capture(
            **{k: v for k, v in given.items() if v}, type="event_registered", channel="event",
            source=event.name, subject=event.name, campaign=tags.get("campaign"),
            utm=tags or None, keyword=tags.get("term"), referrer=(referrer or "")[:2000] or None,
            consent=consent or None, cookie=check_vid(cookie),
            data={"event": event.id, **({"consent_texts": {c["purpose"]: c["text"]
                                                           for c in event.consents}}
                                        if event.consents else {})},
        )  # fmt: skip
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "form"
        raise InvalidInput(where, first["msg"].removeprefix("Value error, ")) from None
    owner = Caller(event.organization_id, OrganizationKind.BRAND, None,
                   scopes=frozenset({"leads:write"}))  # fmt: skip
    with store.read() as session:
        counts = _counts(session, [event.id]).get(event.id, (0, 0))
    done = capture(store, owner, report)
    with store.unit() as session:
        known = session.scalar(select(LeadEventRegistration).where(
            LeadEventRegistration.event_id == event.id,
            LeadEventRegistration.contact_id == done.contact_id))  # fmt: skip
        if known is not None:
            return Registered(known.token, done.contact_id, True)
        if event.capacity is not None and counts[0] >= event.capacity:
            raise InvalidInput("event", "the event is full")
        token = os.urandom(16).hex()
        session.add(LeadEventRegistration(
            id=new_id("reg"), organization_id=event.organization_id, event_id=event.id,
            contact_id=done.contact_id, token=token, name=given["name"][:200],
            email=given["email"].lower(), registered_at=store.clock.now(), reminded=[],
        ))  # fmt: skip
        return Registered(token, done.contact_id, False)


@dataclass(frozen=True)
class Ticket:
    event: EventView
    name: str | None
    token: str
    attended_at: datetime | None


def ticket(store: Store, event_id: str, token: str) -> Ticket:
    with store.read() as session:
        row = session.scalar(select(LeadEventRegistration).where(
            LeadEventRegistration.token == (token or "")[:64]))  # fmt: skip
        if row is None or row.event_id != event_id:
            raise NotFound("ticket", token)
        event = session.get(LeadEvent, event_id)
        return Ticket(_view(event), row.name, row.token, row.attended_at)


# attendance --------------------------------------------------------------------------------
def _attend(session: Session, row: LeadEventRegistration, event: LeadEvent, by: str,
            now: datetime) -> bool:  # fmt: skip
    if row.attended_at is not None:
        return False
    row.attended_at, row.attended_by = now, by
    record_for(session, row.contact_id, "event_attended", now, channel="event",
               source=event.name, subject=event.name,
               data={"event": event.id, "by": by})  # fmt: skip
    return True


def check_in(store: Store, caller: Caller, event_id: str, token: str, *, by: str = "door"):
    """Check a registrant in by their ticket (or, from the list, their registration id);
    returns (registration, whether this was the first check-in)."""
    require_brand(caller)
    now = store.clock.now()
    with store.unit() as session:
        event = _own(session, caller, event_id)
        row = session.scalar(select(LeadEventRegistration).where(
            LeadEventRegistration.event_id == event.id,
            (LeadEventRegistration.token == token[:64])
            | (LeadEventRegistration.id == token[:40])))  # fmt: skip
        if row is None:
            raise NotFound("ticket", token)
        first = _attend(session, row, event, by, now)
        view = RegistrationView(row.id, row.contact_id, row.name, row.email, row.registered_at,
                                row.attended_at, row.attended_by, row.token)  # fmt: skip
        return view, first


@dataclass(frozen=True)
class ImportRow:
    line: int
    result: str
    message: str | None = None


def import_attendance(store: Store, caller: Caller, event_id: str, text: str) -> list[ImportRow]:
    """A CSV of people who came (columns email, phone, name, company, title; a header row):
    registrants are marked as having attended, others are captured as attendees."""
    from accord.leads.service import capture

    require_brand(caller)
    event = event_of(store, caller, event_id)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames or not {"email", "phone"} & {
        (f or "").strip().lower() for f in reader.fieldnames
    }:
        raise InvalidInput("file", "give a header row with an email or a phone column")
    out: list[ImportRow] = []
    now = store.clock.now()
    for n, raw in enumerate(reader, start=2):
        if len(out) >= MAX_IMPORT:
            raise InvalidInput("file", Text("at most %(most)s rows at once",
                                            most=f"{MAX_IMPORT:,}"))  # fmt: skip
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        given = {k: row[k][:200] for k in ("email", "phone", "name", "company", "title")
                 if row.get(k)}  # fmt: skip
        if not ({"email", "phone"} & given.keys()):
            out.append(ImportRow(n, "rejected", "email: give an email or a phone"))
            continue
        try:
            report = Capture(**given, type="event_attended", channel="event",
                             source=event.name, subject=event.name,
                             data={"event": event.id, "by": "import"})  # fmt: skip
        except ValidationError as error:
            first = error.errors()[0]
            out.append(ImportRow(n, "rejected", f"{first['loc'][0]}: "
                                 + first["msg"].removeprefix("Value error, ")))  # fmt: skip
            continue
        try:
            done = capture(store, caller, report)
        except AccordError as error:
            out.append(ImportRow(n, "rejected", error.message))
            continue
        with store.unit() as session:
            registered = session.scalar(select(LeadEventRegistration).where(
                LeadEventRegistration.event_id == event.id,
                LeadEventRegistration.contact_id == done.contact_id))  # fmt: skip
            if registered is not None and registered.attended_at is None:
                registered.attended_at, registered.attended_by = now, "import"
        out.append(ImportRow(n, "registered" if registered is not None else "walk_in"))
    return out


# mail ----------------------------------------------------------------------------------------
@dataclass
class EventMailRun:
    confirmations: int = 0
    reminders: int = 0
    failed: int = 0
    no_server: bool = False


def ticket_url(base_url: str, event_id: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/events/{event_id}/ticket/{token}"


def check_in_url(base_url: str, event_id: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/console/events/{event_id}/check-in/{token}"


def send_event_mail(store: Store, mailer, *, base_url: str, limit: int = 500) -> EventMailRun:
    """Confirmations to new registrants, and the reminders now due."""
    from accord.mail.render import render
    from accord.mail.sender import Mail

    run = EventMailRun()
    if not mailer.configured:
        run.no_server = True
        return run
    now = store.clock.now()
    work: list[tuple[str, object, Mail]] = []
    with store.read() as session:
        rows = session.execute(
            select(LeadEventRegistration, LeadEvent)
            .join(LeadEvent, LeadEvent.id == LeadEventRegistration.event_id)
            .where(LeadEvent.starts_at > now, LeadEventRegistration.email.is_not(None))
            .order_by(LeadEventRegistration.registered_at)
        ).all()
        for reg, event in rows:
            if len(work) >= limit:
                break
            view = _view(event)
            due = [
                h for h in view.reminders
                if event.starts_at - timedelta(hours=h) <= now and h not in reg.reminded
            ]  # fmt: skip
            what: object = None
            if "confirmation" not in reg.reminded:
                what = "confirmation"
            elif due:
                what = min(due)
            if what is None:
                continue
            name = "event_registered" if what == "confirmation" else "event_reminder"
            rendered = render(
                name, view.language, event=view, person=reg.name or "",
                brand=organization_name(session, event.organization_id),
                ticket=ticket_url(base_url, event.id, reg.token),
                calendar=f"{base_url.rstrip('/')}/events/{event.id}/calendar.ics",
                start=view.local_start, hours=what if isinstance(what, int) else 0,
            )  # fmt: skip
            work.append((reg.id, what, Mail((reg.email,), rendered.subject, rendered.text,
                                            rendered.html)))  # fmt: skip
    errors = mailer.send_each([m for _, _, m in work])
    with store.unit() as session:
        for (reg_id, what, _), error in zip(work, errors, strict=True):
            if error is not None:
                run.failed += 1
                continue
            reg = session.get(LeadEventRegistration, reg_id)
            event = session.get(LeadEvent, reg.event_id)
            marks = list(reg.reminded or [])
            if what == "confirmation":
                marks.append("confirmation")
                run.confirmations += 1
            else:
                # the nearest reminder due stands for any earlier one missed
                marks += [h for h in event.reminders
                          if h >= what and h not in marks]  # fmt: skip
                run.reminders += 1
                record_for(session, reg.contact_id, "email_sent", now, channel="email",
                           source=event.name, subject=event.name,
                           data={"event": event.id, "reminder_hours": what})  # fmt: skip
            reg.reminded = marks
    return run


# a calendar entry ----------------------------------------------------------------------------
def _ics_text(value: str) -> str:
    """Text as iCalendar writes it (RFC 5545 3.3.11): backslash, comma, semicolon and line
    breaks escaped."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))  # fmt: skip


def _fold(line: str) -> str:
    """A content line folded at 75 octets, never inside a character (RFC 5545 3.1)."""
    out, current = [], b""
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode("utf-8"))
            current = b""
        current += encoded
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


def calendar(event: EventView, base_url: str, now: datetime) -> str:
    """The event as an iCalendar file, for a registrant's calendar."""
    stamp = "%Y%m%dT%H%M%SZ"
    ends = event.ends_at or event.starts_at + timedelta(hours=2)
    page = f"{base_url.rstrip('/')}/events/{event.id}"
    details = "\n\n".join(p for p in (event.summary, event.url, page) if p)
    host = base_url.split("://", 1)[-1].split("/", 1)[0] or "accord"
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Accord//Events//EN", "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH", "BEGIN:VEVENT", f"UID:{event.id}@{host}",
        f"DTSTAMP:{now.astimezone(ZoneInfo('UTC')).strftime(stamp)}",
        f"DTSTART:{event.starts_at.astimezone(ZoneInfo('UTC')).strftime(stamp)}",
        f"DTEND:{ends.astimezone(ZoneInfo('UTC')).strftime(stamp)}",
        f"SUMMARY:{_ics_text(event.name)}",
        *([f"LOCATION:{_ics_text(event.place)}"] if event.place else []),
        f"DESCRIPTION:{_ics_text(details)}", f"URL:{page}", "END:VEVENT", "END:VCALENDAR",
    ]  # fmt: skip
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
