"""Every report runs a fixed number of queries, the same for 3 partners as for 30: the
program check, then one statement (the summary: one per figure it gathers). Reports that
read the daily sums where they stand for the facts (performance) look up which days those
are first: one query more."""

from __future__ import annotations

import pytest

from accord.clock import FixedClock
from accord.reports.activity import WaitingWork, attention, daily_series
from accord.reports.performance import Performance, PerformanceFilters
from accord.reports.runner import Page, run_report
from accord.reports.service import partner_rows, partner_table, program_summary
from accord.reports.totals import CommissionsByStatus, CommissionsOverOrder, ProgramTotals
from accord.store.engine import Store
from tests.conftest import START
from tests.factories import Brand
from tests.querycount import count_queries
from tests.reports.builders import active_program

SIZES = (3, 30)


@pytest.fixture(scope="module")
def programs(engine) -> dict[int, Brand]:
    return {n: active_program(Store(engine, FixedClock(START)), n) for n in SIZES}


def _queries(engine, programs, run) -> dict[int, int]:
    counts = {}
    for n, brand in programs.items():
        with count_queries(engine) as log:
            run(brand)
        counts[n] = log.count
    return counts


RUNNERS = {
    "performance by partner": lambda pid: Performance(pid, group_by="partner"),
    "performance by partner type": lambda pid: Performance(pid, group_by="partner_type"),
    "performance by day": lambda pid: Performance(pid, group_by="day"),
    "performance by week": lambda pid: Performance(pid, group_by="week"),
    "performance by month": lambda pid: Performance(pid, group_by="month"),
    "performance by partner and day": lambda pid: Performance(pid, group_by=("partner", "day")),
    "performance totals": lambda pid: Performance(pid, group_by=()),
    "performance filtered and paged": lambda pid: Performance(
        pid,
        filters=PerformanceFilters(partner_type="content", status="approved", search="partner"),
        sort="name",
        page=Page(2, 1),
    ),
    "program totals": ProgramTotals,
    "commissions by status": CommissionsByStatus,
    "commissions over order": CommissionsOverOrder,
    "waiting work": WaitingWork,
}


@pytest.mark.parametrize("report", RUNNERS.values(), ids=RUNNERS.keys())
def test_a_report_runner_checks_the_program_then_runs_one_query(engine, programs, report):
    counts = _queries(
        engine,
        programs,
        lambda brand: run_report(brand.store, brand.caller, report(brand.program_id)),
    )
    queries = 3 if report("prg").reads_days else 2
    assert counts == {3: queries, 30: queries}


def test_a_page_past_the_end_costs_one_more_query_to_count_the_rows(engine, programs):
    def past_the_end(brand: Brand) -> None:
        result = run_report(
            brand.store, brand.caller, Performance(brand.program_id, page=Page(10, 500))
        )
        assert result.rows == [] and result.total == len(brand.partners)

    assert _queries(engine, programs, past_the_end) == {3: 4, 30: 4}


def test_the_program_summary_gathers_its_figures_in_nine_queries(engine, programs):
    counts = _queries(
        engine, programs, lambda brand: program_summary(brand.store, brand.caller, brand.program_id)
    )
    # program, the daily sums' cover, totals, commissions by status, ledger balances, trial
    # balance, commissions over their order, partner types, top partners
    assert counts == {3: 9, 30: 9}


def test_the_dashboard_series_and_waiting_work_take_three_and_two_queries(engine, programs):
    def dashboard(brand: Brand) -> None:
        daily_series(brand.store, brand.caller, brand.program_id, days=60)

    # the program, the daily sums' cover, the series
    assert _queries(engine, programs, dashboard) == {3: 3, 30: 3}
    assert _queries(engine, programs, lambda b: attention(b.store, b.caller, b.program_id)) == {
        3: 2,
        30: 2,
    }


def test_partner_rows_take_one_query_in_the_callers_session(engine, programs):
    def rows(brand: Brand) -> None:
        with brand.store.read() as session:
            assert len(partner_rows(session, brand.program_id)) == len(brand.partners)

    assert _queries(engine, programs, rows) == {3: 1, 30: 1}


def test_a_page_of_the_partner_list_takes_three_queries(engine, programs):
    def first_page(brand: Brand) -> None:
        result = partner_table(
            brand.store, brand.caller, brand.program_id, status="approved", page_size=2
        )
        assert len(result.rows) == 2 and result.total == len(brand.partners) - 1

    # the program, the daily sums' cover, the page
    assert _queries(engine, programs, first_page) == {3: 3, 30: 3}
