"""Partners and their enrollments in programs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.base import Base, UTCDateTime


class Partner(Base):
    __tablename__ = "partners"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    partner_type: Mapped[str] = mapped_column(String(32))
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    #: The partner's site or main channel, for the brand reviewing an application.
    website: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    #: The currency payouts are sent in (None: the program's currency).
    payout_currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    #: sepa, paypal, stripe or manual, with its details (IBAN/BIC, PayPal email, acct_ id).
    payout_method: Mapped[str | None] = mapped_column(String(16), nullable=True)
    payout_details: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Enrollment(Base):
    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("program_id", "partner_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"), index=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    contract_id: Mapped[str | None] = mapped_column(ForeignKey("contracts.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # applied, approved, declined, suspended
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: What the partner wrote when applying (how they will promote the program).
    application_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: Why the brand declined or suspended the partner (shown to the partner); None once
    #: approved again.
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: Moves to another contract, oldest first: {"contract_id": id or None (the program's
    #: default), "from": ISO time it takes effect, "decided_at": ISO time}. `contract_id`
    #: above is the contract before the first move (`accord.partners.enrollments.contract_at`).
    contract_moves: Mapped[list | None] = mapped_column(JSON, nullable=True)
