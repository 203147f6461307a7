"""Per-partner daily sums: what makes the performance and lifecycle reports of a large
program answer in a fraction of a second, without giving up an exact figure.

`report_partner_days` holds, for each day a program's cover spans, one row per partner with
the day's clicks, conversions, revenue, commissions, reversals and the lifecycle's figures,
summed from the facts exactly as the reports sum them (`build_days`). A report reads those
rows for the whole UTC days of its period that are covered and clean, and the facts
themselves for everything else: today, the days not yet summed, the partial days at the
edges of its period, and any day marked changed.

Exact at every moment:

- **Changes are marked where they are made.** Triggers on `clicks`, `conversions` and
  `commissions` (migration 0021) mark the day of any row inserted, changed or deleted
  before the program's `covered_until` in `report_dirty_days`, in the writing transaction,
  whatever code writes: a late click, a reversal, a commission adjustment, an erasure. A
  report that sees the change also sees its mark, and reads that day from the facts.
- **Summing excludes writers.** A day is summed in a transaction that keeps writers of the
  fact tables out (SQLite's write lock, taken at BEGIN; PostgreSQL's SHARE lock on the three
  tables): no write can fall between the sums and the cover that claims them.
- **Edges are read from the facts.** A day that holds one of a report's cut points (the
  period's start or end, "now", a lifecycle window's bounds) is never read from the sums,
  so every row a report reads lies wholly inside or outside each of its time conditions.

`build_days` runs on the job queue every hour (`reports.tasks`) and from
`accord reports rollup`; each day is a short transaction of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import (
    BigInteger,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from accord.clock import from_store
from accord.commissions.tables import Commission
from accord.conversions.tables import Conversion
from accord.programs.service import load_program
from accord.programs.tables import Program
from accord.reports.sql import net_revenue
from accord.reports.tables import DirtyDay, PartnerDay, PartnerDayCover
from accord.store.base import UTCDateTime
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand
from accord.tracking.tables import Click

DAY = timedelta(days=1)
#: A cover broken into more clean runs than this is not used (the facts are read instead)
#: until the next build sums its marked days again.
MAX_RUNS = 64
#: A cover with more days between its runs is read run by run.
MAX_BETWEEN = 1000
#: Facts outside the cover are read range by range up to this many ranges.
MAX_GAPS = 128
#: The sums of a day, in the order of `report_partner_days`.
SUMS = (
    "clicks",
    "unique_clicks",
    "conversions",
    "revenue",
    "commissions",
    "new_conversions",
    "new_revenue",
    "returning_conversions",
    "returning_revenue",
    "reversed_conversions",
    "reversed_revenue",
    "attributed_amount",
    "attributed_revenue",
    "active_conversions",
    "active_revenue",
    "attributed_conversions",
    "commission_rows",
)


def day_of(moment: datetime) -> datetime:
    """The start (UTC midnight) of the day holding `moment`."""
    moment = moment.astimezone(UTC)
    return datetime.combine(moment.date(), time(), tzinfo=UTC)


@dataclass(frozen=True)
class DayCover:
    """The days of a program its daily sums may stand for: clean runs [start, end) of whole
    UTC days."""

    runs: tuple[tuple[datetime, datetime], ...] = ()

    def without(self, cuts: Iterable[datetime | None]) -> DayCover:
        """The cover less every day that holds one of `cuts` (a report's time bounds)."""
        days = sorted({day_of(c) for c in cuts if c is not None})
        runs = list(self.runs)
        for day in days:
            split = []
            for start, end in runs:
                if start <= day < end:
                    if start < day:
                        split.append((start, day))
                    if day + DAY < end:
                        split.append((day + DAY, end))
                else:
                    split.append((start, end))
            runs = split
        return DayCover(tuple(runs))

    def clipped(self, since: datetime | None, until: datetime | None) -> DayCover:
        """The cover's days within [since, until) (midnights, or None: open)."""
        runs = []
        for start, end in self.runs:
            start = start if since is None else max(start, since)
            end = end if until is None else min(end, until)
            if start < end:
                runs.append((start, end))
        return DayCover(tuple(runs))

    def __bool__(self) -> bool:
        return bool(self.runs)

    def holds(self, column):
        """SQL: a day column falls in the cover: inside its span and not one of the days
        between its runs (one lookup per row, however many runs)."""
        between = [
            end + DAY * i
            for (_, end), (start, _) in zip(self.runs, self.runs[1:], strict=False)
            for i in range((start - end).days)
        ]
        span = and_(column >= self.runs[0][0], column < self.runs[-1][1])
        if len(between) > MAX_BETWEEN:
            return or_(*(and_(column >= start, column < end) for start, end in self.runs))
        return and_(span, column.not_in(between)) if between else span

    def outside(self, column):
        """SQL: a timestamp falls outside the cover (the facts to read)."""
        return and_(*(or_(column < start, column >= end) for start, end in self.runs))

    def gaps(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> list[tuple[datetime | None, datetime | None]]:
        """[since, until) less the cover, as ranges (None: open) in time order."""
        gaps: list[tuple[datetime | None, datetime | None]] = []
        at = since
        for start, end in self.runs:
            if until is not None and start >= until:
                break
            if at is None or at < start:
                gaps.append((at, start))
            at = end if at is None else max(at, end)
        if until is None or at is None or at < until:
            gaps.append((at, until))
        return gaps

    def facts_where(self, column, since=None, until=None) -> list[list]:
        """The conditions that read the facts outside the cover within [since, until): one
        list per range, so that each reads an index range (one list of all, when the cover
        is broken into more pieces than that is worth)."""

        def within(a: datetime | None, b: datetime | None) -> list:
            return ([] if a is None else [column >= a]) + ([] if b is None else [column < b])

        gaps = self.gaps(since, until)
        if len(gaps) > MAX_GAPS:
            return [[*within(since, until), self.outside(column)]]
        return [within(a, b) for a, b in gaps]


def runs_of(start: datetime, end: datetime, dirty: Sequence[datetime]) -> DayCover:
    """[start, end) less the `dirty` days, as clean runs."""
    runs = []
    at = start
    for day in sorted(d for d in dirty if start <= d < end):
        if at < day:
            runs.append((at, day))
        at = max(at, day + DAY)
    if at < end:
        runs.append((at, end))
    return DayCover(tuple(runs))


def load_cover(session: Session, program_id: str) -> DayCover:
    """The program's cover as stored, in one query (empty when never built, or too broken
    to use)."""
    rows = session.execute(
        select(PartnerDayCover.covered_from, PartnerDayCover.covered_until, DirtyDay.day)
        .outerjoin(
            DirtyDay,
            and_(
                DirtyDay.program_id == PartnerDayCover.program_id,
                DirtyDay.day >= PartnerDayCover.covered_from,
                DirtyDay.day < PartnerDayCover.covered_until,
            ),
        )
        .where(PartnerDayCover.program_id == program_id)
    ).all()
    if not rows:
        return DayCover()
    start, end = from_store(rows[0].covered_from), from_store(rows[0].covered_until)
    dirty = [from_store(r.day) for r in rows if r.day is not None]
    result = runs_of(start, end, dirty)
    return result if len(result.runs) <= MAX_RUNS else DayCover()


# Reading ------------------------------------------------------------------------------------
def conversion_facts(program_id: str, cover: DayCover, partner_id: str | None = None):
    """The lifecycle's view of a program's attributed conversions, one row per conversion
    outside `cover` and one per partner and day inside it: partner_id, at (the conversion's
    time, or the day's start), active_conversions, active_revenue (not reversed in full),
    attributed_amount, attributed_revenue (ordered and net of reversals) and first_at,
    last_at (of its active conversions)."""
    return union_all(*conversion_arms(program_id, cover, partner_id)).subquery("conversion_facts")


def conversion_arms(program_id: str, cover: DayCover, partner_id: str | None = None):
    """`conversion_facts` as the SELECTs it stacks (the conversions one index range at a
    time, then the daily sums): a caller that groups them can group each arm first."""
    facts = fact_conversions(program_id, cover, partner_id)
    return [*facts, summed_conversions(program_id, cover, partner_id)] if cover else facts


def fact_conversions(program_id: str, cover: DayCover, partner_id: str | None = None):
    """The arms of `conversion_facts` that read the conversions outside `cover`, one index
    range each (all of them, for an empty cover)."""
    active = Conversion.status != "reversed"
    revenue = net_revenue()
    raw = select(
        Conversion.partner_id.label("partner_id"),
        Conversion.occurred_at.label("at"),
        case((active, 1), else_=0).label("active_conversions"),
        case((active, revenue), else_=0).label("active_revenue"),
        Conversion.program_amount_minor.label("attributed_amount"),
        revenue.label("attributed_revenue"),
        case((active, Conversion.occurred_at), else_=null()).label("first_at"),
        case((active, Conversion.occurred_at), else_=null()).label("last_at"),
    ).where(
        Conversion.program_id == program_id,
        Conversion.partner_id.is_not(None),
        Conversion.status != "unattributed",
    )
    if partner_id is not None:
        raw = raw.where(Conversion.partner_id == partner_id)
    if not cover:
        return [raw]
    return [raw.where(*where) for where in cover.facts_where(Conversion.occurred_at)]


def summed_conversions(program_id: str, cover: DayCover, partner_id: str | None = None):
    """The arm of `conversion_facts` that reads the daily sums of the days in `cover` (not
    empty): one index range, from its first day to its last."""
    summed = select(
        PartnerDay.partner_id.label("partner_id"),
        PartnerDay.day.label("at"),
        PartnerDay.active_conversions,
        PartnerDay.active_revenue,
        PartnerDay.attributed_amount,
        PartnerDay.attributed_revenue,
        PartnerDay.first_active_at.label("first_at"),
        PartnerDay.last_active_at.label("last_at"),
    ).where(
        PartnerDay.program_id == program_id,
        PartnerDay.partner_id != "",
        # (the literal, not a parameter: so the partial index on these rows applies)
        PartnerDay.attributed_conversions > literal_column("0"),
        cover.holds(PartnerDay.day),
    )
    if partner_id is not None:
        summed = summed.where(PartnerDay.partner_id == partner_id)
    return summed


# Summing ------------------------------------------------------------------------------------
def _sums_of_day(program_id: str, day: datetime):
    """SELECT of one day's rows for `report_partner_days`, from the facts."""
    zero = literal_column("0", BigInteger)
    end = day + DAY
    revenue = net_revenue()
    new = Conversion.customer_status == "new"
    returning = Conversion.customer_status == "returning"
    attributed = and_(Conversion.partner_id.is_not(None), Conversion.status != "unattributed")
    active = and_(attributed, Conversion.status != "reversed")

    def when(condition, value):
        return func.sum(case((condition, value), else_=0))

    clicks = {
        "clicks": func.count(),
        "unique_clicks": func.count().filter(Click.duplicate.is_(False)),
    }
    conversions = {
        "conversions": func.count(),
        "revenue": func.sum(revenue),
        "new_conversions": func.count().filter(new),
        "new_revenue": when(new, revenue),
        "returning_conversions": func.count().filter(returning),
        "returning_revenue": when(returning, revenue),
        "reversed_conversions": func.count().filter(Conversion.reversed_minor > 0),
        "reversed_revenue": func.sum(Conversion.program_amount_minor - revenue),
        "attributed_amount": when(attributed, Conversion.program_amount_minor),
        "attributed_revenue": when(attributed, revenue),
        "active_conversions": func.count().filter(active),
        "active_revenue": when(active, revenue),
        "attributed_conversions": func.count().filter(attributed),
    }
    commissions = {
        "commissions": func.sum(Commission.amount_minor),
        "commission_rows": func.count(),
    }
    no_time = null().cast(UTCDateTime())
    parts = []
    for table, at, values, first in (
        (Click, Click.at, clicks, None),
        (Conversion, Conversion.occurred_at, conversions, active),
        (Commission, Commission.occurred_at, commissions, None),
    ):
        partner = func.coalesce(table.partner_id, "")
        times = (
            (func.min(at).filter(first), func.max(at).filter(first))
            if first is not None
            else (no_time, no_time)
        )
        parts.append(
            select(
                partner.label("partner_id"),
                *(values.get(name, zero).label(name) for name in SUMS),
                times[0].label("first_at"),
                times[1].label("last_at"),
            )
            .where(table.program_id == program_id, at >= day, at < end)
            .group_by(partner)
        )
    stacked = union_all(*parts).subquery("stacked")
    return select(
        literal(program_id).label("program_id"),
        literal(day, UTCDateTime()).label("day"),
        stacked.c.partner_id,
        *(func.coalesce(func.sum(stacked.c[name]), 0).label(name) for name in SUMS),
        func.min(stacked.c.first_at).label("first_active_at"),
        func.max(stacked.c.last_at).label("last_active_at"),
    ).group_by(stacked.c.partner_id)


def _exclude_writers(session: Session) -> None:
    """Keep writers of the fact tables out until this transaction ends (SQLite: its write
    lock is already held, every write unit begins IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE clicks, conversions, commissions IN SHARE MODE"))


def _sum_day(session: Session, program_id: str, day: datetime) -> None:
    session.execute(
        delete(PartnerDay).where(PartnerDay.program_id == program_id, PartnerDay.day == day)
    )
    columns = ["program_id", "day", "partner_id", *SUMS, "first_active_at", "last_active_at"]
    session.execute(
        insert(PartnerDay).from_select(columns, _sums_of_day(program_id, day)),
    )
    session.execute(delete(DirtyDay).where(DirtyDay.program_id == program_id, DirtyDay.day == day))


def _first_day(session: Session, program_id: str) -> datetime | None:
    firsts = [
        session.scalar(select(func.min(at)).where(table.program_id == program_id))
        for table, at in (
            (Click, Click.at),
            (Conversion, Conversion.occurred_at),
            (Commission, Commission.occurred_at),
        )
    ]
    known = [from_store(f) for f in firsts if f is not None]
    return day_of(min(known)) if known else None


@dataclass
class Built:
    """What one build did for one program."""

    program_id: str
    days: int  # days summed (new ones and marked ones)
    covered_from: datetime | None
    covered_until: datetime | None


def build_days(
    store: Store,
    program_id: str,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> Built:
    """Sum every marked day of the program again, and every day from its cover's end to the
    start of today (UTC, by the store's clock); a first build starts at its first fact.
    One transaction per day; `progress(done, total)` after each."""
    target = day_of(store.clock.now())
    with store.read() as session:
        cover = session.get(PartnerDayCover, program_id)
        dirty = sorted(
            from_store(d)
            for d in session.scalars(select(DirtyDay.day).where(DirtyDay.program_id == program_id))
        )
        first = _first_day(session, program_id) if cover is None else None
    if cover is None:
        start = min(first or target, target)
        with store.unit() as session:
            if session.get(PartnerDayCover, program_id) is None:
                session.add(
                    PartnerDayCover(
                        program_id=program_id,
                        covered_from=start,
                        covered_until=start,
                        built_at=store.clock.now(),
                    )
                )
        covered_from, covered_until = start, start
    else:
        covered_from, covered_until = (
            from_store(cover.covered_from),
            from_store(cover.covered_until),
        )
    # marked days before the cover: the cover grows back to them, every day between summed
    # (summed backwards from the cover's start, so it grows one day at a time)
    earliest = min([covered_from, *dirty])
    days = sorted({d for d in dirty if d >= covered_from}) + [
        covered_until + DAY * i for i in range(max((target - covered_until).days, 0))
    ]
    days += [covered_from - DAY * i for i in range(1, (covered_from - earliest).days + 1)]
    for done, day in enumerate(days, 1):
        with store.unit() as session:
            _exclude_writers(session)
            row = session.get(PartnerDayCover, program_id)
            assert row is not None
            _sum_day(session, program_id, day)
            row_from, row_until = from_store(row.covered_from), from_store(row.covered_until)
            if day == row_until:
                row.covered_until = day + DAY
            if day + DAY == row_from:
                row.covered_from = day
            row.built_at = store.clock.now()
        if progress is not None:
            progress(done, len(days))
    with store.read() as session:
        cover = session.get(PartnerDayCover, program_id)
        assert cover is not None
        return Built(
            program_id, len(days), from_store(cover.covered_from), from_store(cover.covered_until)
        )


def sum_days(
    store: Store,
    caller: Caller,
    program_id: str,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> Built:
    """`build_days` for a program the brand may see (the hourly pass does it for all)."""
    require_brand(caller)
    with store.read() as session:
        load_program(session, caller, program_id)
    return build_days(store, program_id, progress=progress)


def build_all(store: Store) -> list[Built]:
    """`build_days` for every program."""
    with store.read() as session:
        programs = session.scalars(select(Program.id).order_by(Program.id)).all()
    return [build_days(store, program_id) for program_id in programs]
