"""Data-driven attribution over customer journeys: Markov chains, Shapley values, the
rule-based models beside them, and each channel's role. Pure: no I/O, numpy only.

A *channel* is whatever the journeys are told in: a partner's id, or a partner type. A
*path* is a journey's channels in time order (a channel may repeat). Identical paths are
grouped before any model runs (`group_journeys`): a `Journeys` mapping holds each distinct
path once with its `PathCounts` — how many journeys on that path converted, how many did not,
and the value of the converting ones. Every model reads the groups, so its cost grows with
the number of distinct paths, not of journeys, and grouped and ungrouped input give the same
credits.

Numbers are floats (binary64): conversions and values in, credits out. For every model the
credits of all channels add up to the total conversions (and value) of the paths that have a
touch, within 1e-9 relative; callers round for display (Decimal) at the end.

Non-converting paths: the Markov models use them when given (`non_conversions`), as the
method intends — a channel then earns credit only as far as paths through it convert more
often than paths without it. Accord keeps converting journeys only; with no non-converting
counts every path ends in a conversion, the chain's conversion probability is 1, and the
removal effect of a channel is the share of conversions whose path touches it (weighted by
how the chain routes through it). That is still a consistent data-driven split of the
conversions among channels, but it measures *presence on converting paths*, not uplift: read
it as "what would be lost if the paths through this channel were cut", not as a causal
effect. The Shapley value (Zhao et al. 2018) counts conversions only, by definition.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import NamedTuple

import numpy as np

#: Paths longer than this are cut to their last `MAX_TOUCHES` touches before grouping.
MAX_TOUCHES = 64
#: The Markov models solve a dense system over the chain's states; more states are refused.
MAX_STATES = 4000

Path = tuple[str, ...]


class PathCounts(NamedTuple):
    """What happened on one distinct path."""

    conversions: float
    non_conversions: float = 0.0
    #: The value of the conversions on this path (an order's amount, in minor units, say).
    value: float = 0.0


Journeys = Mapping[Path, PathCounts]


@dataclass(frozen=True, slots=True)
class Credits:
    """How many conversions, and how much of their value, each channel is credited with."""

    conversions: dict[str, float]
    value: dict[str, float]

    def total(self) -> float:
        return math.fsum(self.conversions.values())


class TooManyStates(ValueError):
    """The chain has more states than a dense solve handles (see MAX_STATES)."""


# Grouping ----------------------------------------------------------------------------------
def group_journeys(
    converting: Iterable[tuple[Sequence[str], float]],
    non_converting: Iterable[Sequence[str]] = (),
) -> dict[Path, PathCounts]:
    """Group journeys by path: `converting` as (path, value) per conversion, `non_converting`
    as one path per journey that did not convert. Empty paths are left out (nothing to
    credit); paths longer than MAX_TOUCHES keep their last touches."""
    grouped: dict[Path, list[float]] = {}
    for path, value in converting:
        key = tuple(path)[-MAX_TOUCHES:]
        if not key:
            continue
        counts = grouped.setdefault(key, [0.0, 0.0, 0.0])
        counts[0] += 1
        counts[2] += value
    for path in non_converting:
        key = tuple(path)[-MAX_TOUCHES:]
        if key:
            grouped.setdefault(key, [0.0, 0.0, 0.0])[1] += 1
    return {path: PathCounts(*counts) for path, counts in grouped.items()}


def merge(into: dict[Path, PathCounts], more: Journeys) -> dict[Path, PathCounts]:
    """Add the groups of `more` to `into` (in place) and return it."""
    for path, counts in more.items():
        have = into.get(path)
        counts = PathCounts(*counts)
        into[path] = (
            counts
            if have is None
            else PathCounts(
                have.conversions + counts.conversions,
                have.non_conversions + counts.non_conversions,
                have.value + counts.value,
            )
        )
    return into


def _groups(journeys: Journeys) -> list[tuple[Path, PathCounts]]:
    return [
        (
            p if type(p) is tuple else tuple(p),
            c if type(c) is PathCounts else PathCounts(*c),
        )
        for p, c in journeys.items()
        if p
    ]


def channels_of(journeys: Journeys) -> list[str]:
    """Every channel that appears on a path, sorted."""
    return sorted({c for path in journeys for c in path})


def totals(journeys: Journeys) -> tuple[float, float]:
    """The conversions and the value of all paths with a touch."""
    groups = _groups(journeys)
    return (
        math.fsum(c.conversions for _, c in groups),
        math.fsum(c.value for _, c in groups),
    )


def _split(journeys: Journeys, weights_of) -> Credits:
    """Credit each path's conversions and value to its touches by `weights_of(path)` (one
    weight per touch, summing to 1)."""
    conversions: dict[str, list[float]] = {}
    value: dict[str, list[float]] = {}
    for path, counts in _groups(journeys):
        if not counts.conversions and not counts.value:
            continue
        for channel, weight in zip(path, weights_of(path), strict=True):
            if weight:
                conversions.setdefault(channel, []).append(weight * counts.conversions)
                value.setdefault(channel, []).append(weight * counts.value)
    return Credits(
        {c: math.fsum(v) for c, v in conversions.items()},
        {c: math.fsum(v) for c, v in value.items()},
    )


# Rule-based models --------------------------------------------------------------------------
def last_touch(journeys: Journeys) -> Credits:
    """All of each conversion to the path's last touch."""
    return _split(journeys, lambda path: [0.0] * (len(path) - 1) + [1.0])


