"""The SQL pieces reports share, and the one place where the databases differ.

A report builds its statement from these without asking which database it runs on: the
time buckets below compile to SQLite's date functions or PostgreSQL's `date_trunc`, and
read the same (`YYYY-MM-DD`, the first day of the bucket, in UTC) on both.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import String, case
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from accord.conversions.tables import Conversion


class Grain(StrEnum):
    """How finely a report cuts time: UTC days, ISO weeks (from Monday) or months."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class _UTCBucket(FunctionElement):
    """The first day of the bucket holding a stored UTC timestamp, as `YYYY-MM-DD`."""

    type = String()
    inherit_cache = True
    grain: Grain


class _UTCDay(_UTCBucket):
    name = "utc_day"
    inherit_cache = True
    grain = Grain.DAY


class _UTCWeek(_UTCBucket):
    name = "utc_week"
    inherit_cache = True
    grain = Grain.WEEK


class _UTCMonth(_UTCBucket):
    name = "utc_month"
    inherit_cache = True
    grain = Grain.MONTH


_BUCKETS = {Grain.DAY: _UTCDay, Grain.WEEK: _UTCWeek, Grain.MONTH: _UTCMonth}

# SQLite keeps timestamps as UTC text; these modifiers move a date to its bucket's start.
_SQLITE_MODIFIERS = {
    Grain.DAY: "",
    Grain.WEEK: ", 'weekday 0', '-6 days'",  # to the next Sunday (or stay), back to Monday
    Grain.MONTH: ", 'start of month'",
}


@compiles(_UTCBucket, "sqlite")
def _bucket_on_sqlite(element: _UTCBucket, compiler, **kw) -> str:
    column = compiler.process(element.clauses, **kw)
    if element.grain is Grain.DAY:
        # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC): the day is its first ten characters,
        # read without parsing a date for every row.
        return f"substr({column}, 1, 10)"
    return f"date({column}{_SQLITE_MODIFIERS[element.grain]})"


@compiles(_UTCBucket, "postgresql")
def _bucket_on_postgresql(element: _UTCBucket, compiler, **kw) -> str:
    column = compiler.process(element.clauses, **kw)
    return (
        f"to_char(date_trunc('{element.grain.value}', ({column}) AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"
    )


@compiles(_UTCBucket)
def _bucket_elsewhere(element: _UTCBucket, compiler, **kw) -> str:
    raise NotImplementedError(
        f"time buckets are defined for SQLite and PostgreSQL, not {compiler.dialect.name}"
    )


def utc_bucket(column, grain: Grain) -> ColumnElement[str]:
    """The `YYYY-MM-DD` start of the UTC day, week (Monday) or month holding `column`."""
    return _BUCKETS[Grain(grain)](column)


def net_revenue() -> ColumnElement[int]:
    """What is left of each order, in the program's currency at the order's rate (whole
    minor units, rounded down for a partly reversed foreign order)."""
    return case(
        (Conversion.amount_minor == 0, 0),
        else_=Conversion.program_amount_minor
        * (Conversion.amount_minor - Conversion.reversed_minor)
        // Conversion.amount_minor,
    )
