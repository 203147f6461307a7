"""Request and response bodies of the REST API. Money is a string amount with its currency."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from accord.attribution.policy import CodePolicy, Model, Policy
from accord.contracts.terms import Bonus, Bounty, Cap, RuleSpec, TermsSpec
from accord.money import Money

T = TypeVar("T")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Amount(BaseModel):
    amount: str = Field(examples=["129.90"])
    currency: str = Field(examples=["USD"])

    @classmethod
    def minor(cls, minor: int, currency: str) -> Amount:
        return cls(amount=str(Money.from_minor(minor, currency).amount), currency=currency)


class Page(BaseModel, Generic[T]):
    data: list[T]
    has_more: bool
    next_starting_after: str | None = None


class ErrorBody(BaseModel):
    code: str
    message: str
    field: str | None = None
    rejected_event_id: str | None = None
    errors: list[dict[str, Any]] | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


# programs -------------------------------------------------------------------------------
class ProgramIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    currency: str = Field(min_length=3, max_length=3, examples=["USD"])
    default_landing_url: str = Field(examples=["https://shop.example/"])
    attribution_window_days: int = 30
    locking_days: int = 30
    payout_threshold: Decimal = Decimal(0)
    click_id_param: str = "accord_click"
    permitted_domains: list[str] = Field(
        default_factory=list,
        description="Hosts deep links may go to besides the landing page's; "
        "'.shop.example' admits its subdomains.",
        examples=[["shop.example", ".lumen.example"]],
    )
    duplicate_click_seconds: int = Field(
        default=30,
        description="Repeat clicks (same IP, link, user agent) within this "
        "many seconds are flagged as duplicates.",
    )
    lock_policy: Literal["after_event", "after_month_end"] = Field(
        default="after_event",
        description="Commissions lock locking_days after the conversion, or that many days "
        "after the end of its month.",
    )
    auto_approve: bool = Field(
        default=False, description="Approve commissions as soon as they lock."
    )
    payout_schedule: Literal["manual", "weekly", "monthly"] = Field(
        default="manual",
        description="When `accord schedule run` pays by itself: never, Mondays, or the 1st.",
    )
    platform_fee_percent: Decimal = Field(
        default=Decimal(0), description="The platform's fee on approved commissions, percent."
    )
    listed: bool = Field(
        default=False, description="Shown in the partner portal, where partners can apply."
    )
    description: str = Field(
        default="", max_length=10_000, description="What partners read before applying."
    )
    auto_approve_partners: bool = Field(
        default=False, description="Approve applications at once instead of reviewing them."
    )
    view_through_hours: int = Field(
        default=24,
        description="A conversion with no click or code within this many hours of an "
        "impression (same IP and user agent) is credited to the impression's partner; it is "
        "paid only if the contract's terms have `view_through`. 0 turns this off.",
    )
    browser_events: Literal["off", "held", "signed"] = Field(
        default="off",
        description="Conversions from shoppers' browsers (the tag's /t/events and the pixel): "
        "off refuses them; held records them but holds their commissions until the brand's "
        "server confirms the order; signed accepts only events with a `token` the brand's "
        "server made with the program's browser signing key.",
    )
    browser_event_max_age_minutes: int = Field(
        default=60,
        description="A browser event's occurred_at may be at most this many minutes old.",
    )
    max_order_amount: Decimal | None = Field(
        default=None,
        description="The largest order accepted, in the program's currency (default: "
        "1,000,000); larger ones are refused and kept with the reason.",
    )
    order_total_tolerance_percent: Decimal = Field(
        default=Decimal(1),
        description="How far an order's items plus shipping and tax less discount may be "
        "from its amount, in percent of the amount.",
    )


class ProgramPatch(Strict):
    """Only the fields sent are changed; the currency is fixed once a program exists."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    default_landing_url: str | None = None
    attribution_window_days: int | None = None
    locking_days: int | None = None
    payout_threshold: Decimal | None = None
    click_id_param: str | None = None
    permitted_domains: list[str] | None = None
    duplicate_click_seconds: int | None = None
    lock_policy: Literal["after_event", "after_month_end"] | None = None
    auto_approve: bool | None = None
    payout_schedule: Literal["manual", "weekly", "monthly"] | None = None
    platform_fee_percent: Decimal | None = None
    listed: bool | None = None
    description: str | None = Field(default=None, max_length=10_000)
    auto_approve_partners: bool | None = None
    view_through_hours: int | None = None
    browser_events: Literal["off", "held", "signed"] | None = None
    browser_event_max_age_minutes: int | None = None
    max_order_amount: Decimal | None = None
    order_total_tolerance_percent: Decimal | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("cannot be null: leave the field out to keep its value")
        return value


