"""Promotion periods a program names for itself (the predefined shopping festivals are
computed, not stored)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.base import Base, UTCDateTime


class PromotionPeriod(Base):
    __tablename__ = "promotion_periods"
    __table_args__ = (Index("ix_promotion_periods_program_starts", "program_id", "starts_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"))
    name: Mapped[str] = mapped_column(String(100))
    #: custom for a program's own; the predefined kinds are never stored.
    kind: Mapped[str] = mapped_column(String(16), default="custom")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The first instant after the period (the period is [starts_at, ends_at)).
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
