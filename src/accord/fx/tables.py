"""Exchange rates a brand has entered, each effective from a moment."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.base import Base, DecimalText, UTCDateTime


class ExchangeRate(Base):
    """1 unit of `base` is worth `rate` units of `quote`, from `effective_from` on."""

    __tablename__ = "exchange_rates"
    __table_args__ = (
        Index("ix_exchange_rates_pair", "organization_id", "base", "quote", "effective_from"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    base: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    rate: Mapped[Decimal] = mapped_column(DecimalText())
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