class ProgramOut(BaseModel):
    id: str
    name: str
    currency: str
    default_landing_url: str
    attribution_window_days: int
    locking_days: int
    payout_threshold: Amount
    click_id_param: str
    permitted_domains: list[str]
    duplicate_click_seconds: int
    lock_policy: str
    auto_approve: bool
    payout_schedule: str
    platform_fee_percent: str
    listed: bool
    description: str
    auto_approve_partners: bool
    view_through_hours: int
    browser_events: str
    browser_event_max_age_minutes: int
    browser_signing_key_set: bool
    max_order_amount: Amount
    order_total_tolerance_percent: str
    created_at: datetime


class BrowserSecretOut(BaseModel):
    """The key the brand's server signs browser events with; shown this once."""

    secret: str
    how_to_sign: str


class PartnerProgramOut(BaseModel):
    """A program as a partner's key sees it: what it needs to promote it, none of the
    brand's own settings (fees, approval, locking, schedules)."""

    id: str
    name: str
    currency: str
    default_landing_url: str
    attribution_window_days: int
    payout_threshold: Amount
    click_id_param: str
    permitted_domains: list[str]
    description: str


# contracts ------------------------------------------------------------------------------
class ContractTermsIn(Strict):
    """A version's terms: ranked rules (first match wins), caps, bonuses and bounties."""

    rules: list[RuleSpec] = Field(min_length=1, max_length=500)
    caps: list[Cap] = Field(default_factory=list, max_length=20)
    bonuses: list[Bonus] = Field(default_factory=list, max_length=50)
    bounties: list[Bounty] = Field(default_factory=list, max_length=50)
    effective_from: datetime | None = None
    requires_acceptance: bool = Field(
        default=False,
        description="Partners keep their last accepted version until they accept this one.",
    )
    note: str | None = Field(default=None, max_length=2000)

    def terms(self) -> TermsSpec:
        return TermsSpec(
            rules=self.rules, caps=self.caps, bonuses=self.bonuses, bounties=self.bounties
        )


class ContractIn(ContractTermsIn):
    name: str = Field(min_length=1, max_length=200)
    is_default: bool = False


class ContractVersionIn(ContractTermsIn):
    pass


class ContractOut(BaseModel):
    id: str
    program_id: str
    name: str
    is_default: bool
    created_at: datetime


class ContractVersionOut(BaseModel):
    id: str
    contract_id: str
    number: int
    effective_from: datetime
    requires_acceptance: bool
    note: str | None
    terms: dict
    created_at: datetime


class AcceptanceOut(BaseModel):
    id: str
    contract_version_id: str
    partner_id: str
    accepted_by: str
    ip: str | None
    accepted_at: datetime


# partners -------------------------------------------------------------------------------
class PartnerIn(Strict):
    program_id: str
    name: str = Field(min_length=1, max_length=200)
    partner_type: str = Field(examples=["content"])
    country: str | None = Field(default=None, examples=["US"])
    email: str | None = None
    contract_id: str | None = None


class PartnerOut(BaseModel):
    id: str
    name: str
    partner_type: str
    country: str | None
    email: str | None
    website: str | None = None
    created_at: datetime


class ListingOut(BaseModel):
    """A program in the partner portal's list, with the partner's own standing in it."""

    program_id: str
    name: str
    brand: str
    currency: str
    description: str
    attribution_window_days: int
    status: str | None = Field(description="applied, approved, declined, suspended; null before")