def first_touch(journeys: Journeys) -> Credits:
    """All of each conversion to the path's first touch."""
    return _split(journeys, lambda path: [1.0] + [0.0] * (len(path) - 1))


def linear(journeys: Journeys) -> Credits:
    """Each touch an equal share (a channel touching twice gets two shares)."""
    return _split(journeys, lambda path: [1.0 / len(path)] * len(path))


def position_weights(n: int, first: float = 0.4, last: float = 0.4) -> list[float]:
    """The position-based (U-shaped) weights of an n-touch path: `first` to the first touch,
    `last` to the last, the rest evenly to the touches between; a 2-touch path splits
    first:last in proportion, a 1-touch path gets all of it."""
    if n == 1:
        return [1.0]
    if n == 2:
        return [first / (first + last), last / (first + last)]
    middle = (1.0 - first - last) / (n - 2)
    return [first] + [middle] * (n - 2) + [last]


def position_based(journeys: Journeys, first: float = 0.4, last: float = 0.4) -> Credits:
    """40% to the first touch, 40% to the last, 20% spread over the touches between."""
    if not (0 <= first <= 1 and 0 <= last <= 1 and first + last <= 1 and first + last > 0):
        raise ValueError("first and last must be shares adding up to at most 1")
    return _split(journeys, lambda path: position_weights(len(path), first, last))


class TimedJourney(NamedTuple):
    """A path with how long before the conversion each touch happened (days; None: at the
    conversion, or not known), and the journeys it stands for."""

    path: Path
    ages_days: tuple[float | None, ...]
    conversions: float = 1.0
    value: float = 0.0


def decay_weights(ages_days: Sequence[float | None], half_life_days: float) -> list[float]:
    """Time-decay weights: a touch `age` days before the conversion weighs 2^(-age / half
    life); weights are normalised to sum to 1. Unknown ages count as 0 (at the conversion)."""
    raw = [2.0 ** (-max(a or 0.0, 0.0) / half_life_days) for a in ages_days]
    whole = math.fsum(raw)
    return [w / whole for w in raw]


def time_decay(timed: Iterable[TimedJourney], half_life_days: float = 7.0) -> Credits:
    """Touches closer to the conversion get more: see `decay_weights`. Needs each touch's
    time, so it reads journeys with their ages rather than grouped paths."""
    if not half_life_days > 0:
        raise ValueError("the half life must be positive")
    conversions: dict[str, list[float]] = {}
    value: dict[str, list[float]] = {}
    for journey in timed:
        if not journey.path:
            continue
        if len(journey.ages_days) != len(journey.path):
            raise ValueError("one age per touch")
        for channel, w in zip(
            journey.path, decay_weights(journey.ages_days, half_life_days), strict=True
        ):
            conversions.setdefault(channel, []).append(w * journey.conversions)
            value.setdefault(channel, []).append(w * journey.value)
    return Credits(
        {c: math.fsum(v) for c, v in conversions.items()},
        {c: math.fsum(v) for c, v in value.items()},
    )


