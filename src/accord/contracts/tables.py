"""Contracts, their versions and payout rules."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.base import Base, DecimalText, UTCDateTime


class Contract(Base):
    __tablename__ = "contracts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    is_default: Mapped[bool] = mapped_column(default=False)
    #: The partner types this contract is meant for: an applicant of one is offered it.
    partner_types: Mapped[list | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ContractVersion(Base):
    __tablename__ = "contract_versions"
    __table_args__ = (UniqueConstraint("contract_id", "number"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The whole terms as validated (accord.contracts.terms.TermsSpec); never changed.
    terms: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Partners keep earning under their last accepted version until they accept this one.
    requires_acceptance: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class ContractAcceptance(Base):
    """A partner's acceptance of a contract version: who, when, which version."""

    __tablename__ = "contract_acceptances"
    __table_args__ = (UniqueConstraint("contract_version_id", "partner_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    contract_version_id: Mapped[str] = mapped_column(ForeignKey("contract_versions.id"))
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    accepted_by: Mapped[str] = mapped_column(String(200))  # user email or API key id
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PayoutRule(Base):
    __tablename__ = "payout_rules"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    contract_version_id: Mapped[str] = mapped_column(ForeignKey("contract_versions.id"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str] = mapped_column(String(64))
    customer_status: Mapped[str] = mapped_column(String(16))  # any, new, returning
    percent: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    fixed_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    currency: Mapped[str] = mapped_column(String(3))
    group_name: Mapped[str] = mapped_column(String(100), default="")
    basis: Mapped[str] = mapped_column(String(8), default="order")  # order, item
