"""The per-partner daily sums: reports read them for clean whole days and say exactly what
they say from the facts alone, however the facts change after a day was summed."""

from __future__ import annotations

import contextlib
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from accord.clock import FixedClock
from accord.conversions.model import ReversalRequest
from accord.conversions.reversals import reverse_conversion
from accord.errors import Conflict, InvalidInput
from accord.jobs import queue as job_queue
from accord.programs.promotions import add_promotion
from accord.reports import days as report_days
from accord.reports import runner
from accord.reports.concentration import PartnerRevenue
from accord.reports.days import DayCover, build_days, day_of, runs_of
from accord.reports.lifecycle import lifecycle_report
from accord.reports.performance import Performance
from accord.reports.runner import Page, Period, context_for, execute
from accord.reports.tables import DirtyDay, PartnerDay
from accord.settings import get_settings
from accord.store.engine import Store, make_engine
from accord.store.migrate import upgrade
from accord.tracking.tables import Click
from tests.factories import add_partner, click, convert, make_brand

START = datetime(2026, 10, 1, 9, 30, tzinfo=UTC)
DAY = timedelta(days=1)


def _reports(brand, now: datetime) -> list:
    """The reports that read the daily sums, with partial days at their edges."""
    p = brand.program_id
    edges = Period(START + timedelta(hours=7), now - timedelta(hours=5))
    whole = Period(day_of(START), day_of(now))
    return [
        Performance(p, group_by=("partner", "day"), period=whole, page=Page(500)),
        Performance(p, group_by=("partner", "day"), period=edges, page=Page(500)),
        # short pages, forwards and backwards: read only up to the day of their last row
        Performance(p, group_by=("partner", "day"), period=whole, page=Page(2)),
        Performance(p, group_by=("partner", "day"), period=edges, page=Page(3, offset=4)),
        Performance(p, group_by=("partner", "day"), page=Page(3, offset=2), sort="-bucket"),
        Performance(
            p,
            group_by=("partner", "day"),
            period=whole,
            page=Page(2, offset=1),
            sort=("-bucket", "-revenue"),
            count_clicks=False,
        ),
        Performance(p, group_by=("partner_type", "week"), page=Page(500)),
        Performance(p, group_by=("month",), period=edges, page=Page(500)),
        Performance(p, group_by=(), period=whole, page=None),
        Performance(p, group_by=("partner",), page=Page(500)),
        Performance(p, group_by=("day",), page=Page(500), count_clicks=False),
        PartnerRevenue(p, edges),
        PartnerRevenue(p, whole),
        PartnerRevenue(p),
    ]


def _run(store, caller, report, *, cover: bool):
    with store.read() as session:
        ctx = context_for(session, caller, report.program_id, store.clock.now(), days=True)
        if not cover:
            ctx = replace(ctx, cover=DayCover())
        result = execute(session, ctx, report)
        return ctx.cover, (result.rows, result.total)


def _lifecycle(store, caller, program_id, *, cover: bool):
    with pytest.MonkeyPatch.context() as patch:
        if not cover:
            patch.setattr(runner, "load_cover", lambda session, program_id: DayCover())
        return lifecycle_report(store, caller, program_id)


def assert_same_as_facts(brand) -> int:
    """Every report reads the same with the daily sums as from the facts alone; returns
    how many of them used the sums."""
    store, caller = brand.store, brand.caller
    now = store.clock.now()
    used = 0
    for report in _reports(brand, now):
        cover, summed = _run(store, caller, report, cover=True)
        _, facts = _run(store, caller, report, cover=False)
        assert summed == facts, report
        used += bool(cover)
    summed = _lifecycle(store, caller, brand.program_id, cover=True)
    facts = _lifecycle(store, caller, brand.program_id, cover=False)
    assert summed == facts
    return used


def _sale(brand, partner, at: datetime, amount: str = "100.00") -> str:
    brand.store.clock.set(at)
    return convert(brand, amount=amount, click_id=click(brand, partner)).conversion.id


def _dirty(store, program_id) -> list[datetime]:
    with store.read() as session:
        return [
            d.astimezone(UTC)
            for d in session.scalars(
                select(DirtyDay.day).where(DirtyDay.program_id == program_id).order_by(DirtyDay.day)
            )
        ]