# Markov chains ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MarkovFit:
    """A Markov model fitted to the paths: its credits and how they came about."""

    order: int
    credits: Credits
    #: 1 - P(conversion | channel removed) / P(conversion), by channel.
    removal_effects: dict[str, float]
    #: P(conversion) from the start: 1 when only converting paths were given.
    conversion_probability: float
    #: Transient states of the chain, the start included.
    states: int


_PAD = None  # before the first touch, in the states of order 2 and 3


def _state_path(path: Path, order: int) -> list[tuple]:
    """The chain's states along a path: the last `order` channels after each touch, padded
    at the start (order 2: (None, A), (A, B), (B, C))."""
    padded = (_PAD,) * (order - 1) + path
    return [padded[i : i + order] for i in range(len(path))]


def transition_matrix(journeys: Journeys, order: int = 1):
    """The absorbing chain of the paths: (states, Q, r, lost) where states[0] is the start,
    Q[i, j] the probability of moving from transient state i to j, r[i] of converting next
    and lost[i] of ending without a conversion. Estimated by counting transitions, each path
    weighing its conversions plus non-conversions."""
    if order not in (1, 2, 3):
        raise ValueError("order must be 1, 2 or 3")
    index: dict[tuple, int] = {(): 0}
    rows: list[int] = []
    cols: list[int] = []
    weights: list[float] = []
    to_conversion: dict[int, float] = {}
    to_null: dict[int, float] = {}
    pad = (_PAD,) * (order - 1)
    find = index.get
    for path, counts in _groups(journeys):
        weight = counts.conversions + counts.non_conversions
        if weight <= 0:
            continue
        padded = pad + path if pad else path
        previous = 0
        for i in range(len(path)):
            state = padded[i : i + order]  # as _state_path
            here = find(state)
            if here is None:
                here = index[state] = len(index)
            rows.append(previous)
            cols.append(here)
            weights.append(weight)
            previous = here
        to_conversion[previous] = to_conversion.get(previous, 0.0) + counts.conversions
        to_null[previous] = to_null.get(previous, 0.0) + counts.non_conversions
    n = len(index)
    if n > MAX_STATES:
        raise TooManyStates(f"{n} states (at most {MAX_STATES}); choose a lower order")
    flat = np.asarray(rows, dtype=np.int64) * n + np.asarray(cols, dtype=np.int64)
    q = np.bincount(flat, weights=np.asarray(weights, dtype=float), minlength=n * n)
    q = q.reshape(n, n)
    r = np.zeros(n)
    lost = np.zeros(n)
    for i, v in to_conversion.items():
        r[i] = v
    for i, v in to_null.items():
        lost[i] = v
    out = q.sum(axis=1) + r + lost
    out[out == 0] = 1.0  # the start of an empty chain
    states = [None] * n
    for state, i in index.items():
        states[i] = state
    return states, q / out[:, None], r / out, lost / out


def _removal_sets(states: list[tuple]) -> dict[str, list[int]]:
    sets: dict[str, list[int]] = {}
    for i, state in enumerate(states):
        for channel in {c for c in state if c is not _PAD}:
            sets.setdefault(channel, []).append(i)
    return sets


