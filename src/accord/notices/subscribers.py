"""Notices react to other stages' events by writing mail into the outbox, in the same
transaction as the record that the event was handled (so each is written once):

- partner.applied: the partner hears that its application arrived (unless it was decided
  at once), the brand's owners and managers that one waits for review;
- partner.approved and partner.declined (with the brand's reason): the partner;
- contract.version_added, when the version needs accepting: each partner on the contract;
- payout.sent: the partner, with the amount that reached it;
- postback.failed: the partner, at most once a day per endpoint.

A partner's mail goes to the users of its company, each in the language they last used
Accord in, else to its contact address.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from accord.events.model import (
    AnnouncementPublished,
    ContractVersionAdded,
    MessagePosted,
    PartnerApplied,
    PartnerApproved,
    PartnerDeclined,
    PayoutSent,
    PostbackFailed,
)
from accord.events.subscriptions import subscribe
from accord.mail.sender import address
from accord.money import Money
from accord.notices.service import Recipient, language_for, queue
from accord.partners.service import (
    PartnerAddress,
    enrollment_state,
    partner_address,
    partners_on_contract,
)
from accord.programs.service import program_sender
from accord.settings import get_settings
from accord.tenancy.service import people_in

#: Brand roles told of a new application.
REVIEWERS = frozenset({"owner", "manager"})


def partner_recipients(session: Session, partner: PartnerAddress) -> list[Recipient]:
    people = people_in(session, partner.organization_id)
    if people:
        return [Recipient(p.email, p.language or language_for(partner.country)) for p in people]
    if partner.email:
        return [Recipient(partner.email, language_for(partner.country))]
    return []


def _sender(session: Session, program_id: str | None) -> tuple[str, str | None]:
    """The program's name and the From line of its mail."""
    found = program_sender(session, program_id) if program_id else None
    if found is None:
        return "", None
    name, mail_from = found
    if mail_from:
        return name, mail_from
    settings_from = get_settings().mail_from
    if "<" in settings_from:  # a name of its own already
        return name, None
    try:
        return name, address(settings_from, name)
    except (ValueError, IndexError):
        return name, None


def _to_partner(
    session: Session,
    event,
    partner_id: str,
    kind: str,
    *,
    key: str | None = None,
    now: datetime | None = None,
    **context,
) -> int:
    partner = partner_address(session, partner_id)
    if partner is None:
        return 0
    program_name, sender = _sender(session, event.program_id)
    written = 0
    for to in partner_recipients(session, partner):
        row = queue(
            session,
            organization_id=event.organization_id,
            program_id=event.program_id,
            kind=kind,
            template=kind,
            to=to,
            now=now or event.occurred_at,
            key=key or f"{kind}:{event.subject_id}:{event.occurred_at.isoformat()}",
            sender=sender,
            partner=partner,
            program=program_name,
            base=get_settings().base_url(),
            **context,
        )
        written += row is not None
    return written


@subscribe(PartnerApplied, "notices.applied")
def applied(session: Session, event: PartnerApplied) -> None:
    state = enrollment_state(session, event.enrollment_id)
    if state is None:
        return
    if state.status == "applied":  # decided at once: the decision's mail says enough
        _to_partner(session, event, event.partner_id, "application_received")
    partner = partner_address(session, event.partner_id)
    if partner is None:
        return
    program_name, _ = _sender(session, event.program_id)
    for person in people_in(session, event.organization_id):
        if person.role not in REVIEWERS or state.status != "applied":
            continue
        queue(
            session,
            organization_id=event.organization_id,
            program_id=event.program_id,
            kind="application_to_review",
            template="application_to_review",
            to=Recipient(person.email, person.language or "en"),
            now=event.occurred_at,
            key=f"application_to_review:{event.enrollment_id}",
            partner=partner,
            program=program_name,
            program_ref=event.program_id,
            note=state.note,
            base=get_settings().base_url(),
        )


@subscribe(PartnerApproved, "notices.approved")
def approved(session: Session, event: PartnerApproved) -> None:
    added = event.status_before is None  # put in the program by the brand, not applied
    _to_partner(session, event, event.partner_id, "application_approved", added=added)


@subscribe(PartnerDeclined, "notices.declined")
def declined(session: Session, event: PartnerDeclined) -> None:
    state = enrollment_state(session, event.enrollment_id)
    reason = state.reason if state is not None else None
    _to_partner(session, event, event.partner_id, "application_declined", reason=reason)


