"""The outbox: notices are written in the same transaction as what they tell of (`queue`),
and a worker sends what is due (`send_due`, every minute) through the SMTP server of the
settings. Without a server every mail waits; a refused mail is tried again later
(`RETRY_DELAYS`), then given up with the server's answer, which the outbox page shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.errors import InvalidInput, NotFound, not_one_of
from accord.ids import new_id
from accord.mail import Mail, Mailer, render
from accord.mail.render import language_of
from accord.notices.tables import OutboxMail
from accord.settings import Settings, get_settings
from accord.store.engine import Store
from accord.store.paging import Slice
from accord.tenancy.model import Caller

#: After the first refusal, the waits before each next attempt; then the mail is given up.
RETRY_DELAYS = (timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=6))
STATUSES = ("waiting", "sent", "failed", "expired")
#: What each kind of notice is, for people (the pages translate these words).
KINDS = {
    "password_reset": "Password reset",
    "invitation": "Invitation",
    "program_invitation": "Invitation to a program",
    "message_to_partner": "Message to a partner",
    "message_to_brand": "Message from a partner",
    "announcement": "Announcement",
    "application_received": "Application received",
    "application_to_review": "New application",
    "application_approved": "Application approved",
    "application_declined": "Application declined",
    "contract_to_accept": "Contract version to accept",
    "payout_sent": "Payout sent",
    "postback_failing": "Postback failing",
}


#: Countries whose people read Chinese when they have not chosen a language yet.
CHINESE = frozenset({"CN", "TW", "HK", "MO"})


def language_for(country: str | None, otherwise: str = "en") -> str:
    """The language to write to someone who has not chosen one: Chinese for the countries
    that read it, English for any other country, `otherwise` when the country is unknown."""
    if not country:
        return language_of(otherwise)
    return "zh_Hans" if country.upper() in CHINESE else "en"


@dataclass(frozen=True, slots=True)
class Recipient:
    email: str
    language: str


def queue(
    session: Session,
    *,
    organization_id: str,
    kind: str,
    template: str,
    to: Recipient,
    now: datetime,
    key: str | None = None,
    program_id: str | None = None,
    sender: str | None = None,
    secret: bool = False,
    expires_at: datetime | None = None,
    **context,
) -> OutboxMail | None:
    """Write the notice `template` in the recipient's language into the outbox; None when
    one with the same `key` is there already (a notice is written once)."""
    if kind not in KINDS:
        raise ValueError(f"unknown notice kind {kind!r}")
    if key is not None:
        key = f"{key}:{to.email.lower()}"[:200]
        if session.scalar(select(OutboxMail.id).where(OutboxMail.key == key)) is not None:
            return None
    language = language_of(to.language)
    rendered = render(template, language, **context)
    row = OutboxMail(
        id=new_id("mail"),
        organization_id=organization_id,
        program_id=program_id,
        kind=kind,
        key=key,
        recipient=to.email,
        language=language,
        sender=sender,
        subject=rendered.subject[:400],
        text=rendered.text,
        html=rendered.html,
        secret=secret,
        status="waiting",
        attempts=0,
        next_attempt_at=now,
        expires_at=expires_at,
        created_at=now,
    )
    session.add(row)
    return row


@dataclass
class SendRun:
    """What one pass over the outbox did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    expired: int = 0
    #: No server is set up: nothing was tried.
    waiting_for_server: bool = False
    errors: list[str] = field(default_factory=list)