def markov(journeys: Journeys, order: int = 1) -> MarkovFit:
    """Markov-chain attribution of order 1, 2 or 3, computed exactly.

    The chain: start -> the touches' states -> conversion or null, with transition
    probabilities counted from the paths (order k: a state is the last k channels). With
    N = (I - Q)^-1 the fundamental matrix (one `numpy.linalg.solve`) and b = N r the
    conversion probability from each state, P(conversion) = b[start]. Removing channel c
    sends every transition into a state that holds c to null; with S those states,

        P(conversion | c removed) = b[start] - N[start, S] · N[S, S]^-1 · b[S]

    (the probability of converting without ever entering S: the strong Markov property, and
    the inverse of a principal block of I - Q from N), so each channel costs a solve of |S|
    equations, not a new chain. Removal effect = 1 - P(conversion | c removed) /
    P(conversion); credits = removal effects normalised to 1, times the total conversions
    and value."""
    states, q, r, _ = transition_matrix(journeys, order)
    channels = channels_of(journeys)
    conversions, value = totals(journeys)
    n = len(states)
    if n <= 1 or not conversions:
        zero = dict.fromkeys(channels, 0.0)
        return MarkovFit(order, Credits(dict(zero), dict(zero)), dict(zero), 0.0, n)
    fundamental = np.linalg.solve(np.eye(n) - q, np.eye(n))
    b = fundamental @ r
    p = float(b[0])
    effects: dict[str, float] = {}
    for channel, s in _removal_sets(states).items():
        s_idx = np.asarray(s, dtype=np.intp)
        n_ss = fundamental[np.ix_(s_idx, s_idx)]
        without = p - float(fundamental[0, s_idx] @ np.linalg.solve(n_ss, b[s_idx]))
        effects[channel] = min(max(1.0 - without / p, 0.0), 1.0) if p > 0 else 0.0
    whole = math.fsum(effects.values())
    shares = {c: (effects.get(c, 0.0) / whole if whole > 0 else 0.0) for c in channels}
    return MarkovFit(
        order,
        Credits(
            {c: share * conversions for c, share in shares.items()},
            {c: share * value for c, share in shares.items()},
        ),
        {c: effects.get(c, 0.0) for c in channels},
        p,
        n,
    )


def conversion_probability(journeys: Journeys, order: int = 1, removed: str | None = None):
    """P(conversion) of the chain, with every state holding `removed` cut (sent to null),
    by solving (I - Q) b = r over the states that remain: the slow, direct way, which
    `markov` must agree with."""
    states, q, r, _ = transition_matrix(journeys, order)
    keep = [i for i, state in enumerate(states) if removed is None or removed not in state]
    k = np.asarray(keep, dtype=np.intp)
    b = np.linalg.solve(np.eye(len(keep)) - q[np.ix_(k, k)], r[k])
    return float(b[0])


# Shapley values -----------------------------------------------------------------------------
def shapley(journeys: Journeys) -> Credits:
    """The Shapley value of the game v(S) = conversions of the paths whose channel set lies
    within S, in the simplified closed form of Zhao, Mahboobi and Bagheri (2018): each
    path's conversions (and value) split equally among its distinct channels, however often
    and in whatever order they appear."""
    return _split(
        journeys,
        lambda path: [(1.0 / len(set(path)) / path.count(c)) for c in path],
    )


def shapley_brute_force(journeys: Journeys) -> dict[str, float]:
    """The Shapley values of the conversions game by the textbook formula, over every
    coalition: exponential in the channels (tests compare `shapley` with it)."""
    channels = channels_of(journeys)
    if len(channels) > 14:
        raise ValueError("too many channels to enumerate")
    sets = [(frozenset(p), c.conversions) for p, c in _groups(journeys)]

    def v(coalition: frozenset) -> float:
        return math.fsum(n for s, n in sets if s <= coalition)

    m = len(channels)
    result: dict[str, float] = {}
    for channel in channels:
        others = [c for c in channels if c != channel]
        terms = []
        for size in range(m):
            weight = math.factorial(size) * math.factorial(m - size - 1) / math.factorial(m)
            for coalition in combinations(others, size):
                s = frozenset(coalition)
                terms.append(weight * (v(s | {channel}) - v(s)))
        result[channel] = math.fsum(terms)
    return result


@dataclass(frozen=True, slots=True)
class OrderedShapley:
    """The ordered Shapley value (Zhao et al. 2018, section 4): each channel's Shapley
    credit split by the position of its touches. `conversions[c][i]` is what channel c earns
    as the path's (i+1)-th touch; a row sums to the channel's Shapley value."""

    conversions: dict[str, list[float]]
    value: dict[str, list[float]]

    def totals(self) -> Credits:
        return Credits(
            {c: math.fsum(v) for c, v in self.conversions.items()},
            {c: math.fsum(v) for c, v in self.value.items()},
        )


