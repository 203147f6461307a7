"""Customer journeys: the touchpoints that led to each conversion, kept with it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.base import Base, DecimalText, UTCDateTime


class Journey(Base):
    """One conversion's journey: written with the conversion, in the same transaction."""

    __tablename__ = "journeys"
    __table_args__ = (
        Index("ix_journeys_program_converted", "program_id", "converted_at", "conversion_id"),
        Index("ix_journeys_program_customer", "program_id", "customer_id"),
    )

    conversion_id: Mapped[str] = mapped_column(ForeignKey("conversions.id"), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(40))
    program_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    converted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The order's amount in the program's currency when it was recorded.
    value_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    model: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(64))
    steps: Mapped[int] = mapped_column(Integer)
    #: The attribution policy version that decided (None: the program's default rule).
    policy_id: Mapped[str | None] = mapped_column(String(40), nullable=True)


class JourneyStep(Base):
    """One touchpoint of a journey, in time order (`position` from 0)."""

    __tablename__ = "journey_steps"
    __table_args__ = (UniqueConstraint("conversion_id", "position"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    conversion_id: Mapped[str] = mapped_column(ForeignKey("journeys.conversion_id"))
    position: Mapped[int] = mapped_column(Integer)
    #: click, impression, promo_code, app_identity, subscription, inquiry
    step_type: Mapped[str] = mapped_column(String(16))
    #: How it is tied to the customer: click_id, code, customer, shopper, assigned, or the
    #: app identity's kind (gaid, idfa, idfv, openid, unionid).
    via: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    partner_id: Mapped[str] = mapped_column(String(40))
    partner_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    link_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    credited: Mapped[bool] = mapped_column(Boolean, default=False)
    share: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    #: Why a touch in the window earned nothing under the policy: protected:<type> (a
    #: partner type with priority came first) or code_did_not_win.
    note: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AttributionPolicyRow(Base):
    """One version of a program's attribution policy (for one event type, or all when
    `event_type` is NULL), in force from `effective_from` until a later version starts."""

    __tablename__ = "attribution_policies"
    __table_args__ = (Index("ix_attribution_policies_program", "program_id", "effective_from"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(40))
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"))
    event_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime())
    model: Mapped[str] = mapped_column(String(32))
    window_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    first_weight: Mapped[Decimal] = mapped_column(DecimalText())
    last_weight: Mapped[Decimal] = mapped_column(DecimalText())
    half_life_hours: Mapped[int] = mapped_column(Integer)
    code_policy: Mapped[str] = mapped_column(String(32))
    type_priority: Mapped[list] = mapped_column(JSON)
    priority_hours: Mapped[int] = mapped_column(Integer)
    split: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
