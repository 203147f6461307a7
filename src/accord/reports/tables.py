"""Tables the reports keep of their own: incrementality tests a brand defines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Index, String
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
