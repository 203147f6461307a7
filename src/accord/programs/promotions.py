"""Promotion periods: the shopping festivals every program shares, and the program's own.

Every program sees these predefined periods for each year, computed by rule (all in UTC,
each period the half-open range [starts_at, ends_at)):

- 双十一 (Singles' Day): 20 October to 11 November, both included: the pre-sale season that
  opens around 20 October and the day itself;
- 618: 1 June to 18 June, both included: the mid-year festival with its run-up;
- Black Friday: the day after the fourth Thursday of November;
- Cyber Monday: the Monday after Black Friday.

A program adds its own (a name of 1 to 100 characters, a start, an end after the start, at
most 366 days long); periods may overlap. The predefined ones cannot be removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from accord.errors import InvalidInput, NotFound, Text
from accord.ids import new_id
from accord.programs.promotion_tables import PromotionPeriod
from accord.programs.service import load_program
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand

#: The kinds of period: the predefined festivals and a program's own.
SINGLES_DAY = "singles_day"
MID_YEAR = "618"
BLACK_FRIDAY = "black_friday"
CYBER_MONDAY = "cyber_monday"
CUSTOM = "custom"
PREDEFINED_KINDS = (SINGLES_DAY, MID_YEAR, BLACK_FRIDAY, CYBER_MONDAY)

#: 双十一's window: from this day of October to 11 November, both included.
SINGLES_DAY_PRESALE_OPENS = date(2000, 10, 20)
#: 618's window: from this day of June to 18 June, both included.
MID_YEAR_OPENS = date(2000, 6, 1)
#: How many years back the predefined periods reach (and one year ahead).
YEARS_BACK = 3
MAX_NAME = 100
MAX_DAYS = 366


@dataclass(frozen=True)
class Promotion:
    """One promotion period: [starts_at, ends_at). `id` is None for a predefined one."""

    id: str | None
    name: str
    kind: str
    starts_at: datetime
    ends_at: datetime

    @property
    def predefined(self) -> bool:
        return self.id is None

    @property
    def year(self) -> int:
        return self.starts_at.year

    @property
    def last_day(self) -> date:
        """The last day the period covers (its end is the first instant after it)."""
        return (self.ends_at - timedelta(microseconds=1)).date()

    def covers(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at

    @property
    def key(self) -> str:
        """What creatives, codes and briefs name it by: a program's own period by its id, a
        predefined one by its kind and year (`singles_day:2026`)."""
        return self.id or f"{self.kind}:{self.year}"


def _days(first: date, last: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(first, time(), tzinfo=UTC),
        datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC),
    )


def black_friday(year: int) -> date:
    """The day after the fourth Thursday of November."""
    first = date(year, 11, 1)
    first_thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + timedelta(days=21 + 1)


def cyber_monday(year: int) -> date:
    """The Monday after Black Friday."""
    return black_friday(year) + timedelta(days=3)


def predefined_for(year: int) -> list[Promotion]:
    """The festivals of one year, in calendar order."""
    friday, monday = black_friday(year), cyber_monday(year)
    return [
        Promotion(
            None,
            f"618 {year}",
            MID_YEAR,
            *_days(MID_YEAR_OPENS.replace(year=year), date(year, 6, 18)),
        ),
        Promotion(
            None,
            f"双十一 {year}",
            SINGLES_DAY,
            *_days(SINGLES_DAY_PRESALE_OPENS.replace(year=year), date(year, 11, 11)),
        ),
        Promotion(None, f"Black Friday {year}", BLACK_FRIDAY, *_days(friday, friday)),
        Promotion(None, f"Cyber Monday {year}", CYBER_MONDAY, *_days(monday, monday)),
    ]


def predefined_until(now: datetime) -> list[Promotion]:
    """The festivals from `YEARS_BACK` years before `now`'s year to the year after it."""
    return [p for year in range(now.year - YEARS_BACK, now.year + 2) for p in predefined_for(year)]


def check_period(name: str, starts_at: datetime, ends_at: datetime) -> str:
    """The cleaned name; raises InvalidInput naming the field that is wrong."""
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise InvalidInput("name", "give the period a name")
    if len(cleaned) > MAX_NAME:
        raise InvalidInput("name", Text("use at most %(most)s characters", most=MAX_NAME))
    for field, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidInput(field, "give a time with its timezone (times are UTC-aware)")
    if ends_at <= starts_at:
        raise InvalidInput("ends_at", "must be after the start")
    if ends_at - starts_at > timedelta(days=MAX_DAYS):
        raise InvalidInput("ends_at", Text("a period lasts at most %(days)s days", days=MAX_DAYS))
    return cleaned


def _of(row: PromotionPeriod) -> Promotion:
    return Promotion(row.id, row.name, row.kind, row.starts_at, row.ends_at)


def list_promotions(store: Store, caller: Caller, program_id: str) -> list[Promotion]:
    """The predefined periods and the program's own, by start (newest first)."""
    require_brand(caller)
    return program_promotions(store, caller, program_id)


def program_promotions(store: Store, caller: Caller, program_id: str) -> list[Promotion]:
    """As `list_promotions`, for the program's brand and for partners enrolled in it."""
    with store.read() as session:
        load_program(session, caller, program_id)
        rows = session.scalars(
            select(PromotionPeriod).where(PromotionPeriod.program_id == program_id)
        ).all()
        own = [_of(r) for r in rows]
    every = predefined_until(store.clock.now()) + own
    return sorted(every, key=lambda p: (p.starts_at, p.ends_at, p.name), reverse=True)


def promotion_names(store: Store, caller: Caller, program_id: str) -> dict[str, str]:
    """Each promotion's name by its key."""
    return {p.key: p.name for p in program_promotions(store, caller, program_id)}


def check_promotion_key(store: Store, caller: Caller, program_id: str, key: str | None):
    """`key` when it names one of the program's promotions; None for none; else InvalidInput."""
    if not key:
        return None
    if key not in promotion_names(store, caller, program_id):
        raise InvalidInput(
            "promotion", Text("%(key)s is not a promotion of this program", key=repr(key))
        )
    return key


def add_promotion(
    store: Store,
    caller: Caller,
    program_id: str,
    name: str,
    starts_at: datetime,
    ends_at: datetime,
) -> Promotion:
    """Name a period of the program's own (periods may overlap)."""
    require_brand(caller)
    cleaned = check_period(name, starts_at, ends_at)
    with store.unit() as session:
        load_program(session, caller, program_id)
        row = PromotionPeriod(
            id=new_id("prm"),
            program_id=program_id,
            name=cleaned,
            kind=CUSTOM,
            starts_at=starts_at.astimezone(UTC),
            ends_at=ends_at.astimezone(UTC),
            created_at=store.clock.now(),
        )
        session.add(row)
        session.flush()
        return _of(row)


def remove_promotion(store: Store, caller: Caller, program_id: str, promotion_id: str) -> None:
    """Remove one of the program's own periods (the predefined ones stay)."""
    require_brand(caller)
    with store.unit() as session:
        load_program(session, caller, program_id)
        row = session.scalar(
            select(PromotionPeriod).where(
                PromotionPeriod.id == promotion_id, PromotionPeriod.program_id == program_id
            )
        )
        if row is None:
            raise NotFound("promotion", promotion_id, field="promotion_id")
        session.delete(row)
