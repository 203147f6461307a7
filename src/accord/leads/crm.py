"""The light CRM, for a brand without one: each contact has an owner (the sales rep who
works it), notes in its history, and tasks due on a day; a rep's day lists what is due and
the people handed to them, readiest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from accord.errors import Conflict, InvalidInput, NotFound
from accord.ids import new_id
from accord.leads.scoring import who as _who
from accord.leads.service import _own, add_activity
from accord.leads.tables import Contact, LeadTask
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import list_users, require_brand

#: Roles a contact may be handed to.
OWNER_ROLES = ("owner", "manager", "sales")


@dataclass(frozen=True)
class Owner:
    id: str
    email: str
    role: str


def owners(store: Store, caller: Caller) -> list[Owner]:
    """The brand's users who may own contacts."""
    require_brand(caller)
    return [Owner(u.id, u.email, u.role) for u in list_users(store, caller)
            if u.role in OWNER_ROLES]  # fmt: skip


def assign(store: Store, caller: Caller, contact_id: str, user_id: str | None) -> Contact:
    """Hand a contact to a user (None: to nobody)."""
    require_brand(caller)
    if user_id and user_id not in {o.id for o in owners(store, caller)}:
        raise InvalidInput(
            "owner", "hand it to a user of yours who is an owner, manager or sales rep"
        )
    with store.unit() as session:
        contact = _own(session, caller, contact_id)
        if contact.owner_id != (user_id or None):
            contact.owner_id = user_id or None
            contact.owned_since = store.clock.now() if user_id else None
        return contact


def add_note(store: Store, caller: Caller, contact_id: str, text: str) -> str:
    """A note in the contact's history (a call, a meeting); returns the activity id."""
    note = (text or "").strip()
    if not note:
        raise InvalidInput("note", "write the note")
    if len(note) > 5000:
        raise InvalidInput("note", "at most 5,000 characters")
    return add_activity(store, caller, contact_id, "note", channel="console", source=_who(),
                        data={"note": note})  # fmt: skip


@dataclass(frozen=True)
class Task:
    id: str
    contact_id: str
    contact_name: str | None
    owner_id: str | None
    title: str
    due: date
    done_at: datetime | None
    created_by: str | None

    def overdue(self, today: date) -> bool:
        return self.done_at is None and self.due < today


def add_task(
    store: Store, caller: Caller, contact_id: str, title: str, due: date | str,
    owner_id: str | None = None,
) -> Task:  # fmt: skip
    require_brand(caller)
    text = (title or "").strip()
    if not text:
        raise InvalidInput("title", "say what to do")
    if len(text) > 500:
        raise InvalidInput("title", "at most 500 characters")
    if isinstance(due, str):
        try:
            due = date.fromisoformat(due.strip())
        except ValueError:
            raise InvalidInput("due", "give the day as YYYY-MM-DD") from None
    now = store.clock.now()
    with store.unit() as session:
        contact = _own(session, caller, contact_id)
        row = LeadTask(
            id=new_id("tsk"), organization_id=caller.organization_id, contact_id=contact.id,
            origin_contact_id=contact.id, owner_id=owner_id or contact.owner_id,
            title=text, due=due, created_at=now, created_by=_who(),
        )  # fmt: skip
        session.add(row)
        return Task(row.id, contact.id, contact.name, row.owner_id, text, due, None, row.created_by)


def complete_task(store: Store, caller: Caller, task_id: str) -> Task:
    require_brand(caller)
    with store.unit() as session:
        row = session.get(LeadTask, task_id)
        if row is None or row.organization_id != caller.organization_id:
            raise NotFound("task", task_id)
        if row.done_at is not None:
            raise Conflict("this task is done already")
        row.done_at = store.clock.now()
        contact = session.get(Contact, row.contact_id)
        return Task(row.id, row.contact_id, contact.name if contact else None, row.owner_id,
                    row.title, row.due, row.done_at, row.created_by)  # fmt: skip


def tasks_of(
    store: Store, caller: Caller, *, contact_id: str | None = None, owner_id: str | None = None,
    due_by: date | None = None, open_only: bool = True,
) -> list[Task]:  # fmt: skip
    require_brand(caller)
    with store.read() as session:
        query = select(LeadTask, Contact.name).join(Contact, Contact.id == LeadTask.contact_id)
        query = query.where(LeadTask.organization_id == caller.organization_id)
        if contact_id:
            query = query.where(LeadTask.contact_id == _own(session, caller, contact_id).id)
        if owner_id:
            query = query.where(LeadTask.owner_id == owner_id)
        if due_by:
            query = query.where(LeadTask.due <= due_by)
        if open_only:
            query = query.where(LeadTask.done_at.is_(None))
        return [
            Task(t.id, t.contact_id, name, t.owner_id, t.title, t.due, t.done_at, t.created_by)
            for t, name in session.execute(query.order_by(LeadTask.due, LeadTask.id).limit(500))
        ]


@dataclass(frozen=True)
class MyContact:
    id: str
    name: str | None
    company: str | None
    stage: str
    behaviour: int
    fit: int
    last_activity_at: datetime | None


def my_contacts(store: Store, caller: Caller, user_id: str, limit: int = 100) -> list[MyContact]:
    """The contacts handed to a user that are still in play (not customers, not lost),
    readiest first."""
    require_brand(caller)
    with store.read() as session:
        rows = session.scalars(
            select(Contact)
            .where(
                Contact.organization_id == caller.organization_id,
                Contact.owner_id == user_id,
                Contact.merged_into.is_(None),
                Contact.stage.not_in(("customer", "lost")),
            )
            .order_by(Contact.behaviour.desc(), Contact.id)
            .limit(limit)
        )
        return [MyContact(c.id, c.name, c.company, c.stage, c.behaviour, c.fit,
                          c.last_activity_at) for c in rows]  # fmt: skip


def check_task(store: Store, caller: Caller, task_id: str) -> None:
    """404 unless the task is the brand's."""
    require_brand(caller)
    with store.read() as session:
        row = session.get(LeadTask, task_id)
        if row is None or row.organization_id != caller.organization_id:
            raise NotFound("task", task_id)
