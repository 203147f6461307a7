"""Data-driven attribution over customer journeys: Markov chains, Shapley values, the
rule-based models beside them, and each channel's role. Pure: no I/O, numpy only.

A *channel* is whatever the journeys are told in: a partner's id, or a partner type. A
*path* is a journey's channels in time order (a channel may repeat). Identical paths are
grouped before any model runs (`group_journeys`): a `Journeys` mapping holds each distinct
path once with its `PathCounts` — how many journeys on that path converted, how many did not,
and the value of the converting ones. Every model reads the groups, so its cost grows with
the number of distinct paths, not of journeys, and grouped and ungrouped input give the same
credits. The models compute over columns: a `PathTable` holds the distinct paths as numpy
arrays (every touch's channel code, one after another; each path's length and counts), made
from a mapping (`PathTable.from_journeys`) or straight from ungrouped journeys given as
arrays (`group_arrays`); each model takes either a mapping or a table, with the same credits
(to the last bits of rounding of sums).

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
from dataclasses import dataclass, field
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


def _groups(journeys: Journeys | PathTable) -> list[tuple[Path, PathCounts]]:
    if isinstance(journeys, PathTable):
        journeys = journeys.to_journeys()
    return [
        (
            p if type(p) is tuple else tuple(p),
            c if type(c) is PathCounts else PathCounts(*c),
        )
        for p, c in journeys.items()
        if p
    ]


# Columns ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, eq=False)
class PathTable:
    """Distinct paths as columns, for the models to read with numpy: path i has
    `lengths[i]` touches, `codes[starts[i] : starts[i] + lengths[i]]`, each a channel's
    index in `channels`; `conversions`, `non_conversions` and `value` are its `PathCounts`.
    Every path has a touch. Build one with `PathTable.from_journeys` (from a `Journeys`
    mapping) or `group_arrays` (from ungrouped journeys as arrays); every model takes a
    table or a mapping, with the same credits."""

    channels: tuple[str, ...]
    codes: np.ndarray
    lengths: np.ndarray
    conversions: np.ndarray
    non_conversions: np.ndarray
    value: np.ndarray
    #: Where each path's touches begin in `codes`.
    starts: np.ndarray = field(init=False, repr=False)
    #: For each touch, its path and its place on the path (0: first).
    path_of_touch: np.ndarray = field(init=False, repr=False)
    positions: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        lengths = np.asarray(self.lengths, dtype=np.int64)
        codes = np.asarray(self.codes, dtype=np.int32)
        if len(set(self.channels)) != len(self.channels):
            raise ValueError("a channel is named twice")
        if lengths.size and lengths.min() < 1:
            raise ValueError("every path has a touch")
        if codes.size != int(lengths.sum()):
            raise ValueError("the lengths must add up to the number of codes")
        if codes.size and (codes.min() < 0 or codes.max() >= len(self.channels)):
            raise ValueError("a code names no channel")
        starts = np.cumsum(lengths) - lengths
        path_of_touch = np.repeat(np.arange(lengths.size, dtype=np.int64), lengths)
        put = object.__setattr__
        put(self, "channels", tuple(self.channels))
        put(self, "codes", codes)
        put(self, "lengths", lengths)
        for name in ("conversions", "non_conversions", "value"):
            column = np.asarray(getattr(self, name), dtype=float)
            if column.shape != lengths.shape:
                raise ValueError(f"one {name} figure per path")
            put(self, name, column)
        put(self, "starts", starts)
        put(self, "path_of_touch", path_of_touch)
        put(self, "positions", np.arange(codes.size, dtype=np.int64) - starts[path_of_touch])

    def __len__(self) -> int:
        return int(self.lengths.size)

    @classmethod
    def from_journeys(cls, journeys: Journeys) -> PathTable:
        """The paths of a `Journeys` mapping (empty paths left out), channels sorted."""
        groups = _groups(journeys)
        channels = sorted({c for path, _ in groups for c in path})
        code = {c: i for i, c in enumerate(channels)}
        lengths = np.fromiter((len(p) for p, _ in groups), np.int64, len(groups))
        codes = np.fromiter((code[c] for p, _ in groups for c in p), np.int32, int(lengths.sum()))
        counts = np.array([tuple(c) for _, c in groups], dtype=float).reshape(-1, 3)
        return cls(tuple(channels), codes, lengths, counts[:, 0], counts[:, 1], counts[:, 2])

    def to_journeys(self) -> dict[Path, PathCounts]:
        """The same paths as a `Journeys` mapping."""
        names = self.channels
        codes = self.codes.tolist()
        return {
            tuple(names[c] for c in codes[s : s + n]): PathCounts(conv, non, value)
            for s, n, conv, non, value in zip(
                self.starts.tolist(),
                self.lengths.tolist(),
                self.conversions.tolist(),
                self.non_conversions.tolist(),
                self.value.tolist(),
                strict=True,
            )
        }

    def weights(self) -> np.ndarray:
        """Each path's journeys: conversions plus non-conversions."""
        return self.conversions + self.non_conversions