def send_due(
    store: Store,
    settings: Settings | None = None,
    *,
    limit: int = 200,
    mailer=None,
    organization_id: str | None = None,
) -> SendRun:
    """Send the mails that are due, oldest first, over one connection (those of one
    organization's outbox, when named)."""
    mine = (OutboxMail.organization_id == organization_id,) if organization_id is not None else ()
    settings = settings or get_settings()
    mailer = mailer or Mailer(settings)
    run = SendRun()
    now = store.clock.now()
    with store.unit() as session:
        for row in session.scalars(
            select(OutboxMail).where(
                OutboxMail.status == "waiting",
                OutboxMail.expires_at.is_not(None),
                OutboxMail.expires_at <= now,
                *mine,
            )
        ):
            row.status = "expired"
            row.next_attempt_at = None
            run.expired += 1
    if not mailer.configured:
        run.waiting_for_server = True
        return run
    with store.read() as session:
        due = list(
            session.scalars(
                select(OutboxMail)
                .where(OutboxMail.status == "waiting", OutboxMail.next_attempt_at <= now, *mine)
                .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
                .limit(limit)
            )
        )
    if not due:
        return run
    mails = [Mail((m.recipient,), m.subject, m.text, m.html, sender=m.sender) for m in due]
    errors = mailer.send_each(mails)
    done = store.clock.now()
    with store.unit() as session:
        for row, error in zip(due, errors, strict=True):
            mail = session.get(OutboxMail, row.id, with_for_update=True)
            if mail is None or mail.status != "waiting" or mail.attempts != row.attempts:
                continue  # another worker took it meanwhile
            mail.attempts += 1
            mail.last_error = error
            if error is None:
                mail.status, mail.sent_at, mail.next_attempt_at = "sent", done, None
                run.sent += 1
            elif mail.attempts > len(RETRY_DELAYS):
                mail.status, mail.next_attempt_at = "failed", None
                run.failed += 1
                run.errors.append(error)
            else:
                mail.next_attempt_at = done + RETRY_DELAYS[mail.attempts - 1]
                run.retrying += 1
                run.errors.append(error)
    return run


# reading the outbox -----------------------------------------------------------------------
def _check_status(status: str | None) -> None:
    if status is not None and status not in STATUSES:
        raise not_one_of("status", status, STATUSES)


def outbox_page(
    store: Store,
    caller: Caller,
    *,
    status: str | None = None,
    limit: int = 50,
    before: str | None = None,
) -> Slice[OutboxMail]:
    """The caller's outbox, newest first; `before` an id, for the page after one."""
    caller.require("read")
    _check_status(status)
    query = select(OutboxMail).where(OutboxMail.organization_id == caller.organization_id)
    if status is not None:
        query = query.where(OutboxMail.status == status)
    if before:
        query = query.where(OutboxMail.id < before)
    with store.read() as session:
        rows = list(session.scalars(query.order_by(OutboxMail.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Slice(rows, more, rows[-1].id if more and rows else None)


def outbox_counts(store: Store, caller: Caller) -> dict[str, int]:
    """How many of the caller's mails are in each status."""
    with store.read() as session:
        rows = session.execute(
            select(OutboxMail.status, func.count())
            .where(OutboxMail.organization_id == caller.organization_id)
            .group_by(OutboxMail.status)
        )
        found = dict(rows.all())
    return {status: int(found.get(status, 0)) for status in STATUSES}


def outbox_mail(store: Store, caller: Caller, mail_id: str) -> OutboxMail:
    """One mail of the caller's outbox; a secret one without its body."""
    caller.require("read")
    with store.read() as session:
        row = session.get(OutboxMail, mail_id)
        if row is None or row.organization_id != caller.organization_id:
            raise NotFound("mail", mail_id, field="mail_id")
        session.expunge(row)
    if row.secret:
        row.text = row.html = ""
    return row


def send_again(store: Store, caller: Caller, mail_id: str) -> OutboxMail:
    """Put a failed mail back in line (after fixing the server's settings)."""
    caller.require("partners:write")
    with store.unit() as session:
        row = session.get(OutboxMail, mail_id, with_for_update=True)
        if row is None or row.organization_id != caller.organization_id:
            raise NotFound("mail", mail_id, field="mail_id")
        if row.status != "failed":
            raise InvalidInput("mail_id", "only a mail that was given up can be sent again")
        row.status, row.attempts, row.next_attempt_at = "waiting", 0, store.clock.now()
        return row
