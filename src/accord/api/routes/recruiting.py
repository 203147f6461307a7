"""The API's recruiting: a program's questions to applicants and the rules that decide
applications at once, invitations (by e-mail, to a directory partner, or a link) and
answering them, and groups of partners."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from accord.api.deps import CallerDep, StoreDep, brands_program
from accord.api.schemas import ErrorResponse
from accord.errors import Forbidden, InvalidInput
from accord.notices.subscribers import program_invitation
from accord.partners import recruiting as rc
from accord.partners.groups import set_members as set_members_of
from accord.partners.service import apply_to_program
from accord.settings import get_settings

router = APIRouter(tags=["recruiting"])
OWN = [Depends(brands_program)]
ERRORS = {
    401: {"model": ErrorResponse, "description": "Missing or unknown API key"},
    403: {"model": ErrorResponse, "description": "Not for this kind of key"},
    404: {"model": ErrorResponse, "description": "Unknown program, rule, invitation or group"},
    409: {"model": ErrorResponse, "description": "Already in the program, or a name taken"},
    410: {"model": ErrorResponse, "description": "The invitation was used, withdrawn or expired"},
    422: {"model": ErrorResponse, "description": "Bad input, named in `field`"},
}


class QuestionIn(BaseModel):
    id: str | None = Field(None, max_length=32, description="Keep a question's id to keep it.")
    text: str = Field(max_length=500)
    kind: Literal["text", "yes_no", "choice", "number", "url"] = "text"
    choices: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=20
    )
    required: bool = False


class QuestionOut(QuestionIn):
    id: str


class QuestionsIn(BaseModel):
    questions: list[QuestionIn] = Field(max_length=20)


@router.get("/programs/{program_id}/application-questions", response_model=list[QuestionOut],
            responses=ERRORS)  # fmt: skip
def get_questions(program_id: str, store: StoreDep, caller: CallerDep):
    """What applicants to the program answer (for its brand, and for partners)."""
    return rc.questions_of(store, caller, program_id)


@router.put("/programs/{program_id}/application-questions", response_model=list[QuestionOut],
            responses=ERRORS, dependencies=OWN)  # fmt: skip
def put_questions(program_id: str, body: QuestionsIn, store: StoreDep, caller: CallerDep):
    """Replace the program's questions (a rule's question cannot be taken away)."""
    return rc.set_questions(store, caller, program_id,
                            [q.model_dump() for q in body.questions])  # fmt: skip


class Conditions(BaseModel):
    types: list[str] = Field(default_factory=list, max_length=80,
                             description="Partner types or groups: one of them.")  # fmt: skip
    countries: list[str] = Field(default_factory=list, max_length=250)
    min_audience: int | None = Field(None, ge=0)
    max_audience: int | None = Field(None, ge=0)
    max_risk: int | None = Field(
        None, ge=0, le=100, description="A partner never scored does not meet it."
    )
    answers: dict[str, str] = Field(default_factory=dict, max_length=20)


class RuleIn(BaseModel):
    name: str = Field(max_length=120)
    action: Literal["approve", "decline"]
    conditions: Conditions
    reason: str | None = Field(None, max_length=2000, description="What a declined partner reads.")


class RuleOut(BaseModel):
    id: str
    position: int
    name: str
    action: str
    conditions: dict
    reason: str | None
    active: bool


def _rule_out(row) -> RuleOut:
    return RuleOut(id=row.id, position=row.position, name=row.name, action=row.action,
                   conditions=row.conditions, reason=row.reason, active=row.active)  # fmt: skip


@router.get("/programs/{program_id}/application-rules", response_model=list[RuleOut],
            responses=ERRORS, dependencies=OWN)  # fmt: skip
def get_rules(program_id: str, store: StoreDep, caller: CallerDep):
    """The rules in the order they are tried: the first that holds decides."""
    return [_rule_out(r) for r in rc.list_rules(store, caller, program_id)]


@router.post("/programs/{program_id}/application-rules", response_model=RuleOut,
             status_code=201, responses=ERRORS, dependencies=OWN)  # fmt: skip
def post_rule(program_id: str, body: RuleIn, store: StoreDep, caller: CallerDep):
    """Add a rule at the end of the list."""
    conditions = body.conditions.model_dump(exclude_defaults=True)
    return _rule_out(rc.add_rule(store, caller, program_id, name=body.name, action=body.action,
                                 conditions=conditions, reason=body.reason))  # fmt: skip


class RulePatch(BaseModel):
    active: bool | None = None
    move: Literal[-1, 0, 1] = Field(0, description="-1: one place up, 1: one place down.")


@router.patch("/application-rules/{rule_id}", status_code=204, responses=ERRORS)
def patch_rule(rule_id: str, body: RulePatch, store: StoreDep, caller: CallerDep) -> None:
    """Switch a rule on or off, or move it."""
    rc.change_rule(store, caller, rule_id, active=body.active, move=body.move)


@router.delete("/application-rules/{rule_id}", status_code=204, responses=ERRORS)
def delete_rule(rule_id: str, store: StoreDep, caller: CallerDep) -> None:
    rc.change_rule(store, caller, rule_id, delete_it=True)


class InvitationIn(BaseModel):
    email: str | None = Field(None, max_length=320)
    partner_id: str | None = Field(None, max_length=40, description="A directory partner.")
    link: bool = Field(False, description="A link to share instead of a mail.")
    message: str | None = Field(None, max_length=4000)
    contract_id: str | None = Field(None, max_length=40)
    preapproved: bool = Field(False, description="Approve whoever accepts.")
    days: int = Field(rc.INVITATION_DAYS, ge=1, le=rc.MAX_INVITATION_DAYS)
    max_uses: int | None = Field(None, ge=1, le=100_000, description="For a link.")


class InvitationOut(BaseModel):
    id: str
    program_id: str
    kind: str
    partner_id: str | None
    email: str | None
    message: str | None
    contract_id: str | None
    preapproved: bool
    status: str
    uses: int
    max_uses: int | None
    created_at: datetime
    expires_at: datetime


class NewInvitationOut(InvitationOut):
    token: str = Field(description="Shown once: the invitation's link holds it.")
    url: str


def _invitation_out(row) -> InvitationOut:
    return InvitationOut.model_validate(row, from_attributes=True)


@router.get("/programs/{program_id}/invitations", response_model=list[InvitationOut],
            responses=ERRORS, dependencies=OWN)  # fmt: skip
def get_invitations(program_id: str, store: StoreDep, caller: CallerDep):
    return [_invitation_out(r) for r in rc.invitations(store, caller, program_id)]


@router.post("/programs/{program_id}/invitations", response_model=NewInvitationOut,
             status_code=201, responses=ERRORS, dependencies=OWN)  # fmt: skip
def post_invitation(
    program_id: str, body: InvitationIn, request: Request, store: StoreDep, caller: CallerDep
):
    """Invite one e-mail address or directory partner (a mail is written to them in their
    language), or make a link to share."""
    settings = getattr(request.app.state, "settings", None) or get_settings()
    base = (settings.public_url or str(request.base_url)).rstrip("/")
    made = rc.invite(store, caller, program_id, email=body.email, partner_id=body.partner_id,
                     link=body.link, message=body.message, contract_id=body.contract_id,
                     preapproved=body.preapproved, days=body.days, max_uses=body.max_uses,
                     mail=partial(program_invitation, base=base))  # fmt: skip
    url = f"{base}/portal/invitations/{made.token}"
    return NewInvitationOut(**_invitation_out(made.invitation).model_dump(), token=made.token,
                            url=url)  # fmt: skip


@router.post("/invitations/{invitation_id}/revoke", status_code=204, responses=ERRORS)
def revoke(invitation_id: str, store: StoreDep, caller: CallerDep) -> None:
    """Withdraw an open invitation."""
    rc.revoke_invitation(store, caller, invitation_id)


class InvitationViewOut(BaseModel):
    program_id: str
    program_name: str
    brand: str
    message: str | None
    contract_name: str | None
    preapproved: bool
    expires_at: datetime
    questions: list[QuestionOut]


@router.get("/invitation", response_model=InvitationViewOut, responses=ERRORS)
def read_invitation(
    store: StoreDep,
    caller: CallerDep,
    token: Annotated[str, Query(max_length=100, description="The token in the link.")] = "",
):
    """What an invitation says, for the partner answering it."""
    if caller.partner_id is None:
        raise Forbidden("a partner's key answers invitations")
    if not token:
        raise InvalidInput("token", "give the token in the invitation's link")
    v = rc.view_invitation(store, token)
    return InvitationViewOut(program_id=v.program_id, program_name=v.program_name, brand=v.brand,
                             message=v.message, contract_name=v.contract_name,
                             preapproved=v.preapproved, expires_at=v.expires_at,
                             questions=v.questions)  # fmt: skip


class AnswerIn(BaseModel):
    token: str = Field(max_length=100)
    accept: bool = True
    note: str | None = Field(None, max_length=2000)
    answers: dict[str, str] = Field(default_factory=dict, max_length=20)


class AnswerOut(BaseModel):
    status: str = Field(description="applied, approved or declined; declined: not accepted.")
    enrollment_id: str | None


@router.post("/invitation/answer", response_model=AnswerOut, responses=ERRORS)
def answer_invitation(body: AnswerIn, store: StoreDep, caller: CallerDep) -> AnswerOut:
    """A partner accepts an invitation (applying, with the program's questions answered) or
    declines it."""
    if caller.partner_id is None:
        raise Forbidden("a partner's key answers invitations")
    if not body.accept:
        rc.decline_invitation(store, caller, body.token)
        return AnswerOut(status="declined", enrollment_id=None)
    v = rc.view_invitation(store, body.token)
    made = apply_to_program(store, caller, v.program_id, body.note, body.answers,
                            invitation_token=body.token)  # fmt: skip
    return AnswerOut(status=made.status, enrollment_id=made.id)


class GroupIn(BaseModel):
    name: str = Field(max_length=120)
    description: str | None = Field(None, max_length=2000)
    contract_id: str | None = Field(None, max_length=40)


class GroupOut(BaseModel):
    id: str
    name: str
    description: str | None
    contract_id: str | None
    partner_ids: list[str]


class MembersIn(BaseModel):
    partner_ids: list[Annotated[str, Field(max_length=40)]] = Field(
        default_factory=list, max_length=5000, description="Every member (none: empty it)."
    )


@router.get("/programs/{program_id}/groups", response_model=list[GroupOut], responses=ERRORS,
            dependencies=OWN)  # fmt: skip
def get_groups(program_id: str, store: StoreDep, caller: CallerDep):
    return [GroupOut(id=g.id, name=g.name, description=g.description, contract_id=g.contract_id,
                     partner_ids=[p for p, _ in g.members])
            for g in rc.groups(store, caller, program_id)]  # fmt: skip


@router.post("/programs/{program_id}/groups", response_model=GroupOut, status_code=201,
             responses=ERRORS, dependencies=OWN)  # fmt: skip
def post_group(program_id: str, body: GroupIn, store: StoreDep, caller: CallerDep):
    row = rc.add_group(store, caller, program_id, name=body.name, description=body.description,
                       contract_id=body.contract_id)  # fmt: skip
    return GroupOut(id=row.id, name=row.name, description=row.description,
                    contract_id=row.contract_id, partner_ids=[])  # fmt: skip


@router.put("/groups/{group_id}/members", response_model=list[str], responses=ERRORS)
def put_members(group_id: str, store: StoreDep, caller: CallerDep, body: MembersIn | None = None):
    """The group's members (members joining a group with a contract move onto it now)."""
    return set_members_of(store, caller, group_id, body.partner_ids if body else [])


class PartnerImportRowOut(BaseModel):
    row: int = Field(description="The line in the file (the header is line 1).")
    status: str = Field(description="created, duplicate or rejected")
    partner_id: str | None
    field: str | None
    message: str | None


class PartnerImportOut(BaseModel):
    platform: str = Field(description="impact, partnerstack, rewardful, firstpromoter or dub")
    counts: dict[str, int]
    rows: list[PartnerImportRowOut]


@router.post(
    "/programs/{program_id}/partner-imports",
    response_model=PartnerImportOut,
    responses=ERRORS,
    dependencies=OWN,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": "partner_key,Partner_first,Partner_last,Partner_email\n"
                    "campwise,Wei,Zhang,wei@campwise.example\n",
                }
            },
        }
    },
)
async def import_platform_partners(
    program_id: str,
    request: Request,
    store: StoreDep,
    caller: CallerDep,
    partner_type: Annotated[
        str, Query(max_length=40, description="The type given to every imported partner.")
    ] = "affiliate",
) -> PartnerImportOut:
    """Move partners from impact.com, PartnerStack, Rewardful, FirstPromoter or Dub: their
    partner export (CSV), recognised by its header; every row is a partner with its
    standing, group, link code and promo code, or says why not. A file sent again adds
    nobody twice."""
    from collections import Counter

    from starlette.concurrency import run_in_threadpool

    from accord.api import bodies
    from accord.partners.imports import import_partners, said

    text = bodies.csv_text(await bodies.read_body(request))
    report = await run_in_threadpool(
        lambda: import_partners(store, caller, program_id, text, partner_type=partner_type)
    )
    rows = [
        PartnerImportRowOut(row=r.row, status=r.status, partner_id=r.partner_id,
                            **said(r))
        for r in report.rows
    ]  # fmt: skip
    counts = dict(Counter(r.status for r in report.rows))
    return PartnerImportOut(platform=report.platform, counts=counts, rows=rows)


