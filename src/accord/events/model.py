"""The domain events other stages may react to, as plain typed values (no I/O).

Each event names what happened in the past tense (`commission.approved`), who it belongs to
(organization, program) and the facts a subscriber needs, as they were when it happened: a
subscriber that runs later still sees the amount and status of that moment. Money travels as
a Decimal amount beside its ISO 4217 currency.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, field_validator

from accord.clock import ensure_utc
from accord.money import Money


class DomainEvent(BaseModel):
    """Something that happened in one stage, recorded in the same transaction as the change."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: The event type, `stage.happened` (e.g. `commission.approved`); unique per class.
    type: ClassVar[str]
    #: The field holding the id of what the event is about (None: the event names several).
    subject: ClassVar[str | None] = None

    organization_id: str
    program_id: str | None = None
    occurred_at: datetime

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return ensure_utc(value)

    @property
    def subject_id(self) -> str | None:
        """The id of what the event is about (a conversion, commission, partner, payout)."""
        return getattr(self, self.subject) if self.subject else None

    def payload(self) -> dict[str, Any]:
        """The event's own facts as JSON values (the envelope's fields are columns)."""
        return self.model_dump(
            mode="json", exclude={"organization_id", "program_id", "occurred_at"}
        )


class ConversionRecorded(DomainEvent):
    """A conversion was recorded (attributed to a partner or not)."""

    type: ClassVar[str] = "conversion.recorded"
    subject: ClassVar[str | None] = "conversion_id"

    conversion_id: str
    order_id: str
    event_type: str
    amount: Decimal
    currency: str
    #: `attributed` or `unattributed`
    status: str
    #: The partner credited first; None when unattributed.
    partner_id: str | None = None
    customer_status: str | None = None
    #: Where it came from: api, import, browser, ...
    source: str | None = None
    converted_at: datetime


class CommissionChange(DomainEvent):
    """What every commission event carries: the commission as it stands after the change."""

    subject: ClassVar[str | None] = "commission_id"

    commission_id: str
    partner_id: str
    #: None for a bonus, which no single conversion earned.
    conversion_id: str | None = None
    #: `conversion` or `bonus`
    kind: str
    event_type: str
    status: str
    amount: Decimal
    currency: str
    #: The order's amount not yet reversed, in the order's currency, when known.
    order_amount: Decimal | None = None
    order_currency: str | None = None

    @property
    def money(self) -> Money:
        return Money.of(self.amount, self.currency)


class CommissionCreated(CommissionChange):
    type: ClassVar[str] = "commission.created"


class CommissionAdjusted(CommissionChange):
    """The amount changed; `delta` is the change, `reason_code` why (a reversal's reason,
    or `tier_retroactive`)."""

    type: ClassVar[str] = "commission.adjusted"

    delta: Decimal
    reason_code: str
    reversal_id: str | None = None


class CommissionReversed(CommissionChange):
    """The whole order was reversed: the commission is now worth nothing."""

    type: ClassVar[str] = "commission.reversed"

    delta: Decimal
    reason_code: str
    reversal_id: str | None = None


class CommissionLocked(CommissionChange):
    type: ClassVar[str] = "commission.locked"


class CommissionApproved(CommissionChange):
    type: ClassVar[str] = "commission.approved"


class CommissionHeld(CommissionChange):
    """Held for a review of its conversion's fraud signals (`reasons`: the rules' codes)."""

    type: ClassVar[str] = "commission.held"

    score: int
    reasons: tuple[str, ...] = ()


class CommissionReleased(CommissionChange):
    """A person released it after the review: pending again, locking in its own time."""

    type: ClassVar[str] = "commission.released"

    note: str | None = None


class CommissionPaid(CommissionChange):
    type: ClassVar[str] = "commission.paid"

    payout_id: str


class EnrollmentChange(DomainEvent):
    """A partner's standing in a program changed."""

    subject: ClassVar[str | None] = "partner_id"

    partner_id: str
    enrollment_id: str
    #: The enrollment's status before (None: it did not exist) and now.
    status_before: str | None = None
    status: str


class PartnerApplied(EnrollmentChange):
    type: ClassVar[str] = "partner.applied"


class PartnerApproved(EnrollmentChange):
    type: ClassVar[str] = "partner.approved"


class PartnerDeclined(EnrollmentChange):
    type: ClassVar[str] = "partner.declined"


class PartnerSuspended(EnrollmentChange):
    type: ClassVar[str] = "partner.suspended"


