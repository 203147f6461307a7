"""Attribution models side by side: how last touch, first touch, linear, position-based,
time decay, Markov chains and Shapley values credit a program's partners (or partner types),
and which role each plays in its customers' journeys.

Reads the program's kept journeys (the journeys and journey_steps tables this stage
writes, as `program_journeys` does, but only the columns the models need, in one streamed
query) and keeps only the distinct paths with their counts, and the time-decay credits,
which need each touch's time and are summed batch by batch: memory grows with the distinct
paths, not the journeys. Identical paths are grouped as they stream by rather than in SQL:
ordering touches inside a string aggregate is not portable (SQLite before 3.44 has no
ORDER BY in group_concat). The models themselves are `accord.attribution.datadriven`.

Accord keeps the journeys of conversions only: every path here converted. The Markov models
then measure how indispensable a partner is on converting paths, not an uplift over paths
that did not convert (see the datadriven module).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from sqlalchemy import select

from accord.attribution import datadriven as dd
from accord.attribution.tables import Journey, JourneyStep
from accord.errors import InvalidInput
from accord.money import Money, exponent
from accord.partners.service import partner_names
from accord.programs.service import get_program
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand

BY = ("partner", "partner_type")
ORDERS = (1, 2, 3)
#: Journeys read per query pair.
PAGE = 2000
#: Before the first and after the last journey any program can have.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
#: The channel of touches whose partner type is not known.
UNTYPED = "other"
#: Half life of the time-decay model, in days.
HALF_LIFE_DAYS = 7.0
_CONVERSIONS = Decimal("0.0001")
_SHARE = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class ChannelRow:
    """One partner (or partner type) under every model."""

    key: str  # the partner's id, or the partner type
    name: str
    partner_type: str | None  # the partner's type (by partner type: the key itself)
    #: Conversions credited, by model (datadriven.MODELS), to 4 decimals.
    conversions: dict[str, Decimal]
    #: Revenue credited, by model, in the program's currency.
    revenue: dict[str, Money]
    #: Its ordered Shapley credit as the 1st, 2nd and 3rd-or-later touch.
    by_position: tuple[Decimal, Decimal, Decimal]
    removal_effect: Decimal
    touches: int
    first: Decimal  # share of its touches that open a multi-touch journey
    middle: Decimal  # ... that fall between the first and the last
    last: Decimal  # ... that close a multi-touch journey
    only: Decimal  # ... that are the only touch of their journey
    role: str  # introducer, influencer, closer or alone

    def versus_last_touch(self, model: str) -> Decimal | None:
        """How much more (or less) `model` credits than last touch, as a fraction; None when
        last touch credits nothing."""
        base = self.conversions["last_touch"]
        if not base:
            return None
        return ((self.conversions[model] - base) / base).quantize(_SHARE, ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class ModelsReport:
    program_id: str
    currency: str
    by: str
    order: int
    since: datetime | None
    until: datetime | None
    journeys: int  # conversions with a kept journey in the period
    touched: int  # ... of which at least one touch
    multi_touch: int  # ... of which two touches or more
    paths: int  # distinct paths
    states: int  # states of the Markov chain, the start included
    revenue: Money
    models: tuple[str, ...]
    rows: list[ChannelRow]

    @property
    def has_multi_touch(self) -> bool:
        return self.multi_touch > 0


def _channel(step, by: str) -> str:
    return step.partner_id if by == "partner" else (step.partner_type or UNTYPED)


def _ages(journey) -> tuple[float | None, ...]:
    return tuple(
        (journey.converted_at - s.at).total_seconds() / 86400 if s.at is not None else None
        for s in journey.steps
    )


def _check(by: str, order: int, since: datetime | None, until: datetime | None) -> None:
    if by not in BY:
        raise InvalidInput("by", "give partner or partner_type")
    if order not in ORDERS:
        raise InvalidInput("order", "give 1, 2 or 3")
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput(name, "give a time with its timezone (times are UTC-aware)")
    if since is not None and until is not None and until <= since:
        raise InvalidInput("until", "must be after since")


def _count(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(_CONVERSIONS, ROUND_HALF_UP) + 0


def _money(minor: float, currency: str) -> Money:
    return Money(Decimal(repr(minor)).scaleb(-exponent(currency)), currency).quantized()


def _share(part: float, whole: float) -> Decimal:
    return (Decimal(repr(part / whole)) if whole else Decimal(0)).quantize(_SHARE, ROUND_HALF_UP)


class _Touch(NamedTuple):
    partner_id: str
    partner_type: str | None
    at: datetime | None


class _Kept(NamedTuple):
    converted_at: datetime
    value_minor: int
    steps: list[_Touch]


def _kept_journeys(store: Store, program_id: str, since: datetime, until: datetime):
    """The program's journeys in [since, until) with their touches in order, in batches:
    one streamed query over the journeys and their steps, the columns the models read
    (no objects built per row). Call it for a program the caller may read."""
    query = (
        select(
            Journey.conversion_id,
            Journey.converted_at,
            Journey.value_minor,
            JourneyStep.partner_id,
            JourneyStep.partner_type,
            JourneyStep.at,
        )
        .outerjoin(JourneyStep, JourneyStep.conversion_id == Journey.conversion_id)
        .where(
            Journey.program_id == program_id,
            Journey.converted_at >= since,
            Journey.converted_at < until,
        )
        .order_by(Journey.conversion_id, JourneyStep.position)
        .execution_options(yield_per=PAGE * 3)
    )
    current_id: str | None = None
    current: _Kept | None = None
    with store.read() as session:
        for rows in session.execute(query).partitions():
            batch: list[_Kept] = []
            for conversion_id, converted_at, value_minor, partner_id, kind, at in rows:
                if conversion_id != current_id:
                    if current is not None:
                        batch.append(current)
                    current_id = conversion_id
                    current = _Kept(converted_at, value_minor, [])
                if partner_id is not None:
                    current.steps.append(_Touch(partner_id, kind, at))
            yield batch
    if current is not None:
        yield [current]


def read_paths(
    store: Store,
    program_id: str,
    *,
    by: str,
    since: datetime | None,
    until: datetime | None,
    half_life_days: float = HALF_LIFE_DAYS,
) -> tuple[dict[dd.Path, dd.PathCounts], dd.Credits, int, dict[str, str | None]]:
    """The program's journeys as distinct paths of channels, the time-decay credits, how
    many journeys were read (with or without a touch), and each channel's partner type.
    Memory holds the distinct paths only; the journeys stream by in batches."""
    grouped: dict[dd.Path, dd.PathCounts] = {}
    types: dict[str, str | None] = {}
    decay_conversions: dict[str, float] = {}
    decay_value: dict[str, float] = {}
    read = 0
    for batch in _kept_journeys(store, program_id, since or EARLIEST, until or LATEST):
        read += len(batch)
        for j in batch:
            for s in j.steps:
                types.setdefault(_channel(s, by), s.partner_type or UNTYPED)
        paths = [(tuple(_channel(s, by) for s in j.steps), j) for j in batch]
        dd.merge(grouped, dd.group_journeys((p, float(j.value_minor)) for p, j in paths))
        decay = dd.time_decay(
            (
                dd.TimedJourney(
                    p[-dd.MAX_TOUCHES :], _ages(j)[-dd.MAX_TOUCHES :], 1.0, j.value_minor
                )
                for p, j in paths
                if p
            ),
            half_life_days,
        )
        for channel, v in decay.conversions.items():
            decay_conversions[channel] = decay_conversions.get(channel, 0.0) + v
        for channel, v in decay.value.items():
            decay_value[channel] = decay_value.get(channel, 0.0) + v
    return grouped, dd.Credits(decay_conversions, decay_value), read, types


def models_report(
    store: Store,
    caller: Caller,
    program_id: str,
    *,
    by: str = "partner",
    order: int = 1,
    since: datetime | None = None,
    until: datetime | None = None,
) -> ModelsReport:
    """Every attribution model over the program's journeys in [since, until), by partner or
    partner type, with each one's role; rows by Markov credit, most first."""
    require_brand(caller)
    _check(by, order, since, until)
    program = get_program(store, caller, program_id)
    grouped, decay, read, types = read_paths(store, program.id, by=by, since=since, until=until)
    try:
        fitted = dd.fit_all(grouped, order=order, timed=decay)
    except dd.TooManyStates as error:
        raise InvalidInput("order", error.args[0]) from None
    currency = program.currency
    roles = fitted.roles
    names = partner_names(store, caller, roles) if by == "partner" else {k: k for k in roles}
    rows = []
    for channel in roles:
        role = roles[channel]
        positions = fitted.ordered.conversions.get(channel, [])
        rows.append(
            ChannelRow(
                key=channel,
                name=names.get(channel, channel),
                partner_type=types.get(channel),
                conversions={
                    m: _count(c.conversions.get(channel, 0.0)) for m, c in fitted.credits.items()
                },
                revenue={
                    m: _money(c.value.get(channel, 0.0), currency)
                    for m, c in fitted.credits.items()
                },
                by_position=(
                    _count(positions[0] if positions else 0.0),
                    _count(positions[1] if len(positions) > 1 else 0.0),
                    _count(sum(positions[2:])),
                ),
                removal_effect=_share(fitted.markov.removal_effects.get(channel, 0.0), 1.0),
                touches=int(role.touches),
                first=_share(role.first, role.touches),
                middle=_share(role.middle, role.touches),
                last=_share(role.last, role.touches),
                only=_share(role.only, role.touches),
                role=role.role,
            )
        )
    rows.sort(key=lambda r: (-r.conversions["markov"], -r.conversions["last_touch"], r.name))
    _, value = dd.totals(grouped)
    return ModelsReport(
        program_id=program.id,
        currency=currency,
        by=by,
        order=order,
        since=since,
        until=until,
        journeys=read,
        touched=int(sum(c.conversions for c in grouped.values())),
        multi_touch=int(sum(c.conversions for p, c in grouped.items() if len(p) > 1)),
        paths=len(grouped),
        states=fitted.markov.states,
        revenue=_money(value, currency),
        models=tuple(fitted.credits),
        rows=rows,
    )
