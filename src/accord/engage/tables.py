"""Messages between a brand and one of its partners, per program."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.base import Base, UTCDateTime


class PartnerMessage(Base):
    """One message of the thread between a program's brand and a partner."""

    __tablename__ = "partner_messages"
    __table_args__ = (Index("ix_partner_messages_thread", "program_id", "partner_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"))
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"))
    #: Who wrote it: "brand" or "partner", the user and the name shown.
    author: Mapped[str] = mapped_column(String(8))
    author_user_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    author_name: Mapped[str] = mapped_column(String(320))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: When the other side first saw it (None: not yet).
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Announcement(Base):
    """News from a brand to the partners of a program: all of them, a group, or a type
    (or group of types); shown in the portal and, when asked, sent by mail."""

    __tablename__ = "announcements"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    #: all, group (a partner group's id) or type (a partner type or group of types).
    audience: Mapped[str] = mapped_column(String(8))
    audience_value: Mapped[str | None] = mapped_column(String(40), nullable=True)
    by_mail: Mapped[bool] = mapped_column(default=False)
    #: How many partners it was for when it was published.
    recipients: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AnnouncementRead(Base):
    """A partner opened an announcement (the first time)."""

    __tablename__ = "announcement_reads"

    announcement_id: Mapped[str] = mapped_column(ForeignKey("announcements.id"), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime())
