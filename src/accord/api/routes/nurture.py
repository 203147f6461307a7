"""Nurturing over the API: the brand's sequences (their steps, who they are for, the
consent they need, how fast they send) with how their mail does, and people put in one."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from accord.api.deps import CallerDep, StoreDep
from accord.api.schemas import ErrorResponse, Strict
from accord.leads import nurture

router = APIRouter(tags=["leads"])

ERRORS = {
    401: {"model": ErrorResponse, "description": "Missing or unknown API key"},
    403: {"model": ErrorResponse, "description": "Not allowed for this kind of key"},
    404: {"model": ErrorResponse, "description": "Unknown sequence"},
    422: {"model": ErrorResponse, "description": "A field is wrong; `field` names it"},
}


class StepIn(Strict):
    kind: Literal["email", "wait", "branch"]
    subject: str | None = Field(default=None, max_length=200, description="An e-mail's.")
    body: str | None = Field(
        default=None, max_length=20_000,
        description="An e-mail's plain text: {name} is the person's name; every http(s) "
        "address becomes a link whose clicks are counted.",
    )  # fmt: skip
    days: int | None = Field(default=None, description="A wait's days (1 to 365).")
    condition: Literal["opened", "clicked", "activity", "score"] | None = Field(
        default=None, description="A branch's: opened or clicked one of the sequence's mails, "
        "did `activity` since enrolling, or has a score of at least `at_least`."
    )  # fmt: skip
    activity: str | None = Field(default=None, max_length=40)
    at_least: int | None = None
    then: str | None = Field(
        default=None, max_length=4,
        description='A branch\'s, when its condition holds: "exit", or the number (from 1) '
        "of a later step to go on at.",
    )  # fmt: skip


class SequenceIn(Strict):
    name: str = Field(max_length=200)
    status: Literal["draft", "active", "paused"] = "draft"
    steps: list[StepIn] = Field(max_length=20)
    stages: list[str] = Field(
        default_factory=lambda: ["new"], max_length=6,
        description="The stages it is for: a person who moves on leaves it.",
    )  # fmt: skip
    auto_enrol: bool = Field(
        default=False, description="Everyone at those stages with an e-mail address enters, "
        "now and as they come."
    )  # fmt: skip
    purpose: str = Field(default="marketing", max_length=40,
                         description="The consent purpose its mail needs.")  # fmt: skip
    needs_consent: bool = Field(
        default=True, description="Only people who gave it (false: all but those who "
        "withdrew it)."
    )  # fmt: skip
    language: Literal["en", "zh_Hans"] = Field(
        default="en", description="The language of the mail's own words (unsubscribe)."
    )
    from_name: str | None = Field(default=None, max_length=200)
    per_hour: int = Field(default=nurture.DEFAULT_PER_HOUR, description="1 to 10,000.")


class StepStatsOut(BaseModel):
    step: int = Field(description="The e-mail step's number, from 0.")
    sent: int
    opened: int
    clicked: int


class StatsOut(BaseModel):
    enrolled: int
    active: int
    ended: dict[str, int] = Field(
        description="People who left, by why: finished, branch, stage, unsubscribed, "
        "no_consent, no_email, undeliverable, merged, stopped."
    )
    sent: int
    failed: int
    opened: int
    clicked: int
    unsubscribed: int
    steps: list[StepStatsOut]


class SequenceOut(BaseModel):
    id: str
    name: str
    status: str
    steps: list[dict]
    stages: list[str]
    auto_enrol: bool
    purpose: str
    needs_consent: bool
    language: str
    from_name: str | None
    per_hour: int
    created_at: datetime
    updated_at: datetime
    stats: StatsOut


def _out(view: nurture.NurtureSequenceView) -> SequenceOut:
    s = view.stats
    return SequenceOut(
        id=view.id, name=view.name, status=view.status, steps=[x.as_dict() for x in view.steps],
        stages=list(view.stages), auto_enrol=view.auto_enrol, purpose=view.purpose,
        needs_consent=view.needs_consent, language=view.language, from_name=view.from_name,
        per_hour=view.per_hour, created_at=view.created_at, updated_at=view.updated_at,
        stats=StatsOut(
            enrolled=s.enrolled, active=s.active, ended=dict(s.ended), sent=s.sent,
            failed=s.failed, opened=s.opened, clicked=s.clicked, unsubscribed=s.unsubscribed,
            steps=[StepStatsOut(**x.__dict__) for x in s.steps],
        ),
    )  # fmt: skip


def _spec(body: SequenceIn) -> dict:
    spec = body.model_dump()
    spec["steps"] = [s.model_dump(exclude_none=True) for s in body.steps]
    return spec


@router.get("/nurture-sequences", response_model=list[SequenceOut], responses=ERRORS)
def list_sequences(store: StoreDep, caller: CallerDep) -> list[SequenceOut]:
    """The brand's nurturing sequences, newest first, with how their mail does."""
    return [_out(v) for v in nurture.sequences_of(store, caller)]


@router.post("/nurture-sequences", response_model=SequenceOut, status_code=201,
             responses=ERRORS)  # fmt: skip
def create_sequence(body: SequenceIn, store: StoreDep, caller: CallerDep) -> SequenceOut:
    """A sequence of e-mails, waits and branches; `status: active` starts sending (through
    the SMTP server of the settings, at most `per_hour` an hour)."""
    return _out(nurture.save_sequence(store, caller, _spec(body)))


def brands_sequence(sequence_id: str, store: StoreDep, caller: CallerDep) -> None:
    nurture.check_sequence(store, caller, sequence_id)


@router.get("/nurture-sequences/{sequence_id}", response_model=SequenceOut, responses=ERRORS)
def get_sequence(sequence_id: str, store: StoreDep, caller: CallerDep) -> SequenceOut:
    """A sequence with its numbers: people in it and why others left, and each e-mail
    step's mails sent, opened and clicked."""
    return _out(nurture.sequence_of(store, caller, sequence_id))


@router.put("/nurture-sequences/{sequence_id}", response_model=SequenceOut, responses=ERRORS,
            dependencies=[Depends(brands_sequence)])  # fmt: skip
def change_sequence(
    sequence_id: str, body: SequenceIn, store: StoreDep, caller: CallerDep
) -> SequenceOut:
    """Change a sequence; `status: paused` stops its mail (people keep their place)."""
    return _out(nurture.save_sequence(store, caller, _spec(body), sequence_id))


class EnrolIn(Strict):
    contact_ids: list[str] = Field(min_length=1, max_length=1000)


class EnrolOut(BaseModel):
    results: dict[str, str] = Field(
        description="Each contact's result: enrolled, already (in it now or before), "
        "not_at_stage, no_email or not_found."
    )


@router.post("/nurture-sequences/{sequence_id}/enrolments", response_model=EnrolOut,
             responses=ERRORS, dependencies=[Depends(brands_sequence)])  # fmt: skip
def enrol(sequence_id: str, body: EnrolIn, store: StoreDep, caller: CallerDep) -> EnrolOut:
    """Put people in a sequence; each goes through it once."""
    return EnrolOut(results=nurture.enrol(store, caller, sequence_id, body.contact_ids))