def _table(journeys: Journeys | PathTable) -> PathTable:
    return journeys if isinstance(journeys, PathTable) else PathTable.from_journeys(journeys)


def _row_ids(rows: np.ndarray, base: int) -> tuple[np.ndarray, np.ndarray]:
    """Number the distinct rows of an integer matrix with entries in [0, base): (the id of
    each row, the first row of each id). Columns are packed base-`base` into one int64 key
    while it fits; when it would not, the key so far is replaced by its rank among the
    distinct keys (np.unique), and packing goes on — exact, whatever the width."""
    count, width = rows.shape
    key = np.zeros(count, dtype=np.int64)
    bound, col = 1, 0
    while True:
        while col < width and bound * base < 2**63:
            key = key * base + rows[:, col]
            bound *= base
            col += 1
        if col == width:
            _, first, ids = np.unique(key, return_index=True, return_inverse=True)
            return ids.reshape(-1), first
        _, key = np.unique(key, return_inverse=True)
        key = key.reshape(-1).astype(np.int64)
        bound = int(key.max()) + 1 if count else 1


def group_arrays(
    channels: Sequence[str],
    codes,
    lengths,
    values=None,
    converted=None,
) -> PathTable:
    """Group journeys given as arrays, as `group_journeys` does: journey i has `lengths[i]`
    touches, the next `lengths[i]` entries of `codes` (indices into `channels`); it
    converted when `converted[i]` (all of them when None), with the value `values[i]`
    (0 when None). Empty journeys are left out; longer than MAX_TOUCHES keep their last
    touches. Identical paths are found per length by numbering the rows of the touches'
    matrix (`_row_ids`); counts and values are summed with np.bincount, in journey order."""
    codes = np.asarray(codes, dtype=np.int64).reshape(-1)
    lengths = np.asarray(lengths, dtype=np.int64).reshape(-1)
    count = lengths.size
    values = np.zeros(count) if values is None else np.asarray(values, dtype=float)
    converted = (
        np.ones(count, dtype=bool) if converted is None else np.asarray(converted, dtype=bool)
    )
    if values.shape != (count,) or converted.shape != (count,):
        raise ValueError("one value and one outcome per journey")
    if (lengths.size and lengths.min() < 0) or codes.size != int(lengths.sum()):
        raise ValueError("the lengths must add up to the number of codes")
    base = max(len(channels), 1)
    if codes.size and (codes.min() < 0 or codes.max() >= len(channels)):
        raise ValueError("a code names no channel")
    ends = np.cumsum(lengths)
    if lengths.size and lengths.max() > MAX_TOUCHES:  # keep the last touches
        journey = np.repeat(np.arange(count), lengths)
        codes = codes[ends[journey] - np.arange(codes.size) <= MAX_TOUCHES]
        lengths = np.minimum(lengths, MAX_TOUCHES)
        ends = np.cumsum(lengths)
    starts = ends - lengths
    group = np.empty(count, dtype=np.int64)
    firsts: list[np.ndarray] = []
    found = 0
    for length in np.unique(lengths[lengths > 0]).tolist():
        which = np.flatnonzero(lengths == length)
        rows = codes[starts[which][:, None] + np.arange(length)]
        ids, first = _row_ids(rows, base)
        group[which] = ids + found
        firsts.append(which[first])
        found += first.size
    keep = lengths > 0
    group, conv = group[keep], converted[keep]
    first = np.concatenate(firsts) if firsts else np.zeros(0, dtype=np.int64)
    out_lengths = lengths[first]
    out_codes = codes[
        np.repeat(starts[first] - np.cumsum(out_lengths) + out_lengths, out_lengths)
        + np.arange(int(out_lengths.sum()))
    ]
    return PathTable(
        tuple(channels),
        out_codes,
        out_lengths,
        np.bincount(group, weights=conv.astype(float), minlength=found),
        np.bincount(group, weights=(~conv).astype(float), minlength=found),
        np.bincount(group, weights=np.where(conv, values[keep], 0.0), minlength=found),
    )


