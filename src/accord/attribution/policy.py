"""A program's attribution policy and the models that pay: pure, no I/O.

A policy says, for a program (or one event type of it) from an effective date:

- the **model** that weighs the journey's clicks: last click, first click, linear,
  position-based (the first and last touches get set weights, the middle ones share the rest)
  or time decay (a touch loses half its weight every `half_life_hours` before the order);
- the **window**: how old a click may be and still count (the program's, unless set);
- the **promo-code policy**: whether a code used on the order takes the credit always, counts
  as one more touch at the order's time, counts only when it would win, or counts only when
  no click qualifies (Accord's rule before policies existed);
- **partner-type priority**: touches of the listed types (highest first) are protected for
  `priority_hours`: a later touch of a lower type within that time does not count;
- **split**: whether credit is shared by the model's weights among several partners, or the
  partner with the largest weight takes it all.

`decide` applies a policy to a journey and returns the credits with one share per partner
(adding up to 1 exactly, as fractions) and the reasons a person can read. The default policy
(`Policy()`) is last click with codes only when no click qualifies: what every program had.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from accord.attribution.model import Credit, Decision, Touchpoint, TouchpointKind
from accord.errors import InvalidInput, Text, not_one_of
from accord.partners import taxonomy

#: Digits kept in a stored share (the commission split itself is exact: see split_minor).
SHARE_DIGITS = Decimal("0.000000000001")
MAX_PRIORITY_HOURS = 24 * 90
MAX_HALF_LIFE_HOURS = 24 * 365
MAX_WINDOW_DAYS = 365


class Model(StrEnum):
    LAST_CLICK = "last_click"
    FIRST_CLICK = "first_click"
    LINEAR = "linear"
    POSITION_BASED = "position_based"
    TIME_DECAY = "time_decay"


class CodePolicy(StrEnum):
    #: A code used on the order gives its partner the whole credit, whatever the clicks say.
    ALWAYS = "always"
    #: The code counts as one more touch at the order's time and shares by the model.
    WHEN_INVOLVED = "when_involved"
    #: The code counts as a touch at the order's time, but earns only if it has the largest
    #: weight; otherwise the clicks share the credit without it.
    ONLY_WHEN_WINS = "only_when_wins"
    #: The code earns only when no click qualifies.
    WITHOUT_CLICK = "without_click"


@dataclass(frozen=True)
class Policy:
    """How a program's conversions are attributed; checked when made."""

    model: Model = Model.LAST_CLICK
    #: Days a click counts for; None: the program's attribution window.
    window_days: int | None = None
    #: Position-based: the first and the last touch's weights (the middle share the rest).
    first_weight: Decimal = Decimal("0.4")
    last_weight: Decimal = Decimal("0.4")
    #: Time decay: hours after which a touch weighs half as much.
    half_life_hours: int = 168
    code_policy: CodePolicy = CodePolicy.WITHOUT_CLICK
    #: Partner types whose touches are protected, highest priority first.
    type_priority: tuple[str, ...] = ()
    priority_hours: int = 0
    split: bool = False

    def __post_init__(self) -> None:
        for name, enum in (("model", Model), ("code_policy", CodePolicy)):
            value = getattr(self, name)
            try:
                object.__setattr__(self, name, enum(value))
            except ValueError:
                raise not_one_of(name, value, enum) from None
        for name in ("first_weight", "last_weight"):
            value = getattr(self, name)
            try:
                value = Decimal(str(value))
            except ArithmeticError:
                raise InvalidInput(name, "give a number from 0 to 1, e.g. 0.4") from None
            if not value.is_finite() or not 0 <= value <= 1:
                raise InvalidInput(name, "give a number from 0 to 1, e.g. 0.4")
            object.__setattr__(self, name, value)
        if self.first_weight + self.last_weight > 1:
            raise InvalidInput("last_weight", "the first and last weights add up to more than 1")
        if self.window_days is not None and not 1 <= self.window_days <= MAX_WINDOW_DAYS:
            raise InvalidInput(
                "window_days",
                Text("give a number of days from 1 to %(most)s", most=MAX_WINDOW_DAYS),
            )
        if not 1 <= self.half_life_hours <= MAX_HALF_LIFE_HOURS:
            raise InvalidInput(
                "half_life_hours",
                Text("give a number of hours from 1 to %(most)s", most=MAX_HALF_LIFE_HOURS),
            )
        if not 0 <= self.priority_hours <= MAX_PRIORITY_HOURS:
            raise InvalidInput(
                "priority_hours",
                Text("give a number of hours from 0 to %(most)s", most=MAX_PRIORITY_HOURS),
            )
        types = tuple(str(t) for t in self.type_priority)
        if len(set(types)) != len(types):
            raise InvalidInput("type_priority", "name each partner type once")
        object.__setattr__(self, "type_priority", types)

    @property
    def is_default(self) -> bool:
        """Last click, codes without a click, no priority: the rule before policies."""
        return self == Policy(window_days=self.window_days)

    def window(self, program_window: timedelta) -> timedelta:
        return program_window if self.window_days is None else timedelta(days=self.window_days)

    def as_dict(self) -> dict[str, object]:
        return {
            "model": self.model.value,
            "window_days": self.window_days,
            "first_weight": str(self.first_weight),
            "last_weight": str(self.last_weight),
            "half_life_hours": self.half_life_hours,
            "code_policy": self.code_policy.value,
            "type_priority": list(self.type_priority),
            "priority_hours": self.priority_hours,
            "split": self.split,
        }


