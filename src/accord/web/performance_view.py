"""What the console's and the portal's performance pages share: the form's choices (a
dimension, a time grain, a period preset or custom dates, filters), the report they make,
its chart as JSON, and the labels people read instead of codes (partner types, devices,
event types, countries in the page's language)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal

from accord.errors import InvalidInput, Text
from accord.money import Money
from accord.reports.performance import (
    Dimension,
    Performance,
    PerformanceFilters,
    PerformanceRow,
)
from accord.reports.runner import MAX_LIMIT, Page, Period, ReportResult, run_report
from accord.web import i18n

PAGE_ROWS = 50
TIMES = "\u00d7"  # the multiplication sign after a ratio: 6.05x
PRESETS = ("7d", "30d", "90d", "this_month", "last_month", "custom")
GRAINS = ("day", "week", "month")


def _day(name: str, text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(name, "give a date as YYYY-MM-DD") from None


def period_for(preset: str, since: str, until: str, today: date) -> tuple[Period, date, date]:
    """The preset's whole UTC days up to today, or the custom days (both included)."""
    if preset not in PRESETS:
        raise InvalidInput("period", Text("choose one of: %(choices)s", choices=", ".join(PRESETS)))
    if preset == "custom":
        first = _day("since", since) or today - timedelta(days=29)
        last = _day("until", until) or today
        if last < first:
            raise InvalidInput("until", "the last day comes before the first")
    elif preset == "this_month":
        first, last = today.replace(day=1), today
    elif preset == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        first = last.replace(day=1)
    else:
        first, last = today - timedelta(days=int(preset[:-1]) - 1), today
    return Period.days(first, last), first, last


@dataclass
class Choices:
    """What the form asked for, as text, kept to write links back to the same view."""

    by: str = "partner"
    grain: str = ""
    period: str = "30d"
    since: str = ""
    until: str = ""
    sort: str = ""
    page: int = 1
    filters: dict[str, str] = field(default_factory=dict)

    def query(self, program_id: str, **changes) -> str:
        """The query string of this view with some choices changed."""
        values = {
            "program": program_id,
            "by": self.by,
            "grain": self.grain,
            "period": self.period,
            "since": self.since if self.period == "custom" else "",
            "until": self.until if self.period == "custom" else "",
            "sort": self.sort,
            **self.filters,
            "page": self.page,
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in ("", None, 1)})


@dataclass
class View:
    """A report page's content: rows of one page, totals, chart, the paging."""

    report: Performance
    result: ReportResult[PerformanceRow]
    totals: PerformanceRow
    chart_json: str
    first: date
    last: date
    pages: int


def report_for(program_id: str, choices: Choices, today: date) -> tuple[Performance, date, date]:
    period, first, last = period_for(choices.period, choices.since, choices.until, today)
    if choices.grain and choices.grain not in GRAINS:
        raise InvalidInput("grain", "give day, week or month")
    if choices.page < 1:
        raise InvalidInput("page", "pages are numbered from 1")
    dims = tuple(d for d in (choices.by, choices.grain) if d)
    cleaned = {k: v.strip() for k, v in choices.filters.items() if v and v.strip()}
    report = Performance(
        program_id,
        group_by=dims,
        period=period,
        filters=PerformanceFilters(**cleaned),
        sort=choices.sort or None,
        page=Page.number(choices.page, PAGE_ROWS),
    )
    return report, first, last