def channels_of(journeys: Journeys | PathTable) -> list[str]:
    """Every channel that appears on a path, sorted."""
    if isinstance(journeys, PathTable):
        used = np.bincount(journeys.codes, minlength=len(journeys.channels)) > 0
        return sorted(journeys.channels[i] for i in np.flatnonzero(used).tolist())
    return sorted({c for path in journeys for c in path})


def totals(journeys: Journeys | PathTable) -> tuple[float, float]:
    """The conversions and the value of all paths with a touch."""
    if isinstance(journeys, PathTable):
        return math.fsum(journeys.conversions.tolist()), math.fsum(journeys.value.tolist())
    groups = _groups(journeys)
    return (
        math.fsum(c.conversions for _, c in groups),
        math.fsum(c.value for _, c in groups),
    )


def _sums(keys: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """np.bincount(keys, weights, size), summed in blocks: each block of consecutive entries
    is summed on its own and the blocks' sums then added, so the rounding error grows with
    the square root of the entries rather than with their number, and a sum over a million
    touches stays within a few units in the last place of `math.fsum`'s."""
    count = keys.size
    blocks = max(1, min(math.isqrt(count), (1 << 19) // max(size, 1)))
    if blocks == 1:
        return np.bincount(keys, weights=weights, minlength=size)
    block = -(-count // blocks)
    at = (np.arange(count, dtype=np.int64) // block) * size + keys
    grid = np.bincount(at, weights=weights, minlength=blocks * size).reshape(blocks, size)
    return np.ascontiguousarray(grid.T).sum(axis=1)


def _by_channel(table: PathTable, touches: np.ndarray, amounts: list[np.ndarray]):
    """Sum `amounts` (one array per figure, one entry per touch in `touches`) by channel:
    the channels that have an entry, by name, each with its sums."""
    codes = table.codes[touches]
    size = len(table.channels)
    present = np.flatnonzero(np.bincount(codes, minlength=size)).tolist()
    sums = [_sums(codes, a, size).tolist() for a in amounts]
    names = table.channels
    order = sorted(present, key=names.__getitem__)
    return [{names[i]: s[i] for i in order} for s in sums]


def _split(journeys: Journeys | PathTable, weights_of) -> Credits:
    """Credit each path's conversions and value to its touches by `weights_of(table)`: one
    weight per touch (numpy, in `codes` order), a path's weights summing to 1."""
    table = _table(journeys)
    weights = np.asarray(weights_of(table), dtype=float)
    along = table.path_of_touch
    credited = (table.conversions != 0) | (table.value != 0)
    touches = np.flatnonzero(credited[along] & (weights != 0))
    w, path = weights[touches], along[touches]
    conversions, value = _by_channel(
        table, touches, [w * table.conversions[path], w * table.value[path]]
    )
    return Credits(conversions, value)


def _length_of_touch(table: PathTable) -> np.ndarray:
    return table.lengths[table.path_of_touch]


# Rule-based models --------------------------------------------------------------------------
def last_touch(journeys: Journeys | PathTable) -> Credits:
    """All of each conversion to the path's last touch."""
    return _split(journeys, lambda t: (t.positions == _length_of_touch(t) - 1).astype(float))


def first_touch(journeys: Journeys | PathTable) -> Credits:
    """All of each conversion to the path's first touch."""
    return _split(journeys, lambda t: (t.positions == 0).astype(float))


def linear(journeys: Journeys | PathTable) -> Credits:
    """Each touch an equal share (a channel touching twice gets two shares)."""
    return _split(journeys, lambda t: 1.0 / _length_of_touch(t))


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


def _position_weights(table: PathTable, first: float, last: float) -> np.ndarray:
    """`position_weights` of every touch at once."""
    n = _length_of_touch(table)
    at = table.positions
    with np.errstate(divide="ignore", invalid="ignore"):
        middle = (1.0 - first - last) / (n - 2)
    weights = np.where(at == 0, first, np.where(at == n - 1, last, middle))
    pair = n == 2
    weights[pair] = np.where(at[pair] == 0, first / (first + last), last / (first + last))
    weights[n == 1] = 1.0
    return weights


def position_based(
    journeys: Journeys | PathTable, first: float = 0.4, last: float = 0.4
) -> Credits:
    """40% to the first touch, 40% to the last, 20% spread over the touches between."""
    if not (0 <= first <= 1 and 0 <= last <= 1 and first + last <= 1 and first + last > 0):
        raise ValueError("first and last must be shares adding up to at most 1")
    return _split(journeys, lambda t: _position_weights(t, first, last))


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


class _Chain(NamedTuple):
    #: Each state's channel codes, oldest first, -1 before the first touch; row 0 (the
    #: start) is all -1.
    held: np.ndarray
    q: np.ndarray
    r: np.ndarray
    lost: np.ndarray


def _chain(table: PathTable, order: int) -> _Chain:
    """The absorbing chain of a table's paths (see `transition_matrix`), with numpy.

    The channels on live paths (with a journey) are numbered 0..m-1. Each touch's state is a
    number: order 1, its channel's; order k, those of the last k touches (-1 before the
    first) packed base m + 1, which fits an int64 as m < MAX_STATES. The states that occur
    on a path with a journey are numbered from 1 (0: the start), in that number's order;
    each touch moves from the state of the touch before (the start for a first touch) to
    its own, and the transitions are counted at once with np.bincount over from * n + to,
    each weighing its path's journeys, in the order of the paths and touches."""
    if order not in (1, 2, 3):
        raise ValueError("order must be 1, 2 or 3")
    weight = table.weights()
    live = weight > 0
    touches = np.flatnonzero(live[table.path_of_touch])
    # the channels on a path with a journey, numbered 0.. in the order of their codes
    seen = np.bincount(table.codes[touches], minlength=len(table.channels)) > 0
    used = np.flatnonzero(seen)
    if used.size + 1 > MAX_STATES:
        raise TooManyStates(f"over {MAX_STATES} states; choose a lower order")
    codes = (np.cumsum(seen) - 1)[table.codes[touches]]
    at = table.positions[touches]
    if order == 1:
        key, base = codes, used.size
    else:
        base = used.size + 1
        key = np.zeros(codes.size, dtype=np.int64)
        for back in range(order - 1, -1, -1):  # the oldest touch first
            earlier = np.full(codes.size, -1, dtype=np.int64)
            earlier[back:] = codes[: codes.size - back]
            earlier[at < back] = -1
            key = key * base + earlier + 1
    if base**order <= max(1 << 22, 4 * key.size):  # number the keys by marking them
        seen = np.bincount(key, minlength=base**order) > 0
        keys = np.flatnonzero(seen)
        state = np.cumsum(seen)[key]
    else:
        keys, state = np.unique(key, return_inverse=True)
        state = state.reshape(-1) + 1
    n = keys.size + 1
    if n > MAX_STATES:
        raise TooManyStates(f"{n} states (at most {MAX_STATES}); choose a lower order")
    held = np.full((n, order), -1, dtype=np.int64)
    rest = keys.copy()
    for col in range(order - 1, -1, -1):
        digit = rest % base - (order > 1)
        held[1:, col] = np.where(digit >= 0, used[np.maximum(digit, 0)], -1)
        rest //= base
    before = np.empty_like(state)
    before[1:] = state[:-1]
    before[at == 0] = 0
    flat = before * n + state
    q = np.bincount(flat, weights=weight[table.path_of_touch[touches]], minlength=n * n)
    q = q.reshape(n, n)
    # each live path's last touch, in the order of `touches`
    lasts = np.cumsum(table.lengths[live]) - 1
    end = state[lasts]
    r = np.bincount(end, weights=table.conversions[live], minlength=n)
    lost = np.bincount(end, weights=table.non_conversions[live], minlength=n)
    out = q.sum(axis=1) + r + lost
    out[out == 0] = 1.0  # the start of an empty chain
    return _Chain(held, q / out[:, None], r / out, lost / out)


def transition_matrix(journeys: Journeys | PathTable, order: int = 1):
    """The absorbing chain of the paths: (states, Q, r, lost) where states[0] is the start,
    Q[i, j] the probability of moving from transient state i to j, r[i] of converting next
    and lost[i] of ending without a conversion. Estimated by counting transitions, each path
    weighing its conversions plus non-conversions. A state is the tuple of its last `order`
    channels (padded at the start with None, as `_state_path`); the start is ()."""
    table = _table(journeys)
    chain = _chain(table, order)
    names = table.channels
    states: list[tuple] = [()]
    for row in chain.held[1:].tolist():
        states.append(tuple(_PAD if c < 0 else names[c] for c in row))
    return states, chain.q, chain.r, chain.lost


def markov(journeys: Journeys | PathTable, order: int = 1) -> MarkovFit:
    """Markov-chain attribution of order 1, 2 or 3, computed exactly.

    The chain: start -> the touches' states -> conversion or null, with transition
    probabilities counted from the paths (order k: a state is the last k channels). With
    N = (I - Q)^-1 the fundamental matrix (one `numpy.linalg.inv`) and b = N r the
    conversion probability from each state, P(conversion) = b[start]. Removing channel c
    sends every transition into a state that holds c to null; with S those states,

        P(conversion | c removed) = b[start] - N[start, S] · N[S, S]^-1 · b[S]

    (the probability of converting without ever entering S: the strong Markov property, and
    the inverse of a principal block of I - Q from N), so each channel costs a solve of |S|
    equations, not a new chain. At order 1, S is the channel's one state s and the formula
    is b[start] - N[start, s] · b[s] / N[s, s] (N[start, s] / N[s, s] is the probability of
    ever reaching s), for every channel at once. Removal effect = 1 - P(conversion | c
    removed) / P(conversion); credits = removal effects normalised to 1, times the total
    conversions and value."""
    table = _table(journeys)
    chain = _chain(table, order)
    channels = channels_of(table)
    conversions, value = totals(table)
    n = chain.q.shape[0]
    if n <= 1 or not conversions:
        zero = dict.fromkeys(channels, 0.0)
        return MarkovFit(order, Credits(dict(zero), dict(zero)), dict(zero), 0.0, n)
    fundamental = np.linalg.inv(np.eye(n) - chain.q)
    b = fundamental @ chain.r
    p = float(b[0])
    names = table.channels
    effects: dict[str, float] = {}
    if p > 0 and order == 1:
        without = p - fundamental[0, 1:] * b[1:] / fundamental.diagonal()[1:]
        effect = np.clip(1.0 - without / p, 0.0, 1.0)
        effects = dict(
            zip((names[c] for c in chain.held[1:, 0].tolist()), effect.tolist(), strict=True)
        )
    elif p > 0:
        held = chain.held[1:]
        holders = np.repeat(np.arange(1, n), order)
        pairs = np.unique(np.stack([held.reshape(-1), holders], axis=1), axis=0)
        pairs = pairs[pairs[:, 0] >= 0]
        cuts = np.flatnonzero(np.diff(pairs[:, 0])) + 1
        for group in np.split(pairs, cuts):
            s_idx = group[:, 1]
            n_ss = fundamental[np.ix_(s_idx, s_idx)]
            gone = float(fundamental[0, s_idx] @ np.linalg.solve(n_ss, b[s_idx]))
            effects[names[int(group[0, 0])]] = min(max(1.0 - (p - gone) / p, 0.0), 1.0)
    else:
        effects = {}
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


def conversion_probability(
    journeys: Journeys | PathTable, order: int = 1, removed: str | None = None
):
    """P(conversion) of the chain, with every state holding `removed` cut (sent to null),
    by solving (I - Q) b = r over the states that remain: the slow, direct way, which
    `markov` must agree with."""
    states, q, r, _ = transition_matrix(journeys, order)
    keep = [i for i, state in enumerate(states) if removed is None or removed not in state]
    k = np.asarray(keep, dtype=np.intp)
    b = np.linalg.solve(np.eye(len(keep)) - q[np.ix_(k, k)], r[k])
    return float(b[0])


# Shapley values -----------------------------------------------------------------------------
def _repeats(table: PathTable) -> tuple[np.ndarray, np.ndarray]:
    """(how often each touch's channel appears on its path, how many distinct channels each
    path has): paths of one length at a time, their touches' matrix sorted along the rows,
    equal neighbours forming runs."""
    count = np.empty(table.codes.size, dtype=np.int64)
    distinct = np.empty(len(table), dtype=np.int64)
    for length in np.unique(table.lengths).tolist():
        which = np.flatnonzero(table.lengths == length)
        at = table.starts[which][:, None] + np.arange(length)
        rows = table.codes[at]
        order = np.argsort(rows, axis=1, kind="stable")
        ranked = np.take_along_axis(rows, order, axis=1)
        run = np.zeros(ranked.shape, dtype=np.int64)
        run[:, 1:] = np.cumsum(ranked[:, 1:] != ranked[:, :-1], axis=1)
        distinct[which] = run[:, -1] + 1
        flat = run + np.arange(which.size)[:, None] * length
        sizes = np.bincount(flat.reshape(-1), minlength=which.size * length)
        count[np.take_along_axis(at, order, axis=1)] = sizes[flat]
    return count, distinct


def _shapley_shares(table: PathTable) -> np.ndarray:
    """Each touch's share of its path: 1 / (distinct channels) / (the channel's touches)."""
    count, distinct = _repeats(table)
    return 1.0 / distinct[table.path_of_touch] / count


def shapley(journeys: Journeys | PathTable) -> Credits:
    """The Shapley value of the game v(S) = conversions of the paths whose channel set lies
    within S, in the simplified closed form of Zhao, Mahboobi and Bagheri (2018): each
    path's conversions (and value) split equally among its distinct channels, however often
    and in whatever order they appear."""
    return _split(journeys, _shapley_shares)


def shapley_brute_force(journeys: Journeys | PathTable) -> dict[str, float]:
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


def ordered_shapley(journeys: Journeys | PathTable) -> OrderedShapley:
    """Position-aware Shapley: on a path with k distinct channels, a channel's 1/k of the
    conversions is split equally among the positions where it appears."""
    table = _table(journeys)
    longest = int(table.lengths.max()) if len(table) else 0
    share = _shapley_shares(table)
    path = table.path_of_touch
    cell = table.codes.astype(np.int64) * longest + table.positions
    size = len(table.channels) * longest
    names = table.channels
    used = sorted(
        np.flatnonzero(np.bincount(table.codes, minlength=len(names))).tolist(),
        key=names.__getitem__,
    )
    out = []
    for amounts in (table.conversions, table.value):
        grid = _sums(cell, share * amounts[path], size)
        grid = grid.reshape(len(names), longest)
        out.append({names[i]: grid[i].tolist() for i in used})
    return OrderedShapley(*out)


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


def roles(journeys: Journeys | PathTable) -> dict[str, Role]:
    """Each channel's touches by place: first, middle, last, or the only touch. Converting
    and non-converting journeys both count."""
    table = _table(journeys)
    n = _length_of_touch(table)
    at = table.positions
    place = np.where(n == 1, 4, np.where(at == 0, 1, np.where(at == n - 1, 3, 2)))
    weight = table.weights()[table.path_of_touch]
    every = np.arange(table.codes.size)
    sums = _by_channel(
        table, every, [weight] + [np.where(place == k, weight, 0.0) for k in (1, 2, 3, 4)]
    )
    return {c: Role(*(s[c] for s in sums)) for c in sums[0]}


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
    journeys: Journeys | PathTable,
    *,
    order: int = 1,
    timed: Iterable[TimedJourney] | Credits | None = None,
    half_life_days: float = 7.0,
) -> Fitted:
    """Every model over the same paths. Time decay needs the touches' times: give `timed`
    journeys (or their credits, summed elsewhere); without them it is left out."""
    journeys = _table(journeys)  # once, for every model
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
