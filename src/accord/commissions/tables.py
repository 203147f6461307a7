"""Commissions and their adjustments (reversals), one per attributed partner share."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.base import Base, DecimalText, UTCDateTime


class Commission(Base):
    __tablename__ = "commissions"
    __table_args__ = (
        Index("ix_commissions_program_status", "program_id", "status"),
        Index("ix_commissions_partner_status", "partner_id", "status"),
        Index("ix_commissions_partner_month", "program_id", "partner_id", "month_key"),
        Index("ix_commissions_program_day", "program_id", "day_key"),
        Index("ix_commissions_program_occurred", "program_id", "occurred_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"))
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"))
    #: conversion: earned by a conversion; bonus: a month target reached.
    kind: Mapped[str] = mapped_column(String(16), default="conversion")
    conversion_id: Mapped[str | None] = mapped_column(
        ForeignKey("conversions.id"), index=True, nullable=True
    )
    attribution_id: Mapped[str | None] = mapped_column(
        ForeignKey("attributions.id"), unique=True, nullable=True
    )
    #: For bonuses: unique per version, bonus, partner and month, so one is paid once.
    bonus_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    contract_version_id: Mapped[str] = mapped_column(ForeignKey("contract_versions.id"))
    payout_rule_id: Mapped[str | None] = mapped_column(ForeignKey("payout_rules.id"), nullable=True)
    event_type: Mapped[str] = mapped_column(String(64), default="sale")
    #: The order amount in the program currency the commission was computed on.
    basis_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    #: What the terms gave before a cap cut it.
    gross_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    #: The conversion's own currency and the rate used to reach the program currency.
    source_currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    fx_rate: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    #: The lines the amount was computed from (accord.contracts.engine.stored_lines).
    lines: Mapped[list | None] = mapped_column(JSON, nullable=True)
    month_key: Mapped[int] = mapped_column(Integer, default=0)
    day_key: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))
    amount_minor: Mapped[int] = mapped_column(BigInteger)  # current, after adjustments
    original_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    explanation: Mapped[dict] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lock_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    payout_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    #: Why the commission may not lock (and so never becomes payable) for now, e.g.
    #: awaiting_confirmation for a browser event the brand's server has not confirmed.
    hold_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: The brand's own words when it holds the commission by hand (`hold_reason` HELD_BY_BRAND).
    hold_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class CommissionAdjustment(Base):
    """An immutable change to a commission's amount, with its reason."""

    __tablename__ = "commission_adjustments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    commission_id: Mapped[str] = mapped_column(ForeignKey("commissions.id"), index=True)
    delta_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason_code: Mapped[str] = mapped_column(String(32))
    status_before: Mapped[str] = mapped_column(String(16))
    reversal_id: Mapped[str | None] = mapped_column(
        ForeignKey("conversion_reversals.id"), nullable=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime())
