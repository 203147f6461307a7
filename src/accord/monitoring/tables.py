"""Alerts about unusual days, and who gets the weekly report digest."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.base import Base, UTCDateTime


class Alert(Base):
    """A partner's metric that was unusual on a day: one row per partner, metric and day."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("program_id", "partner_id", "metric", "day"),
        Index("ix_alerts_program_day", "program_id", "day"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"))
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"))
    #: clicks, conversion_rate or reversal_rate
    metric: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date())
    value: Mapped[float] = mapped_column(Float())
    #: The baseline's median: what the same weekdays before it had.
    expected: Mapped[float] = mapped_column(Float())
    #: The robust z-score (see accord.monitoring.model).
    score: Mapped[float] = mapped_column(Float())
    direction: Mapped[str] = mapped_column(String(8))  # up, down
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ReportDigest(Base):
    """A console user's weekly digest: on or off, in which language, and the last week sent."""

    __tablename__ = "report_digests"

    #: No foreign key: removing a user (tenancy) must not wait for this table; a row of a
    #: removed user is ignored, as only the organization's current users are sent digests.
    user_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    weekly: Mapped[bool] = mapped_column(Boolean(), default=False)
    #: en or zh_Hans
    language: Mapped[str] = mapped_column(String(16), default="en")
    #: The Monday of the last week whose digest this user was sent (one per week).
    last_week_sent: Mapped[date | None] = mapped_column(Date(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