@dataclass(frozen=True)
class Outcome:
    """A decision, and for each touch left out of it, why (for the explain page)."""

    decision: Decision
    dropped: tuple[tuple[Touchpoint, str], ...] = field(default_factory=tuple)


def _at(touch: Touchpoint, occurred_at: datetime) -> datetime:
    return occurred_at if touch.at is None else touch.at


def protect(
    touches: Sequence[Touchpoint], policy: Policy, occurred_at: datetime
) -> tuple[list[Touchpoint], list[tuple[Touchpoint, str]]]:
    """Drop each touch that comes within `priority_hours` after a touch of a partner type
    ranked higher in `type_priority` (unlisted types rank below every listed one). An entry
    names a type or a whole group of the taxonomy (a brand's own type is ranked when it is
    named itself)."""
    if not policy.type_priority or not policy.priority_hours:
        return list(touches), []
    order = policy.type_priority
    lowest = len(order)

    places: dict[str | None, int] = {}  # each distinct type's place, worked out once

    def place(kind: str | None) -> int:  # a type is ranked by the first selector naming it
        if kind not in places:
            found = taxonomy.rank(order, kind)
            places[kind] = lowest if found is None else found
        return places[kind]

    hold = timedelta(hours=policy.priority_hours)
    kept: list[Touchpoint] = []
    dropped: list[tuple[Touchpoint, str]] = []
    ordered = sorted(touches, key=lambda t: (_at(t, occurred_at), t.ref))
    for touch in ordered:
        mine = place(touch.partner_type)
        at = _at(touch, occurred_at)
        over = next(
            (
                earlier
                for earlier in kept
                if place(earlier.partner_type) < mine
                and earlier.partner_id != touch.partner_id
                and timedelta(0) <= at - _at(earlier, occurred_at) <= hold
            ),
            None,
        )
        if over is None:
            kept.append(touch)
        else:
            dropped.append((touch, f"protected:{over.partner_type}"))
    return kept, dropped


def weights(touches: Sequence[Touchpoint], policy: Policy, occurred_at: datetime) -> list[Fraction]:
    """Each touch's weight under the policy's model, in the touches' (time) order; the
    weights add up to 1 exactly."""
    n = len(touches)
    if n == 0:
        return []
    model = policy.model
    if n == 1:
        return [Fraction(1)]
    if model is Model.LAST_CLICK:
        return [Fraction(0)] * (n - 1) + [Fraction(1)]
    if model is Model.FIRST_CLICK:
        return [Fraction(1)] + [Fraction(0)] * (n - 1)
    if model is Model.LINEAR:
        return [Fraction(1, n)] * n
    if model is Model.POSITION_BASED:
        first, last = Fraction(policy.first_weight), Fraction(policy.last_weight)
        if n == 2:
            ends = first + last
            if ends == 0:
                return [Fraction(1, 2)] * 2
            return [first / ends, last / ends]
        middle = (1 - first - last) / (n - 2)
        raw = [first] + [middle] * (n - 2) + [last]
        total = sum(raw)
        return [w / total for w in raw]
    # Time decay: 2 ** -(age / half-life), exact to the second as a fraction of a float.
    half_life = policy.half_life_hours * 3600
    raw = [
        Fraction(2 ** (-((occurred_at - _at(t, occurred_at)).total_seconds()) / half_life))
        for t in touches
    ]
    total = sum(raw)
    return [w / total for w in raw]


