"""Recruiting: a program's questions to applicants, the rules that decide applications at
once, invitations by e-mail or link with a message and a proposed contract, and groups of
partners with their own contract."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.errors import Conflict, Forbidden, Gone, InvalidInput, NotFound, Text
from accord.events.model import PartnerApproved, PartnerDeclined
from accord.events.service import record
from accord.ids import new_id
from accord.partners import rules as r
from accord.partners.enrollments import enrollment_change, load_enrollment
from accord.partners.model import EnrollmentStatus
from accord.partners.tables import (
    ApplicationRule,
    Enrollment,
    Invitation,
    Partner,
    PartnerGroup,
    PartnerGroupMember,
    PartnerProfile,
)
from accord.partners.types import own_types
from accord.programs.service import load_program, program_by_id
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand

#: How long an invitation stays open, unless the brand says otherwise.
INVITATION_DAYS = 30
MAX_INVITATION_DAYS = 365
MAX_MESSAGE = 4000


# --- Questions ----------------------------------------------------------------------------


def set_questions(store: Store, caller: Caller, program_id: str, raw: list[dict]) -> list[dict]:
    """The questions the program asks applicants (replacing those it asked)."""
    require_brand(caller)
    questions = r.check_questions(raw)
    with store.unit() as session:
        program = load_program(session, caller, program_id)
        kept = {q["id"] for q in questions}
        for rule in _rule_rows(session, program.id):  # a rule may not name a question gone
            for qid in (rule.conditions or {}).get("answers", {}):
                if qid not in kept:
                    raise InvalidInput("questions", Text(
                        "the rule %(rule)s reads the answer to %(question)s",
                        rule=repr(rule.name), question=repr(qid)))  # fmt: skip
        program.application_questions = questions or None
    return questions


def questions_of(store: Store, caller: Caller, program_id: str) -> list[dict]:
    """A program's questions: for its brand, and for partners who may apply or are in it."""
    with store.read() as session:
        program = program_by_id(session, program_id)
        if program is None:
            raise NotFound("program", program_id)
        if caller.partner_id is None and program.organization_id != caller.organization_id:
            raise NotFound("program", program_id)
        if (  # an unlisted program's questions are for its partners
            caller.partner_id is not None
            and not program.listed
            and load_enrollment(session, program.id, caller.partner_id) is None
        ):
            raise NotFound("program", program_id)
        return list(program.application_questions or [])


# --- Rules --------------------------------------------------------------------------------


def _rule_rows(session: Session, program_id: str) -> list[ApplicationRule]:
    return list(
        session.scalars(
            select(ApplicationRule)
            .where(ApplicationRule.program_id == program_id)
            .order_by(ApplicationRule.position, ApplicationRule.created_at, ApplicationRule.id)
        )
    )


def list_rules(store: Store, caller: Caller, program_id: str) -> list[ApplicationRule]:
    require_brand(caller)
    with store.read() as session:
        program = load_program(session, caller, program_id)
        rows = _rule_rows(session, program.id)
        for row in rows:
            session.expunge(row)
        return rows


def add_rule(store: Store, caller: Caller, program_id: str, *, name: str, action: str,
             conditions: dict, reason: str | None = None) -> ApplicationRule:  # fmt: skip
    """A rule at the end of the program's list (the first that holds decides)."""
    require_brand(caller)
    name = (name or "").strip()
    if not 1 <= len(name) <= 120:
        raise InvalidInput("name", "give the rule a name of 1 to 120 characters")
    if action not in r.ACTIONS:
        raise InvalidInput("action", "approve or decline")
    reason = (reason or "").strip() or None
    if action == "decline" and reason is None:
        raise InvalidInput("reason", "say why: a declined partner reads the reason")
    if reason is not None and len(reason) > 2000:
        raise InvalidInput("reason", "keep it under 2,000 characters")
    with store.unit() as session:
        program = load_program(session, caller, program_id)
        checked = r.check_conditions(
            conditions,
            program.application_questions or [],
            own_types(session, program.organization_id).groups,
        )
        if not checked:
            raise InvalidInput(
                "conditions", "name at least one condition: a rule for everyone is the "
                "program's setting to approve applications at once"
            )  # fmt: skip
        rows = _rule_rows(session, program.id)
        if len(rows) >= r.MAX_RULES:
            raise InvalidInput(
                "name", Text("a program keeps at most %(most)s rules", most=r.MAX_RULES)
            )
        row = ApplicationRule(
            id=new_id("arl"),
            program_id=program.id,
            position=(max((x.position for x in rows), default=0) + 1),
            name=name,
            action=action,
            conditions=checked,
            reason=reason,
            active=True,
            created_at=store.clock.now(),
        )
        session.add(row)
        return row


