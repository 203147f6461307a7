"""What browsers do on the brand's site, tied to people once they say who they are.

The tag (`accord.js` with `data-leads`) gives each browser a first-party cookie id and
sends its page views and custom events (`accord('event', 'pricing_view')`) to
`POST /t/leads`. A view from a browser whose cookie belongs to a contact is an activity of
that contact at once. Until then it waits here, by cookie id (`AnonymousVisit`), and the
capture that first names the cookie (a hosted form sent from that browser, a gated
download, the tag's `accord('identify', {...})`, or the API) moves every waiting view into
the person's activities, so their score sees what they read before they were known.

Waiting views are kept for `KEEP_DAYS` days and at most `MAX_WAITING` a browser (the
newest), so that robots cannot fill the database.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from accord.ids import new_id
from accord.leads.model import BadIdentity, Utm, check_activity_type
from accord.leads.scoring import locked_settings, rescore, settings_of
from accord.leads.tables import Activity, AnonymousVisit, Contact, ContactIdentity
from accord.store.engine import Store

KEEP_DAYS = 90
MAX_WAITING = 500
_COOKIE = re.compile(r"^[A-Za-z0-9_.-]{8,64}$")


class Identify(BaseModel):
    """Who the browser's person is, as the brand's own page knows it (a sign-in, its own
    form)."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    customer_id: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=200)
    company: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=200)


class Seen(BaseModel):
    """What a browser did: a page view or an event, with where it came from."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(
        default="page_view", max_length=40,
        description="page_view, or a custom event: pricing_view, video_watch, ...",
    )  # fmt: skip
    url: str | None = Field(default=None, max_length=2000)
    title: str | None = Field(default=None, max_length=500)
    referrer: str | None = Field(default=None, max_length=2000)
    utm: Utm | None = None
    data: dict[str, Any] | None = None

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        try:
            return check_activity_type(value)
        except BadIdentity as error:
            raise ValueError(error.message) from None

    @field_validator("data")
    @classmethod
    def _data(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and (len(value) > 20 or len(json.dumps(value, default=str)) > 2000):
            raise ValueError("at most 20 keys and 2,000 characters as JSON")
        return value


class Visit(Seen):
    """One thing a browser did, as the tag sends it: the brand's program and the browser's
    id with it, and who the person is when the page knows."""

    program_id: str = Field(max_length=40, description="Any of the brand's programs.")
    vid: str = Field(max_length=64, description="The tag's cookie id for this browser.")
    identify: Identify | None = None

    @field_validator("vid")
    @classmethod
    def _vid(cls, value: str) -> str:
        if not _COOKIE.match(value):
            raise ValueError("must be 8 to 64 letters, digits, dots, dashes or underscores")
        return value


def _fields(visit: Seen) -> dict[str, Any]:
    """The activity's fields: where the view came from, what it was about."""
    utm = visit.utm.model_dump(exclude_none=True) if visit.utm else None
    referrer_host = urlsplit(visit.referrer).hostname if visit.referrer else None
    page = visit.title or (urlsplit(visit.url).path if visit.url else None)
    return {
        "type": visit.type, "channel": "web",
        "source": ((utm or {}).get("source") or referrer_host or None),
        "campaign": (utm or {}).get("campaign"), "utm": utm or None,
        "referrer": visit.referrer, "keyword": (utm or {}).get("term"),
        "subject": (page or "")[:500] or None,
        "data": ({"url": visit.url} if visit.url else {}) | (visit.data or {}) or None,
    }  # fmt: skip


def root_of(session: Session, contact_id: str) -> Contact | None:
    """The contact a record is part of now (itself, or the one it was merged into); None
    if it is gone (erased)."""
    contact = session.get(Contact, contact_id)
    seen: set[str] = set()
    while contact is not None and contact.merged_into and contact.id not in seen:
        seen.add(contact.id)
        contact = session.get(Contact, contact.merged_into)
    return contact


def consents_now(session: Session, contact_id: str) -> dict[str, dict[str, Any]]:
    """A contact's latest consent per purpose, from its activities:
    {"marketing": {"granted": True, "at": ..., "source": ...}}."""
    out: dict[str, dict[str, Any]] = {}
    for consent, at, source in session.execute(
        select(Activity.consent, Activity.at, Activity.source)
        .where(Activity.contact_id == contact_id, Activity.consent.is_not(None))
        .order_by(Activity.at, Activity.id)
    ):
        for purpose, granted in (consent or {}).items():
            out[purpose] = {"granted": bool(granted), "at": at, "source": source}
    return out


