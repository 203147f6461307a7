"""Events over the API: conferences, seminars, trade shows and livestreams with their
registration page, registrants, check-ins and imported attendance."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from accord.api.deps import CallerDep, StoreDep
from accord.api.schemas import ErrorResponse, Strict
from accord.leads import events as lead_events

router = APIRouter(tags=["leads"])

ERRORS = {
    401: {"model": ErrorResponse, "description": "Missing or unknown API key"},
    403: {"model": ErrorResponse, "description": "Not allowed for this kind of key"},
    404: {"model": ErrorResponse, "description": "Unknown event or ticket"},
    422: {"model": ErrorResponse, "description": "A field is wrong; `field` names it"},
}


class ConsentIn(Strict):
    purpose: str = Field(max_length=40)
    text: str = Field(max_length=1000)
    required: bool = False


class EventIn(Strict):
    kind: Literal["conference", "seminar", "trade_show", "livestream"]
    name: str = Field(max_length=200)
    summary: str | None = Field(default=None, max_length=5000)
    starts_at: datetime = Field(description="With a timezone, or local to `timezone`.")
    ends_at: datetime | None = None
    timezone: str = Field(default="UTC", max_length=64, description="IANA: Asia/Shanghai.")
    place: str | None = Field(default=None, max_length=500)
    url: str | None = Field(default=None, max_length=2000,
                            description="A livestream's address, shown on tickets.")  # fmt: skip
    capacity: int | None = Field(default=None, description="Seats (1 to 1,000,000).")
    reminders: list[int] = Field(default_factory=lambda: [24, 1], max_length=5,
                                 description="Hours before the start (1 to 720).")  # fmt: skip
    consents: list[ConsentIn] = Field(default_factory=list, max_length=5)
    language: Literal["en", "zh_Hans"] = "en"
    status: Literal["open", "closed"] = "open"


class EventOut(BaseModel):
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
    reminders: list[int]
    consents: list[dict]
    language: str
    status: str
    registered: int
    attended: int
    page: str = Field(description="Its public registration page.")


def _out(event: lead_events.EventView, request: Request) -> EventOut:
    settings = getattr(request.app.state, "settings", None)
    base = (getattr(settings, "public_url", None) or str(request.base_url)).rstrip("/")
    values = {k: v for k, v in event.__dict__.items() if k != "organization_id"}
    values |= {"reminders": list(event.reminders), "consents": list(event.consents)}
    return EventOut(**values, page=f"{base}/events/{event.id}")


@router.get("/lead-events", response_model=list[EventOut], responses=ERRORS)
def list_events(request: Request, store: StoreDep, caller: CallerDep) -> list[EventOut]:
    """The brand's events, the latest start first, with registrations and attendance."""
    return [_out(e, request) for e in lead_events.events_of(store, caller)]


@router.post("/lead-events", response_model=EventOut, status_code=201, responses=ERRORS)
def create_event(body: EventIn, request: Request, store: StoreDep, caller: CallerDep):
    """An event with its registration page (/events/{id}); registrants get a ticket and
    reminders by e-mail."""
    return _out(lead_events.save_event(store, caller, body.model_dump()), request)


def brands_event(event_id: str, store: StoreDep, caller: CallerDep) -> None:
    lead_events.event_of(store, caller, event_id)


@router.get("/lead-events/{event_id}", response_model=EventOut, responses=ERRORS)
def get_event(event_id: str, request: Request, store: StoreDep, caller: CallerDep):
    return _out(lead_events.event_of(store, caller, event_id), request)


@router.put("/lead-events/{event_id}", response_model=EventOut, responses=ERRORS,
            dependencies=[Depends(brands_event)])  # fmt: skip
def change_event(
    event_id: str, body: EventIn, request: Request, store: StoreDep, caller: CallerDep
) -> EventOut:
    return _out(lead_events.save_event(store, caller, body.model_dump(), event_id), request)


class RegistrationOut(BaseModel):
    id: str
    contact_id: str
    name: str | None
    email: str | None
    registered_at: datetime
    attended_at: datetime | None
    attended_by: str | None = Field(description="door, console or import")


@router.get("/lead-events/{event_id}/registrations", response_model=list[RegistrationOut],
            responses=ERRORS)  # fmt: skip
def registrations(event_id: str, store: StoreDep, caller: CallerDep) -> list[RegistrationOut]:
    return [
        RegistrationOut(**{k: v for k, v in r.__dict__.items() if k != "token"})
        for r in lead_events.registrations_of(store, caller, event_id)
    ]


class CheckInIn(Strict):
    ticket: str = Field(max_length=64, description="The ticket's token, or a registration id.")


class CheckInOut(BaseModel):
    registration: RegistrationOut
    first: bool = Field(description="False: they were checked in before.")


@router.post("/lead-events/{event_id}/check-ins", response_model=CheckInOut, responses=ERRORS,
             dependencies=[Depends(brands_event)])  # fmt: skip
def check_in(event_id: str, body: CheckInIn, store: StoreDep, caller: CallerDep) -> CheckInOut:
    """Check a registrant in (a scanner at the door, a badge printer)."""
    found, first = lead_events.check_in(store, caller, event_id, body.ticket, by="console")
    values = {k: v for k, v in found.__dict__.items() if k != "token"}
    return CheckInOut(registration=RegistrationOut(**values), first=first)


class AttendanceRowOut(BaseModel):
    line: int
    result: str = Field(description="registered (marked as attended), walk_in or rejected")
    message: str | None


@router.post(
    "/lead-events/{event_id}/attendance",
    response_model=list[AttendanceRowOut],
    responses=ERRORS,
    dependencies=[Depends(brands_event)],
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "A CSV with a header row: email and/or phone, and name, company, "
            "title if known.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def attendance(
    event_id: str, request: Request, store: StoreDep, caller: CallerDep
) -> list[AttendanceRowOut]:
    """The people who came, each row with its result."""
    from accord.errors import InvalidInput

    raw = await request.body()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("body", "is not UTF-8 text") from None
    rows = await run_in_threadpool(lead_events.import_attendance, store, caller, event_id, text)
    return [AttendanceRowOut(**r.__dict__) for r in rows]
