"""Programs: a brand's partner program with its currency, windows and locking period."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.base import Base, DecimalText, UTCDateTime


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
    #: after_event: locks `locking_days` after the event; after_month_end: that many days
    #: after the end of the event's month.
    lock_policy: Mapped[str] = mapped_column(String(16), default="after_event")
    #: Approve commissions as soon as they lock, without a person.
    auto_approve: Mapped[bool] = mapped_column(default=False)
    #: manual, weekly (Mondays) or monthly (the 1st): when `accord schedule run` pays.
    payout_schedule: Mapped[str] = mapped_column(String(16), default="manual")
    #: The platform operator's fee on approved commissions, in percent.
    platform_fee_percent: Mapped[Decimal] = mapped_column(DecimalText(), default=Decimal(0))
    #: Shown to partners in the portal's program list, where they can apply.
    listed: Mapped[bool] = mapped_column(default=False)
    #: What partners read before applying: the offer, the audience wanted, the rules.
    description: Mapped[str] = mapped_column(Text, default="")
    #: Hours after an impression in which a conversion with no click or code is credited
    #: to the impression's partner (matched on the shopper's IP and user agent); 0: never.
    view_through_hours: Mapped[int] = mapped_column(Integer, default=24)
    #: Approve partners' applications at once instead of waiting for a person.
    auto_approve_partners: Mapped[bool] = mapped_column(default=False)
    #: Questions an applicant answers: [{"id", "text", "kind" (text, yes_no, choice,
    #: number, url), "choices", "required"}] (`accord.partners.rules.check_questions`).
    application_questions: Mapped[list | None] = mapped_column(JSON, nullable=True)
    #: Conversions from shoppers' browsers (the tag and the pixel): off (refused), held
    #: (recorded, their commissions held until the brand's server confirms them) or signed
    #: (accepted only with a token the brand's server signed for that order).
    browser_events: Mapped[str] = mapped_column(String(16), default="off")
    #: The key that signs browser events' tokens (HMAC-SHA256); shown once when made.
    browser_signing_secret: Mapped[str | None] = mapped_column(String(80), nullable=True)
    #: A browser event's occurred_at may be at most this many minutes before it arrives.
    browser_event_max_age_minutes: Mapped[int] = mapped_column(Integer, default=60)
    #: The largest order this program accepts, in minor units of its currency.
    max_order_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    #: How far (percent of the amount) a cart's lines plus shipping and tax less discount
    #: may be from the order's amount.
    order_total_tolerance_percent: Mapped[Decimal] = mapped_column(
        DecimalText(), default=Decimal(1)
    )
    #: The From line of the program's e-mail to partners (None: the installation's sender).
    mail_from: Mapped[str | None] = mapped_column(String(400), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
