"""Double-entry rules: one side per line, balanced entries, signed transfers, balances."""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.ledger.model import (
    AccountKind,
    AccountRef,
    EntryDraft,
    Line,
    UnbalancedEntry,
    accounts_for,
    balance,
    transfer,
    validate,
)
from accord.money import Money

PROPERTY = settings(max_examples=150, deadline=None)
ACCOUNTS = accounts_for("prg_1", "prt_1", "USD")
EXPENSE = ACCOUNTS[AccountKind.COMMISSION_EXPENSE]
PENDING = ACCOUNTS[AccountKind.PARTNER_PENDING]
PAYABLE = ACCOUNTS[AccountKind.PARTNER_PAYABLE]
PAID = ACCOUNTS[AccountKind.PAID_OUT]


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


ZERO = usd("0")


def entry(*lines: Line) -> EntryDraft:
    return EntryDraft("bk_1", "memo", lines)


# validate -----------------------------------------------------------------------------


def test_validate_accepts_a_balanced_entry():
    validate(entry(Line(EXPENSE, usd("10"), ZERO), Line(PENDING, ZERO, usd("10"))))


def test_validate_accepts_several_lines_that_balance_together():
    validate(
        entry(
            Line(EXPENSE, usd("10"), ZERO),
            Line(PENDING, ZERO, usd("4")),
            Line(PAYABLE, ZERO, usd("6")),
        )
    )


def test_validate_refuses_a_line_with_both_sides():
    with pytest.raises(UnbalancedEntry, match="exactly one side"):
        validate(
            entry(
                Line(EXPENSE, usd("10"), usd("5")),
                Line(PENDING, ZERO, usd("5")),
            )
        )


def test_validate_refuses_a_line_with_neither_side():
    with pytest.raises(UnbalancedEntry, match="exactly one side"):
        validate(
            entry(
                Line(EXPENSE, usd("10"), ZERO),
                Line(PENDING, ZERO, usd("10")),
                Line(PAYABLE, ZERO, ZERO),
            )
        )


def test_validate_refuses_a_negative_side():
    with pytest.raises(UnbalancedEntry):
        validate(entry(Line(EXPENSE, usd("-10"), ZERO), Line(PENDING, usd("-10"), ZERO)))


def test_validate_refuses_unbalanced_totals():
    with pytest.raises(UnbalancedEntry, match="debits 1000 != credits 999"):
        validate(entry(Line(EXPENSE, usd("10"), ZERO), Line(PENDING, ZERO, usd("9.99"))))


def test_validate_refuses_a_line_whose_currency_differs_from_its_account():
    eur = Money.of("10", "EUR")
    with pytest.raises(UnbalancedEntry, match="currency"):
        validate(entry(Line(EXPENSE, eur, Money.zero("EUR")), Line(PENDING, ZERO, usd("10"))))


def test_validate_refuses_a_line_whose_two_sides_differ_in_currency():
    with pytest.raises(UnbalancedEntry, match="currency"):
        validate(entry(Line(EXPENSE, usd("10"), Money.zero("EUR")), Line(PENDING, ZERO, usd("10"))))


def test_validate_refuses_debits_and_credits_in_different_currencies():
    eur_pending = AccountRef(AccountKind.PARTNER_PENDING, "prg_1", "EUR", "prt_1")
    eur = Money.of("10", "EUR")
    with pytest.raises(UnbalancedEntry):
        validate(entry(Line(EXPENSE, usd("10"), ZERO), Line(eur_pending, Money.zero("EUR"), eur)))


def test_validate_refuses_a_single_line_entry():
    with pytest.raises(UnbalancedEntry, match="two lines"):
        validate(entry(Line(EXPENSE, usd("10"), ZERO)))


# transfer -----------------------------------------------------------------------------


def test_transfer_debits_one_account_and_credits_the_other():
    draft = transfer("bk", "earned", EXPENSE, PENDING, usd("12.34"))
    assert draft is not None
    assert draft.business_key == "bk"
    assert draft.memo == "earned"
    assert draft.lines == (Line(EXPENSE, usd("12.34"), ZERO), Line(PENDING, ZERO, usd("12.34")))


def test_transfer_of_a_negative_amount_swaps_the_sides():
    draft = transfer("bk", "clawback", EXPENSE, PENDING, usd("-5.00"))
    assert draft is not None
    assert draft.lines == (Line(PENDING, usd("5.00"), ZERO), Line(EXPENSE, ZERO, usd("5.00")))


def test_transfer_of_zero_returns_none():
    assert transfer("bk", "nothing", EXPENSE, PENDING, ZERO) is None


def test_balance_is_measured_on_the_normal_side():
    assert balance(AccountKind.COMMISSION_EXPENSE, 1000, 300) == 700
    for kind in (AccountKind.PARTNER_PENDING, AccountKind.PARTNER_PAYABLE, AccountKind.PAID_OUT):
        assert balance(kind, 300, 1000) == 700


#: The accounts a commission's money moves through; fees and funding are program accounts.
COMMISSION_FLOW = (
    AccountKind.COMMISSION_EXPENSE,
    AccountKind.PARTNER_PENDING,
    AccountKind.PARTNER_PAYABLE,
    AccountKind.PAID_OUT,
)


def test_accounts_for_gives_four_accounts_in_the_programs_currency():
    assert set(ACCOUNTS) == set(COMMISSION_FLOW)
    assert all(a.currency == "USD" and a.program_id == "prg_1" for a in ACCOUNTS.values())
    assert PENDING.partner_id == PAYABLE.partner_id == "prt_1"
    assert EXPENSE.partner_id is None and PAID.partner_id is None
    assert len({a.key for a in ACCOUNTS.values()}) == 4


# property: any transfers keep the books balanced and reconciled --------------------------

KINDS = list(COMMISSION_FLOW)
TRANSFERS = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.sampled_from(KINDS),
        st.integers(min_value=-(10**8), max_value=10**8),
    ),
    max_size=30,
)


@PROPERTY
@given(moves=TRANSFERS)
def test_any_transfers_keep_debits_equal_credits_and_expense_equal_the_partner_side(moves):
    debits: dict[AccountKind, int] = defaultdict(int)
    credits: dict[AccountKind, int] = defaultdict(int)
    by_key = {ref.key: kind for kind, ref in ACCOUNTS.items()}
    for n, (from_kind, to_kind, minor) in enumerate(moves):
        draft = transfer(
            f"bk_{n}",
            "move",
            ACCOUNTS[from_kind],
            ACCOUNTS[to_kind],
            Money.from_minor(minor, "USD"),
        )
        if minor == 0:
            assert draft is None
            continue
        assert draft is not None
        validate(draft)
        for line in draft.lines:
            assert line.debit.minor >= 0 and line.credit.minor >= 0
            kind = by_key[line.account.key]
            debits[kind] += line.debit.minor
            credits[kind] += line.credit.minor

    assert sum(debits.values()) == sum(credits.values())
    balances = {kind: balance(kind, debits[kind], credits[kind]) for kind in KINDS}
    assert balances[AccountKind.COMMISSION_EXPENSE] == (
        balances[AccountKind.PARTNER_PENDING]
        + balances[AccountKind.PARTNER_PAYABLE]
        + balances[AccountKind.PAID_OUT]
    )