def _own_rule(session: Session, caller: Caller, rule_id: str) -> ApplicationRule:
    row = session.get(ApplicationRule, rule_id)
    program = program_by_id(session, row.program_id) if row is not None else None
    if program is None or program.organization_id != caller.organization_id:
        raise NotFound("rule", rule_id)
    return row


def change_rule(store: Store, caller: Caller, rule_id: str, *, active: bool | None = None,
                move: int = 0, delete_it: bool = False) -> None:  # fmt: skip
    """Switch a rule on or off, move it up (-1) or down (+1), or delete it."""
    require_brand(caller)
    with store.unit() as session:
        row = _own_rule(session, caller, rule_id)
        if delete_it:
            session.delete(row)
            return
        if active is not None:
            row.active = active
        if move:
            rows = _rule_rows(session, row.program_id)
            i = rows.index(row)
            j = i + (1 if move > 0 else -1)
            if 0 <= j < len(rows):
                rows[i], rows[j] = rows[j], rows[i]
                for position, each in enumerate(rows, 1):
                    each.position = position


def _facts(session: Session, partner: Partner, answers: dict | None) -> r.Facts:
    from accord.protect.risk_lookup import latest_partner_risk

    profile = session.get(PartnerProfile, partner.id)
    countries = set(profile.countries or []) if profile else set()
    if partner.country:
        countries.add(partner.country)
    return r.Facts(
        partner_type=partner.partner_type,
        countries=frozenset(countries),
        audience_total=profile.audience_total if profile else 0,
        risk=latest_partner_risk(session, partner.id),
        answers=dict(answers or {}),
    )


def decide_at_once(session: Session, program, enrollment: Enrollment, partner: Partner,
                   invitation: Invitation | None, now: datetime) -> None:  # fmt: skip
    """Decide a new application when something decides it: an invitation that approves
    whoever accepts, the first rule that holds, or the program's setting."""
    decided: dict | None = None
    approve = False
    reason = None
    if invitation is not None and invitation.preapproved:
        decided, approve = {"by": "invitation", "invitation_id": invitation.id}, True
    else:
        rules = [
            r.Rule(x.id, x.name, x.action, x.conditions, x.reason)
            for x in _rule_rows(session, program.id)
            if x.active
        ]
        found = None
        if rules:
            own = own_types(session, program.organization_id).groups
            found = r.decide(rules, _facts(session, partner, enrollment.application_answers), own)
        if found is not None:
            rule = found.rule
            met = [list(m) for m in found.met]
            decided = {"by": "rule", "rule_id": rule.id, "name": rule.name,
                       "action": rule.action, "met": met}  # fmt: skip
            approve = found.rule.action == "approve"
            reason = None if approve else found.rule.reason
        elif program.auto_approve_partners:
            decided, approve = {"by": "setting"}, True
    if decided is None:
        return
    before = enrollment.status
    enrollment.status = (EnrollmentStatus.APPROVED if approve else EnrollmentStatus.DECLINED).value
    enrollment.decided_at = now
    enrollment.decided_by = decided
    enrollment.decision_reason = reason
    session.flush()
    kind = PartnerApproved if approve else PartnerDeclined
    record(session, enrollment_change(kind, program.organization_id, enrollment, before, now))


# --- Invitations --------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class NewInvitation:
    invitation: Invitation
    token: str  # shown once: the invitation's address holds it