@subscribe(ContractVersionAdded, "notices.contract_version")
def contract_version(session: Session, event: ContractVersionAdded) -> None:
    if not event.requires_acceptance or event.program_id is None:
        return
    for partner_id in partners_on_contract(
        session, event.program_id, event.contract_id, event.is_default, event.effective_from
    ):
        _to_partner(
            session,
            event,
            partner_id,
            "contract_to_accept",
            key=f"contract_to_accept:{event.version_id}:{partner_id}",
            contract=event.contract_name,
            number=event.number,
            effective_from=event.effective_from,
        )


@subscribe(PayoutSent, "notices.payout_sent")
def payout_sent(session: Session, event: PayoutSent) -> None:
    _to_partner(
        session,
        event,
        event.partner_id,
        "payout_sent",
        amount=Money.of(event.sent_amount, event.sent_currency),
        count=event.commission_count,
        method=event.method,
    )


@subscribe(PostbackFailed, "notices.postback_failed")
def postback_failed(session: Session, event: PostbackFailed) -> None:
    day = event.occurred_at.date().isoformat()
    _to_partner(
        session,
        event,
        event.partner_id,
        "postback_failing",
        key=f"postback_failing:{event.endpoint_id}:{day}",
        host=event.host,
        attempts=event.attempts,
        error=event.last_error,
        status_code=event.last_status_code,
    )


def program_invitation(
    session: Session, invitation, token: str, to: str, language: str, *, base: str | None = None
) -> None:
    """A brand's invitation to its program, to the address it was sent to (its link, on
    `base` or the settings' public URL, holds the invitation's token: the mail is shown to
    its recipient only)."""
    program_name, sender = _sender(session, invitation.program_id)
    from accord.tenancy.service import organization_name

    queue(
        session,
        organization_id=invitation.organization_id,
        program_id=invitation.program_id,
        kind="program_invitation",
        template="program_invitation",
        to=Recipient(to, language),
        now=invitation.created_at,
        key=f"program_invitation:{invitation.id}",
        sender=sender,
        secret=True,
        expires_at=invitation.expires_at,
        brand=organization_name(session, invitation.organization_id),
        program=program_name,
        message=invitation.message,
        preapproved=invitation.preapproved,
        link=f"{(base or get_settings().base_url()).rstrip('/')}/portal/invitations/{token}",
        until=invitation.expires_at,
    )


@subscribe(MessagePosted, "notices.message")
def message_posted(session: Session, event: MessagePosted) -> None:
    """A message tells the other side: the partner's users, or the brand's owners and
    managers (with a link to the partner's page)."""
    from accord.engage.service import message_of

    message = message_of(session, event.message_id)
    if message is None:
        return
    preview = message.body if len(message.body) <= 1200 else message.body[:1200] + "\u2026"
    if event.author == "brand":
        _to_partner(session, event, event.partner_id, "message_to_partner",
                    key=f"message:{event.message_id}", author=message.author_name,
                    body=preview)  # fmt: skip
        return
    partner = partner_address(session, event.partner_id)
    if partner is None:
        return
    program_name, _ = _sender(session, event.program_id)
    for person in people_in(session, event.organization_id):
        if person.role not in REVIEWERS:
            continue
        queue(session, organization_id=event.organization_id, program_id=event.program_id,
              kind="message_to_brand", template="message_to_brand",
              to=Recipient(person.email, person.language or "en"), now=event.occurred_at,
              key=f"message:{event.message_id}", partner=partner, program=program_name,
              program_ref=event.program_id, body=preview,
              base=get_settings().base_url())  # fmt: skip


@subscribe(AnnouncementPublished, "notices.announcement")
def announcement(session: Session, event: AnnouncementPublished) -> None:
    """An announcement sent by mail: to each partner it is for, in its language."""
    if not event.by_mail:
        return
    from accord.engage.service import announcement_of
    from accord.partners.service import audience

    row = announcement_of(session, event.announcement_id)
    if row is None:
        return
    for partner_id in audience(session, row.program_id, row.audience, row.audience_value):
        _to_partner(session, event, partner_id, "announcement",
                    key=f"announcement:{row.id}:{partner_id}", title=row.title,
                    body=row.body)  # fmt: skip
