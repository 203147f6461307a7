"""Partners' postback endpoints and the deliveries made to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.base import Base, UTCDateTime


class PostbackEndpoint(Base):
    """A URL template a partner registered, called for the events it chose."""

    __tablename__ = "postback_endpoints"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    #: None: every program the partner is enrolled in.
    program_id: Mapped[str | None] = mapped_column(ForeignKey("programs.id"), nullable=True)
    url_template: Mapped[str] = mapped_column(String(2000))
    #: The `whsec_...` signing secret; kept readable because every attempt is signed with it.
    secret: Mapped[str] = mapped_column(String(100))
    events: Mapped[list] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The client's Idempotency-Key: a retried registration returns this endpoint.
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PostbackDelivery(Base):
    """One postback to one endpoint; its id is the webhook-id a receiver dedupes on."""

    __tablename__ = "postback_deliveries"
    __table_args__ = (Index("ix_postback_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("postback_endpoints.id"), index=True)
    commission_id: Mapped[str] = mapped_column(ForeignKey("commissions.id"), index=True)
    event: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(Text)  # the template expanded
    body: Mapped[str] = mapped_column(Text)  # JSON, signed as sent
    status: Mapped[str] = mapped_column(String(16))  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
