"""Messages between a brand and a partner of one of its programs: the thread on the
partner's page in the console and on the portal's Messages page, with a mail to the other
side (`MessagePosted`, written by the notices stage)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from accord.engage.tables import PartnerMessage
from accord.errors import Forbidden, InvalidInput, NotFound
from accord.events.model import MessagePosted
from accord.events.service import record
from accord.ids import new_id
from accord.partners.enrollments import load_enrollment
from accord.partners.service import require_enrollment
from accord.store.engine import Store
from accord.tenancy.model import Caller

MAX_BODY = 4000
#: The most messages one side may post to one thread in an hour.
PER_HOUR = 30


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    author: str  # brand, partner
    author_name: str
    body: str
    created_at: datetime
    read_at: datetime | None


def _thread_of(caller: Caller, partner_id: str | None) -> tuple[str, str]:
    """Which side the caller is on, and the partner whose thread it is."""
    if caller.partner_id is not None:
        if partner_id is not None and partner_id != caller.partner_id:
            raise Forbidden("a partner reads its own messages")
        return "partner", caller.partner_id
    if partner_id is None:
        raise InvalidInput("partner_id", "name the partner")
    return "brand", partner_id


def _in_thread(store: Store, caller: Caller, program_id: str, partner_id: str) -> None:
    """The brand's own program with the partner in it, or the partner's own enrollment."""
    if caller.partner_id is None:
        require_enrollment(store, caller, program_id, partner_id)
        return
    with store.read() as session:
        if load_enrollment(session, program_id, partner_id) is None:
            raise NotFound("program", program_id, field="program_id")


def post(store: Store, caller: Caller, program_id: str, body: str, *,
         partner_id: str | None = None, user_id: str | None = None,
         author_name: str = "") -> Message:  # fmt: skip
    """A message in the thread of a program's brand and one of its partners."""
    side, partner = _thread_of(caller, partner_id)
    body = (body or "").strip()
    if not body:
        raise InvalidInput("body", "write the message")
    if len(body) > MAX_BODY:
        raise InvalidInput("body", f"keep a message under {MAX_BODY:,} characters")
    _in_thread(store, caller, program_id, partner)
    now = store.clock.now()
    with store.unit() as session:
        from datetime import timedelta

        recent = session.scalar(
            select(func.count()).where(
                PartnerMessage.program_id == program_id,
                PartnerMessage.partner_id == partner,
                PartnerMessage.author == side,
                PartnerMessage.created_at >= now - timedelta(hours=1),
            )
        )
        if recent >= PER_HOUR:
            raise InvalidInput("body", f"at most {PER_HOUR} messages an hour; write again later")
        from accord.programs.service import program_by_id

        program = program_by_id(session, program_id)
        row = PartnerMessage(
            id=new_id("msg"),
            organization_id=program.organization_id,
            program_id=program_id,
            partner_id=partner,
            author=side,
            author_user_id=user_id,
            author_name=(author_name or "").strip()[:320] or side,
            body=body,
            created_at=now,
        )
        session.add(row)
        record(session, MessagePosted(
            organization_id=program.organization_id, program_id=program_id, occurred_at=now,
            partner_id=partner, message_id=row.id, author=side,
        ))  # fmt: skip
        return _message(row)


def _message(row: PartnerMessage) -> Message:
    return Message(row.id, row.author, row.author_name, row.body, row.created_at, row.read_at)


def thread(store: Store, caller: Caller, program_id: str, *, partner_id: str | None = None,
           mark_read: bool = True, limit: int = 200) -> list[Message]:  # fmt: skip
    """The thread, oldest first (its last `limit` messages); reading it marks the other
    side's messages read."""
    side, partner = _thread_of(caller, partner_id)
    _in_thread(store, caller, program_id, partner)
    now = store.clock.now()
    where = (PartnerMessage.program_id == program_id, PartnerMessage.partner_id == partner)
    with store.unit() as session:
        rows = list(
            session.scalars(
                select(PartnerMessage)
                .where(*where)
                .order_by(PartnerMessage.created_at.desc(), PartnerMessage.id.desc())
                .limit(limit)
            )
        )
        found = [_message(r) for r in reversed(rows)]
        if mark_read:
            session.execute(
                update(PartnerMessage)
                .where(*where, PartnerMessage.author != side, PartnerMessage.read_at.is_(None))
                .values(read_at=now)
            )
        return found


def unread(store: Store, caller: Caller, program_id: str | None = None) -> int:
    """Messages the caller's side has not read: for a partner, the brands' (in one program
    or all); for a brand, its partners'."""
    with store.read() as session:
        query = select(func.count()).where(PartnerMessage.read_at.is_(None))
        if caller.partner_id is not None:
            query = query.where(
                PartnerMessage.partner_id == caller.partner_id, PartnerMessage.author == "brand"
            )
        else:
            query = query.where(
                PartnerMessage.organization_id == caller.organization_id,
                PartnerMessage.author == "partner",
            )
        if program_id is not None:
            query = query.where(PartnerMessage.program_id == program_id)
        return int(session.scalar(query) or 0)


def message_of(session, message_id: str) -> PartnerMessage | None:
    """A message, for the mail that tells of it."""
    return session.get(PartnerMessage, message_id)
