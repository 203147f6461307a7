"""Partner lifecycle on a program with a year of history placed by the store's clock.

Today is 12 November 2026, 12:00 UTC. Periods are 30 days counted back from today:
period 0 is 13 Oct - 12 Nov, period 1 is 13 Sep - 13 Oct, and so on.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from accord.errors import InvalidInput, NotFound
from accord.programs.promotions import (
    add_promotion,
    black_friday,
    cyber_monday,
    list_promotions,
    predefined_for,
    remove_promotion,
)
from accord.reports.lifecycle import lifecycle_report
from accord.reports.lifecycle_model import (
    DECLINING,
    DORMANT,
    NEW,
    REACTIVATED,
    STEADY,
)
from tests.factories import add_partner, click, convert, make_brand

NOW = datetime(2026, 11, 12, 12, 0, tzinfo=UTC)
JOINED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _days_ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def _play(brand, events) -> None:
    """Record each (time, partner) sale in time order, with its click just before."""
    for at, partner in sorted(events, key=lambda e: e[0]):
        brand.store.clock.set(at)
        convert(brand, amount="100.00", click_id=click(brand, partner))


@pytest.fixture
def program(store):
    store.clock.set(JOINED)
    brand = make_brand(store)
    sleeper = add_partner(brand)  # converts in spring, sleeps, wakes in 双十一
    steady = add_partner(brand)  # 3 sales in each of the last 7 periods
    declining = add_partner(brand)  # 4 a period, then 1
    quiet = add_partner(brand)  # last sale 84 days ago
    events = []
    events += [(datetime(2026, 3, 5, 12, tzinfo=UTC), sleeper)]
    events += [(datetime(2026, 4, 20, 12, tzinfo=UTC), sleeper)]
    events += [(datetime(2026, 10, 25, 12, tzinfo=UTC), sleeper)] * 2
    for k in range(7):
        events += [(_days_ago(30 * k + 10) + timedelta(minutes=i), steady) for i in range(3)]
    for k in (1, 2, 3):
        events += [(_days_ago(30 * k + 10) + timedelta(minutes=i), declining) for i in range(4)]
    events += [(_days_ago(10), declining)]
    events += [(_days_ago(84), quiet)]
    _play(brand, events)
    store.clock.set(NOW - timedelta(days=3))
    fresh = add_partner(brand)  # joined 3 days ago, no sale yet
    store.clock.set(NOW)
    return brand, {
        "sleeper": sleeper.id,
        "steady": steady.id,
        "declining": declining.id,
        "quiet": quiet.id,
        "fresh": fresh.id,
    }


def test_each_partner_lands_in_its_segment(program):
    brand, ids = program
    report = lifecycle_report(brand.store, brand.caller, brand.program_id)
    where = {line.partner_id: s for s, lines in report.segments.items() for line in lines}
    # sleeper: first sale of the last 30 days on 25 Oct, the one before on 20 Apr: 188 days
    assert where[ids["sleeper"]] == REACTIVATED
    # steady: 3, 3, 3 in the last three periods (variation 0)
    assert where[ids["steady"]] == STEADY
    # declining: 1 in the last period against an average of 4 before (down 75% >= 30%)
    assert where[ids["declining"]] == DECLINING
    # quiet: 84 days since its only sale (>= 60, < 180)
    assert where[ids["quiet"]] == DORMANT
    # fresh: joined 3 days ago, nothing yet
    assert where[ids["fresh"]] == NEW
    assert report.partners == 5
    assert sum(report.counts.values()) == 5


def test_a_partner_asleep_six_months_is_listed_under_singles_day(program):
    brand, ids = program
    report = lifecycle_report(brand.store, brand.caller, brand.program_id)
    woken = [(w.promotion.name, w.partner.partner_id, w.dormant_days) for w in report.wakeups]
    # 双十一 2026 runs 20 Oct - 11 Nov; the sleeper's last sale before it was 20 Apr,
    # 182.5 days before the window opened (>= 90); its first sale inside is 25 Oct,
    # 188 days after 20 Apr.
    assert woken == [("双十一 2026", ids["sleeper"], 188)]
    [(promotion, rows)] = report.wakeups_by_promotion()
    assert promotion.kind == "singles_day"
    assert rows[0].first_in_period_at == datetime(2026, 10, 25, 12, tzinfo=UTC)


def test_steady_performers_and_time_to_first_conversion(program):
    brand, ids = program
    report = lifecycle_report(brand.store, brand.caller, brand.program_id)
    # only the steady partner sold in each of the last 6 periods, with nothing reversed
    assert [line.partner_id for line in report.deeper_deal] == [ids["steady"]]
    assert report.deeper_deal[0].variation == Decimal("0.00")
    days = {line.partner_id: line.days_to_first for line in report.first_conversion}
    # joined 1 Mar 12:00; the sleeper's first sale 5 Mar 12:00: 4.0 days
    assert days[ids["sleeper"]] == Decimal("4.0")
    # the quiet partner's only sale: 84 days before 12 Nov = 20 Aug; 1 Mar -> 20 Aug = 172
    assert days[ids["quiet"]] == Decimal("172.0")
    # steady: 190 days ago = 6 May (66 days); declining: 100 days ago = 4 Aug (156 days)
    assert days[ids["steady"]] == Decimal("66.0")
    assert days[ids["declining"]] == Decimal("156.0")
    # median of 4, 66, 156, 172: (66 + 156) / 2 = 111
    assert report.median_days_to_first == Decimal("111.0")
    assert ids["fresh"] not in days


def test_a_program_of_its_own_period_wakes_partners_too(program):
    brand, _ids = program
    add_promotion(
        brand.store,
        brand.caller,
        brand.program_id,
        "Autumn sale",
        datetime(2026, 10, 24, tzinfo=UTC),
        datetime(2026, 10, 27, tzinfo=UTC),
    )
    report = lifecycle_report(brand.store, brand.caller, brand.program_id)
    names = sorted(w.promotion.name for w in report.wakeups)
    assert names == ["Autumn sale", "双十一 2026"]


def test_predefined_periods_follow_the_calendar():
    # Thanksgiving 2026 is Thursday 26 Nov; 2025: 27 Nov; 2024: 28 Nov
    assert black_friday(2026).isoformat() == "2026-11-27"
    assert cyber_monday(2026).isoformat() == "2026-11-30"
    assert black_friday(2025).isoformat() == "2025-11-28"
    assert black_friday(2024).isoformat() == "2024-11-29"
    mid, singles, friday, _monday = predefined_for(2026)
    assert (mid.starts_at.date().isoformat(), mid.last_day.isoformat()) == (
        "2026-06-01",
        "2026-06-18",
    )
    assert (singles.starts_at.date().isoformat(), singles.last_day.isoformat()) == (
        "2026-10-20",
        "2026-11-11",
    )
    assert friday.ends_at - friday.starts_at == timedelta(days=1)


def test_promotion_periods_are_listed_added_and_removed(store):
    store.clock.set(NOW)
    brand = make_brand(store)
    start = datetime(2026, 12, 1, tzinfo=UTC)
    own = add_promotion(
        store, brand.caller, brand.program_id, "  Year-end  sale ", start, start + timedelta(7)
    )
    assert own.name == "Year-end sale"
    listed = list_promotions(store, brand.caller, brand.program_id)
    assert own in listed
    # 2023 to 2027, four festivals each, and the program's own
    assert len(listed) == 5 * 4 + 1
    with pytest.raises(InvalidInput) as bad:
        add_promotion(store, brand.caller, brand.program_id, "x", start, start)
    assert bad.value.field == "ends_at"
    with pytest.raises(InvalidInput) as bad:
        add_promotion(store, brand.caller, brand.program_id, "", start, start + timedelta(1))
    assert bad.value.field == "name"
    other = make_brand(store)
    with pytest.raises(NotFound):
        remove_promotion(store, other.caller, brand.program_id, own.id)
    remove_promotion(store, brand.caller, brand.program_id, own.id)
    assert own not in list_promotions(store, brand.caller, brand.program_id)