class HistoryImportRowOut(BaseModel):
    row: int = Field(description="The line in the file (the header is line 1).")
    status: str = Field(description="created, duplicate, skipped (nothing to record) or rejected")
    conversion_id: str | None
    commission_id: str | None = Field(
        description="The commission Accord owes for the row: the old platform had not paid it."
    )
    field: str | None
    message: str | None


class HistoryImportOut(BaseModel):
    platform: str = Field(description="impact, partnerstack, rewardful, firstpromoter or dub")
    counts: dict[str, int]
    rows: list[HistoryImportRowOut]


@router.post(
    "/programs/{program_id}/history-imports",
    response_model=HistoryImportOut,
    responses=ERRORS,
    dependencies=OWN,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": "Action Id,Partner Id,Event Date,Oid,Sale Amount,Payout,Currency,"
                    "State,Cleared Date\n1987.1,4410221,2026-09-14,ORD-5001,1249.00,124.90,USD,"
                    "APPROVED,2026-10-02\n",
                }
            },
        }
    },
)
async def import_platform_history(
    program_id: str, request: Request, store: StoreDep, caller: CallerDep
) -> HistoryImportOut:
    """Move a program's history from impact.com, PartnerStack, Rewardful, FirstPromoter or
    Dub: their actions or commissions export (CSV), recognised by its header, after their
    partner export. Every row is a conversion credited to its partner, or says why not. A
    commission paid there is history only; one not yet paid is owed at its amount, once; a
    reversed one is recorded and reversed. A file sent again changes nothing."""
    from collections import Counter

    from starlette.concurrency import run_in_threadpool

    from accord.api import bodies
    from accord.conversions.history import import_history
    from accord.partners.imports import said

    text = bodies.csv_text(await bodies.read_body(request))
    report = await run_in_threadpool(lambda: import_history(store, caller, program_id, text))
    rows = [
        HistoryImportRowOut(row=r.row, status=r.status, conversion_id=r.conversion_id,
                            commission_id=r.commission_id,
                            **said(r))
        for r in report.rows
    ]  # fmt: skip
    counts = dict(Counter(r.status for r in report.rows))
    return HistoryImportOut(platform=report.platform, counts=counts, rows=rows)