def _holder(session: Session, organization_id: str, cookie: str) -> str | None:
    return session.scalar(
        select(ContactIdentity.contact_id)
        .where(ContactIdentity.organization_id == organization_id,
               ContactIdentity.kind == "cookie", ContactIdentity.value == cookie,
               ContactIdentity.shared.is_(False))
        .limit(1)
    )  # fmt: skip


def record_visit(store: Store, organization_id: str, vid: str, seen: Seen) -> str:
    """Record what the browser `vid` did: `activity` (its person is known) or `waiting`."""
    now = store.clock.now()
    fields = _fields(seen)
    with store.unit() as session:
        holder = _holder(session, organization_id, vid)
        if holder is not None:
            kind = fields.pop("type")
            if record_for(session, holder, kind, now, **fields) is not None:
                return "activity"
            fields["type"] = kind
        waiting = session.scalar(
            select(func.count()).where(AnonymousVisit.organization_id == organization_id,
                                       AnonymousVisit.cookie == vid)
        )  # fmt: skip
        if (waiting or 0) >= MAX_WAITING:
            oldest = session.scalar(
                select(AnonymousVisit.id)
                .where(AnonymousVisit.organization_id == organization_id,
                       AnonymousVisit.cookie == vid)
                .order_by(AnonymousVisit.at, AnonymousVisit.id).limit(1)
            )  # fmt: skip
            session.execute(delete(AnonymousVisit).where(AnonymousVisit.id == oldest))
        session.add(AnonymousVisit(id=new_id("vis"), organization_id=organization_id,
                                   cookie=vid, at=now, **fields))  # fmt: skip
        return "waiting"


def record_for(
    session: Session, contact_id: str, kind: str, now: datetime, *, channel: str | None,
    source: str | None = None, campaign: str | None = None, subject: str | None = None,
    consent: dict[str, bool] | None = None, data: dict | None = None,
    utm: dict | None = None, referrer: str | None = None, keyword: str | None = None,
) -> Contact | None:  # fmt: skip
    """An activity of a known person (whoever they are merged into now), scored at once;
    None if the contact is gone (erased)."""
    contact = root_of(session, contact_id)
    if contact is None:
        return None
    settings = settings_of(locked_settings(session, contact.organization_id, now))
    session.add(Activity(
        id=new_id("act"), organization_id=contact.organization_id, contact_id=contact.id,
        origin_contact_id=contact_id, type=kind, channel=channel,
        source=(source or "")[:200] or None, campaign=(campaign or "")[:200] or None,
        subject=(subject or "")[:500] or None, at=now, received_at=now, data=data,
        consent=consent, utm=utm, referrer=referrer, keyword=keyword,
    ))  # fmt: skip
    contact.last_activity_at = now
    session.flush()
    rescore(session, contact, settings, now)
    return contact


def claim(
    session: Session, organization_id: str, cookie: str, owner_id: str, contact_id: str
) -> int:
    """Move the views waiting under `cookie` into the activities of the contact that gave
    it (`owner_id`, now part of `contact_id`); returns how many."""
    rows = session.scalars(
        select(AnonymousVisit).where(AnonymousVisit.organization_id == organization_id,
                                     AnonymousVisit.cookie == cookie)
    ).all()  # fmt: skip
    for row in rows:
        session.add(Activity(
            id=new_id("act"), organization_id=organization_id, contact_id=contact_id,
            origin_contact_id=owner_id, type=row.type, channel=row.channel, source=row.source,
            campaign=row.campaign, utm=row.utm, referrer=row.referrer, keyword=row.keyword,
            subject=row.subject, at=row.at, received_at=row.at, data=row.data,
        ))  # fmt: skip
    if rows:
        session.execute(delete(AnonymousVisit).where(AnonymousVisit.id.in_([r.id for r in rows])))
    return len(rows)


def forget_old_visits(store: Store, now: datetime | None = None) -> int:
    """Drop views whose browser was never named within `KEEP_DAYS` days."""
    cutoff = (now or store.clock.now()) - timedelta(days=KEEP_DAYS)
    with store.unit() as session:
        gone = session.execute(delete(AnonymousVisit).where(AnonymousVisit.at < cutoff))
        return int(gone.rowcount or 0)


def check_vid(value: str | None) -> str | None:
    """A cookie id from a page (a form's hidden field), or None if it is not one."""
    if value and _COOKIE.match(value):
        return value
    return None