@pytest.fixture
def program(store):
    store.clock.set(START)
    brand = make_brand(store)
    content = add_partner(brand)
    coupon = add_partner(brand, partner_type="coupon")
    add_partner(brand)  # never active
    sales = []
    for d in range(6):
        at = START + d * DAY
        sales.append(_sale(brand, content, at))
        sales.append(_sale(brand, coupon, at + timedelta(hours=3), "40.00"))
        store.clock.set(at + timedelta(hours=4))
        click(brand, content)  # a click without a sale
    return brand, content, coupon, sales


def test_a_build_sums_each_past_day_once_and_reports_read_the_same(program, monkeypatch):
    brand, content, _, _ = program
    store = brand.store
    store.clock.set(START + 8 * DAY)
    built = build_days(store, brand.program_id)
    assert built.covered_from == day_of(START)
    assert built.covered_until == day_of(START + 8 * DAY)  # today is read from the facts
    assert built.days == 8
    with store.read() as session:
        rows = session.scalars(
            select(PartnerDay).where(PartnerDay.program_id == brand.program_id)
        ).all()
    by_partner = {}
    for row in rows:
        by_partner.setdefault(row.partner_id, []).append(row)
    assert sorted(len(v) for v in by_partner.values()) == [6, 6]
    first = min(by_partner[content.id], key=lambda r: r.day)
    assert (first.clicks, first.conversions, first.revenue) == (2, 1, 10000)
    assert first.first_active_at.astimezone(UTC) == START
    assert assert_same_as_facts(brand) >= 5
    # a second build has nothing to do
    assert build_days(store, brand.program_id).days == 0


def test_late_facts_mark_their_day_and_reports_stay_exact_until_it_is_summed_again(
    program, monkeypatch
):
    brand, content, coupon, sales = program
    store = brand.store
    store.clock.set(START + 8 * DAY)
    build_days(store, brand.program_id)
    assert _dirty(store, brand.program_id) == []

    # a click that arrives late for day 2, a reversal of day 3's sale (its commission is
    # adjusted too), and a click of day 4 erased
    store.clock.set(START + 2 * DAY + timedelta(hours=1))
    click(brand, coupon)
    store.clock.set(START + 8 * DAY)
    reverse_conversion(
        store, brand.caller, sales[6], ReversalRequest(amount=Decimal("30"), reason_code="returned")
    )
    with store.unit() as session:
        erased = session.scalars(
            select(Click.id).where(
                Click.program_id == brand.program_id,
                Click.at >= day_of(START + 4 * DAY),
                Click.at < day_of(START + 5 * DAY),
            )
        ).first()
        session.execute(delete(Click).where(Click.id == erased))
    assert _dirty(store, brand.program_id) == [
        day_of(START + 2 * DAY),
        day_of(START + 3 * DAY),
        day_of(START + 4 * DAY),
    ]
    # today's facts are not covered, so they mark nothing
    _sale(brand, content, START + 8 * DAY + timedelta(hours=2))
    assert len(_dirty(store, brand.program_id)) == 3
    assert assert_same_as_facts(brand) >= 5

    built = build_days(store, brand.program_id)
    assert built.days == 3
    assert _dirty(store, brand.program_id) == []
    assert assert_same_as_facts(brand) >= 5


def test_facts_older_than_the_cover_grow_it_back(program, monkeypatch):
    brand, content, _, _ = program
    store = brand.store
    store.clock.set(START + 8 * DAY)
    build_days(store, brand.program_id)
    _sale(brand, content, START - 3 * DAY)  # an import of an older sale
    store.clock.set(START + 8 * DAY)
    assert _dirty(store, brand.program_id) == [day_of(START - 3 * DAY)]
    assert assert_same_as_facts(brand) >= 5
    built = build_days(store, brand.program_id)
    assert built.covered_from == day_of(START - 3 * DAY)
    assert _dirty(store, brand.program_id) == []
    assert assert_same_as_facts(brand) >= 5


