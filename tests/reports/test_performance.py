"""The performance report and the summary against figures worked out by hand.

The program (USD; sales earn 10% from new customers, 5% from returning ones):

| when (UTC)      | A (content)              | B (coupon)                | nobody       |
|-----------------|--------------------------|---------------------------|--------------|
| Sun 1 Nov 12:00 | 3 clicks (1 repeat),     | 1 click                   |              |
|                 | sale 200.00 new: 20.00   |                           |              |
| Tue 3 Nov 12:00 | 1 click,                 | 2 clicks,                 | sale 40.00   |
|                 | sale 50.00 returning: 2.50 | sale 80.00 new: 8.00    |              |
| Wed 2 Dec 12:00 |                          | 1 click, sale 100.00      |              |
|                 |                          | returning: 5.00, then     |              |
|                 |                          | 20.00 returned: 80.00, 4.00 |            |

C (content) has no activity; D (content) has applied and is not approved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from accord.clock import FixedClock
from accord.errors import InvalidInput, NotFound
from accord.money import Money
from accord.reports.activity import attention, daily_series
from accord.reports.performance import Performance, PerformanceFilters, PerformanceRow
from accord.reports.runner import MAX_LIMIT, Page, Period, run_report
from accord.reports.service import partner_table, program_summary
from accord.store.engine import Store
from tests.conftest import START
from tests.factories import Brand, add_partner, convert, make_brand
from tests.factories import TestPartner as Enrolled
from tests.reports.builders import clicks_at, reverse


@dataclass
class World:
    brand: Brand
    a: Enrolled
    b: Enrolled
    c: Enrolled
    d: Enrolled


@pytest.fixture(scope="module")
def world(engine) -> World:
    store = Store(engine, FixedClock(START))
    brand = make_brand(store)
    a, b = add_partner(brand), add_partner(brand, partner_type="coupon")
    c, d = add_partner(brand), add_partner(brand, approved=False)

    def sale(partner, clicks, amount, status, *, duplicates=0) -> str:
        first = clicks_at(brand, partner, clicks, duplicates=duplicates)
        return convert(brand, amount=amount, click_id=first, customer_status=status).conversion.id

    sale(a, 3, "200.00", "new", duplicates=1)
    clicks_at(brand, b, 1)
    store.clock.advance(timedelta(days=2))
    sale(a, 1, "50.00", "returning")
    sale(b, 2, "80.00", "new")
    convert(brand, amount="40.00", customer_status="new")
    store.clock.advance(timedelta(days=29))
    reverse(brand, sale(b, 1, "100.00", "returning"), "20.00")
    return World(brand, a, b, c, d)


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def run(world: World, caller=None, **params):
    brand = world.brand
    return run_report(brand.store, caller or brand.caller, Performance(brand.program_id, **params))


def figures(row: PerformanceRow) -> tuple:
    return (
        row.partners,
        row.clicks,
        row.unique_clicks,
        row.conversions,
        row.revenue,
        row.commissions,
    )


def test_by_partner_every_enrolled_partner_has_a_row_largest_commissions_first(world):
    result = run(world)
    assert result.total == 4 and result.currency == "USD"
    a, b, *idle = result.rows
    assert (a.partner_id, a.partner_type, a.status) == (world.a.id, "content", "approved")
    assert figures(a) == (1, 4, 3, 2, usd("250.00"), usd("22.50"))
    assert (b.partner_id, b.partner_type) == (world.b.id, "coupon")
    assert figures(b) == (1, 4, 4, 2, usd("160.00"), usd("12.00"))
    assert {r.partner_id: r.status for r in idle} == {world.c.id: "approved", world.d.id: "applied"}
    assert all(figures(r) == (1, 0, 0, 0, usd("0"), usd("0")) for r in idle)
    assert [r.partner_name.lower() for r in idle] == sorted(r.partner_name.lower() for r in idle)


def test_rates_per_partner_are_worked_out_from_the_aggregated_figures(world):
    a = run(world).rows[0]
    assert a.conversion_rate == Decimal("0.5000")  # 2 conversions / 4 clicks
    assert a.epc == Decimal("5.6250")  # 22.50 / 4
    assert a.aov == usd("125.00")  # 250.00 / 2
    idle = run(world).rows[-1]
    assert idle.conversion_rate is None and idle.epc is None and idle.aov is None


def test_by_partner_type_counts_enrolled_partners_and_sums_their_figures(world):
    rows = {r.partner_type: figures(r) for r in run(world, group_by="partner_type").rows}
    assert rows == {
        "content": (3, 4, 3, 2, usd("250.00"), usd("22.50")),
        "coupon": (1, 4, 4, 2, usd("160.00"), usd("12.00")),
    }


def test_by_day_week_and_month_count_the_whole_program_including_unattributed_sales(world):
    days = {r.bucket: figures(r) for r in run(world, group_by="day").rows}
    assert days == {
        "2026-11-01": (2, 4, 3, 1, usd("200.00"), usd("20.00")),
        "2026-11-03": (2, 3, 3, 3, usd("170.00"), usd("10.50")),
        "2026-12-02": (1, 1, 1, 1, usd("80.00"), usd("4.00")),
    }
    weeks = [(r.bucket, r.clicks) for r in run(world, group_by="week").rows]
    assert weeks == [("2026-10-26", 4), ("2026-11-02", 3), ("2026-11-30", 1)]  # from Mondays
    months = {r.bucket: figures(r) for r in run(world, group_by="month").rows}
    assert months == {
        "2026-11-01": (2, 7, 6, 4, usd("370.00"), usd("30.50")),
        "2026-12-01": (1, 1, 1, 1, usd("80.00"), usd("4.00")),
    }
    [total] = run(world, group_by=()).rows
    assert figures(total) == (2, 8, 7, 5, usd("450.00"), usd("34.50"))


def test_by_partner_and_month_gives_a_row_per_active_partner_and_month(world):
    rows = {
        (r.partner_id, r.bucket): figures(r)[1:]
        for r in run(world, group_by=("partner", "month")).rows
    }
    assert rows == {
        (world.a.id, "2026-11-01"): (4, 3, 2, usd("250.00"), usd("22.50")),
        (world.b.id, "2026-11-01"): (3, 3, 1, usd("80.00"), usd("8.00")),
        (world.b.id, "2026-12-01"): (1, 1, 1, usd("80.00"), usd("4.00")),
    }


def test_a_period_keeps_only_what_happened_in_it(world):
    period = Period.days(date(2026, 11, 2), date(2026, 11, 30))
    rows = {r.partner_id: figures(r)[1:] for r in run(world, period=period).rows}
    assert rows[world.a.id] == (1, 1, 1, usd("50.00"), usd("2.50"))
    assert rows[world.b.id] == (2, 2, 1, usd("80.00"), usd("8.00"))


def test_filters_sorting_and_pages(world):
    coupon = run(world, filters=PerformanceFilters(partner_type="coupon")).rows
    assert [r.partner_id for r in coupon] == [world.b.id]
    applied = run(world, filters=PerformanceFilters(status="applied")).rows
    assert [r.partner_id for r in applied] == [world.d.id]
    name = run(world).rows[0].partner_name
    found = run(world, filters=PerformanceFilters(search=name.upper())).rows
    assert [r.partner_id for r in found] == [world.a.id]
    by_clicks = run(world, sort=("-clicks", "-unique_clicks")).rows
    assert [r.partner_id for r in by_clicks[:2]] == [world.b.id, world.a.id]
    by_name = run(world, sort="name").rows
    assert [r.partner_name.lower() for r in by_name] == sorted(
        r.partner_name.lower() for r in by_name
    )
    second = run(world, sort="name", page=Page(2, 2))
    assert second.total == 4 and second.rows == by_name[2:]
    past = run(world, page=Page(2, 10))
    assert past.rows == [] and past.total == 4


def test_a_partner_sees_only_its_own_figures(world):
    rows = run(world, caller=world.b.caller).rows
    assert [(r.partner_id, r.commissions) for r in rows] == [(world.b.id, usd("12.00"))]
    asked_for_another = run(
        world, caller=world.b.caller, filters=PerformanceFilters(partner_id=world.a.id)
    )
    assert [r.partner_id for r in asked_for_another.rows] == [world.b.id]
    days = run(world, caller=world.a.caller, group_by="day").rows
    assert [(r.bucket, r.commissions) for r in days] == [
        ("2026-11-01", usd("20.00")),
        ("2026-11-03", usd("2.50")),
    ]


def test_another_brands_program_is_not_found(world, store):
    other = make_brand(store)
    with pytest.raises(NotFound):
        run_report(store, other.caller, Performance(world.brand.program_id))


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: Page(0), "limit"),
        (lambda: Page(MAX_LIMIT + 1), "limit"),
        (lambda: Page(10, -1), "offset"),
        (lambda: Page.number(0), "page"),
        (lambda: Period(datetime(2026, 11, 1)), "since"),
        (lambda: Period(START, START), "until"),
        (lambda: Performance("p", group_by="city"), "group_by"),
        (lambda: Performance("p", group_by=("day", "month")), "group_by"),
        (lambda: Performance("p", group_by=("partner", "partner_type")), "group_by"),
        (lambda: Performance("p", sort="bucket"), "sort"),
        (lambda: Performance("p", sort="-earnings"), "sort"),
        (lambda: PerformanceFilters(partner_type="blog ger!"), "partner_type"),
        (lambda: PerformanceFilters(status="gone"), "status"),
    ],
)
def test_bad_parameters_are_refused_naming_the_field(make, field):
    with pytest.raises(InvalidInput) as refused:
        make()
    assert refused.value.field == field


def test_the_default_page_has_a_limit():
    assert Performance("p").page == Page(100, 0)


def test_the_summary_adds_up_to_the_same_figures(world):
    brand = world.brand
    summary = program_summary(brand.store, brand.caller, brand.program_id, top=1)
    assert (summary.clicks, summary.unique_clicks, summary.impressions) == (8, 7, 0)
    assert (summary.conversions, summary.attributed_conversions) == (5, 4)
    assert (summary.revenue, summary.commissions) == (Decimal("450.00"), Decimal("34.50"))
    assert summary.commissions_by_status == {"pending": Decimal("34.50")}
    assert summary.ledger_balanced, summary.checks
    assert [(r.key, r.partners, r.commissions) for r in summary.by_partner_type] == [
        ("content", 3, Decimal("22.50")),
        ("coupon", 1, Decimal("12.00")),
    ]
    [top] = summary.top_partners
    assert (top.key, top.clicks, top.conversions, top.epc) == (world.a.id, 4, 2, Decimal("5.6250"))


def test_the_daily_series_fills_quiet_days_with_zeros(world):
    brand = world.brand
    series = daily_series(brand.store, brand.caller, brand.program_id, days=33)
    assert series.days[0] == "2026-10-31" and series.days[-1] == "2026-12-02"
    assert series.clicks[1:4] == [4, 0, 3]
    assert series.revenue[1:4] == [Decimal("200.00"), Decimal("0.00"), Decimal("170.00")]
    assert series.commissions[-1] == Decimal("4.00")
    mine = daily_series(brand.store, world.a.caller, brand.program_id, days=33)
    assert mine.commissions[1:4] == [Decimal("20.00"), Decimal("0.00"), Decimal("2.50")]
    with pytest.raises(InvalidInput):
        daily_series(brand.store, brand.caller, brand.program_id, days=0)


def test_waiting_work_counts_the_application_and_this_weeks_reversal(world):
    brand = world.brand
    todo = attention(brand.store, brand.caller, brand.program_id)
    assert (todo.to_approve, todo.to_approve_amount) == (0, Decimal("0.00"))
    assert (todo.applications, todo.inquiries, todo.reversals_7d) == (1, 0, 1)


def test_time_buckets_are_the_same_on_both_databases_at_the_edges(store):
    """A second before midnight on a Sunday, midnight after it, and the first second of a
    month: weeks start on Monday, and every bucket is a UTC day."""
    brand = make_brand(store)
    partner = add_partner(brand)
    for at in (
        datetime(2026, 11, 29, 23, 59, 59, tzinfo=UTC),
        datetime(2026, 11, 30, 0, 0, 0, tzinfo=UTC),
        datetime(2026, 12, 1, 0, 0, 0, tzinfo=UTC),
    ):
        store.clock.set(at)
        clicks_at(brand, partner, 1)
    expected = {
        "day": [("2026-11-29", 1), ("2026-11-30", 1), ("2026-12-01", 1)],
        "week": [("2026-11-23", 1), ("2026-11-30", 2)],
        "month": [("2026-11-01", 2), ("2026-12-01", 1)],
    }
    for grain, buckets in expected.items():
        report = Performance(brand.program_id, group_by=grain)
        rows = run_report(store, brand.caller, report).rows
        assert [(r.bucket, r.clicks) for r in rows] == buckets, grain


def test_the_partner_list_searches_filters_sorts_and_pages_as_the_console_asks(world):
    brand = world.brand

    def ids(**asked) -> list[str]:
        result = partner_table(brand.store, brand.caller, brand.program_id, **asked)
        return [r.partner_id for r in result.rows]

    assert ids()[:2] == [world.a.id, world.b.id]  # by earnings
    assert ids(sort="clicks", partner_type="coupon") == [world.b.id]
    assert ids(status="applied", sort="no such sort") == [world.d.id]
    assert ids(search=world.c.id[-6:].upper()) == [world.c.id]
    names = partner_table(brand.store, brand.caller, brand.program_id, sort="name").rows
    second = partner_table(
        brand.store, brand.caller, brand.program_id, sort="name", page=2, page_size=3
    )
    assert second.total == 4 and second.rows == names[3:]