def ordered_shapley(journeys: Journeys) -> OrderedShapley:
    """Position-aware Shapley: on a path with k distinct channels, a channel's 1/k of the
    conversions is split equally among the positions where it appears."""
    groups = _groups(journeys)
    longest = max((len(p) for p, _ in groups), default=0)
    conversions: dict[str, list[list[float]]] = {}
    value: dict[str, list[list[float]]] = {}
    for path, counts in groups:
        distinct = len(set(path))
        for position, channel in enumerate(path):
            share = 1.0 / distinct / path.count(channel)
            for into, amount in ((conversions, counts.conversions), (value, counts.value)):
                row = into.setdefault(channel, [[] for _ in range(longest)])
                row[position].append(share * amount)
    return OrderedShapley(
        {c: [math.fsum(x) for x in row] for c, row in conversions.items()},
        {c: [math.fsum(x) for x in row] for c, row in value.items()},
    )


# Roles ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Role:
    """Where a channel's touches fall on the paths (each journey counted once)."""

    touches: float
    first: float  # first touch of a path of two or more: introduces customers
    middle: float  # between the first and the last: influences
    last: float  # last touch of a path of two or more: closes
    only: float  # the one touch of a single-touch path

    def share(self, part: str) -> float:
        return getattr(self, part) / self.touches if self.touches else 0.0

    @property
    def role(self) -> str:
        """introducer, influencer or closer: where most of its touches in multi-touch paths
        fall; `alone` when it only appears on its own."""
        parts = {"introducer": self.first, "influencer": self.middle, "closer": self.last}
        if not any(parts.values()):
            return "alone"
        return max(parts, key=lambda k: (parts[k], k == "closer", k == "introducer"))


def roles(journeys: Journeys) -> dict[str, Role]:
    """Each channel's touches by place: first, middle, last, or the only touch. Converting
    and non-converting journeys both count."""
    tally: dict[str, list[float]] = {}
    for path, counts in _groups(journeys):
        weight = counts.conversions + counts.non_conversions
        n = len(path)
        for position, channel in enumerate(path):
            place = 4 if n == 1 else 1 if position == 0 else 3 if position == n - 1 else 2
            row = tally.setdefault(channel, [0.0] * 5)
            row[0] += weight
            row[place] += weight
    return {c: Role(*row) for c, row in sorted(tally.items())}


#: The models `fit_all` runs, in the order reports show them.
MODELS = (
    "last_touch",
    "first_touch",
    "linear",
    "position_based",
    "time_decay",
    "markov",
    "shapley",
    "ordered_shapley",
)


@dataclass(frozen=True, slots=True)
class Fitted:
    credits: dict[str, Credits]  # by model name (MODELS)
    markov: MarkovFit
    ordered: OrderedShapley
    roles: dict[str, Role]


def fit_all(
    journeys: Journeys,
    *,
    order: int = 1,
    timed: Iterable[TimedJourney] | Credits | None = None,
    half_life_days: float = 7.0,
) -> Fitted:
    """Every model over the same paths. Time decay needs the touches' times: give `timed`
    journeys (or their credits, summed elsewhere); without them it is left out."""
    fit = markov(journeys, order)
    ordered = ordered_shapley(journeys)
    credits = {
        "last_touch": last_touch(journeys),
        "first_touch": first_touch(journeys),
        "linear": linear(journeys),
        "position_based": position_based(journeys),
        "markov": fit.credits,
        "shapley": shapley(journeys),
        "ordered_shapley": ordered.totals(),
    }
    if isinstance(timed, Credits):
        credits["time_decay"] = timed
    elif timed is not None:
        credits["time_decay"] = time_decay(timed, half_life_days)
    ordered_credits = {m: credits[m] for m in MODELS if m in credits}
    return Fitted(ordered_credits, fit, ordered, roles(journeys))
