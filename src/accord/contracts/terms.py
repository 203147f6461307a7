"""A contract version's terms as a person writes them: validated, then stored as JSON.

Terms are ranked payout rules (first match wins), with optional tiers, recurring periods and
conditions on each rule, plus caps, bonuses and bounties for the whole version. Amounts are
in the program's currency. Validation names the exact field to fix, e.g.
`rules[2].tiers.steps[0].from`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from accord.contracts.model import is_valid_event_type
from accord.errors import InvalidRequest, describe_validation
from accord.money import MAX_MAJOR_DIGITS

Percent = Decimal
DEVICES = ("desktop", "mobile", "tablet", "app", "other")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _amount(value: Decimal | None, *, allow_zero: bool = True) -> Decimal | None:
    if value is None:
        return None
    if not value.is_finite():
        raise ValueError("must be a finite number")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError("must be greater than zero" if not allow_zero else "must not be negative")
    if value.adjusted() >= MAX_MAJOR_DIGITS:
        raise ValueError(f"is too large: at most {MAX_MAJOR_DIGITS} digits before the point")
    return value


def _percent(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    if not value.is_finite() or not 0 <= value <= 100:
        raise ValueError("must be a percent between 0 and 100")
    if value.as_tuple().exponent < -6:  # type: ignore[operator]
        raise ValueError("at most 6 decimal places")
    return value


class Match(_Spec):
    """Values to include and to exclude. `*` and `?` are wildcards; case does not matter."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @field_validator("include", "exclude")
    @classmethod
    def _patterns(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = []
        for value in values:
            value = value.strip()
            if not value or len(value) > 200:
                raise ValueError("each pattern needs 1 to 200 characters")
            cleaned.append(value)
        return tuple(cleaned)


class When(_Spec):
    """Conditions on the conversion; every one given must hold. Absent means any."""

    customer_status: Literal["any", "new", "returning"] = "any"
    skus: Match | None = Field(
        default=None, description="Order rules: some item must match; item rules: the item."
    )
    categories: Match | None = None
    countries: Match | None = Field(default=None, description="ISO 3166-1 alpha-2 codes.")
    devices: tuple[Literal["desktop", "mobile", "tablet", "app", "other"], ...] = ()
    promo: Literal["any", "required", "absent"] = Field(
        default="any", description="Whether the order must carry a promo code, or none."
    )
    promo_codes: Match | None = None
    order_min: Decimal | None = Field(default=None, description="Order total at least this.")
    order_max: Decimal | None = Field(default=None, description="Order total below this.")
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None

    @field_validator("order_min", "order_max")
    @classmethod
    def _money(cls, value: Decimal | None) -> Decimal | None:
        return _amount(value)

    @field_validator("countries")
    @classmethod
    def _countries(cls, value: Match | None) -> Match | None:
        if value is None:
            return None
        for code in (*value.include, *value.exclude):
            if not (len(code) == 2 and code.isalpha()) and "*" not in code and "?" not in code:
                raise ValueError(f"{code!r} is not a two-letter country code")
        return Match(
            include=tuple(c.upper() for c in value.include),
            exclude=tuple(c.upper() for c in value.exclude),
        )

    @model_validator(mode="after")
    def _ranges(self) -> When:
        low, high = self.order_min, self.order_max
        if low is not None and high is not None and low >= high:
            raise ValueError("order_min must be below order_max")
        if self.starts_at and self.ends_at and self.starts_at >= self.ends_at:
            raise ValueError("starts_at must be before ends_at")
        if self.promo == "absent" and self.promo_codes is not None:
            raise ValueError("promo 'absent' cannot be combined with promo_codes")
        return self


class TierStep(_Spec):
    """From this many conversions (or this much revenue) in the month, pay this instead."""

    from_: Decimal = Field(alias="from", gt=0)
    percent: Percent | None = None
    fixed: Decimal | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("percent")
    @classmethod
    def _p(cls, value: Decimal | None) -> Decimal | None:
        return _percent(value)

    @field_validator("fixed")
    @classmethod
    def _f(cls, value: Decimal | None) -> Decimal | None:
        return _amount(value)

    @model_validator(mode="after")
    def _pays(self) -> TierStep:
        if self.percent is None and self.fixed is None:
            raise ValueError("give a percent, a fixed amount, or both")
        return self


class Tiers(_Spec):
    """Rates that rise with the partner's month: by conversions or by revenue.

    marginal: each conversion (or each part of the revenue) pays the rate of the tier it
    falls in. retroactive: once a tier is reached, the whole month is paid at its rate, and
    the month's earlier commissions are topped up.
    """

    metric: Literal["conversions", "revenue"]
    mode: Literal["marginal", "retroactive"] = "marginal"
    steps: list[TierStep] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _ascending(self) -> Tiers:
        previous = Decimal(0)
        for i, step in enumerate(self.steps):
            if step.from_ <= previous:
                raise ValueError(f"steps[{i}].from must be greater than the step before")
            if self.metric == "conversions" and step.from_ != step.from_.to_integral_value():
                raise ValueError(f"steps[{i}].from must be a whole number of conversions")
            previous = step.from_
        return self


class Recurring(_Spec):
    """Pay subscription renewals for this many months from the subscription's start;
    `months: null` pays for the subscription's lifetime."""

    months: int | None = Field(default=None, ge=1, le=1200)


class RuleSpec(_Spec):
    """One payout rule. Ranked by position: the first rule that matches wins."""

    event_type: str = Field(examples=["sale"])
    percent: Percent | None = Field(default=None, examples=["8.5"])
    fixed: Decimal | None = Field(default=None, examples=["5.00"])
    customer_status: Literal["any", "new", "returning"] = "any"
    name: str = Field(default="", max_length=200)
    group: str = Field(default="", max_length=100, description="A label to organise rules.")
    basis: Literal["order", "item"] = Field(
        default="order",
        description="order: pays on the order total; item: pays on each cart line it matches "
        "(fixed is then per unit), and lines it does not match fall to later rules.",
    )
    when: When = When()
    tiers: Tiers | None = None
    recurring: Recurring | None = Field(
        default=None, description="For event_type 'renewal': how long renewals are paid."
    )

    @field_validator("percent")
    @classmethod
    def _p(cls, value: Decimal | None) -> Decimal | None:
        return _percent(value)

    @field_validator("fixed")
    @classmethod
    def _f(cls, value: Decimal | None) -> Decimal | None:
        return _amount(value)

    @field_validator("event_type")
    @classmethod
    def _event(cls, value: str) -> str:
        if not is_valid_event_type(value):
            raise ValueError(
                f"{value!r} is not sale, lead, signup, install, first_purchase, renewal, "
                "click or custom:<name>"
            )
        return value

    @model_validator(mode="after")
    def _pays(self) -> RuleSpec:
        if self.percent is None and self.fixed is None:
            raise ValueError("give a percent, a fixed amount, or both")
        if self.recurring is not None and self.event_type != "renewal":
            raise ValueError("recurring applies to event_type 'renewal' only")
        if self.basis == "item" and self.tiers is not None and self.tiers.metric == "revenue":
            raise ValueError("revenue tiers apply to order rules, not item rules")
        if self.customer_status != "any" and self.when.customer_status != "any":
            raise ValueError("give customer_status once, not also in when")
        return self

    @property
    def customer_condition(self) -> str:
        return self.customer_status if self.customer_status != "any" else self.when.customer_status

    def label(self) -> str:
        if self.name:
            return self.name
        status = self.customer_condition
        return f"{self.event_type} ({status} customers)" if status != "any" else self.event_type


class Cap(_Spec):
    """A limit per partner or for the whole program, per day, per month or in total.

    measure conversions: over the limit a conversion earns nothing and is recorded as
    over_cap. measure commission: a commission is cut to what is left, and is over_cap
    once nothing is left.
    """

    scope: Literal["partner", "program"] = "partner"
    period: Literal["day", "month", "total"] = "month"
    measure: Literal["conversions", "commission"] = "commission"
    limit: Decimal = Field(gt=0)

    @model_validator(mode="after")
    def _whole(self) -> Cap:
        _amount(self.limit, allow_zero=False)
        if self.measure == "conversions" and self.limit != self.limit.to_integral_value():
            raise ValueError("a conversions cap must be a whole number")
        return self


class Bonus(_Spec):
    """A one-off amount when a partner's month reaches a target."""

    name: str = Field(min_length=1, max_length=200)
    metric: Literal["conversions", "revenue"] = "conversions"
    event_type: str = "sale"
    threshold: Decimal = Field(gt=0)
    amount: Decimal = Field(gt=0)

    @field_validator("amount", "threshold")
    @classmethod
    def _a(cls, value: Decimal) -> Decimal | None:
        return _amount(value)


class ViewThrough(_Spec):
    """How a view-through conversion is paid: one the partner's impression preceded, with no
    click or code. It earns this percent of what the matching rule pays for a click.
    Without it in the terms, view-through conversions are credited and counted, not paid."""

    share: Percent = Field(examples=["50"])

    @field_validator("share")
    @classmethod
    def _s(cls, value: Decimal) -> Decimal:
        checked = _percent(value)
        if not checked:
            raise ValueError("must be more than 0 (leave view_through out to pay nothing)")
        return checked


class Bounty(_Spec):
    """A fixed reward on top of the rule's commission, for events inside a time box."""

    name: str = Field(min_length=1, max_length=200)
    event_type: str = "sale"
    amount: Decimal = Field(gt=0)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    when: When = When()

    @field_validator("amount")
    @classmethod
    def _a(cls, value: Decimal) -> Decimal | None:
        return _amount(value)

    @model_validator(mode="after")
    def _box(self) -> Bounty:
        if self.starts_at >= self.ends_at:
            raise ValueError("starts_at must be before ends_at")
        return self


class TermsSpec(_Spec):
    """Everything a contract version pays."""

    rules: list[RuleSpec] = Field(min_length=1, max_length=500)
    caps: list[Cap] = Field(default_factory=list, max_length=20)
    bonuses: list[Bonus] = Field(default_factory=list, max_length=50)
    bounties: list[Bounty] = Field(default_factory=list, max_length=50)
    view_through: ViewThrough | None = None

    def as_json(self) -> dict:
        return self.model_dump(mode="json", by_alias=True, exclude_defaults=True)


def parse_terms(data: object) -> TermsSpec:
    """Validate terms from JSON-like data, naming every wrong field at once."""
    if isinstance(data, TermsSpec):
        return data
    try:
        return TermsSpec.model_validate(data)
    except ValidationError as error:
        raise InvalidRequest(describe_validation(error.errors())) from None


def terms_of(rules: list[RuleSpec] | list[RuleSpec], **more: object) -> TermsSpec:
    """Terms from rules already built in code (tests, the demo)."""
    return parse_terms({"rules": list(rules), **more})
