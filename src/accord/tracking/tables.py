"""Tracking links, promo codes and the append-only click log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    UniqueConstraint,
    event,
    false,
)
from sqlalchemy import insert as sql_insert
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Mapped, Session, mapped_column

from accord.programs.tables import Program
from accord.store.base import Base, UTCDateTime


class Link(Base):
    __tablename__ = "links"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"), index=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    destination_url: Mapped[str] = mapped_column(String(2000))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PromoCode(Base):
    __tablename__ = "promo_codes"
    __table_args__ = (UniqueConstraint("program_id", "code"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"), index=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))  # stored upper case
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Click(Base):
    """One click on a tracking link. Append-only: never updated."""

    __tablename__ = "clicks"
    # Reports by partner and time read this index alone (no table rows): keep it covering.
    __table_args__ = (Index("ix_clicks_program_at", "program_id", "at", "partner_id", "duplicate"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # the click id
    link_id: Mapped[str] = mapped_column(String(40), index=True)
    program_id: Mapped[str] = mapped_column(String(40))
    partner_id: Mapped[str] = mapped_column(String(40), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(512), nullable=True)
    referrer: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    destination_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    sub1: Mapped[str | None] = mapped_column(String(255), nullable=True)
    sub2: Mapped[str | None] = mapped_column(String(255), nullable=True)
    sub3: Mapped[str | None] = mapped_column(String(255), nullable=True)
    sub4: Mapped[str | None] = mapped_column(String(255), nullable=True)
    sub5: Mapped[str | None] = mapped_column(String(255), nullable=True)
    #: Not counted as unique: the same IP, link and user agent within the program's
    #: duplicate window, or a click fraud protection judged invalid (`invalid`).
    duplicate: Mapped[bool] = mapped_column(Boolean, default=False)
    #: How the browser fetched the link (its Sec-Fetch-Dest header: document, iframe,
    #: image, ...), when it said.
    fetch_dest: Mapped[str | None] = mapped_column(String(16), nullable=True)
    #: Fraud protection's score (0-100) and the click rules that fired ("bot,ip_flood").
    risk: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    risk_reasons: Mapped[str | None] = mapped_column(String(100), nullable=True)
    #: Judged invalid (the program in active mode, the score at its hold threshold): not
    #: unique, and it cannot win attribution.
    invalid: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Impression(Base):
    """A view of a partner's creative or link (view-through). Append-only."""

    __tablename__ = "impressions"
    __table_args__ = (
        Index("ix_impressions_program_at", "program_id", "at"),
        Index("ix_impressions_program_ip_at", "program_id", "ip", "at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    link_id: Mapped[str] = mapped_column(String(40), index=True)
    program_id: Mapped[str] = mapped_column(String(40))
    partner_id: Mapped[str] = mapped_column(String(40), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(512), nullable=True)
    sub1: Mapped[str | None] = mapped_column(String(255), nullable=True)


class Identity(Base):
    """A customer identifier seen with a click: a device id, a WeChat OpenID or UnionID.

    Events from apps and mini-programs often carry no click id; they name the device or the
    WeChat user, and this table leads back to the click that brought them.
    """

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("program_id", "kind", "value"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    program_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))  # gaid, idfa, idfv, openid, unionid
    value: Mapped[str] = mapped_column(String(200))
    click_id: Mapped[str] = mapped_column(String(40))
    partner_id: Mapped[str] = mapped_column(String(40))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LinkRevision(Base):
    """One row counting changes to links and programs, for the native click edge.

    Every flush that adds, changes or deletes a link or a program adds one, in the same
    transaction. A process serving the native edge polls this number and rewrites the
    edge's link snapshot when it moves (see accord.edge.native).
    """

    __tablename__ = "link_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


@event.listens_for(Session, "before_flush")
def _count_link_changes(session: Session, _context, _instances) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if not any(isinstance(item, Link | Program) for item in changed):
        return
    table = LinkRevision.__table__
    bumped = session.execute(sql_update(table).values(revision=table.c.revision + 1))
    if bumped.rowcount == 0:
        session.execute(sql_insert(table).values(id=1, revision=1))