def invite(
    store: Store,
    caller: Caller,
    program_id: str,
    *,
    email: str | None = None,
    partner_id: str | None = None,
    link: bool = False,
    message: str | None = None,
    contract_id: str | None = None,
    preapproved: bool = False,
    days: int = INVITATION_DAYS,
    max_uses: int | None = None,
    user_id: str | None = None,
    mail=None,
) -> NewInvitation:
    """Invite someone to a program: a partner of the directory, an e-mail address, or
    whoever has the link (`link`). `mail(session, invitation, token, address, language)`
    writes the invitation's mail for the e-mail kinds."""
    require_brand(caller)
    message = (message or "").strip() or None
    if message is not None and len(message) > MAX_MESSAGE:
        raise InvalidInput("message", Text("keep the message under %(most)s characters",
                                           most=f"{MAX_MESSAGE:,}"))  # fmt: skip
    if not 1 <= days <= MAX_INVITATION_DAYS:
        raise InvalidInput("days", Text("an invitation stays open 1 to %(most)s days",
                                        most=MAX_INVITATION_DAYS))  # fmt: skip
    given = sum(bool(x) for x in (email, partner_id, link))
    if given != 1:
        raise InvalidInput("email", "invite one partner of the directory, one e-mail address, "
                                    "or make a link")  # fmt: skip
    if max_uses is not None and not link:
        raise InvalidInput("max_uses", "only a link is used more than once")
    if max_uses is not None and not 1 <= max_uses <= 100_000:
        raise InvalidInput("max_uses", "give 1 to 100,000")
    if email is not None:
        email = email.strip()
        if not email or "@" not in email or len(email) > 320 or " " in email:
            raise InvalidInput("email", "write one e-mail address")
    now = store.clock.now()
    token = secrets.token_urlsafe(24)
    with store.unit() as session:
        program = load_program(session, caller, program_id)
        if contract_id:
            from accord.contracts.service import load_contract

            load_contract(session, program.id, contract_id)
        address = email
        language = "en"
        if partner_id is not None:
            partner = session.get(Partner, partner_id)
            profile = session.get(PartnerProfile, partner_id)
            if partner is None or profile is None or not profile.listed:
                raise NotFound("partner", partner_id, field="partner_id")
            address = profile.contact_email or partner.email
            if not address:
                raise InvalidInput("partner_id", "this partner gave no address to write to")
            from accord.notices.service import language_for

            language = language_for(partner.country)
        already = None
        if partner_id is not None:
            already = session.scalar(
                select(Enrollment.status).where(
                    Enrollment.program_id == program.id, Enrollment.partner_id == partner_id
                )
            )
        if already is not None:
            raise Conflict(Text("this partner is in the program already: %(status)s",
                                status=already))  # fmt: skip
        row = Invitation(
            id=new_id("inv"),
            organization_id=program.organization_id,
            program_id=program.id,
            contract_id=contract_id or None,
            kind="link" if link else "email",
            partner_id=partner_id,
            email=email,
            message=message,
            token_hash=_hash(token),
            preapproved=bool(preapproved),
            status="open",
            uses=0,
            max_uses=max_uses if link else 1,
            created_by=user_id,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        session.add(row)
        session.flush()
        if address and mail is not None:
            mail(session, row, token, address, language)
        return NewInvitation(row, token)


def open_invitation(session: Session, token: str, now: datetime) -> Invitation:
    """The open invitation a token names; Gone when it was used up, revoked or expired."""
    row = session.scalar(select(Invitation).where(Invitation.token_hash == _hash(token or "")))
    if row is None:
        raise NotFound("invitation", "(token)")
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=now.tzinfo)
    if row.status != "open" or expires <= now:
        raise Gone("this invitation is no longer open: ask the brand for a new one")
    if row.max_uses is not None and row.uses >= row.max_uses:
        raise Gone("this invitation was used already: ask the brand for a new one")
    return row


def accept_invitation(session: Session, row: Invitation, partner_id: str, now) -> None:
    if row.partner_id is not None and row.partner_id != partner_id:
        raise Forbidden("this invitation is for another partner")
    row.uses += 1
    row.answered_at = now
    if row.kind == "email":
        row.status = "accepted"
        row.partner_id = partner_id


@dataclass(frozen=True, slots=True)
class InvitationView:
    """An invitation as its reader sees it (before signing in)."""

    invitation_id: str
    program_id: str
    program_name: str
    brand: str
    description: str
    currency: str
    message: str | None
    contract_id: str | None
    contract_name: str | None
    preapproved: bool
    expires_at: datetime
    questions: list
    partner_id: str | None  # the partner it is for (None: anyone with it)


def view_invitation(store: Store, token: str) -> InvitationView:
    """What an invitation says: the program, the brand's message, the contract proposed and
    the questions, for whoever holds the token."""
    from accord.contracts.service import load_contract
    from accord.tenancy.service import organization_name

    now = store.clock.now()
    with store.read() as session:
        row = open_invitation(session, token, now)
        program = program_by_id(session, row.program_id)
        return InvitationView(
            row.id, program.id, program.name, organization_name(session, program.organization_id),
            program.description or "", program.currency, row.message, row.contract_id,
            load_contract(session, program.id, row.contract_id).name if row.contract_id else None,
            row.preapproved, row.expires_at, list(program.application_questions or []),
            row.partner_id,
        )  # fmt: skip


