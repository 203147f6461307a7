"""Concurrency: the same request at once from many threads counts once; payouts never double.

SQLite serializes writers (every unit of work begins IMMEDIATE); PostgreSQL runs the threads'
transactions truly side by side, so unique keys and row locks have to do the work there.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError

from accord.commissions.service import approve, lock_due
from accord.commissions.tables import Commission
from accord.conversions.model import ConversionReport, ReversalRequest
from accord.conversions.reversals import reverse_conversion
from accord.conversions.service import record_conversion
from accord.conversions.tables import Attribution, Conversion, ConversionReversal
from accord.errors import AccordError
from accord.ids import new_id
from accord.ledger.model import AccountKind, AccountRef
from accord.ledger.service import account_balances, trial_balance
from accord.ledger.tables import Entry, EntryLine
from accord.payouts.service import run_batch
from accord.payouts.tables import Payout
from accord.tracking.service import create_promo_code
from tests.factories import add_partner, click, convert, make_brand

THREADS = 8


def run_together(count, work, timeout=120):
    """Run work(i) in `count` threads released at the same instant; (results, errors)."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count
    errors: list[BaseException | None] = [None] * count

    def worker(i):
        barrier.wait()
        try:
            results[i] = work(i)
        except BaseException as exc:  # reported by the test
            errors[i] = exc

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        assert not thread.is_alive(), "a thread did not finish: deadlock?"
    return results, errors


def _ledger_is_balanced(store, program_id):
    with store.read() as session:
        return all(d == c for d, c in trial_balance(session, program_id).values())


def _payable(store, program_id):
    with store.read() as session:
        return {
            b.partner_id: b.balance_minor
            for b in account_balances(session, program_id, kind=AccountKind.PARTNER_PAYABLE)
        }


# --- the same conversion, eight times at once ---------------------------------------------


@pytest.mark.parametrize("touch", ["click", "promo_code", "none"])
def test_the_same_conversion_from_eight_threads_counts_once(store, touch):
    brand = make_brand(store)
    partner = add_partner(brand, partner_type="coupon")
    create_promo_code(store, brand.caller, brand.program_id, "RACE", partner_id=partner.id)

    for round_ in range(3):
        fields = {}
        if touch == "click":
            fields["click_id"] = click(brand, partner)
        elif touch == "promo_code":
            fields["promo_code"] = "race"
        report = ConversionReport(
            program_id=brand.program_id,
            order_id=f"race-{touch}-{round_}",
            amount=Decimal("149.90"),
            currency="USD",
            customer_id=f"cust-{round_}",
            **fields,
        )
        results, errors = run_together(
            THREADS, lambda _i, r=report: record_conversion(store, brand.caller, r.model_copy())
        )
        assert errors == [None] * THREADS, errors
        assert sum(1 for r in results if r.created) == 1
        assert len({r.conversion.id for r in results}) == 1
        assert len({tuple(r.commission_ids) for r in results}) == 1
        conversion_id = results[0].conversion.id

        with store.read() as session:
            conversions = session.scalar(
                select(func.count()).where(
                    Conversion.program_id == brand.program_id,
                    Conversion.order_id == report.order_id,
                )
            )
            commissions = list(
                session.scalars(select(Commission).where(Commission.conversion_id == conversion_id))
            )
            attributions = session.scalar(
                select(func.count()).where(Attribution.conversion_id == conversion_id)
            )
            accruals = [
                session.scalar(
                    select(func.count()).where(Entry.business_key == f"commission:{c.id}:accrue")
                )
                for c in commissions
            ]
            lines = session.scalar(
                select(func.count())
                .select_from(EntryLine)
                .join(Entry, Entry.id == EntryLine.entry_id)
                .where(Entry.business_key.like("commission:%:accrue"))
                .where(Entry.organization_id == brand.caller.organization_id)
            )
        assert conversions == 1
        attributed = touch != "none"
        assert len(commissions) == (1 if attributed else 0)
        assert attributions == (1 if attributed else 0)
        assert accruals == ([1] if attributed else [])
        assert lines == 2 * (round_ + 1 if attributed else 0)
        if attributed:
            assert commissions[0].amount_minor == 1499  # 10% of 149.90, new customer

    assert _ledger_is_balanced(store, brand.program_id)


# --- payout batches at the same time ------------------------------------------------------


def _approved_commissions(store, clock, brand, amounts):
    """Give every partner of the brand approved commissions, one per amount."""
    for partner in brand.partners:
        for amount in amounts:
            convert(brand, amount=amount, click_id=click(brand, partner))
    clock.advance(timedelta(days=31))
    lock_due(store, brand.caller, brand.program_id)
    approve(store, brand.caller, brand.program_id)