class ApplicationIn(Strict):
    program_id: str
    note: str | None = Field(
        default=None, max_length=2000, description="How the partner will promote the program."
    )
    answers: dict[str, str] = Field(
        default_factory=dict,
        max_length=20,
        description="Answers to the program's questions, by question id "
        "(GET /programs/{program_id}/application-questions).",
    )


class EnrollmentOut(BaseModel):
    program_id: str
    partner_id: str
    status: str
    applied_at: datetime
    decided_at: datetime | None
    application_note: str | None
    decision_reason: str | None = Field(
        default=None, description="Why the brand declined or suspended the partner."
    )
    application_answers: dict[str, str] | None = Field(
        default=None, description="The answers to the program's questions, by question id."
    )
    decided_by: dict | None = Field(
        default=None,
        description="What decided the application at once: a rule (its name, action and the "
        "conditions that held), an invitation, or the program's setting.",
    )


class EnrollmentStatusIn(Strict):
    status: Literal["approved", "declined", "suspended"]
    reason: str | None = Field(
        default=None,
        max_length=2000,
        description="Why a partner is declined or suspended; the partner reads it in the portal.",
    )


class NewPartnerOut(PartnerOut):
    enrollment_status: str
    api_key: str = Field(description="The partner's API key. Shown once: store it now.")


# links ----------------------------------------------------------------------------------
class LinkIn(Strict):
    program_id: str
    partner_id: str | None = Field(default=None, description="Required for brand keys.")
    destination_url: str | None = None
    code: str | None = Field(default=None, description="A vanity code; random if omitted.")


class LinkOut(BaseModel):
    id: str
    code: str
    url: str
    program_id: str
    partner_id: str
    destination_url: str
    active: bool
    created_at: datetime


class PromoCodeIn(Strict):
    program_id: str
    partner_id: str
    code: str


class PromoCodeOut(BaseModel):
    id: str
    code: str
    program_id: str
    partner_id: str
    active: bool
    created_at: datetime


# conversions ----------------------------------------------------------------------------
class CommissionBrief(BaseModel):
    id: str
    partner_id: str
    status: str
    amount: Amount


class ConversionOut(BaseModel):
    id: str
    program_id: str
    event_type: str
    order_id: str
    amount: Amount
    reversed_amount: Amount
    customer_id: str | None
    customer_status: str
    customer_status_source: str
    click_id: str | None
    promo_code: str | None
    occurred_at: datetime
    received_at: datetime
    status: str
    partner_id: str | None
    attribution_reason: str
    commission_note: str | None
    items: list[dict[str, Any]] | None
    commissions: list[CommissionBrief] = []
    duplicate: bool = Field(default=False, description="True when this answers a retry.")


class ReversalOut(BaseModel):
    id: str
    conversion_id: str
    amount: Amount
    reason_code: str
    note: str | None
    at: datetime
    commission_change: Amount
    conversion_status: str
    duplicate: bool = False


# commissions ----------------------------------------------------------------------------
class CommissionOut(BaseModel):
    id: str
    program_id: str
    partner_id: str
    kind: str = Field(
        description="conversion; bonus (a month target reached); clicks (a day's unique "
        "clicks under a click rule)"
    )
    conversion_id: str | None
    status: str = Field(description="pending, locked, approved, paid, reversed or over_cap")
    amount: Amount
    original_amount: Amount
    gross_amount: Amount = Field(description="What the terms gave before a cap cut it.")
    contract_version_id: str
    payout_rule_id: str | None
    occurred_at: datetime
    lock_due_at: datetime
    locked_at: datetime | None
    approved_at: datetime | None
    paid_at: datetime | None
    reversed_at: datetime | None
    payout_id: str | None
    hold_reason: str | None = Field(
        default=None,
        description="Why the commission waits instead of locking, e.g. awaiting_confirmation "
        "(a browser event the brand's server has not confirmed).",
    )