def decline_invitation(store: Store, caller: Caller, token: str) -> None:
    if caller.partner_id is None:
        raise Forbidden("a partner answers its invitation")
    now = store.clock.now()
    with store.unit() as session:
        row = open_invitation(session, token, now)
        if row.partner_id is not None and row.partner_id != caller.partner_id:
            raise Forbidden("this invitation is for another partner")
        if row.kind == "email":
            row.status = "declined"
            row.partner_id = caller.partner_id
        row.answered_at = now


def invitations(store: Store, caller: Caller, program_id: str) -> list[Invitation]:
    """The program's invitations, newest first."""
    require_brand(caller)
    with store.read() as session:
        program = load_program(session, caller, program_id)
        rows = list(
            session.scalars(
                select(Invitation)
                .where(Invitation.program_id == program.id)
                .order_by(Invitation.created_at.desc(), Invitation.id)
                .limit(500)
            )
        )
        for row in rows:
            session.expunge(row)
        return rows


def revoke_invitation(store: Store, caller: Caller, invitation_id: str) -> None:
    require_brand(caller)
    with store.unit() as session:
        row = session.get(Invitation, invitation_id)
        if row is None or row.organization_id != caller.organization_id:
            raise NotFound("invitation", invitation_id)
        if row.status == "open":
            row.status = "revoked"


# --- Groups -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupView:
    id: str
    name: str
    description: str | None
    contract_id: str | None
    members: list[tuple[str, str]]  # (partner id, name)


def groups(store: Store, caller: Caller, program_id: str) -> list[GroupView]:
    require_brand(caller)
    with store.read() as session:
        program = load_program(session, caller, program_id)
        rows = session.scalars(
            select(PartnerGroup)
            .where(PartnerGroup.program_id == program.id)
            .order_by(func.lower(PartnerGroup.name), PartnerGroup.id)
        ).all()
        members: dict[str, list[tuple[str, str]]] = {g.id: [] for g in rows}
        for gid, pid, name in session.execute(
            select(PartnerGroupMember.group_id, Partner.id, Partner.name)
            .join(Partner, Partner.id == PartnerGroupMember.partner_id)
            .where(PartnerGroupMember.group_id.in_([g.id for g in rows]))
            .order_by(func.lower(Partner.name))
        ).all():
            members[gid].append((pid, name))
        return [GroupView(g.id, g.name, g.description, g.contract_id, members[g.id]) for g in rows]


def add_group(
    store: Store,
    caller: Caller,
    program_id: str,
    *,
    name: str,
    description: str | None = None,
    contract_id: str | None = None,
) -> PartnerGroup:
    require_brand(caller)
    name = (name or "").strip()
    if not 1 <= len(name) <= 120:
        raise InvalidInput("name", "give the group a name of 1 to 120 characters")
    with store.unit() as session:
        program = load_program(session, caller, program_id)
        if contract_id:
            from accord.contracts.service import load_contract

            load_contract(session, program.id, contract_id)
        taken = session.scalar(
            select(PartnerGroup.id).where(
                PartnerGroup.program_id == program.id, func.lower(PartnerGroup.name) == name.lower()
            )
        )
        if taken is not None:
            raise Conflict(Text("the program has a group named %(name)s already", name=repr(name)))
        row = PartnerGroup(
            id=new_id("pgr"),
            program_id=program.id,
            name=name,
            description=(description or "").strip() or None,
            contract_id=contract_id or None,
            created_at=store.clock.now(),
        )
        session.add(row)
        return row


def group_ids_of(session: Session, program_id: str, partner_id: str) -> list[str]:
    """The groups of a program a partner is in (for announcements and creatives)."""
    return list(
        session.scalars(
            select(PartnerGroupMember.group_id)
            .join(PartnerGroup, PartnerGroup.id == PartnerGroupMember.group_id)
            .where(
                PartnerGroup.program_id == program_id, PartnerGroupMember.partner_id == partner_id
            )
        )
    )


def invited_names(store: Store, caller: Caller, program_id: str) -> dict[str, str]:
    """The names of the directory partners the brand invited to a program."""
    require_brand(caller)
    with store.read() as session:
        program = load_program(session, caller, program_id)
        return dict(
            session.execute(
                select(Partner.id, Partner.name)
                .join(Invitation, Invitation.partner_id == Partner.id)
                .where(Invitation.program_id == program.id)
                .distinct()
            ).all()
        )


def groups_of_program(session: Session, program_id: str) -> dict[str, str]:
    """A program's groups: id -> name."""
    return dict(
        session.execute(
            select(PartnerGroup.id, PartnerGroup.name).where(PartnerGroup.program_id == program_id)
        ).all()
    )
