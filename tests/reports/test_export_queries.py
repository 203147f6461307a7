"""Each payout export runs the same, fixed number of queries for 3 payouts or commissions
as for 30: no query per row."""

from __future__ import annotations

from datetime import date

import pytest

from accord.clock import FixedClock
from accord.payouts import exports
from accord.payouts.providers.base import PayoutStatus, ProviderResult
from accord.store.engine import Store
from tests.conftest import START
from tests.querycount import count_queries
from tests.reports.builders import PaidProgram, partner_paid_twice, partners_paid_once

SIZES = (3, 30)


@pytest.fixture(scope="module")
def batches(engine) -> dict[int, PaidProgram]:
    """A euro program per size, its partners paid by SEPA in one batch."""
    return {n: partners_paid_once(Store(engine, FixedClock(START)), n) for n in SIZES}


@pytest.fixture(scope="module")
def statements(engine) -> dict[int, tuple]:
    """A partner paid twice per size: `n` commissions and `n` clawbacks on its statement."""
    return {n: partner_paid_twice(Store(engine, FixedClock(START)), n) for n in SIZES}


def _count(engine, export, *args, **kwargs) -> int:
    with count_queries(engine) as log:
        export(*args, **kwargs)
    return log.count


def _per_size(engine, batches, export) -> dict[int, int]:
    return {n: _count(engine, lambda paid=batches[n]: export(paid)) for n in SIZES}


def test_the_batch_csv_reads_the_batch_and_its_payees_in_two_queries(engine, batches):
    counts = _per_size(
        engine,
        batches,
        lambda paid: exports.batch_csv(paid.brand.store, paid.brand.caller, paid.batch_id),
    )
    assert counts == {3: 2, 30: 2}


def test_the_sepa_file_reads_the_batch_and_its_payees_in_two_queries(engine, batches):
    def sepa(paid: PaidProgram) -> bytes:
        return exports.batch_sepa(
            paid.brand.store,
            paid.brand.caller,
            paid.batch_id,
            debtor_name="Brand GmbH",
            debtor_iban="DE89 3704 0044 0532 0130 00",
            debtor_bic=None,
            execution_date=None,
        )

    assert _per_size(engine, batches, sepa) == {3: 2, 30: 2}


def test_the_invoice_sums_its_commissions_and_clawbacks_in_the_database(engine, batches):
    def invoice(paid: PaidProgram) -> bytes:
        return exports.invoice_pdf(
            paid.brand.store,
            paid.brand.caller,
            paid.brand.program_id,
            since=date(2026, 11, 1),
            until=date(2027, 1, 1),
        )

    assert _per_size(engine, batches, invoice) == {3: 3, 30: 3}


def test_a_statement_reads_its_commissions_adjustments_and_clawbacks_in_four_queries(
    engine, statements
):
    counts = {}
    for n in SIZES:
        brand, payout_id = statements[n]
        counts[n] = _count(engine, exports.statement_pdf, brand.store, brand.caller, payout_id)
    assert counts == {3: 4, 30: 4}


class _Rail:
    """A payout provider that accepts everything and later reports each payout paid."""

    name = "sepa"

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, batch_id, instructions) -> list[ProviderResult]:
        self.sent += [i.payout_id for i in instructions]
        return [
            ProviderResult(i.payout_id, f"ref-{batch_id}", PayoutStatus.SENT, "PENDING")
            for i in instructions
        ]

    def batch_results(self, reference) -> list[ProviderResult]:
        return [ProviderResult(p, "item", PayoutStatus.PAID, "SUCCESS") for p in self.sent]


def test_sending_and_refreshing_a_batch_take_the_same_queries_for_3_or_30_payouts(engine, batches):
    sends, refreshes = {}, {}
    for n in SIZES:
        paid, rail = batches[n], _Rail()
        store, caller = paid.brand.store, paid.brand.caller
        sends[n] = _count(engine, exports.send_batch, store, caller, paid.batch_id, rail)
        assert sorted(rail.sent) == sorted(paid.payout_ids)
        refreshes[n] = _count(engine, exports.refresh_batch, store, caller, paid.batch_id, rail)
        assert len(exports.send_batch(store, caller, paid.batch_id, rail)) == 0  # sent once
    # read the batch and the unsent payouts; load them to update; one UPDATE and one
    # audit INSERT for all of them
    assert sends == {3: 5, 30: 5}
    assert refreshes == {3: 5, 30: 5}
