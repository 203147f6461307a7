"""The ledger's guarantees as the database itself enforces them, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from accord.ids import new_id
from accord.ledger.model import (
    AccountKind,
    EntryDraft,
    Line,
    UnbalancedEntry,
    accounts_for,
    transfer,
)
from accord.ledger.service import account_balances, post, trial_balance
from accord.ledger.tables import Entry, EntryLine
from accord.money import Money
from tests.factories import add_partner, click, convert, make_brand


def _program_with_an_accrual(store):
    """A brand, a partner and one conversion, so the ledger has a real entry and accounts."""
    brand = make_brand(store)
    partner = add_partner(brand)
    recorded = convert(brand, amount="120.00", click_id=click(brand, partner))
    (commission_id,) = recorded.commission_ids
    with store.read() as session:
        entry = session.scalar(
            select(Entry).where(Entry.business_key == f"commission:{commission_id}:accrue")
        )
        lines = list(session.scalars(select(EntryLine).where(EntryLine.entry_id == entry.id)))
    assert len(lines) == 2
    return brand, partner, entry, lines


def _count(store, table, **where):
    with store.read() as session:
        query = select(func.count()).select_from(table)
        for column, value in where.items():
            query = query.where(getattr(table.c, column) == value)
        return session.scalar(query)


# --- idempotent posting ---------------------------------------------------------------


def test_posting_the_same_business_key_twice_writes_one_entry(store):
    brand, partner, _, _ = _program_with_an_accrual(store)
    org = brand.caller.organization_id
    acct = accounts_for(brand.program_id, partner.id, brand.currency)
    key = f"test:{new_id('k')}"
    draft = transfer(
        key,
        "bonus",
        acct[AccountKind.COMMISSION_EXPENSE],
        acct[AccountKind.PARTNER_PENDING],
        Money.of("7.50", brand.currency),
    )
    with store.unit() as session:
        assert post(session, org, draft, store.clock.now()) is True
    with store.unit() as session:
        assert post(session, org, draft, store.clock.now()) is False
    # the same key in one unit of work, and with a different amount: still the first entry
    bigger = transfer(
        key,
        "bonus",
        acct[AccountKind.COMMISSION_EXPENSE],
        acct[AccountKind.PARTNER_PENDING],
        Money.of("99.00", brand.currency),
    )
    with store.unit() as session:
        assert post(session, org, bigger, store.clock.now()) is False
        assert post(session, org, draft, store.clock.now()) is False

    assert _count(store, Entry.__table__, business_key=key) == 1
    with store.read() as session:
        entry_id = session.scalar(select(Entry.id).where(Entry.business_key == key))
        amounts = sorted(
            session.execute(
                select(EntryLine.debit_minor, EntryLine.credit_minor).where(
                    EntryLine.entry_id == entry_id
                )
            ).all()
        )
        pending = account_balances(
            session, brand.program_id, kind=AccountKind.PARTNER_PENDING, partner_id=partner.id
        )
    assert amounts == [(0, 750), (750, 0)]
    assert [b.balance_minor for b in pending] == [1200 + 750]


def test_post_refuses_an_unbalanced_draft_in_python_before_the_database(store):
    brand, partner, _, _ = _program_with_an_accrual(store)
    acct = accounts_for(brand.program_id, partner.id, brand.currency)
    zero = Money.zero(brand.currency)
    draft = EntryDraft(
        f"test:{new_id('k')}",
        "unbalanced",
        (
            Line(acct[AccountKind.COMMISSION_EXPENSE], Money.of("10.00", brand.currency), zero),
            Line(acct[AccountKind.PARTNER_PENDING], zero, Money.of("9.99", brand.currency)),
        ),
    )
    with pytest.raises(UnbalancedEntry), store.unit() as session:
        post(session, brand.caller.organization_id, draft, store.clock.now())
    assert _count(store, Entry.__table__, business_key=draft.business_key) == 0


# --- immutability -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_lines SET debit_minor = debit_minor + 1 WHERE entry_id = :entry",
        "UPDATE ledger_lines SET credit_minor = 0, debit_minor = 0 WHERE entry_id = :entry",
        "DELETE FROM ledger_lines WHERE entry_id = :entry",
        "UPDATE ledger_entries SET memo = 'rewritten' WHERE id = :entry",
        "UPDATE ledger_entries SET business_key = 'moved' WHERE id = :entry",
        "DELETE FROM ledger_entries WHERE id = :entry",
    ],
    ids=[
        "update-line-amount",
        "update-line-zero",
        "delete-lines",
        "update-entry-memo",
        "update-entry-key",
        "delete-entry",
    ],
)
def test_posted_lines_and_entries_cannot_be_changed_with_raw_sql(store, statement):
    _, _, entry, lines = _program_with_an_accrual(store)
    with pytest.raises(DBAPIError) as caught, store.engine.begin() as conn:
        conn.execute(text(statement), {"entry": entry.id})
    assert "immutable" in str(caught.value.orig)

    with store.read() as session:
        again = session.get(Entry, entry.id)
        after = sorted(
            session.execute(
                select(EntryLine.id, EntryLine.debit_minor, EntryLine.credit_minor).where(
                    EntryLine.entry_id == entry.id
                )
            ).all()
        )
    assert (again.memo, again.business_key) == (entry.memo, entry.business_key)
    assert after == sorted((line.id, line.debit_minor, line.credit_minor) for line in lines)


# --- balance, checked by the database -------------------------------------------------


def _insert_entry(conn, organization_id, lines, at):
    entry_id = new_id("ent")
    conn.execute(
        text(
            "INSERT INTO ledger_entries (id, organization_id, business_key, memo, at) "
            "VALUES (:id, :org, :key, 'raw', :at)"
        ),
        {"id": entry_id, "org": organization_id, "key": f"raw:{entry_id}", "at": at},
    )
    for account_id, debit, credit in lines:
        conn.execute(
            text(
                "INSERT INTO ledger_lines (id, entry_id, account_id, debit_minor, credit_minor, "
                "currency) VALUES (:id, :entry, :account, :debit, :credit, 'USD')"
            ),
            {
                "id": new_id("lin"),
                "entry": entry_id,
                "account": account_id,
                "debit": debit,
                "credit": credit,
            },
        )
    return entry_id


def _raw_at(store):
    now = store.clock.now()
    return now.replace(tzinfo=None) if store.dialect == "sqlite" else now


def test_a_balanced_entry_inserted_with_raw_sql_is_accepted(store):
    brand, _, _, lines = _program_with_an_accrual(store)
    expense, pending = (line.account_id for line in sorted(lines, key=lambda x: -x.debit_minor))
    with store.engine.begin() as conn:
        entry_id = _insert_entry(
            conn,
            brand.caller.organization_id,
            [(expense, 300, 0), (pending, 0, 100), (pending, 0, 200)],
            _raw_at(store),
        )
    assert _count(store, EntryLine.__table__, entry_id=entry_id) == 3
    with store.read() as session:
        assert all(d == c for d, c in trial_balance(session, brand.program_id).values())


@pytest.mark.parametrize(
    "amounts",
    [
        [(1000, 0), (0, 999)],  # off by a cent
        [(1000, 0)],  # a single line
        [(1000, 0), (0, 500), (0, 400)],  # three lines that do not add up
    ],
    ids=["off-by-one", "single-line", "three-lines"],
)
def test_postgres_refuses_an_unbalanced_entry_at_commit(store, amounts):
    if store.dialect == "sqlite":
        pytest.skip(
            "SQLite has no deferred constraint triggers: it checks balance in Python "
            "(accord.ledger.model.validate) before insert"
        )
    brand, _, _, lines = _program_with_an_accrual(store)
    expense, pending = (line.account_id for line in sorted(lines, key=lambda x: -x.debit_minor))
    accounts = [expense, pending, pending]
    with store.read() as session:
        trial_before = trial_balance(session, brand.program_id)

    conn = store.engine.connect()
    try:
        transaction = conn.begin()
        entry_id = _insert_entry(
            conn,
            brand.caller.organization_id,
            [(accounts[i], d, c) for i, (d, c) in enumerate(amounts)],
            _raw_at(store),
        )
        # deferred: the statements themselves succeed, the commit is refused
        assert conn.execute(
            text("SELECT count(*) FROM ledger_lines WHERE entry_id = :e"), {"e": entry_id}
        ).scalar_one() == len(amounts)
        with pytest.raises(DBAPIError) as caught:
            transaction.commit()
        assert "unbalanced" in str(caught.value.orig)
    finally:
        conn.close()

    assert _count(store, Entry.__table__, id=entry_id) == 0
    assert _count(store, EntryLine.__table__, entry_id=entry_id) == 0
    with store.read() as session:
        assert trial_balance(session, brand.program_id) == trial_before


# --- CHECK constraints on lines ------------------------------------------------------


@pytest.mark.parametrize(
    "debit,credit",
    [(100, 100), (-100, 0), (0, -100), (-100, 100), (100, -100), (0, 0)],
    ids=["both-sides", "negative-debit", "negative-credit", "neg-debit-pos-credit",
         "pos-debit-neg-credit", "neither-side"],
)  # fmt: skip
def test_check_constraints_refuse_bad_lines(store, debit, credit):
    _, _, entry, lines = _program_with_an_accrual(store)
    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO ledger_lines (id, entry_id, account_id, debit_minor, credit_minor, "
                "currency) VALUES (:id, :entry, :account, :debit, :credit, 'USD')"
            ),
            {
                "id": new_id("lin"),
                "entry": entry.id,
                "account": lines[0].account_id,
                "debit": debit,
                "credit": credit,
            },
        )
    assert _count(store, EntryLine.__table__, entry_id=entry.id) == 2


@pytest.mark.parametrize("undone", ["transaction", "savepoint"])
def test_an_account_made_in_a_transaction_that_rolled_back_is_made_again(store, undone):
    """Account ids are remembered per process, but only from transactions that committed
    whole: an account inserted (and read again) in work that was rolled back is gone, and the
    next entry on it must create it again rather than point at a missing row."""
    brand = make_brand(store)
    partner = add_partner(brand)
    acct = accounts_for(brand.program_id, partner.id, "USD")
    org = brand.caller.organization_id

    def entry(key: str):
        return transfer(
            f"{brand.program_id}:{key}",
            "test",
            acct[AccountKind.COMMISSION_EXPENSE],
            acct[AccountKind.PARTNER_PENDING],
            Money.of("1.00", "USD"),
        )

    class Undo(Exception):
        pass

    at = store.clock.now()
    with pytest.raises(Undo), store.unit() as session:
        if undone == "savepoint":
            with session.begin_nested():
                post(session, org, entry("first"), at)
                post(session, org, entry("second"), at)  # finds the accounts it just made
        else:
            post(session, org, entry("first"), at)
            post(session, org, entry("second"), at)
            session.flush()
        raise Undo
    with store.unit() as session:
        assert post(session, org, entry("third"), at)
    with store.read() as session:
        balances = {
            b.kind: b.balance_minor
            for b in account_balances(session, brand.program_id, partner_id=partner.id)
        }
    assert balances[AccountKind.PARTNER_PENDING] == 100