def view(store, caller, program_id: str, choices: Choices, today: date, labels: Labels) -> View:
    report, first, last = report_for(program_id, choices, today)
    result = run_report(store, caller, report)
    [totals] = run_report(store, caller, report.totals()).rows
    pages = max(1, -(-result.total // PAGE_ROWS))
    drawn = chart(store, caller, report, labels)
    return View(report, result, totals, drawn, first, last, pages)


def chart(store, caller, report: Performance, labels: Labels) -> str:
    """A line over time when a grain is chosen (the report's totals per bucket), else a bar
    of the ten rows with the most revenue; empty when there is nothing to draw."""
    if report.grain is not None:
        over_time = replace(
            report.totals(), group_by=(report.grain,), sort="bucket", page=Page(MAX_LIMIT)
        )
        rows = _every_bucket(run_report(store, caller, over_time).rows, report)
        kind = "line"
    elif report.who is not None:
        rows = run_report(store, caller, replace(report, sort="-revenue", page=Page(10))).rows
        kind = "bar"
    else:
        return "null"
    if not rows or not any(r.conversions or r.clicks for r in rows):
        return "null"
    return json.dumps(
        {
            "kind": kind,
            "keys": [r.bucket if kind == "line" else labels.key(report.who, r) for r in rows],
            "clicks": None if rows[0].clicks is None else [r.clicks for r in rows],
            "conversions": [r.conversions for r in rows],
            "revenue": [str(r.revenue.amount) for r in rows],
            "commissions": [str(r.commissions.amount) for r in rows],
        }
    )


def _buckets(first: date, last: date, grain: str) -> list[str]:
    """Every bucket's first day from the one holding `first` to the one holding `last`."""
    if grain == "week":
        day, step = first - timedelta(days=first.weekday()), timedelta(days=7)
    elif grain == "month":
        day, step = first.replace(day=1), None
    else:
        day, step = first, timedelta(days=1)
    out = []
    while day <= last and len(out) <= MAX_LIMIT:
        out.append(day.isoformat())
        if step is None:
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            day += step
    return out


def _every_bucket(rows: list[PerformanceRow], report: Performance) -> list[PerformanceRow]:
    """The line's points with quiet buckets of the period as zeros (the rows are sparse)."""
    period = report.period
    if not rows or period.since is None or period.until is None:
        return rows
    zero = Money.of(0, rows[0].revenue.currency)
    quiet = replace(rows[0], conversions=0, revenue=zero, commissions=zero, partners=0,
                    clicks=None if rows[0].clicks is None else 0, unique_clicks=None)  # fmt: skip
    by_bucket = {r.bucket: r for r in rows}
    last = (period.until - timedelta(microseconds=1)).date()
    days = _buckets(period.since.date(), last, str(report.grain))
    return [by_bucket.get(b) or replace(quiet, bucket=b) for b in days]


class Labels:
    """Codes as the page's language writes them."""

    def __init__(self, locale: str) -> None:
        self.gettext = i18n.translations(locale).gettext
        self.babel = Locale.parse(locale)
        self.territories = self.babel.territories

    def bucket(self, value: str | None, grain) -> str:
        """A time bucket: the day, the week from its Monday, or the month."""
        if not value:
            return ""
        day = date.fromisoformat(value)
        if str(grain) == "month":
            return format_skeleton("yMMM", day, locale=self.babel)
        text = format_date(day, format="medium", locale=self.babel)
        if str(grain) == "week":
            return self.gettext("Week of %(day)s") % {"day": text}
        return text

    def times(self, value: Decimal | None) -> str:
        """A ratio such as ROAS, as so many times (6.05 and a multiplication sign)."""
        if value is None:
            return "—"
        return format_decimal(value, format="#,##0.00", locale=self.babel) + TIMES

    def country(self, code: str | None) -> str:
        if not code:
            return self.gettext("Unknown country")
        return self.territories.get(code.upper(), code.upper())

    def word(self, code: str | None) -> str:
        """A partner type, device or event type (custom:<name> is the brand's own name)."""
        if not code:
            return self.gettext("Not set")
        if code.startswith("custom:"):
            return code.removeprefix("custom:")
        return self.gettext(code)

    def key(self, dimension: Dimension | None, row: PerformanceRow) -> str:
        """The row's name in the table and the chart (partners: their name)."""
        if dimension is None:
            return self.gettext("Whole program")
        if dimension is Dimension.PARTNER:
            return row.partner_name or ""
        if dimension is Dimension.COUNTRY:
            return self.country(row.country)
        if dimension in (Dimension.PARTNER_TYPE, Dimension.DEVICE, Dimension.EVENT_TYPE):
            return self.word(row.key(dimension))
        value = row.key(dimension)
        if value:
            return value
        if dimension is Dimension.SUB_ID:
            return self.gettext("No sub-id")
        return self.gettext("No promo code")


def today_of(store) -> date:
    now: datetime = store.clock.now()
    return now.date()
