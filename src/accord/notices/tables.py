"""The outbox: every notice Accord wrote, waiting, sent or given up."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.base import Base, UTCDateTime


class OutboxMail(Base):
    """One e-mail to one person, as it was rendered in their language."""

    __tablename__ = "outbox_mails"
    __table_args__ = (
        Index("ix_outbox_mails_due", "status", "next_attempt_at"),
        Index("ix_outbox_mails_org_created", "organization_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: Whose outbox it is in: the brand a partner's mail is about, or the user's own
    #: organization for a password reset.
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    program_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    kind: Mapped[str] = mapped_column(String(40))
    #: What the mail is about, once per recipient (an event's id): a second attempt to write
    #: the same notice finds it here and adds nothing.
    key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    recipient: Mapped[str] = mapped_column(String(320))
    language: Mapped[str] = mapped_column(String(16))
    sender: Mapped[str | None] = mapped_column(String(400), nullable=True)
    subject: Mapped[str] = mapped_column(String(400))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    #: The body holds a secret (a password reset link): pages show its subject only.
    secret: Mapped[bool] = mapped_column(Boolean, default=False)
    #: waiting, sent, failed (refused too often) or expired (its link ran out unsent)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: A mail not sent by then is not worth sending (a reset link that has run out).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