def test_lifecycle_wakeups_read_the_sums_with_promotion_edges_from_the_facts(store, monkeypatch):
    store.clock.set(datetime(2026, 3, 1, 12, tzinfo=UTC))
    brand = make_brand(store)
    sleeper = add_partner(brand)
    _sale(brand, sleeper, datetime(2026, 3, 5, 12, tzinfo=UTC))
    _sale(brand, sleeper, datetime(2026, 11, 11, 0, 30, tzinfo=UTC))
    add_promotion(
        store,
        brand.caller,
        brand.program_id,
        name="Autumn days",
        starts_at=datetime(2026, 11, 10, 8, tzinfo=UTC),
        ends_at=datetime(2026, 11, 12, 8, tzinfo=UTC),
    )
    store.clock.set(datetime(2026, 11, 20, 12, tzinfo=UTC))
    build_days(store, brand.program_id)
    report = lifecycle_report(store, brand.caller, brand.program_id)
    assert {w.partner.partner_id for w in report.wakeups} == {sleeper.id}
    assert "Autumn days" in {w.promotion.name for w in report.wakeups}
    assert assert_same_as_facts(brand) >= 5


def test_runs_leave_out_marked_days_and_cut_days():
    d0 = datetime(2026, 1, 1, tzinfo=UTC)
    cover = runs_of(d0, d0 + 10 * DAY, [d0 + 3 * DAY, d0 + 4 * DAY, d0 + 20 * DAY])
    assert cover.runs == ((d0, d0 + 3 * DAY), (d0 + 5 * DAY, d0 + 10 * DAY))
    cut = cover.without([d0 + 6 * DAY + timedelta(hours=5), None, d0])
    assert cut.runs == (
        (d0 + DAY, d0 + 3 * DAY),
        (d0 + 5 * DAY, d0 + 6 * DAY),
        (d0 + 7 * DAY, d0 + 10 * DAY),
    )
    assert not DayCover().without([d0])


@given(
    marked=st.sets(st.integers(0, 30), max_size=12),
    since=st.none() | st.integers(-3, 33),
    until=st.none() | st.integers(-3, 33),
)
def test_a_clipped_cover_holds_the_days_of_the_cover_inside_the_range(marked, since, until):
    d0 = datetime(2026, 1, 1, tzinfo=UTC)
    cover = runs_of(d0, d0 + 30 * DAY, [d0 + n * DAY for n in marked])

    def days(c: DayCover) -> set[int]:
        return {n for n in range(-5, 36) for a, b in c.runs if a <= d0 + n * DAY < b}

    clipped = cover.clipped(
        None if since is None else d0 + since * DAY, None if until is None else d0 + until * DAY
    )
    low, high = -99 if since is None else since, 99 if until is None else until
    assert days(clipped) == {n for n in days(cover) if low <= n < high}
    assert all(a < b for a, b in clipped.runs)


def test_a_broken_cover_is_not_used(store, monkeypatch, program):
    brand = program[0]
    store.clock.set(START + 8 * DAY)
    build_days(store, brand.program_id)
    monkeypatch.setattr(report_days, "MAX_RUNS", 2)
    with store.unit() as session:
        for d in (1, 3, 5):
            session.add(DirtyDay(program_id=brand.program_id, day=day_of(START + d * DAY)))
    with store.read() as session:
        assert not report_days.load_cover(session, brand.program_id)


# Any history, any late change -----------------------------------------------------------
_steps = st.lists(
    st.tuples(
        st.sampled_from(["sale", "click", "reverse", "build", "late_click", "late_sale"]),
        st.integers(0, 2),  # partner
        st.integers(0, 9),  # day
        st.integers(0, 23),  # hour
    ),
    min_size=4,
    max_size=14,
)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=_steps)
def test_any_history_reads_the_same_with_and_without_the_sums(store, monkeypatch, steps):
    store.clock.set(START)
    brand = make_brand(store)
    partners = [add_partner(brand), add_partner(brand, partner_type="coupon"), add_partner(brand)]
    sales: list[str] = []
    today = START
    for kind, who, day, hour in steps:
        partner = partners[who]
        if kind in ("sale", "click"):
            today = max(today, START + day * DAY + timedelta(hours=hour))
            at = today
        elif kind.startswith("late"):
            at = START + min(day, 4) * DAY + timedelta(hours=hour)
        if kind in ("sale", "late_sale"):
            sales.append(_sale(brand, partner, at, f"{10 + 7 * hour}.00"))
        elif kind in ("click", "late_click"):
            store.clock.set(at)
            click(brand, partner)
        elif kind == "reverse" and sales:
            store.clock.set(today)
            target = sales[(day * 7 + hour) % len(sales)]
            # (refused when nothing is left to reverse: the history is then unchanged)
            with contextlib.suppress(InvalidInput, Conflict):
                reverse_conversion(
                    store,
                    brand.caller,
                    target,
                    ReversalRequest(amount=Decimal(hour + 1), reason_code="returned"),
                )
        elif kind == "build":
            store.clock.set(today + timedelta(hours=hour))
            build_days(store, brand.program_id)
        store.clock.set(today)
    store.clock.set(today + DAY)
    assert_same_as_facts(brand)
    build_days(store, brand.program_id)
    assert_same_as_facts(brand)


