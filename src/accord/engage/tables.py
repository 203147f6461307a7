"""Engaging a program's partners: messages, announcements, code pools, creatives and
creator briefs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.base import Base, UTCDateTime


class PartnerMessage(Base):
    """One message of the thread between a program's brand and a partner."""

    __tablename__ = "partner_messages"
    __table_args__ = (Index("ix_partner_messages_thread", "program_id", "partner_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"))
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"))
    #: Who wrote it: "brand" or "partner", the user and the name shown.
    author: Mapped[str] = mapped_column(String(8))
    author_user_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    author_name: Mapped[str] = mapped_column(String(320))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: When the other side first saw it (None: not yet).
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Announcement(Base):
    """News from a brand to the partners of a program: all of them, a group, or a type
    (or group of types); shown in the portal and, when asked, sent by mail."""

    __tablename__ = "announcements"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    #: all, group (a partner group's id) or type (a partner type or group of types).
    audience: Mapped[str] = mapped_column(String(8))
    audience_value: Mapped[str | None] = mapped_column(String(40), nullable=True)
    by_mail: Mapped[bool] = mapped_column(default=False)
    #: How many partners it was for when it was published.
    recipients: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AnnouncementRead(Base):
    """A partner opened an announcement (the first time)."""

    __tablename__ = "announcement_reads"

    announcement_id: Mapped[str] = mapped_column(ForeignKey("announcements.id"), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CodePool(Base):
    """Promo codes a brand loaded for its partners to take, one per partner: a code taken
    becomes that partner's promo code in the program (and credits it on orders)."""

    __tablename__ = "code_pools"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    #: Only this group's partners may take a code (None: every approved partner).
    group_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: The promotion it belongs to (accord.engage.calendar key), if any.
    promotion: Mapped[str | None] = mapped_column(String(60), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PoolCode(Base):
    """One code of a pool; `partner_id` is set once, when a partner takes it. A code found
    taken by another promo code of the program when a partner took it is set aside:
    `taken_at` set, no partner."""

    __tablename__ = "pool_codes"
    __table_args__ = (
        UniqueConstraint("pool_id", "code"),
        # one code a partner per pool (NULLs, the codes not taken, are distinct)
        UniqueConstraint("pool_id", "partner_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    pool_id: Mapped[str] = mapped_column(ForeignKey("code_pools.id"))
    code: Mapped[str] = mapped_column(String(64))  # stored upper case, as promo codes are
    partner_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


#: The banner formats served, by media type: the extension of a banner's public address.
IMAGE_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif",
                    "image/webp": "webp"}  # fmt: skip


class Creative(Base):
    """A banner or a piece of copy partners use, with their own link (and code) filled in."""

    __tablename__ = "creatives"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"), index=True)
    #: banner (an image) or copy (text with {link} and {code} to fill in).
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    image: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    image_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: Where the partner's link leads (None: the program's landing page).
    landing_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    group_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    promotion: Mapped[str | None] = mapped_column(String(60), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def image_path(self) -> str | None:
        """A banner's public address on the site (`/creatives/{id}.{ext}`); None for copy."""
        ext = IMAGE_EXTENSIONS.get(self.image_type or "")
        return f"/creatives/{self.id}.{ext}" if ext else None


class Brief(Base):
    """What a brand asks of creators: deliverables, dates, what a post must and must not say,
    and the fee approval pays."""

    __tablename__ = "briefs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    deliverables: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    due_on: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: Requirements (accord.engage.checks): lists of strings.
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    hashtags: Mapped[list] = mapped_column(JSON, default=list)
    disclosure: Mapped[list] = mapped_column(JSON, default=list)
    forbidden: Mapped[list] = mapped_column(JSON, default=list)
    fee_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    group_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    promotion: Mapped[str | None] = mapped_column(String(60), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BriefSubmission(Base):
    """A creator's post for a brief: its address and text, each requirement's check, and
    the brand's decision (approval pays the fee as a commission, once)."""

    __tablename__ = "brief_submissions"
    __table_args__ = (Index("ix_brief_submissions_brief_partner", "brief_id", "partner_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    brief_id: Mapped[str] = mapped_column(ForeignKey("briefs.id"))
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"))
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    text: Mapped[str] = mapped_column(Text, default="")
    #: [{"kind", "value", "met"}] as accord.engage.checks.check gave them.
    checks: Mapped[list] = mapped_column(JSON, default=list)
    #: submitted, approved or rejected.
    status: Mapped[str] = mapped_column(String(12), default="submitted")
    note: Mapped[str] = mapped_column(Text, default="")
    commission_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Bounty(Base):
    """A task for partners with a fixed reward: reach a number of sales or an amount of
    revenue in a period (settled when the period ends), or publish content the brand
    approves."""

    __tablename__ = "bounties"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    #: sales (target: conversions), revenue (target: minor units) or content (target 1).
    kind: Mapped[str] = mapped_column(String(8))
    target: Mapped[int] = mapped_column(BigInteger)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reward_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    group_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    promotion: Mapped[str | None] = mapped_column(String(60), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: When the rewards of a sales or revenue bounty were paid (after its end).
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BountyClaim(Base):
    """A partner's part in a bounty: the content it submitted (content bounties) and, once
    earned, the reward's commission."""

    __tablename__ = "bounty_claims"
    __table_args__ = (UniqueConstraint("bounty_id", "partner_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    bounty_id: Mapped[str] = mapped_column(ForeignKey("bounties.id"))
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    #: submitted, approved (the reward paid), rejected (may submit again) or earned.
    status: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")
    commission_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class FeedProduct(Base):
    """One product of a program's product feed, which partners download (CSV or XML) with
    their own tracking link to each product."""

    __tablename__ = "feed_products"
    __table_args__ = (UniqueConstraint("program_id", "sku"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"), index=True)
    sku: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    url: Mapped[str] = mapped_column(String(2000))
    image_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    category: Mapped[str] = mapped_column(String(300), default="")
    in_stock: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