@pytest.mark.parametrize("batches", [2, THREADS])
def test_concurrent_payout_batches_never_pay_a_partner_twice(store, clock, batches):
    brand = make_brand(store, threshold="25.00")
    for _ in range(5):
        add_partner(brand)
    paid_total: Counter[str] = Counter()
    payout_of: dict[str, str] = {}

    for round_ in range(3):
        _approved_commissions(store, clock, brand, ["150.00", "220.00", f"{round_ + 1}00.00"])
        due = {p: v for p, v in _payable(store, brand.program_id).items() if v > 0}
        assert len(due) == 5

        results, errors = run_together(
            batches, lambda _i: run_batch(store, brand.caller, brand.program_id)
        )
        assert errors == [None] * batches, errors
        non_empty = [r for r in results if r.batch is not None]
        assert len(non_empty) == 1, [len(r.payouts) for r in results]
        paid = Counter()
        for result in results:
            for payout in result.payouts:
                paid[payout.partner_id] += 1
                paid_total[payout.partner_id] += payout.amount_minor
        assert paid == Counter(dict.fromkeys(due, 1))
        assert {p.partner_id: p.amount_minor for p in non_empty[0].payouts} == due
        assert all(v == 0 for v in _payable(store, brand.program_id).values())

        with store.read() as session:
            commissions = list(
                session.scalars(select(Commission).where(Commission.program_id == brand.program_id))
            )
            payouts = {
                p.id: p
                for p in session.scalars(
                    select(Payout).where(Payout.program_id == brand.program_id)
                )
            }
        for c in commissions:
            assert c.status == "paid"
            assert payouts[c.payout_id].partner_id == c.partner_id
            assert payout_of.setdefault(c.id, c.payout_id) == c.payout_id  # stable once set
        for payout in payouts.values():
            linked = [c for c in commissions if c.payout_id == payout.id]
            assert payout.commission_count == len(linked)
            assert payout.amount_minor == sum(c.amount_minor for c in linked)

    with store.read() as session:
        paid_out = [
            b.balance_minor
            for b in account_balances(session, brand.program_id, kind=AccountKind.PAID_OUT)
        ]
        earned = session.scalar(
            select(func.sum(Commission.amount_minor)).where(
                Commission.program_id == brand.program_id
            )
        )
    assert paid_out == [sum(paid_total.values())] == [earned]
    assert _ledger_is_balanced(store, brand.program_id)


def test_a_commission_approved_while_a_batch_runs_is_not_marked_paid_by_it(store, clock):
    """Interleave deterministically on PostgreSQL: the batch reads the payable balances, then
    waits on a unique key (another transaction is creating the program's paid_out account)
    while a commission is approved and committed. The batch must not mark that commission paid:
    its money was not in the payout.

    The blocking transaction skips its foreign-key checks (session_replication_role), so that it
    holds no lock on the program row and the batch's SELECT ... FOR UPDATE goes through."""
    if store.dialect == "sqlite":
        pytest.skip("SQLite serializes writers (BEGIN IMMEDIATE): this interleaving cannot occur")
    brand = make_brand(store)
    partner = add_partner(brand)
    first = convert(brand, amount="100.00", click_id=click(brand, partner))  # earns 10.00
    clock.advance(timedelta(days=31))
    lock_due(store, brand.caller, brand.program_id)
    approve(store, brand.caller, brand.program_id)
    second = convert(brand, amount="300.00", customer_id="c-2", click_id=click(brand, partner))
    clock.advance(timedelta(days=31))
    assert lock_due(store, brand.caller, brand.program_id) == 1  # earns 30.00, locked

    paid_out = AccountRef(AccountKind.PAID_OUT, brand.program_id, brand.currency)
    blocker = store.engine.connect()
    blocker_tx = blocker.begin()
    try:
        blocker.execute(text("SET LOCAL session_replication_role = replica"))
    except DBAPIError as exc:  # needs a superuser
        blocker_tx.rollback()
        blocker.close()
        pytest.skip(f"cannot set session_replication_role: {exc.orig}")
    blocker.execute(
        text(
            "INSERT INTO ledger_accounts (id, key, organization_id, program_id, kind, "
            "partner_id, currency) VALUES (:id, :key, :org, :prg, 'paid_out', NULL, 'USD')"
        ),
        {
            "id": new_id("acct"),
            "key": paid_out.key,
            "org": brand.caller.organization_id,
            "prg": brand.program_id,
        },
    )
    outcome: dict[str, object] = {}

    def batch():
        try:
            outcome["result"] = run_batch(store, brand.caller, brand.program_id)
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=batch, daemon=True)
    try:
        thread.start()
        deadline = time.monotonic() + 20
        while True:  # wait until the batch is blocked on the account row
            with store.engine.connect() as probe:  # a fresh snapshot of pg_stat_activity
                waiting = probe.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock' "
                        "AND query LIKE 'INSERT INTO ledger_accounts%'"
                    )
                ).scalar_one()
            if waiting:
                break
            assert time.monotonic() < deadline, "the batch never reached the paid_out account"
            time.sleep(0.02)
        # The approval waits for the batch (both take the program row lock), so it runs in
        # a thread of its own; the batch finishes once the blocker commits.
        approval: dict[str, object] = {}
        approver = threading.Thread(
            target=lambda: approval.setdefault(
                "ids", approve(store, brand.caller, brand.program_id)
            ),
            daemon=True,
        )
        approver.start()
        time.sleep(0.3)
        assert approver.is_alive(), "the approval did not wait for the running batch"
        blocker_tx.commit()
        approver.join(60)
        assert approval["ids"] == second.commission_ids
    finally:
        if blocker_tx.is_active:
            blocker_tx.rollback()
        blocker.close()
        thread.join(60)
    assert "error" not in outcome, outcome
    result = outcome["result"]
    assert [p.amount_minor for p in result.payouts] == [1000]  # balances read before approval
    (payout,) = result.payouts

    with store.read() as session:
        commissions = {
            c.id: c
            for c in session.scalars(
                select(Commission).where(Commission.program_id == brand.program_id)
            )
        }
    late = commissions[second.commission_ids[0]]
    early = commissions[first.commission_ids[0]]
    assert early.payout_id == payout.id
    # the late commission's 30.00 is still payable, so it is not paid yet
    assert _payable(store, brand.program_id) == {partner.id: 3000}
    assert (late.status, late.payout_id) == ("approved", None)
    assert payout.commission_count == 1

    follow_up = run_batch(store, brand.caller, brand.program_id)
    assert [p.amount_minor for p in follow_up.payouts] == [3000]
    assert follow_up.payouts[0].commission_count == 1


