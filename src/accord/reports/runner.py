"""Reports as query runners.

A report is one object: its parameters, checked when it is made; `build`, which writes one
SQL statement (SQLAlchemy Core, the same for every database: what differs lives in
`reports.sql`); and `reshape`, which turns the aggregated rows the database returns into
typed result rows. `run_report` opens a read session, checks the caller may see the
program, runs the statement (with the report's page: a default limit, and a maximum) and
times each phase. Reports aggregate in the database; Python sees only aggregated rows.
"""

from __future__ import annotations

import time as clock
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import CompoundSelect, Row, Select, func, select
from sqlalchemy.orm import Session

from accord.errors import InvalidInput, Text, not_one_of
from accord.programs.service import load_program
from accord.reports.days import DayCover, load_cover
from accord.store.engine import Store
from accord.tenancy.model import Caller

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

RowT = TypeVar("RowT")


@dataclass(frozen=True)
class Period:
    """The half-open time range [since, until) a report covers; either end may be open."""

    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise InvalidInput(name, "give a time with its timezone (times are UTC-aware)")
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise InvalidInput("until", "must be after since")

    @classmethod
    def days(cls, first: date, last: date) -> Period:
        """Whole UTC days from `first` to `last`, both included."""
        start = datetime.combine(first, time(), tzinfo=UTC)
        return cls(start, datetime.combine(last, time(), tzinfo=UTC) + timedelta(days=1))

    def bounds(self) -> tuple[datetime, ...]:
        """The period's ends that cut a UTC day (a bound at midnight cuts none)."""
        return tuple(
            b
            for b in (self.since, self.until)
            if b is not None and b.astimezone(UTC).time() != time()
        )

    def where(self, column) -> tuple:
        """The conditions that keep `column` inside the period."""
        conditions = []
        if self.since is not None:
            conditions.append(column >= self.since)
        if self.until is not None:
            conditions.append(column < self.until)
        return tuple(conditions)


@dataclass(frozen=True)
class Page:
    """Which slice of a long report to return: at most `limit` rows after `offset`."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidInput("limit", Text("give a number from 1 to %(most)s", most=MAX_LIMIT))
        if self.offset < 0:
            raise InvalidInput("offset", "must not be negative")

    @classmethod
    def number(cls, page: int, size: int = DEFAULT_LIMIT) -> Page:
        """The `page`-th page (from 1) of `size` rows."""
        if page < 1:
            raise InvalidInput("page", "pages are numbered from 1")
        return cls(size, (page - 1) * size)


@dataclass(frozen=True)
class Sort:
    """An order for a report's rows: keys, each `name` (ascending) or `-name` (descending),
    checked against the keys the report offers."""

    keys: tuple[str, ...]

    @classmethod
    def parse(cls, spec: str | Sequence[str], allowed: Sequence[str]) -> Sort:
        keys = tuple(k.strip() for k in ([spec] if isinstance(spec, str) else spec))
        keys = tuple(k for part in keys for k in part.split(",") if k)
        if not keys:
            raise InvalidInput("sort", Text("name one of: %(allowed)s", allowed=", ".join(allowed)))
        for key in keys:
            if key.removeprefix("-") not in allowed:
                raise not_one_of("sort", key.removeprefix("-"), allowed)
        return cls(keys)

    def order_by(self, columns: dict[str, Any]) -> list:
        """ORDER BY clauses for these keys, given each key's SQL expression."""
        return [
            columns[k.removeprefix("-")].desc() if k.startswith("-") else columns[k].asc()
            for k in self.keys
        ]


@dataclass(frozen=True)
class ReportContext:
    """What a report may use while it builds and reshapes: the program (already checked
    against the caller), its currency, and the time the report runs."""

    program_id: str
    organization_id: str
    currency: str
    now: datetime
    caller: Caller | None = None
    program_name: str = ""
    #: The days the program's daily sums stand for (`reports.days`); empty: read the facts.
    cover: DayCover = field(default_factory=DayCover)


@dataclass
class ReportResult(Generic[RowT]):
    """A report's rows, how many there are in all (when the report is paged), and how long
    each phase took, in seconds."""

    rows: list[RowT]
    total: int
    page: Page | None
    currency: str
    timings: dict[str, float] = field(default_factory=dict)


class Report(ABC, Generic[RowT]):
    """One report: parameters (checked when made), one statement, a reshape of its rows.

    A paged report sets `page`; the runner then adds the LIMIT and OFFSET and counts all
    rows in the same statement (a window count), so paging costs no extra query.
    """

    name: ClassVar[str]
    #: Whether the report reads the program's daily sums where they stand for the facts.
    reads_days: ClassVar[bool] = False
    program_id: str
    page: Page | None = None

    @abstractmethod
    def build(self, ctx: ReportContext) -> Select | CompoundSelect:
        """The report's one SQL statement, ordered if it is paged (a paged report's is a
        SELECT, which the runner adds its page and count to)."""

    @abstractmethod
    def reshape(self, rows: Sequence[Row], ctx: ReportContext) -> list[RowT]:
        """Typed result rows from the aggregated rows the statement returned."""

    def counts_apart(self, ctx: ReportContext) -> bool:
        """Whether a page's total is counted by a query of its own rather than a window
        over the statement: cheaper when the page can be read without every row sorted."""
        return False

    def count(self, ctx: ReportContext) -> Select | None:
        """A cheaper statement counting the rows `build` returns, when counted apart (None:
        count the statement itself)."""
        return None


def context_for(
    session: Session, caller: Caller, program_id: str, now: datetime, *, days: bool = False
) -> ReportContext:
    """Load the program the caller may see (one query) and make a report context for it;
    with `days`, also the cover of its daily sums (one more query, `reports.days`)."""
    program = load_program(session, caller, program_id)
    return ReportContext(
        program.id,
        program.organization_id,
        program.currency,
        now,
        caller,
        program.name,
        load_cover(session, program.id) if days else DayCover(),
    )


def execute(session: Session, ctx: ReportContext, report: Report[RowT]) -> ReportResult[RowT]:
    """Build, run and reshape one report in an open session: one query (two when a page
    past the end of a paged report comes back empty and its total must be counted)."""
    started = clock.perf_counter()
    statement = report.build(ctx)
    page = report.page
    apart = page is not None and report.counts_apart(ctx)
    if page is not None:
        whole = statement
        if not apart:
            statement = statement.add_columns(func.count().over().label("report_total_rows"))
        statement = statement.limit(page.limit).offset(page.offset)
    built = clock.perf_counter()
    rows = session.execute(statement).all()
    if page is None:
        total = len(rows)
    elif apart:
        counting = report.count(ctx)
        if counting is None:
            counting = select(func.count()).select_from(whole.order_by(None).subquery())
        total = int(session.scalar(counting))
    elif rows:
        total = int(rows[0].report_total_rows)
    else:
        total = int(session.scalar(select(func.count()).select_from(report.build(ctx).subquery())))
    ran = clock.perf_counter()
    shaped = report.reshape(rows, ctx)
    done = clock.perf_counter()
    return ReportResult(
        shaped,
        total,
        page,
        ctx.currency,
        {"build": built - started, "execute": ran - built, "reshape": done - ran},
    )


def run_report(store: Store, caller: Caller, report: Report[RowT]) -> ReportResult[RowT]:
    """Run `report` for `caller` in a read session: the program check, then the report."""
    with store.read() as session:
        now = store.clock.now()
        ctx = context_for(session, caller, report.program_id, now, days=report.reads_days)
        return execute(session, ctx, report)
