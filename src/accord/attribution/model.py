"""Attribution: which partner's touchpoint earns credit for a conversion. Pure, no I/O.

A conversion's journey is every touchpoint of its customer within the program's window (see
accord.attribution.service, which loads it); `weighed` picks the ones the last-click rule
looks at, and `attribute` decides among them. The rule for now: the last click within the
program's attribution window wins; when no click qualifies, a promo code used on the order
gives the credit to the code's partner. Renewals of a subscription go to the partner of its
first order, and an accepted inquiry to the partner who raised it. When nothing else
qualifies, the last impression within the program's view-through window gives a
view-through credit (paid only if the contract says so).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum


class TouchpointKind(StrEnum):
    CLICK = "click"
    PROMO_CODE = "promo_code"
    #: A renewal: the partner of the subscription's first order.
    SUBSCRIPTION = "subscription"
    #: A partner's inquiry the brand accepted: credit given by a person.
    INQUIRY = "inquiry"
    #: A view of the partner's creative or link before the conversion, with no click.
    IMPRESSION = "impression"


#: How a touchpoint is tied to the converting customer.
VIA_CLICK_ID = "click_id"  # the click the conversion names (the JS tag's cookie holds it too)
VIA_CODE = "code"  # the promo code used on the order
VIA_CUSTOMER = "customer"  # in an earlier journey of the same customer id
VIA_SHOPPER = "shopper"  # an impression seen from the same IP address and browser
VIA_ASSIGNED = "assigned"  # a renewal's first order, or an inquiry a person accepted
#: App and mini-program identities that lead back to a click: device ids and WeChat ids.
APP_IDENTITIES = ("gaid", "idfa", "idfv", "openid", "unionid")


@dataclass(frozen=True, slots=True)
class Touchpoint:
    kind: TouchpointKind
    ref: str  # the click id or the promo code
    partner_id: str
    at: datetime | None  # None for a promo code: it is used at the conversion itself
    #: How it is tied to the customer: one of the VIA_ names or an APP_IDENTITIES kind.
    via: str = VIA_CLICK_ID
    link_id: str | None = None
    partner_type: str | None = None

    @property
    def step_type(self) -> str:
        """What a journey calls it: click, impression, promo_code, subscription, inquiry,
        or app_identity (a click an app or mini-program event was led back to)."""
        if self.kind is TouchpointKind.CLICK and self.via in APP_IDENTITIES:
            return "app_identity"
        return self.kind.value


@dataclass(frozen=True, slots=True)
class Credit:
    touchpoint: Touchpoint
    share: Decimal


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome: credits (shares add up to 1) and a reason code, also when nobody wins."""

    credits: tuple[Credit, ...]
    reason: str
    model: str = "last_click"

    @property
    def attributed(self) -> bool:
        return bool(self.credits)


def weighed(journey: Sequence[Touchpoint]) -> list[Touchpoint]:
    """The touchpoints of a journey the last-click rule weighs, as it always has.

    The click the conversion names; without it, the latest click one of its device or
    WeChat ids was seen with; the promo code used on the order; and only when neither a
    click nor a code was found, the impressions seen by the same shopper (IP address and
    browser). Other touchpoints
    (earlier clicks of the same customer, older clicks of the same device) stay in the
    journey for the models that read it, but do not take the credit from the named click.
    """
    named = [t for t in journey if t.kind is TouchpointKind.CLICK and t.via == VIA_CLICK_ID]
    if not named:
        by_identity = [
            t
            for t in journey
            if t.kind is TouchpointKind.CLICK and t.via in APP_IDENTITIES and t.at is not None
        ]
        if by_identity:
            named = [max(by_identity, key=lambda t: (t.at, t.ref))]
    found = named + [t for t in journey if t.kind is TouchpointKind.PROMO_CODE]
    if found:
        return found
    return [t for t in journey if t.kind is TouchpointKind.IMPRESSION and t.via == VIA_SHOPPER]


def attribute(
    touchpoints: list[Touchpoint],
    occurred_at: datetime,
    window: timedelta,
    view_window: timedelta = timedelta(0),
) -> Decision:
    """Last click within the window; otherwise the promo code; otherwise the last impression
    within `view_window` (view-through); otherwise nobody.

    A click or impression after the conversion, or older than its window, does not qualify.
    Ties on time go to the later id, which is time-ordered.
    """
    clicks = [t for t in touchpoints if t.kind is TouchpointKind.CLICK and t.at is not None]
    eligible = [c for c in clicks if c.at <= occurred_at and occurred_at - c.at <= window]
    if eligible:
        winner = max(eligible, key=lambda c: (c.at, c.ref))
        return Decision((Credit(winner, Decimal(1)),), "last_click_in_window")
    codes = [t for t in touchpoints if t.kind is TouchpointKind.PROMO_CODE]
    if codes:
        return Decision((Credit(codes[0], Decimal(1)),), "promo_code", model="promo_code")
    for kind, reason in (
        (TouchpointKind.SUBSCRIPTION, "subscription_renewal"),
        (TouchpointKind.INQUIRY, "inquiry_accepted"),
    ):
        assigned = [t for t in touchpoints if t.kind is kind]
        if assigned:
            return Decision((Credit(assigned[0], Decimal(1)),), reason, model=kind.value)
    views = [
        t
        for t in touchpoints
        if t.kind is TouchpointKind.IMPRESSION
        and t.at is not None
        and t.at <= occurred_at
        and occurred_at - t.at <= view_window
        and view_window > timedelta(0)  # a zero window: view-through is off
    ]
    if views:
        winner = max(views, key=lambda v: (v.at, v.ref))
        return Decision((Credit(winner, Decimal(1)),), "view_through", model="view_through")
    if clicks:
        late = all(c.at > occurred_at for c in clicks)
        return Decision((), "click_after_conversion" if late else "click_outside_window")
    return Decision((), "no_touchpoint")