class PayoutSent(DomainEvent):
    """A payout was made to a partner in a batch."""

    type: ClassVar[str] = "payout.sent"
    subject: ClassVar[str | None] = "payout_id"

    payout_id: str
    batch_id: str
    partner_id: str
    amount: Decimal
    currency: str
    #: What reached the partner, in the partner's payout currency.
    sent_amount: Decimal
    sent_currency: str
    commission_count: int
    method: str | None = None


class ContractVersionAdded(DomainEvent):
    """A new version of a contract's terms; when it requires acceptance, its partners are
    asked to accept it (they earn under the version before until they do)."""

    type: ClassVar[str] = "contract.version_added"
    subject: ClassVar[str | None] = "version_id"

    contract_id: str
    contract_name: str
    version_id: str
    number: int
    effective_from: datetime
    requires_acceptance: bool
    is_default: bool

    @field_validator("effective_from")
    @classmethod
    def _utc_from(cls, value: datetime) -> datetime:
        return ensure_utc(value)


class PostbackFailed(DomainEvent):
    """A postback was given up after its last attempt: the partner's endpoint is failing."""

    type: ClassVar[str] = "postback.failed"
    subject: ClassVar[str | None] = "endpoint_id"

    partner_id: str
    endpoint_id: str
    delivery_id: str
    #: The host called (never the whole URL: it may carry the partner's tokens).
    host: str
    attempts: int
    last_error: str | None = None
    last_status_code: int | None = None


class MessagePosted(DomainEvent):
    """A brand or a partner wrote in their thread about a program: the other side is told."""

    type: ClassVar[str] = "message.posted"
    subject: ClassVar[str | None] = "message_id"

    partner_id: str
    message_id: str
    author: str  # brand, partner


class AnnouncementPublished(DomainEvent):
    """A brand published news to a program's partners (all, a group or a type)."""

    type: ClassVar[str] = "announcement.published"
    subject: ClassVar[str | None] = "announcement_id"

    announcement_id: str
    by_mail: bool = False


class PartnerSignedIn(DomainEvent):
    """A user of a partner signed in to the portal, from an address (kept hashed: the
    fraud rules compare it with orders' and other partners' addresses, never read it)."""

    type: ClassVar[str] = "partner.signed_in"
    subject: ClassVar[str | None] = "partner_id"

    partner_id: str
    user_id: str
    #: SHA-256 (hex) of the address's text
    ip_sha256: str


class LeadStageChanged(DomainEvent):
    """A contact moved to another stage (new, mql, sql, opportunity, customer, lost): by
    a person, a key or the MQL trigger."""

    type: ClassVar[str] = "lead.stage_changed"
    subject: ClassVar[str | None] = "contact_id"

    contact_id: str
    stage_before: str | None = None
    stage: str
    behaviour: int
    fit: int


class ClicksStored(DomainEvent):
    """A batch of clicks and impressions of one program was stored (one event per batch and
    program, never per click). A batch replayed after a crash may announce ids again."""

    type: ClassVar[str] = "clicks.stored"

    click_ids: tuple[str, ...] = ()
    impression_ids: tuple[str, ...] = ()


#: Every event type Accord records, by its name.
EVENT_TYPES: dict[str, type[DomainEvent]] = {
    cls.type: cls
    for cls in (
        ConversionRecorded,
        CommissionCreated,
        CommissionAdjusted,
        CommissionReversed,
        CommissionLocked,
        CommissionApproved,
        CommissionPaid,
        CommissionHeld,
        CommissionReleased,
        PartnerApplied,
        PartnerApproved,
        PartnerDeclined,
        PartnerSuspended,
        PayoutSent,
        ContractVersionAdded,
        PostbackFailed,
        MessagePosted,
        AnnouncementPublished,
        PartnerSignedIn,
        LeadStageChanged,
        ClicksStored,
    )
}


# handling rules ---------------------------------------------------------------------------
#: A failing handler is tried this many times in all, then parked for a person to look at.
MAX_ATTEMPTS = 8
_FIRST_RETRY = timedelta(seconds=10)
_LONGEST_WAIT = timedelta(hours=6)


def retry_delay(attempts: int) -> timedelta | None:
    """How long to wait after a handler's `attempts`-th failure before trying it again:
    10 s, 40 s, 160 s, ... (four times longer each time, at most six hours); None once
    MAX_ATTEMPTS have failed (about ten hours after the first), when it is parked."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return min(_FIRST_RETRY * 4 ** (attempts - 1), _LONGEST_WAIT)