# --- more of the same at once --------------------------------------------------------------


def test_concurrent_partial_reversals_never_reverse_more_than_the_order(store):
    brand = make_brand(store)
    partner = add_partner(brand)
    recorded = convert(brand, amount="100.00", click_id=click(brand, partner))
    request = ReversalRequest(amount=Decimal("30.00"), reason_code="returned")

    results, errors = run_together(
        THREADS,
        lambda _i: reverse_conversion(
            store, brand.caller, recorded.conversion.id, request.model_copy()
        ),
    )
    done = [r for r in results if r is not None]
    assert len(done) == 3  # 3 x 30.00 fits in 100.00; the fourth would not
    assert all(isinstance(e, AccordError) for e in errors if e is not None), errors
    with store.read() as session:
        conversion = session.get(Conversion, recorded.conversion.id)
        commission = session.get(Commission, recorded.commission_ids[0])
        reversals = session.scalar(
            select(func.count()).where(ConversionReversal.conversion_id == conversion.id)
        )
    assert (conversion.reversed_minor, reversals) == (9000, 3)
    assert commission.amount_minor == 100  # 10% of the 10.00 left
    assert _ledger_is_balanced(store, brand.program_id)


def test_the_same_reversal_from_eight_threads_counts_once(store):
    brand = make_brand(store)
    partner = add_partner(brand)
    recorded = convert(brand, amount="100.00", click_id=click(brand, partner))
    request = ReversalRequest(
        amount=Decimal("40.00"), reason_code="returned", idempotency_key=new_id("rk")
    )

    results, errors = run_together(
        THREADS,
        lambda _i: reverse_conversion(
            store, brand.caller, recorded.conversion.id, request.model_copy()
        ),
    )
    assert errors == [None] * THREADS, errors
    assert sum(1 for r in results if r.created) == 1
    assert len({r.reversal.id for r in results}) == 1
    with store.read() as session:
        conversion = session.get(Conversion, recorded.conversion.id)
        commission = session.get(Commission, recorded.commission_ids[0])
    assert conversion.reversed_minor == 4000
    assert commission.amount_minor == 600


def test_concurrent_approvals_approve_each_commission_once(store, clock):
    brand = make_brand(store)
    for _ in range(3):
        add_partner(brand)
    for partner in brand.partners:
        for amount in ("100.00", "250.00"):
            convert(brand, amount=amount, click_id=click(brand, partner))
    clock.advance(timedelta(days=31))
    assert lock_due(store, brand.caller, brand.program_id) == 6

    results, errors = run_together(4, lambda _i: approve(store, brand.caller, brand.program_id))
    # a loser may be told to retry (a conflict), but never fails with an internal error
    for error in errors:
        assert error is None or isinstance(error, AccordError | StaleDataError), repr(error)
    approved = [cid for r in results if r for cid in r]
    assert len(approved) == len(set(approved)) == 6
    with store.read() as session:
        entries = session.scalar(
            select(func.count()).where(
                Entry.organization_id == brand.caller.organization_id,
                Entry.business_key.like("commission:%:approve"),
            )
        )
    assert entries == 6
    assert sum(_payable(store, brand.program_id).values()) == 3 * (1000 + 2500)
    assert _ledger_is_balanced(store, brand.program_id)
