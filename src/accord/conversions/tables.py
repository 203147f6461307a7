"""Conversions reported by brands, their reversals, attributions and rejected events."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.base import Base, DecimalText, UTCDateTime


class Conversion(Base):
    __tablename__ = "conversions"
    __table_args__ = (
        UniqueConstraint("program_id", "order_id", "event_type"),
        Index("ix_conversions_program_received", "program_id", "received_at"),
        Index("ix_conversions_program_customer", "program_id", "customer_id"),
        Index("ix_conversions_program_subscription", "program_id", "subscription_id"),
        Index("ix_conversions_program_occurred", "program_id", "occurred_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"))
    event_type: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[str] = mapped_column(String(200))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    reversed_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    #: The amount in the program's currency, at `fx_rate` (None: the same currency).
    program_amount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    fx_rate: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    customer_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    customer_status: Mapped[str] = mapped_column(String(16))  # new, returning
    customer_status_source: Mapped[str] = mapped_column(String(16))  # reported, derived
    click_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    promo_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    items: Mapped[list | None] = mapped_column(JSON, nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    device_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    #: Renewals name their subscription; its first conversion decides the partner.
    subscription_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: How it reached Accord: api, batch, form, csv, pixel, js, app, inquiry.
    source: Mapped[str] = mapped_column(String(16), default="api")
    email_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(512), nullable=True)
    #: SHA-256 of the payment fingerprint, and the host of the landing referrer, when sent
    payment_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    referrer_host: Mapped[str | None] = mapped_column(String(255), nullable=True)
    #: Device and WeChat identifiers the event carried ({"gaid": ..., "openid": ...}).
    identities: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))  # attributed, unattributed, reversed
    partner_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    attribution_reason: Mapped[str] = mapped_column(String(64))
    commission_note: Mapped[str | None] = mapped_column(String(64), nullable=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    request: Mapped[dict] = mapped_column(JSON)
    #: Browser events: awaiting (its commissions are held until the brand's server confirms
    #: it), confirmed, or signed (a token from the brand's server came with it). None: sent
    #: by the brand's server.
    confirmation: Mapped[str | None] = mapped_column(String(16), nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Attribution(Base):
    """Which touchpoint earned which share of a conversion's credit."""

    __tablename__ = "attributions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    conversion_id: Mapped[str] = mapped_column(ForeignKey("conversions.id"), index=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    touchpoint_kind: Mapped[str] = mapped_column(String(16))  # click, promo_code
    touchpoint_ref: Mapped[str] = mapped_column(String(64))
    touched_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    model: Mapped[str] = mapped_column(String(32))
    share: Mapped[Decimal] = mapped_column(DecimalText())


class ConversionReversal(Base):
    __tablename__ = "conversion_reversals"
    __table_args__ = (UniqueConstraint("conversion_id", "idempotency_key"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    conversion_id: Mapped[str] = mapped_column(ForeignKey("conversions.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason_code: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    request: Mapped[dict] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class RejectedEvent(Base):
    """A request Accord could not process, kept with its reason: nothing is dropped."""

    __tablename__ = "rejected_events"
    __table_args__ = (Index("ix_rejected_org_at", "organization_id", "at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    kind: Mapped[str] = mapped_column(String(32))  # conversion, reversal
    payload: Mapped[str] = mapped_column(Text)
    error_code: Mapped[str] = mapped_column(String(64))
    field: Mapped[str | None] = mapped_column(String(200), nullable=True)
    message: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
