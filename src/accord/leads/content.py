"""The content library: what the brand publishes to draw people in (articles, white
papers and slide decks as PDF, videos, event and livestream pages), each with a public page
that reads well on a phone (`/content/{id}`, `web.public_content`).

- Each view, download and share is an activity of whoever did it: the page keeps a
  first-party id for the browser, so that what it did waits (`leads.visits`) until the
  person is known, and is theirs from then on.
- A file can be gated by one of the brand's hosted forms: the page shows the form, and
  sending it gives the person a download link of their own (`LeadContentGrant`), so that
  each download is an activity of theirs and the form's activity is about this item.
- A share is a link carrying the sharer's id: people who open it are counted as brought
  by a share (source `share`), and the share is an activity of the sharer.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accord.errors import InvalidInput, NotFound, Text
from accord.ids import new_id
from accord.leads.tables import LeadContent, LeadContentGrant, LeadForm
from accord.leads.visits import Seen, check_vid, record_for, record_visit
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand

KINDS = ("article", "white_paper", "deck", "video", "event", "livestream")
#: The most a file may weigh.
MAX_FILE = 20 * 1024 * 1024
FILE_TYPES = {"application/pdf": ".pdf", "application/vnd.ms-powerpoint": ".ppt",
              "application/vnd.openxmlformats-officedocument.presentationml.presentation":
              ".pptx"}  # fmt: skip
_TAG = re.compile(r"^[\w][\w .&+-]{0,39}$", re.UNICODE)


@dataclass(frozen=True)
class ContentItem:
    id: str
    kind: str
    title: str
    summary: str | None
    body: str | None
    url: str | None
    tags: tuple[str, ...]
    category: str | None
    form_id: str | None
    published: bool
    file_name: str | None
    file_type: str | None
    file_size: int | None
    views: int
    downloads: int
    shares: int
    created_at: datetime
    updated_at: datetime
    organization_id: str = ""

    @property
    def has_file(self) -> bool:
        return self.file_name is not None


def _item(row: LeadContent) -> ContentItem:
    return ContentItem(
        row.id, row.kind, row.title, row.summary, row.body, row.url, tuple(row.tags or ()),
        row.category, row.form_id, row.published, row.file_name, row.file_type, row.file_size,
        row.views, row.downloads, row.shares, row.created_at, row.updated_at,
        row.organization_id,
    )  # fmt: skip


def _text(value: Any, name: str, limit: int, *, required: bool = False) -> str | None:
    text = str(value or "").strip()
    if not text:
        if required:
            raise InvalidInput(name, "is required")
        return None
    if len(text) > limit:
        raise InvalidInput(name, Text("at most %(most)s characters", most=f"{limit:,}"))
    return text


def check_spec(session: Session, caller: Caller, spec: Mapping[str, Any]) -> dict[str, Any]:
    kind = spec.get("kind")
    if kind not in KINDS:
        raise InvalidInput("kind", Text("use one of: %(choices)s", choices=", ".join(KINDS)))
    url = _text(spec.get("url"), "url", 2000)
    if url and not re.match(r"^https?://[^\s/]+\.[^\s]+$", url):
        raise InvalidInput("url", "give a full address starting with https://")
    raw_tags = spec.get("tags") or []
    if isinstance(raw_tags, str):
        raw_tags = re.split(r"[,\uff0c]", raw_tags)
    tags = []
    for tag in raw_tags:
        tag = " ".join(str(tag).split())
        if not tag:
            continue
        if not _TAG.match(tag):
            raise InvalidInput("tags", Text("%(tag)s: a tag is up to 40 letters, digits, "
                                            "spaces or .&+-", tag=repr(tag[:40])))  # fmt: skip
        if tag not in tags:
            tags.append(tag)
    if len(tags) > 20:
        raise InvalidInput("tags", "at most 20 tags")
    form_id = _text(spec.get("form_id"), "form_id", 40)
    if form_id is not None:
        form = session.get(LeadForm, form_id)
        if form is None or form.organization_id != caller.organization_id:
            raise InvalidInput("form_id", "name one of your hosted forms")
    published = spec.get("published", False)
    if not isinstance(published, bool):
        raise InvalidInput("published", "give true or false")
    return {
        "kind": kind, "title": _text(spec.get("title"), "title", 200, required=True),
        "summary": _text(spec.get("summary"), "summary", 1000),
        "body": _text(spec.get("body"), "body", 100_000), "url": url, "tags": tags,
        "category": _text(spec.get("category"), "category", 100), "form_id": form_id,
        "published": published,
    }  # fmt: skip


def save_content(
    store: Store, caller: Caller, spec: Mapping[str, Any], content_id: str | None = None
) -> ContentItem:
    require_brand(caller)
    now = store.clock.now()
    with store.unit() as session:
        values = check_spec(session, caller, spec)
        if content_id is None:
            row = LeadContent(id=new_id("cnt"), organization_id=caller.organization_id,
                              views=0, downloads=0, shares=0, created_at=now, **values)  # fmt: skip
            session.add(row)
        else:
            row = _own(session, caller, content_id)
            for name, value in values.items():
                setattr(row, name, value)
        row.updated_at = now
        session.flush()
        return _item(row)


def put_file(
    store: Store, caller: Caller, content_id: str, name: str, media_type: str, data: bytes
) -> ContentItem:
    """Keep the item's file (a PDF or a slide deck), replacing any before."""
    require_brand(caller)
    media_type = (media_type or "").split(";")[0].strip().lower()
    if media_type not in FILE_TYPES:
        raise InvalidInput("file", "upload a PDF or a PowerPoint deck (.pdf, .ppt, .pptx)")
    if not data:
        raise InvalidInput("file", "is empty")
    if len(data) > MAX_FILE:
        raise InvalidInput("file", Text("at most %(mib)s MiB", mib=MAX_FILE // (1024 * 1024)))
    if media_type == "application/pdf" and not data.startswith(b"%PDF-"):
        raise InvalidInput("file", "is not a PDF")
    clean = re.sub(r"[^\w.\- ]", "_", os.path.basename(name or ""))[:150].strip() or "file"
    if not clean.lower().endswith(FILE_TYPES[media_type]):
        clean += FILE_TYPES[media_type]
    with store.unit() as session:
        row = _own(session, caller, content_id)
        row.file, row.file_name, row.file_type = data, clean, media_type
        row.file_size = len(data)
        row.updated_at = store.clock.now()
        session.flush()
        return _item(row)


def _own(session: Session, caller: Caller, content_id: str) -> LeadContent:
    row = session.get(LeadContent, content_id)
    if row is None or row.organization_id != caller.organization_id:
        raise NotFound("content item", content_id)
    return row


def content_of(store: Store, caller: Caller, content_id: str) -> ContentItem:
    require_brand(caller)
    with store.read() as session:
        return _item(_own(session, caller, content_id))


def library(
    store: Store, caller: Caller, *, kind: str | None = None, tag: str | None = None,
    category: str | None = None,
) -> list[ContentItem]:  # fmt: skip
    """The brand's content, newest first, filtered by kind, tag or category."""
    require_brand(caller)
    with store.read() as session:
        query = select(LeadContent).where(LeadContent.organization_id == caller.organization_id)
        if kind:
            query = query.where(LeadContent.kind == kind)
        if category:
            query = query.where(LeadContent.category == category)
        items = [_item(r) for r in session.scalars(
            query.order_by(LeadContent.created_at.desc(), LeadContent.id))]  # fmt: skip
        return [i for i in items if not tag or tag in i.tags]


# the public page ----------------------------------------------------------------------------
def public_item(store: Store, content_id: str) -> ContentItem:
    with store.read() as session:
        row = session.get(LeadContent, (content_id or "")[:40])
        if row is None or not row.published:
            raise NotFound("content item", content_id)
        return _item(row)


def _count(store: Store, content_id: str, column) -> None:
    with store.unit() as session:
        session.execute(update(LeadContent).where(LeadContent.id == content_id)
                        .values({column: column + 1}))  # fmt: skip


def viewed(
    store: Store, item: ContentItem, vid: str | None, *, referrer: str | None = None,
    utm: Mapping[str, str] | None = None, shared_by: str | None = None,
) -> None:  # fmt: skip
    """Someone opened the item's page: counted, and an activity of their browser."""
    _count(store, item.id, LeadContent.views)
    if check_vid(vid) is None:
        return
    tags = {k: v[:200] for k, v in (utm or {}).items() if v}
    if check_vid(shared_by) and not tags.get("source"):
        tags["source"] = "share"
    record_visit(store, item.organization_id, vid, Seen(
        type="content_view", title=item.title, referrer=referrer, utm=tags or None,
        data={"content": item.id, "kind": item.kind},
    ))  # fmt: skip


def shared(store: Store, item: ContentItem, vid: str | None) -> None:
    """Someone took the item's share link: counted, and a `share` of their browser's."""
    _count(store, item.id, LeadContent.shares)
    if check_vid(vid):
        record_visit(store, item.organization_id, vid, Seen(
            type="share", title=item.title, data={"content": item.id}))  # fmt: skip


def grant(store: Store, item: ContentItem, contact_id: str) -> str:
    """A download token for a person who sent the item's gate form."""
    token = os.urandom(16).hex()
    with store.unit() as session:
        session.add(LeadContentGrant(token=token, organization_id=item.organization_id,
                                     content_id=item.id, contact_id=contact_id,
                                     created_at=store.clock.now()))  # fmt: skip
    return token


@dataclass(frozen=True)
class Download:
    name: str
    media_type: str
    data: bytes


def download(store: Store, item: ContentItem, vid: str | None, token: str | None) -> Download:
    """The item's file: free for anyone, or through a gate's token. Each download is an
    activity of the person (the token's) or of the browser."""
    if not item.has_file:
        raise NotFound("file", item.id)
    with store.unit() as session:
        if item.form_id is not None:
            found = session.get(LeadContentGrant, (token or "")[:64])
            if found is None or found.content_id != item.id:
                raise NotFound("download", item.id)
            record_for(
                session,
                found.contact_id,
                "download",
                store.clock.now(),
                channel="web",
                source=item.title,
                subject=item.title,
                data={"content": item.id},
            )
        row = session.get(LeadContent, item.id)
        data = row.file or b""
        session.execute(update(LeadContent).where(LeadContent.id == item.id)
                        .values(downloads=LeadContent.downloads + 1))  # fmt: skip
    if item.form_id is None and check_vid(vid):
        record_visit(store, item.organization_id, vid, Seen(
            type="download", title=item.title, data={"content": item.id}))  # fmt: skip
    return Download(item.file_name or "file", item.file_type or "application/octet-stream", data)
