"""The console's events: the brand's conferences, seminars, trade shows and livestreams
with registrations and attendance; an event's editor (when, where, seats, reminders, the
consents its registration asks); its registrants, checked in from the list or by scanning
their ticket at the door; and a CSV of attendees imported with each row's result.

GET /console/events lists them with an empty editor; GET /console/events/{id} is one event.
GET /console/events/{id}/check-in/{token} is what a ticket's QR code opens: one tap checks
the person in (leads:write).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from accord.errors import AccordError, NotFound
from accord.leads import events as lead_events
from accord.leads import qr
from accord.web.pages import (
    Form,
    SignedIn,
    back_to,
    expired,
    forged,
    public_base,
    refuse,
    render,
    retry_with,
    said,
)

router = APIRouter(include_in_schema=False)

BLANK = {"kind": "seminar", "name": "", "summary": "", "starts_at": "", "ends_at": "",
         "timezone": "Asia/Shanghai", "place": "", "url": "", "capacity": "",
         "reminders": "24, 1", "language": "zh_Hans", "status": "open",
         "consents": [{"purpose": "marketing", "text": "", "required": False}]}  # fmt: skip
MAX_ATTENDEES_FILE = 5 * 1024 * 1024


def _local(value: datetime | None, zone: str) -> str:
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M") if value else ""


def _spec_of(event) -> dict:
    return {"kind": event.kind, "name": event.name, "summary": event.summary or "",
            "starts_at": _local(event.starts_at, event.timezone),
            "ends_at": _local(event.ends_at, event.timezone), "timezone": event.timezone,
            "place": event.place or "", "url": event.url or "",
            "capacity": event.capacity or "", "reminders": ", ".join(map(str, event.reminders)),
            "language": event.language, "status": event.status,
            "consents": list(event.consents) or BLANK["consents"]}  # fmt: skip


def page_for(request: Request, visitor, event_id: str | None, status: int = 200, **context):
    store = request.app.state.store
    event = lead_events.event_of(store, visitor.caller, event_id) if event_id else None
    spec = context.pop("spec", None) or (_spec_of(event) if event else BLANK)
    for name in ("error", "error_field", "saved", "imported", "checked"):
        context.setdefault(name, None)
    return render(
        request, "events.html", http_status=status, visitor=visitor, section="contacts",
        current=None, programs=[], event=event, spec=spec, kinds=lead_events.KINDS,
        events=lead_events.events_of(store, visitor.caller) if event is None else [],
        registrations=lead_events.registrations_of(store, visitor.caller, event.id)
        if event else [], base=public_base(request), **context,
    )  # fmt: skip


@router.get("/console/events")
def events_page(request: Request, visitor: SignedIn, saved: str | None = None):
    return page_for(request, visitor, None, saved=saved)


@router.get("/console/events/{event_id}")
def event_page(event_id: str, request: Request, visitor: SignedIn, saved: str | None = None,
               checked: str | None = None):  # fmt: skip
    back_to(request, "/console/events")
    return page_for(request, visitor, event_id, saved=saved, checked=(checked or "")[:40] or None)


def _save(request: Request, visitor, form, event_id: str | None):
    spec = {k: form.get(k, "") for k in BLANK if k != "consents"}
    spec["consents"] = [{"purpose": form.get("consent.purpose", "").strip(),
                         "text": form.get("consent.text", "").strip(),
                         "required": form.get("consent.required") == "yes"}]  # fmt: skip

    def again(error: AccordError):
        return page_for(request, visitor, event_id, status=422, error=said(request, error),
                        error_field=getattr(error, "field", None), spec=spec)  # fmt: skip

    retry_with(request, again)
    saved = lead_events.save_event(request.app.state.store, visitor.caller, spec, event_id)
    return RedirectResponse(f"/console/events/{saved.id}?saved=1", status_code=303)


@router.post("/console/events")
def create_event(request: Request, visitor: SignedIn, form: Form):
    return _save(request, visitor, form, None)


@router.post("/console/events/{event_id}")
def change_event(event_id: str, request: Request, visitor: SignedIn, form: Form):
    back_to(request, "/console/events")
    return _save(request, visitor, form, event_id)


@router.get("/console/events/{event_id}/check-in/{token}")
def check_in_page(event_id: str, token: str, request: Request, visitor: SignedIn):
    """What a ticket's code opens at the door: who it is, and one button."""
    store = request.app.state.store
    event = lead_events.event_of(store, visitor.caller, event_id)
    try:
        found = lead_events.ticket(store, event_id, token)
    except NotFound:
        found = None
    return render(request, "check_in.html", http_status=200 if found else 404,
                  visitor=visitor, section="contacts", current=None, programs=[], event=event,
                  ticket=found)  # fmt: skip


@router.post("/console/events/{event_id}/check-in/{token}")
def check_in(event_id: str, token: str, request: Request, visitor: SignedIn, form: Form):
    back_to(request, f"/console/events/{event_id}")
    registration, _ = lead_events.check_in(
        request.app.state.store, visitor.caller, event_id, token,
        by="door" if form.get("at") == "door" else "console",
    )  # fmt: skip
    if form.get("at") == "door":
        return RedirectResponse(f"/console/events/{event_id}/check-in/{registration.token}",
                                status_code=303)  # fmt: skip
    return RedirectResponse(f"/console/events/{event_id}?checked={registration.id}#people-title",
                            status_code=303)  # fmt: skip


@router.post("/console/events/{event_id}/attendance")
async def attendance(event_id: str, request: Request, visitor: SignedIn):
    """A CSV of attendees (multipart, field `file`), each row with its result."""
    back_to(request, f"/console/events/{event_id}")
    sent = await request.form()
    fields = {k: v for k, v in sent.items() if isinstance(v, str)}
    if forged(visitor, fields, request):
        return expired()
    upload = sent.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        raise refuse("file: choose a CSV file to upload", 422)
    raw = await upload.read(MAX_ATTENDEES_FILE + 1)
    await upload.close()
    if len(raw) > MAX_ATTENDEES_FILE:
        raise refuse("file: at most 5 MiB", 413)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise refuse("file: is not UTF-8 text; save it as CSV UTF-8", 422) from None

    def again(error: AccordError):
        return page_for(request, visitor, event_id, status=422, error=said(request, error),
                        error_field=getattr(error, "field", None))  # fmt: skip

    retry_with(request, again)
    rows = lead_events.import_attendance(request.app.state.store, visitor.caller, event_id, text)
    return page_for(request, visitor, event_id, imported=rows)


@router.get("/console/events/{event_id}/qr.{kind}")
def code(event_id: str, kind: str, request: Request, visitor: SignedIn):
    """A QR code of the event's registration page, for posters and invitations."""
    event = lead_events.event_of(request.app.state.store, visitor.caller, event_id)
    page = f"{public_base(request)}/events/{event.id}?utm_source=qr&utm_medium=print"
    body, media = qr.image(page, kind)
    disposition = f'inline; filename="qr-{event.id}.{kind}"'
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})
