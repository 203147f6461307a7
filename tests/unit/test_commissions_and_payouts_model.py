"""The commission lifecycle and payout planning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.commissions.model import (
    UNAPPROVED,
    CommissionStatus,
    check_transition,
    lock_due_at,
)
from accord.errors import InvalidTransition
from accord.payouts.model import PayoutLine, plan_batch

S = CommissionStatus
ALLOWED = {
    (S.PENDING, S.LOCKED),
    (S.PENDING, S.REVERSED),
    (S.LOCKED, S.APPROVED),
    (S.LOCKED, S.REVERSED),
    (S.APPROVED, S.PAID),
    (S.APPROVED, S.REVERSED),
    (S.PAID, S.REVERSED),
    (S.OVER_CAP, S.REVERSED),
    # a fraud review: held, then released (pending again) or declined (reversed)
    (S.PENDING, S.HELD),
    (S.HELD, S.PENDING),
    (S.HELD, S.REVERSED),
}
ALL_PAIRS = [(a, b) for a in S for b in S]


# lifecycle ----------------------------------------------------------------------------


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_check_transition_allows_the_lifecycle_steps(current, target):
    check_transition(current.value, target, "com_1")  # no exception


@pytest.mark.parametrize(("current", "target"), [pair for pair in ALL_PAIRS if pair not in ALLOWED])
def test_check_transition_refuses_every_other_step(current, target):
    with pytest.raises(InvalidTransition) as caught:
        check_transition(current.value, target, "com_1")
    assert caught.value.code == "invalid_transition"
    assert caught.value.status == 409
    assert "com_1" in caught.value.message
    assert target.value in caught.value.message


def test_a_reversed_commission_cannot_change_again():
    for target in S:
        with pytest.raises(InvalidTransition):
            check_transition("reversed", target, "com_1")


def test_approval_cannot_skip_the_lock():
    with pytest.raises(InvalidTransition):
        check_transition("pending", S.APPROVED, "com_1")


def test_a_paid_commission_cannot_be_paid_twice():
    with pytest.raises(InvalidTransition):
        check_transition("paid", S.PAID, "com_1")


def test_unapproved_means_pending_locked_or_held():
    """A held commission's money stays in the partner's pending balance, not payable."""
    assert frozenset({S.PENDING, S.LOCKED, S.HELD}) == UNAPPROVED


def test_lock_due_at_is_the_locking_period_after_the_event():
    occurred = datetime(2026, 11, 11, 10, 30, tzinfo=UTC)
    assert lock_due_at(occurred, 30) == datetime(2026, 12, 11, 10, 30, tzinfo=UTC)
    assert lock_due_at(occurred, 0) == occurred
    assert lock_due_at(occurred, 1) - occurred == timedelta(days=1)


# payout planning ----------------------------------------------------------------------


def test_plan_batch_pays_balances_at_or_above_the_threshold():
    balances = {"prt_b": 2500, "prt_a": 10000, "prt_c": 2499}
    assert plan_batch(balances, 2500) == [PayoutLine("prt_a", 10000), PayoutLine("prt_b", 2500)]


def test_plan_batch_carries_negative_balances():
    assert plan_batch({"prt_a": -500, "prt_b": 3000}, 0) == [PayoutLine("prt_b", 3000)]


def test_plan_batch_never_pays_a_zero_balance_even_with_no_threshold():
    assert plan_batch({"prt_a": 0}, 0) == []
    assert plan_batch({"prt_a": 0, "prt_b": -1}, -100) == []


def test_plan_batch_of_no_balances_is_empty():
    assert plan_batch({}, 2500) == []


@settings(max_examples=150, deadline=None)
@given(
    balances=st.dictionaries(
        st.from_regex(r"prt_[a-z0-9]{1,6}", fullmatch=True),
        st.integers(min_value=-(10**9), max_value=10**9),
        max_size=20,
    ),
    threshold=st.integers(min_value=0, max_value=10**6),
)
def test_plan_batch_pays_exactly_the_positive_balances_reaching_the_threshold(balances, threshold):
    lines = plan_batch(balances, threshold)
    paid = {line.partner_id: line.amount_minor for line in lines}
    assert paid == {p: a for p, a in balances.items() if a > 0 and a >= threshold}
    assert [line.partner_id for line in lines] == sorted(paid)
