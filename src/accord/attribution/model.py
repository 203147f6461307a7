"""Attribution: which partner's touchpoint earns credit for a conversion. Pure, no I/O.

The rule for now: the last click within the program's attribution window wins; when no click
qualifies, a promo code used on the order gives the credit to the code's partner. Renewals of
a subscription go to the partner of its first order, and an accepted inquiry to the partner
who raised it. When nothing else qualifies, the last impression within the program's
view-through window gives a view-through credit (paid only if the contract says so).
"""

from __future__ import annotations

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


@dataclass(frozen=True, slots=True)
class Touchpoint:
    kind: TouchpointKind
    ref: str  # the click id or the promo code
    partner_id: str
    at: datetime | None  # None for a promo code: it is used at the conversion itself


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
