"""Partners and their enrollments in programs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.base import Base, DecimalText, UTCDateTime


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
    #: The partner's answers to the program's questions ({question id: answer}).
    application_answers: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    #: What decided the application at once: {"by": "rule", "rule_id", "name", "action",
    #: "met": [...]}, {"by": "invitation", "invitation_id"} or {"by": "setting"}.
    decided_by: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    invitation_id: Mapped[str | None] = mapped_column(String(40), nullable=True)


class PartnerTypeDef(Base):
    """A brand's own partner type, in one of the taxonomy's groups
    (`accord.partners.taxonomy`)."""

    __tablename__ = "partner_types"
    __table_args__ = (UniqueConstraint("organization_id", "code"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    group_code: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(80))
    name_zh: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PartnerProfile(Base):
    """What a partner tells brands about itself, and whether it is listed in the
    installation's partner directory (only when it opts in)."""

    __tablename__ = "partner_profiles"

    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), primary_key=True)
    listed: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    headline: Mapped[str | None] = mapped_column(String(200), nullable=True)
    about: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: ISO 3166 codes of the countries it promotes to; ISO 639-1 codes of its languages.
    countries: Mapped[list | None] = mapped_column(JSON, nullable=True)
    languages: Mapped[list | None] = mapped_column(JSON, nullable=True)
    #: The verticals it works in, from `accord.partners.directory.VERTICALS`.
    verticals: Mapped[list | None] = mapped_column(JSON, nullable=True)
    #: Followers or subscribers per platform ({"douyin": 120000}) and their sum.
    audience: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    audience_total: Mapped[int] = mapped_column(BigInteger, default=0, index=True)
    #: Its site's global rank (1 is the most visited) and monthly visits, as entered or
    #: imported; `traffic_source` says which.
    site_rank: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    monthly_visits: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    traffic_source: Mapped[str | None] = mapped_column(String(16), nullable=True)
    #: Handles per platform ({"xiaohongshu": "trailmei"}).
    social: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    contact_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    contact_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    #: Lowercased words of the profile, its name and its type's names, for search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    #: Badges earned in Accord, refreshed by the `directory_badges` task: conversions
    #: verified across its programs, the share reversed, months since its first approval.
    verified_conversions: Mapped[int] = mapped_column(Integer, default=0, index=True)
    reversal_rate: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    tenure_months: Mapped[int] = mapped_column(Integer, default=0)
    badges_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProfileTag(Base):
    """One facet value of a listed profile (country, language, vertical, platform, badge),
    so that filters and facet counts are plain SQL."""

    __tablename__ = "partner_profile_tags"

    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), primary_key=True)
    facet: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class ApplicationRule(Base):
    """A rule that decides an application to a program at once: the first active rule (by
    position) whose conditions all hold approves or declines it (`accord.partners.rules`)."""

    __tablename__ = "application_rules"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(16))  # approve, decline
    #: {"types": [...], "countries": [...], "min_audience": n, "max_audience": n,
    #:  "max_risk": n, "answers": {question id: value}}
    conditions: Mapped[dict] = mapped_column(JSON)
    #: What a declined partner reads.
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Invitation(Base):
    """A brand's invitation to one of its programs, by e-mail (one person, once) or by a
    link it shares (anyone, until it runs out), with a message and the contract proposed."""

    __tablename__ = "partner_invitations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"), index=True)
    contract_id: Mapped[str | None] = mapped_column(ForeignKey("contracts.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(8))  # email, link
    #: The directory partner invited, or the address written to (kind email).
    partner_id: Mapped[str | None] = mapped_column(ForeignKey("partners.id"), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: SHA-256 of the token in the invitation's address (the token itself is never kept).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Approve whoever accepts, instead of deciding as for any application.
    preapproved: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))  # open, accepted, declined, revoked
    uses: Mapped[int] = mapped_column(Integer, default=0)
    max_uses: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class PartnerGroup(Base):
    """Partners of a program grouped by the brand, with the group's own contract (members
    are moved onto it) and, for engagement, its own messages."""

    __tablename__ = "partner_groups"
    __table_args__ = (UniqueConstraint("program_id", "name"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    contract_id: Mapped[str | None] = mapped_column(ForeignKey("contracts.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PartnerGroupMember(Base):
    __tablename__ = "partner_group_members"

    group_id: Mapped[str] = mapped_column(ForeignKey("partner_groups.id"), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), primary_key=True, index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PartnerImportKey(Base):
    """A partner's id on the platform a program moved from, so that a file uploaded again
    adds nobody twice and later files (actions, commissions) find the partner."""

    __tablename__ = "partner_import_keys"

    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
