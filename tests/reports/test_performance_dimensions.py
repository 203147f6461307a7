"""The performance report by every dimension and figure, against numbers worked out by hand.

The program (USD; sales earn 10% from new customers, 5% from returning ones, a lead 20.00).
Everything happens on Sun 1 Nov 2026 at 12:00 UTC, but one click the next day:

A (content): 4 clicks with sub1 "spring" (1 a repeat), 2 with "summer", and 1 more "spring"
  on Mon 2 Nov;
  s1: sale 200.00 new, US, mobile, on a spring click: 20.00;
  s2: sale 100.00 returning, DE, desktop, on a summer click: 5.00, then 40.00 returned:
      60.00 and 3.00 are left;
  l1: lead 0.00 new, US, mobile, on a spring click: 20.00.
B (coupon): 3 clicks without a sub-id;
  s3: sale 50.00 new, US, tablet, code SAVE10, on one of the clicks: 5.00.
Nobody: s4: sale 30.00 new, FR, mobile, code save10, no click.
C (content): nothing.

So A: 7 clicks (6 unique), 3 conversions, revenue 260.00, commissions 43.00;
B: 3 clicks, 1 conversion, 50.00, 5.00; the program: 10 clicks, 5 conversions, 340.00, 48.00.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest

from accord.clock import FixedClock
from accord.errors import InvalidInput
from accord.money import Money
from accord.reports import performance as perf
from accord.reports.performance import Performance, PerformanceFilters, whole_report
from accord.reports.runner import Page, run_report
from accord.store.engine import Store
from accord.tracking.model import new_click_id
from accord.tracking.service import click_row, link_target, record_clicks
from tests.conftest import START
from tests.factories import Brand, add_partner, convert, make_brand
from tests.factories import TestPartner as Enrolled
from tests.reports.builders import reverse


@dataclass
class World:
    brand: Brand
    a: Enrolled
    b: Enrolled
    c: Enrolled


def clicks(brand: Brand, partner: Enrolled, count: int, sub1=None, duplicates=0) -> list[str]:
    with brand.store.read() as session:
        target = link_target(session, partner.link_code)
    rows = [
        click_row(
            target,
            new_click_id(),
            brand.store.clock.now(),
            "203.0.113.7",
            "pytest",
            None,
            subs={"sub1": sub1},
            duplicate=i >= count - duplicates,
        )
        for i in range(count)
    ]
    record_clicks(brand.store, rows)
    return [r["id"] for r in rows]


@pytest.fixture(scope="module")
def world(engine) -> World:
    store = Store(engine, FixedClock(START))
    brand = make_brand(store)
    a, b = add_partner(brand), add_partner(brand, partner_type="coupon")
    c = add_partner(brand)
    spring = clicks(brand, a, 4, "spring", duplicates=1)
    summer = clicks(brand, a, 2, "summer")
    plain = clicks(brand, b, 3)
    convert(
        brand,
        amount="200.00",
        click_id=spring[0],
        customer_status="new",
        country="US",
        device_type="mobile",
    )
    s2 = convert(
        brand,
        amount="100.00",
        click_id=summer[0],
        customer_status="returning",
        country="DE",
        device_type="desktop",
    )
    convert(
        brand,
        amount="0",
        event_type="lead",
        click_id=spring[1],
        customer_status="new",
        country="US",
        device_type="mobile",
    )
    convert(
        brand,
        amount="50.00",
        click_id=plain[0],
        customer_status="new",
        country="US",
        device_type="tablet",
        promo_code="SAVE10",
    )
    convert(
        brand,
        amount="30.00",
        customer_status="new",
        country="FR",
        device_type="mobile",
        promo_code="save10",
    )
    reverse(brand, s2.conversion.id, "40.00")
    store.clock.advance(timedelta(days=1))
    clicks(brand, a, 1, "spring")
    return World(brand, a, b, c)


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def run(world: World, caller=None, **params):
    brand = world.brand
    return run_report(brand.store, caller or brand.caller, Performance(brand.program_id, **params))


def main(row) -> tuple:
    return (row.clicks, row.conversions, row.revenue, row.commissions)


def test_by_partner_every_figure(world):
    a, b, c = run(world).rows  # by commissions: 43.00, 5.00, 0
    assert (a.partner_id, b.partner_id, c.partner_id) == (world.a.id, world.b.id, world.c.id)
    assert main(a) == (7, 3, usd("260.00"), usd("43.00"))
    assert a.unique_clicks == 6
    assert (a.new_conversions, a.new_revenue) == (2, usd("200.00"))  # s1 and the lead
    assert (a.returning_conversions, a.returning_revenue) == (1, usd("60.00"))
    assert (a.reversed_conversions, a.reversed_revenue) == (1, usd("40.00"))
    assert a.reversal_rate == Decimal("0.3333")  # 1 of 3
    assert a.reversed_share == Decimal("0.1333")  # 40 of 300 ordered
    assert a.epc == Decimal("6.1429")  # 43 / 7
    assert a.conversion_rate == Decimal("0.4286")  # 3 / 7
    assert a.aov == usd("86.67")  # 260 / 3
    assert a.roas == Decimal("6.0465")  # 260 / 43
    assert main(b) == (3, 1, usd("50.00"), usd("5.00"))
    assert (b.roas, b.epc, b.reversal_rate, b.reversed_share) == (
        Decimal("10.0000"),
        Decimal("1.6667"),
        Decimal("0"),
        Decimal("0"),  # 50 / 5, 5 / 3
    )
    assert main(c) == (0, 0, usd("0"), usd("0"))
    assert (c.roas, c.epc, c.aov, c.reversal_rate, c.reversed_share) == (None,) * 5


def test_by_event_type_clicks_are_not_counted(world):
    rows = {r.event_type: r for r in run(world, group_by="event_type").rows}
    assert {k: main(r) for k, r in rows.items()} == {
        "sale": (None, 4, usd("340.00"), usd("28.00")),  # s1 s2 s3 s4: 200+60+50+30
        "lead": (None, 1, usd("0"), usd("20.00")),
    }
    assert rows["sale"].unique_clicks is None and rows["sale"].epc is None
    assert rows["sale"].conversion_rate is None
    assert rows["sale"].roas == Decimal("12.1429")  # 340 / 28
    assert rows["lead"].roas == Decimal("0")
    assert rows["sale"].as_dict()["clicks"] is None


def test_by_country_device_promo_code_and_sub_id(world):
    countries = {r.country: main(r)[1:] for r in run(world, group_by="country").rows}
    assert countries == {
        "US": (3, usd("250.00"), usd("45.00")),  # s1 200 + lead 0 + s3 50; 20 + 20 + 5
        "DE": (1, usd("60.00"), usd("3.00")),
        "FR": (1, usd("30.00"), usd("0")),
    }
    devices = {r.device: main(r)[1:] for r in run(world, group_by="device").rows}
    assert devices == {
        "mobile": (3, usd("230.00"), usd("40.00")),  # s1, lead, s4
        "desktop": (1, usd("60.00"), usd("3.00")),
        "tablet": (1, usd("50.00"), usd("5.00")),
    }
    codes = {r.promo_code: main(r)[1:] for r in run(world, group_by="promo_code").rows}
    assert codes == {
        "SAVE10": (2, usd("80.00"), usd("5.00")),
        None: (3, usd("260.00"), usd("43.00")),
    }
    subs = {r.sub_id: (r.unique_clicks, *main(r)) for r in run(world, group_by="sub_id").rows}
    assert subs == {
        "spring": (4, 5, 2, usd("200.00"), usd("40.00")),  # 4 + 1 next day, one a repeat
        "summer": (2, 2, 1, usd("60.00"), usd("3.00")),
        None: (3, 3, 2, usd("80.00"), usd("5.00")),  # B's clicks; s3 and s4
    }


def test_a_dimension_by_day(world):
    rows = [
        (r.bucket, r.sub_id, r.clicks, r.conversions)
        for r in run(world, group_by=("sub_id", "day")).rows
    ]
    assert rows == [
        ("2026-11-01", "spring", 4, 2),
        ("2026-11-01", "summer", 2, 1),
        ("2026-11-01", None, 3, 2),  # the empty group last
        ("2026-11-02", "spring", 1, 0),
    ]


def test_sorting_on_derived_figures_puts_rows_without_a_value_last(world):
    def order(group_by, sort):
        return [r.key(group_by) for r in run(world, group_by=group_by, sort=sort).rows]

    ids = world.a.id, world.b.id, world.c.id
    assert order("partner", "-roas") == [ids[1], ids[0], ids[2]]  # 10.0, 6.05, none
    assert order("partner", "roas") == [ids[0], ids[1], ids[2]]
    assert order("partner", "-epc") == [ids[0], ids[1], ids[2]]  # 6.14, 1.67, none
    assert order("partner", "reversal_rate") == [ids[1], ids[0], ids[2]]  # 0, 0.33, none
    assert order("country", "-roas") == ["DE", "US", "FR"]  # 20.0, 5.56, none
    assert order("country", "roas") == ["US", "DE", "FR"]
    assert order("device", "-aov") == ["mobile", "desktop", "tablet"]  # 76.67, 60, 50
    assert order("device", "aov") == ["tablet", "desktop", "mobile"]
    assert order("sub_id", "-conversion_rate") == [None, "summer", "spring"]  # 0.67, 0.5, 0.4
    assert order("promo_code", "-reversed_share") == [None, "SAVE10"]
    assert order("partner", ("-new_revenue", "name"))[:2] == [ids[0], ids[1]]


def test_filters_on_the_conversion_and_the_click(world):
    us = {r.partner_id: main(r) for r in run(world, filters=PerformanceFilters(country="us")).rows}
    assert us == {
        world.a.id: (None, 2, usd("200.00"), usd("40.00")),
        world.b.id: (None, 1, usd("50.00"), usd("5.00")),
        world.c.id: (None, 0, usd("0"), usd("0")),
    }
    [tablet] = run(world, group_by=(), filters=PerformanceFilters(device="tablet")).rows
    assert main(tablet) == (None, 1, usd("50.00"), usd("5.00"))
    [lead] = run(world, group_by=(), filters=PerformanceFilters(event_type="lead")).rows
    assert main(lead) == (None, 1, usd("0"), usd("20.00"))
    code = run(world, group_by="country", filters=PerformanceFilters(promo_code="save10")).rows
    assert {r.country: r.conversions for r in code} == {"US": 1, "FR": 1}
    spring = run(world, filters=PerformanceFilters(sub_id="spring")).rows
    assert main(spring[0]) == (5, 2, usd("200.00"), usd("40.00"))
    coupon = run(world, group_by="device", filters=PerformanceFilters(partner_type="coupon"))
    assert [(r.device, r.conversions) for r in coupon.rows] == [("tablet", 1)]


def test_a_partner_sees_only_its_own_rows_by_any_dimension(world):
    rows = run(world, caller=world.a.caller, group_by="country").rows
    assert {r.country: r.conversions for r in rows} == {"US": 2, "DE": 1}
    subs = run(world, caller=world.b.caller, group_by="sub_id").rows
    assert [(r.sub_id, r.clicks, r.conversions) for r in subs] == [(None, 3, 1)]


def test_totals_add_up_to_the_rows(world):
    report = Performance(world.brand.program_id)  # by partner: the unattributed s4 is not a row
    [total] = run_report(world.brand.store, world.brand.caller, report.totals()).rows
    assert main(total) == (10, 4, usd("310.00"), usd("48.00"))
    [program] = run(world, group_by=()).rows
    assert main(program) == (10, 5, usd("340.00"), usd("48.00"))
    assert program.roas == Decimal("7.0833")  # 340 / 48
    by_country = Performance(world.brand.program_id, group_by="country").totals()
    [total] = run_report(world.brand.store, world.brand.caller, by_country).rows
    assert main(total) == (None, 5, usd("340.00"), usd("48.00"))  # clicks have no country


def test_a_file_holds_the_whole_report_not_one_page(world, monkeypatch):
    brand = world.brand
    report = Performance(brand.program_id, group_by="country", page=Page(1), sort="country")
    columns, rows, currency = whole_report(brand.store, brand.caller, report)
    assert currency == "USD" and columns[:2] == ("country", "partners")
    assert [r[0] for r in rows] == ["DE", "FR", "US"]
    us = dict(zip(columns, rows[2], strict=True))
    assert us["revenue"] == Decimal("250.00") and us["clicks"] is None
    assert us["roas"] == Decimal("5.5556")  # 250 / 45
    monkeypatch.setattr(perf, "EXPORT_MAX_ROWS", 2)
    with pytest.raises(InvalidInput) as refused:
        whole_report(brand.store, brand.caller, report)
    assert refused.value.field == "export" and "more than 2 rows" in str(refused.value)


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: Performance("p", group_by=("country", "device")), "group_by"),
        (lambda: Performance("p", group_by=("sub_id", "partner")), "group_by"),
        (lambda: Performance("p", group_by="city"), "group_by"),
        (lambda: Performance("p", sort="-fees"), "sort"),
        (lambda: Performance("p", group_by="country", sort="name"), "sort"),
        (lambda: PerformanceFilters(country="USA"), "country"),
        (lambda: PerformanceFilters(country="1A"), "country"),
        (lambda: PerformanceFilters(device="phone"), "device"),
        (lambda: PerformanceFilters(event_type="x" * 65), "event_type"),
        (lambda: PerformanceFilters(promo_code="x" * 65), "promo_code"),
        (lambda: PerformanceFilters(sub_id="x" * 256), "sub_id"),
        (lambda: PerformanceFilters(partner_type="blog ger!"), "partner_type"),
    ],
)
def test_bad_parameters_are_refused_naming_the_field(make, field):
    with pytest.raises(InvalidInput) as refused:
        make()
    assert refused.value.field == field


def test_every_figure_sorts_both_ways(world):
    for key in perf.SORTABLE:
        for spec in (key, f"-{key}"):
            assert run(world, sort=spec).total == 3, spec
