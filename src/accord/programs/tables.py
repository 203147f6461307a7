"""Programs: a brand's partner program with its currency, windows and locking period."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.base import Base, UTCDateTime


class Program(Base):
    __tablename__ = "programs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    attribution_window_days: Mapped[int] = mapped_column(Integer)
    locking_days: Mapped[int] = mapped_column(Integer)
    default_landing_url: Mapped[str] = mapped_column(String(2000))
    click_id_param: Mapped[str] = mapped_column(String(64))
    payout_threshold_minor: Mapped[int] = mapped_column(BigInteger)
    #: Host names deep links may point at (a leading "." admits subdomains); the default
    #: landing page's host is always permitted.
    permitted_domains: Mapped[list] = mapped_column(JSON, default=list)
    duplicate_click_seconds: Mapped[int] = mapped_column(Integer, default=30)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