class AdjustmentOut(BaseModel):
    id: str
    change: Amount
    reason_code: str
    status_before: str
    reversal_id: str | None
    at: datetime


class CommissionDetail(CommissionOut):
    explanation: dict[str, Any]
    adjustments: list[AdjustmentOut]


class ApproveIn(Strict):
    program_id: str
    commission_ids: list[str] | None = Field(
        default=None, description="Omit to approve every locked commission of the program."
    )


class LockIn(Strict):
    program_id: str


class CountOut(BaseModel):
    count: int
    ids: list[str] = []


# balances and payouts -------------------------------------------------------------------
class BalanceOut(BaseModel):
    partner_id: str
    currency: str
    pending: str
    payable: str
    paid: str


class PayoutOut(BaseModel):
    id: str
    batch_id: str
    program_id: str
    partner_id: str
    amount: Amount
    sent: Amount = Field(description="What the partner receives, in their payout currency.")
    fx_rate: str | None = Field(description="The rate used when the currencies differ.")
    method: str | None
    provider_ref: str | None = Field(description="The payment provider's reference, once sent.")
    delivery_status: str | None = Field(description="At the provider: sent, paid, failed...")
    commission_count: int
    status: str
    created_at: datetime


class PayoutBatchIn(Strict):
    program_id: str
    #: Leave partners who gave no payout method out of the batch (their balance waits)
    #: instead of recording their payouts as paid by hand.
    hold_without_method: bool = False


class PayoutBatchOut(BaseModel):
    id: str | None
    program_id: str
    total: Amount
    payouts: list[PayoutOut]


# misc -----------------------------------------------------------------------------------
class RejectedEventOut(BaseModel):
    id: str
    kind: str
    error_code: str
    field: str | None
    message: str
    payload: str
    at: datetime


class ApiKeyIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[str] = Field(
        default=["*"],
        max_length=20,
        description="`read`, write scopes per resource (`programs:write`, `partners:write`, "
        "`contracts:write`, `links:write`, `conversions:write`, `commissions:write`, "
        "`payouts:write`, `postbacks:write`, `keys:write`, `users:write`), or `*` for "
        "everything; at most the scopes of the key that creates it.",
    )


class ApiKeyOut(BaseModel):
    key_id: str
    name: str
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None

    @field_validator("scopes", mode="before")
    @classmethod
    def _split(cls, value):
        return value.split() if isinstance(value, str) else value


class NewApiKeyOut(ApiKeyOut):
    token: str = Field(description="Shown once: store it now.")


class AttributionPolicyIn(Strict):
    """An attribution policy: the model that weighs a journey's clicks, and its options."""

    model: Model = Field(
        default=Model.LAST_CLICK,
        description="last_click, first_click, linear, position_based or time_decay.",
    )
    window_days: int | None = Field(
        default=None, ge=1, le=365, description="Days a click counts for; default: the program's."
    )
    first_weight: Decimal = Field(
        default=Decimal("0.4"), ge=0, le=1, description="Position-based: the first touch's weight."
    )
    last_weight: Decimal = Field(
        default=Decimal("0.4"), ge=0, le=1, description="Position-based: the last touch's weight."
    )
    half_life_hours: int = Field(
        default=168, ge=1, le=8760, description="Time decay: hours in which a touch halves."
    )
    code_policy: CodePolicy = Field(
        default=CodePolicy.WITHOUT_CLICK,
        description="When a promo code on the order earns: always, when_involved (one more "
        "touch), only_when_wins, without_click (only when no click qualifies).",
    )
    type_priority: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Partner types whose clicks are protected, highest first.",
    )
    priority_hours: int = Field(
        default=0, ge=0, le=2160, description="Hours a protected click cannot be overwritten."
    )
    split: bool = Field(default=False, description="Share credit by the model's weights.")

    def policy(self) -> Policy:
        spec = self.model_dump(include=set(AttributionPolicyIn.model_fields))
        spec["type_priority"] = tuple(spec["type_priority"])
        return Policy(**spec)