def _credits(pairs: Sequence[tuple[Touchpoint, Fraction]], split: bool) -> tuple[Credit, ...]:
    """One credit per partner (its latest weighed touch stands for it), shares adding up to
    1. Without split, the partner with the largest weight takes it all (a tie: the later)."""
    by_partner: dict[str, list] = {}
    for order, (touch, weight) in enumerate(pairs):
        seen = by_partner.setdefault(touch.partner_id, [touch, Fraction(0), order])
        seen[1] += weight
        if weight > 0:
            seen[0], seen[2] = touch, order
    ranked = sorted((p for p in by_partner.values() if p[1] > 0), key=lambda p: p[2])
    if not ranked:
        return ()
    if not split or len(ranked) == 1:
        winner = max(ranked, key=lambda p: (p[1], p[2]))
        return (Credit(winner[0], Decimal(1)),)

    def share(weight: Fraction) -> Decimal:
        return (Decimal(weight.numerator) / Decimal(weight.denominator)).quantize(SHARE_DIGITS)

    # A partner whose share rounds to nothing (a touch decayed over many half-lives) drops
    # out, and the others' weights are taken again over what is left.
    ranked = [p for p in ranked if share(p[1]) > 0] or [max(ranked, key=lambda p: p[1])]
    left = sum((w for _, w, _ in ranked), Fraction(0))
    shares = [share(w / left) for _, w, _ in ranked]
    # The last partner's share takes what rounding left, so stored shares add up to 1.
    shares[-1] = Decimal(1) - sum(shares[:-1])
    return tuple(Credit(t, s) for (t, _, _), s in zip(ranked, shares, strict=True))


def decide(
    policy: Policy,
    journey: Sequence[Touchpoint],
    occurred_at: datetime,
    window: timedelta,
) -> Outcome:
    """Credit for a conversion under `policy`, from its journey's clicks and code.

    Clicks older than the window or after the order do not count. Renewals, accepted
    inquiries and view-through impressions are not this function's: the caller keeps the
    rule it always had for them when no click or code qualifies.
    """
    clicks = [
        t
        for t in journey
        if t.kind is TouchpointKind.CLICK
        and t.at is not None
        and t.at <= occurred_at
        and occurred_at - t.at <= window
    ]
    clicks.sort(key=lambda t: (t.at, t.ref))
    codes = [t for t in journey if t.kind is TouchpointKind.PROMO_CODE]
    code = codes[0] if codes else None
    model = policy.model.value
    if code is not None and (policy.code_policy is CodePolicy.ALWAYS or not clicks):
        reason = "promo_code_always" if clicks else "promo_code"
        return Outcome(Decision((Credit(code, Decimal(1)),), reason, model="promo_code"))
    touches = list(clicks)
    if code is not None and policy.code_policy in (
        CodePolicy.WHEN_INVOLVED,
        CodePolicy.ONLY_WHEN_WINS,
    ):
        touches.append(code)  # at the order's time, after every click
    touches, dropped = protect(touches, policy, occurred_at)
    if not touches:
        return Outcome(Decision((), "no_touchpoint", model=model), tuple(dropped))
    pairs = list(zip(touches, weights(touches, policy, occurred_at), strict=True))
    if code is not None and policy.code_policy is CodePolicy.ONLY_WHEN_WINS:
        code_weight = sum((w for t, w in pairs if t is code), Fraction(0))
        best_other = max((w for t, w in pairs if t.partner_id != code.partner_id), default=0)
        if code_weight <= best_other:
            without = [t for t in touches if t is not code]
            dropped.append((code, "code_did_not_win"))
            pairs = list(zip(without, weights(without, policy, occurred_at), strict=True))
    credits = _credits(pairs, policy.split)
    if not credits:
        return Outcome(Decision((), "no_touchpoint", model=model), tuple(dropped))
    if policy.split and len(credits) > 1:
        reason = f"{model}_split"
    elif policy.model is Model.LAST_CLICK and not dropped:
        reason = "last_click_in_window"
    else:
        reason = f"{model}_in_window"
    return Outcome(Decision(credits, reason, model=model), tuple(dropped))
