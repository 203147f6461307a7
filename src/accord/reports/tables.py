"""Tables the reports keep of their own: incrementality tests a brand defines, and the
per-partner daily sums that fast reports read (see `accord.reports.days`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.base import Base, DecimalText, UTCDateTime


class Holdout(Base):
    """An incrementality test: a scope (a partner or a partner type) switched off for a
    period, or a share of its traffic held out during one, with the counts it produced."""

    __tablename__ = "holdouts"
    __table_args__ = (Index("ix_holdouts_program_created", "program_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"))
    name: Mapped[str] = mapped_column(String(200))
    design: Mapped[str] = mapped_column(String(16))  # switched_off, traffic
    scope_kind: Mapped[str] = mapped_column(String(16))  # partner, partner_type
    scope: Mapped[str] = mapped_column(String(40))  # a partner id or a partner type
    #: The share of the scope's traffic held out (traffic tests).
    share: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    #: The test's period: when the scope was off, or when traffic was held out.
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    until: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The matched period when the scope was on (switched-off tests).
    on_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    on_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: Traffic tests: visitors and conversions of each arm (exposed arm: None counts the
    #: scope's clicks and conversions in the period).
    exposed_visitors: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    exposed_conversions: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    held_visitors: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    held_conversions: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PartnerDay(Base):
    """A program's activity of one partner on one UTC day, summed: what the performance and
    lifecycle reports would add up from the clicks, conversions and commissions of that
    day. Kept by `accord.reports.days` for the days it covers; a day whose facts change
    after it was summed is marked (database triggers, `DirtyDay`) and read from the facts
    until it is summed again. `partner_id` is '' for conversions without a partner."""

    __tablename__ = "report_partner_days"
    __table_args__ = (
        # the days with attributed conversions, with what the lifecycle reads of them
        Index(
            "ix_report_partner_days_converting",
            "program_id",
            "day",
            "partner_id",
            "active_conversions",
            "active_revenue",
            "attributed_amount",
            "attributed_revenue",
            "first_active_at",
            "last_active_at",
            sqlite_where=text("attributed_conversions > 0"),
            postgresql_where=text("attributed_conversions > 0"),
        ),
    )

    program_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    partner_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    clicks: Mapped[int] = mapped_column(BigInteger, default=0)
    unique_clicks: Mapped[int] = mapped_column(BigInteger, default=0)
    conversions: Mapped[int] = mapped_column(BigInteger, default=0)
    revenue: Mapped[int] = mapped_column(BigInteger, default=0)
    commissions: Mapped[int] = mapped_column(BigInteger, default=0)
    new_conversions: Mapped[int] = mapped_column(BigInteger, default=0)
    new_revenue: Mapped[int] = mapped_column(BigInteger, default=0)
    returning_conversions: Mapped[int] = mapped_column(BigInteger, default=0)
    returning_revenue: Mapped[int] = mapped_column(BigInteger, default=0)
    reversed_conversions: Mapped[int] = mapped_column(BigInteger, default=0)
    reversed_revenue: Mapped[int] = mapped_column(BigInteger, default=0)
    #: The lifecycle's figures: conversions not left unattributed (amount ordered, and net
    #: of reversals), and of those the ones not reversed in full ("active").
    attributed_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    attributed_revenue: Mapped[int] = mapped_column(BigInteger, default=0)
    active_conversions: Mapped[int] = mapped_column(BigInteger, default=0)
    active_revenue: Mapped[int] = mapped_column(BigInteger, default=0)
    attributed_conversions: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Commission rows of the day (a commission of nothing still makes a report row).
    commission_rows: Mapped[int] = mapped_column(BigInteger, default=0)
    first_active_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_active_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class PartnerDayCover(Base):
    """Which days of a program `report_partner_days` holds: [covered_from, covered_until),
    less the days marked in `report_dirty_days`."""

    __tablename__ = "report_day_cover"

    program_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    covered_from: Mapped[datetime] = mapped_column(UTCDateTime())
    covered_until: Mapped[datetime] = mapped_column(UTCDateTime())
    built_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DirtyDay(Base):
    """A covered day whose clicks, conversions or commissions changed after it was summed
    (written by database triggers on those tables, in the writing transaction)."""

    __tablename__ = "report_dirty_days"

    program_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
