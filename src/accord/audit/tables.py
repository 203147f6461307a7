"""The audit log's one table. Rows are inserted and never changed (the database refuses it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.base import Base, UTCDateTime


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_org_at", "organization_id", "id"),
        Index("ix_audit_events_object", "object_type", "object_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # time-ordered
    #: whose data changed (a brand's, or a partner company's)
    organization_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_kind: Mapped[str] = mapped_column(String(16))  # user, key, cli, system
    actor_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    actor_label: Mapped[str | None] = mapped_column(String(320), nullable=True)
    actor_organization_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    action: Mapped[str] = mapped_column(String(16))  # create, update, delete, post
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict | None] = mapped_column(JSON, nullable=True)
