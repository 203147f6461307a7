"""Tracking links, promo codes and the append-only click log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.base import Base, UTCDateTime


class Link(Base):
    __tablename__ = "links"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"), index=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    destination_url: Mapped[str] = mapped_column(String(2000))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
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
    __table_args__ = (Index("ix_clicks_program_at", "program_id", "at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # the click id
    link_id: Mapped[str] = mapped_column(String(40), index=True)
    program_id: Mapped[str] = mapped_column(String(40))
    partner_id: Mapped[str] = mapped_column(String(40), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(512), nullable=True)
    referrer: Mapped[str | None] = mapped_column(String(2000), nullable=True)