def test_gaps_are_the_period_less_the_cover():
    d0 = datetime(2026, 1, 1, tzinfo=UTC)
    cover = DayCover(((d0, d0 + 3 * DAY), (d0 + 5 * DAY, d0 + 10 * DAY)))
    assert cover.gaps() == [(None, d0), (d0 + 3 * DAY, d0 + 5 * DAY), (d0 + 10 * DAY, None)]
    assert cover.gaps(d0 + DAY, d0 + 4 * DAY) == [(d0 + 3 * DAY, d0 + 4 * DAY)]
    assert cover.gaps(d0, d0 + 3 * DAY) == []
    assert cover.gaps(d0 - DAY, d0 + 12 * DAY) == [
        (d0 - DAY, d0),
        (d0 + 3 * DAY, d0 + 5 * DAY),
        (d0 + 10 * DAY, d0 + 12 * DAY),
    ]
    assert DayCover().gaps(d0, None) == [(d0, None)]


def test_a_cover_in_many_pieces_reads_the_facts_outside_it_in_one_pass(program, monkeypatch):
    brand, _, coupon, _ = program
    store = brand.store
    store.clock.set(START + 8 * DAY)
    build_days(store, brand.program_id)
    store.clock.set(START + 2 * DAY + timedelta(hours=1))
    click(brand, coupon)  # day 2 marked: the cover is in two pieces
    store.clock.set(START + 8 * DAY)
    monkeypatch.setattr(report_days, "MAX_GAPS", 1)
    assert assert_same_as_facts(brand) >= 5
    # and the days between the runs spelled out as ranges, not a list of days
    monkeypatch.setattr(report_days, "MAX_BETWEEN", 0)
    assert assert_same_as_facts(brand) >= 5


def test_the_hourly_pass_on_the_job_queue_sums_every_programs_days(tmp_path, monkeypatch):
    """On a database of its own: the pass sums every program there is."""
    import accord.jobs.tasks  # noqa: F401 - declares the periodic tasks

    engine = make_engine(f"sqlite:///{tmp_path}/accord.db")
    upgrade(engine)
    store = Store(engine, FixedClock(START))
    brands = [make_brand(store), make_brand(store)]
    for brand in brands:
        _sale(brand, add_partner(brand), START + DAY)
    store.clock.set(START + 8 * DAY)
    monkeypatch.setenv("ACCORD_QUEUE_URL", "memory://report-days-test")
    get_settings.cache_clear()
    queue = job_queue.for_store(store, get_settings(), bind=True)
    queue.start_in_process(1, periodic=False)
    covers: list[DayCover] = []
    try:
        queue.enqueue("sum_report_days")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.1)
            with store.read() as session:
                covers = [report_days.load_cover(session, b.program_id) for b in brands]
            # each day is summed in a transaction of its own: wait for the last one
            if all(c.runs and c.runs[-1][1] == day_of(START + 8 * DAY) for c in covers):
                break
    finally:
        queue.stop_in_process()
        get_settings.cache_clear()
        engine.dispose()
    assert [c.runs for c in covers] == [((day_of(START + DAY), day_of(START + 8 * DAY)),)] * 2


def test_reports_run_at_midnight_inside_the_cover_read_the_same(program):
    """At midnight the lifecycle's 30-day bounds split no day; `now` still cuts its own."""
    brand = program[0]
    store = brand.store
    store.clock.set(START + 8 * DAY)
    build_days(store, brand.program_id)
    for moment in (day_of(START + 5 * DAY), day_of(START + 5 * DAY) + timedelta(hours=11)):
        store.clock.set(moment)
        assert assert_same_as_facts(brand) >= 3
