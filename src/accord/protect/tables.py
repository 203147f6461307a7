"""Protect's own rows: each program's fraud settings, every scored conversion with the rules
that fired and the review of what was held, and each program's baseline."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from accord.protect.model import Level, Mode, Tuning
from accord.store.base import Base, UTCDateTime


class FraudSettings(Base):
    """A program's mode (off, shadow, active), level and hold threshold, and its per-rule
    overrides ({code: {"threshold": "15", "weight": 70, "enabled": true}})."""

    __tablename__ = "fraud_settings"

    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    mode: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(16))
    hold_at: Mapped[int] = mapped_column(Integer)
    overrides: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str | None] = mapped_column(String(40), nullable=True)

    @property
    def id(self) -> str:
        """The audit log names settings by their program."""
        return self.program_id


def tuning_of(row: FraudSettings | None) -> Tuning:
    """The settings a row holds; the defaults (shadow mode, moderate) for a program with none."""
    if row is None:
        return Tuning()
    return Tuning(Mode(row.mode), Level(row.level), row.hold_at, row.overrides or {})


class RiskScore(Base):
    """One scored conversion: its score, the rules that fired (with values and thresholds),
    the action taken, and, when held, the review. The facts the next scores compare with
    (IP, hashed e-mail, amount, the winning click's age) are kept beside it."""

    __tablename__ = "risk_scores"
    __table_args__ = (
        Index("ix_risk_scores_program_at", "program_id", "at"),
        Index("ix_risk_scores_program_action", "program_id", "action", "review"),
        Index("ix_risk_scores_program_ip", "program_id", "ip", "at"),
        Index("ix_risk_scores_program_email", "program_id", "email_sha256", "at"),
        Index("ix_risk_scores_program_click_seconds", "program_id", "click_seconds"),
        Index("ix_risk_scores_program_code", "program_id", "promo_code", "at"),
        Index("ix_risk_scores_partner_at", "partner_id", "at"),
        Index("ix_risk_scores_program_device", "program_id", "device", "at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"))
    conversion_id: Mapped[str] = mapped_column(ForeignKey("conversions.id"), unique=True)
    partner_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    order_id: Mapped[str] = mapped_column(String(200))
    #: when the order happened, and when it was scored
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime())
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    email_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    click_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: set when the promo code alone earned the order
    promo_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    #: the order's device (the first of `protect.model.device_keys`), and whether no earlier
    #: order of the program named it
    device: Mapped[str | None] = mapped_column(String(64), nullable=True)
    new_device: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    score: Mapped[int] = mapped_column(Integer)
    #: [{"code", "value", "threshold", "weight", "detail"?}, ...]
    signals: Mapped[list] = mapped_column(JSON)
    #: the codes of the rules that fired, as ",code,code," (counted per rule with LIKE)
    codes: Mapped[str] = mapped_column(String(400), default="")
    #: none, flagged or held
    action: Mapped[str] = mapped_column(String(16))
    #: the settings it was scored under
    mode: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(16))
    #: released or declined, by whom, when and why (held scores only)
    review: Mapped[str | None] = mapped_column(String(16), nullable=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    review_note: Mapped[str | None] = mapped_column(Text, nullable=True)


class FraudBaseline(Base):
    """What a program's own orders look like, refreshed by the daily pass: quantiles of
    the seconds from the winning click to the order."""

    __tablename__ = "fraud_baselines"

    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    quantiles: Mapped[dict] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FraudClickDay(Base):
    """How many of a program's clicks each click rule fired on in a day (UTC), and how many
    of those were judged invalid: counted as clicks are stored, so the fraud page reads a
    few rows rather than the click log."""

    __tablename__ = "fraud_click_days"

    program_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    fired: Mapped[int] = mapped_column(BigInteger, default=0)
    invalid: Mapped[int] = mapped_column(BigInteger, default=0)


class PartnerRisk(Base):
    """A partner's risk score in a program on a day (UTC), from the daily pass: the score,
    the partner rules that fired with their values, and whether it alerted the managers.
    One row per day: the latest is the partner's score, the rows before it its history."""

    __tablename__ = "partner_risk"
    __table_args__ = (Index("ix_partner_risk_program_day", "program_id", "day"),)

    program_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    partner_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(40), index=True)
    score: Mapped[int] = mapped_column(Integer)
    #: [{"code", "value", "threshold", "weight", "detail"?}, ...]
    signals: Mapped[list] = mapped_column(JSON)
    #: the score before this one (None: the first)
    previous: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: it reached the high-risk band, or rose within it, and the managers were told
    alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PartnerMark(Base):
    """Something known to be a partner's own, hashed: an address one of its users signed in
    from (`ip`, source `sign_in`), or a device, payment card or address seen on an order
    that was the partner's own (source `own_order`). Orders that carry one are the
    partner's own too (self-referral); partners that share one may be one person."""

    __tablename__ = "partner_marks"
    __table_args__ = (
        UniqueConstraint("partner_id", "kind", "value"),
        Index("ix_partner_marks_kind_value", "kind", "value"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    partner_id: Mapped[str] = mapped_column(String(40))
    #: ip, device or payment
    kind: Mapped[str] = mapped_column(String(16))
    #: SHA-256 (hex) of the address, of "kind:id" for a device, of the card's fingerprint
    value: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())
