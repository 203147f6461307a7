"""Messages between a brand and a partner of one of its programs: the thread on the
partner's page in the console and on the portal's Messages page, with a mail to the other
side (`MessagePosted`, written by the notices stage)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from accord.engage.tables import Announcement, AnnouncementRead, PartnerMessage
from accord.errors import Forbidden, InvalidInput, NotFound, Text
from accord.events.model import AnnouncementPublished, MessagePosted
from accord.events.service import record
from accord.ids import new_id
from accord.partners.enrollments import load_enrollment
from accord.partners.service import require_enrollment
from accord.programs.service import program_by_id
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
        raise InvalidInput("body", Text("keep a message under %(most)s characters",
                                        most=f"{MAX_BODY:,}"))  # fmt: skip
    _in_thread(store, caller, program_id, partner)
    now = store.clock.now()
    with store.unit() as session:
        recent = session.scalar(
            select(func.count()).where(
                PartnerMessage.program_id == program_id,
                PartnerMessage.partner_id == partner,
                PartnerMessage.author == side,
                PartnerMessage.created_at >= now - timedelta(hours=1),
            )
        )
        if recent >= PER_HOUR:
            raise InvalidInput("body", Text("at most %(most)s messages an hour; write again "
                                            "later", most=PER_HOUR))  # fmt: skip
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


# --- Announcements ------------------------------------------------------------------------

AUDIENCES = ("all", "group", "type")


@dataclass(frozen=True, slots=True)
class AnnouncementView:
    id: str
    title: str
    body: str
    audience: str
    audience_value: str | None
    by_mail: bool
    recipients: int
    reads: int
    published_at: datetime
    read_at: datetime | None = None  # for a partner: when it first opened it


def publish(store: Store, caller: Caller, program_id: str, *, title: str, body: str,
            audience: str = "all", value: str | None = None, by_mail: bool = False,
            user_id: str | None = None) -> AnnouncementView:  # fmt: skip
    """News to a program's approved partners: all, a group's members or a type's."""
    from accord.partners.service import audience as audience_of
    from accord.partners.types import check_selectors, own_types
    from accord.programs.service import load_program

    title, body = (title or "").strip(), (body or "").strip()
    if not 1 <= len(title) <= 200:
        raise InvalidInput("title", "give a title of 1 to 200 characters")
    if not body:
        raise InvalidInput("body", "write the announcement")
    if len(body) > 20_000:
        raise InvalidInput("body", "keep it under 20,000 characters")
    if audience not in AUDIENCES:
        raise InvalidInput("audience", "all, group or type")
    now = store.clock.now()
    with store.unit() as session:
        program = load_program(session, caller, program_id)
        if audience == "group":
            from accord.partners.recruiting import groups_of_program

            if value not in groups_of_program(session, program.id):
                raise InvalidInput("audience_value", "choose one of the program's groups")
        elif audience == "type":
            check_selectors([value or ""], own_types(session, program.organization_id),
                            "audience_value")  # fmt: skip
        else:
            value = None
        count = len(audience_of(session, program.id, audience, value))
        row = Announcement(id=new_id("ann"), organization_id=program.organization_id,
                           program_id=program.id, title=title, body=body, audience=audience,
                           audience_value=value, by_mail=bool(by_mail), recipients=count,
                           created_by=user_id, published_at=now)  # fmt: skip
        session.add(row)
        record(session, AnnouncementPublished(
            organization_id=program.organization_id, program_id=program.id, occurred_at=now,
            announcement_id=row.id, by_mail=bool(by_mail),
        ))  # fmt: skip
        return AnnouncementView(row.id, title, body, audience, value, row.by_mail, count, 0, now)


def announcements(store: Store, caller: Caller, program_id: str) -> list[AnnouncementView]:
    """A brand's announcements in a program, newest first, with how many read each; or a
    partner's (those for it), with when it read each."""
    from accord.partners.service import audience as audience_of

    with store.read() as session:
        if caller.partner_id is None:
            from accord.programs.service import load_program

            load_program(session, caller, program_id)
        elif load_enrollment(session, program_id, caller.partner_id) is None:
            raise NotFound("program", program_id, field="program_id")
        rows = list(session.scalars(
            select(Announcement).where(Announcement.program_id == program_id)
            .order_by(Announcement.published_at.desc(), Announcement.id.desc()).limit(200)
        ))  # fmt: skip
        reads = dict(session.execute(
            select(AnnouncementRead.announcement_id, func.count())
            .where(AnnouncementRead.announcement_id.in_([r.id for r in rows]))
            .group_by(AnnouncementRead.announcement_id)
        ).all()) if caller.partner_id is None else {}  # fmt: skip
        mine: dict = {}
        if caller.partner_id is not None:
            rows = [r for r in rows if caller.partner_id in set(
                audience_of(session, program_id, r.audience, r.audience_value))]  # fmt: skip
            mine = dict(session.execute(
                select(AnnouncementRead.announcement_id, AnnouncementRead.read_at).where(
                    AnnouncementRead.partner_id == caller.partner_id,
                    AnnouncementRead.announcement_id.in_([r.id for r in rows]))
            ).all())  # fmt: skip
        return [AnnouncementView(r.id, r.title, r.body, r.audience, r.audience_value, r.by_mail,
                                 r.recipients, int(reads.get(r.id, 0)), r.published_at,
                                 mine.get(r.id)) for r in rows]  # fmt: skip


def mark_read(store: Store, caller: Caller, announcement_ids: list[str]) -> int:
    """A partner opened these announcements: each counted once, the first time."""
    if caller.partner_id is None or not announcement_ids:
        return 0
    now = store.clock.now()
    with store.unit() as session:
        seen = set(session.scalars(select(AnnouncementRead.announcement_id).where(
            AnnouncementRead.partner_id == caller.partner_id,
            AnnouncementRead.announcement_id.in_(announcement_ids))))  # fmt: skip
        fresh = [a for a in announcement_ids if a not in seen]
        session.add_all(AnnouncementRead(announcement_id=a, partner_id=caller.partner_id,
                                         read_at=now) for a in fresh)  # fmt: skip
        return len(fresh)


def announcement_of(session, announcement_id: str) -> Announcement | None:
    return session.get(Announcement, announcement_id)
