"""Posting entries and deriving balances. Entries are inserted once and never changed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from accord.audit.recorder import record_posting
from accord.ids import new_id
from accord.ledger.model import AccountKind, AccountRef, EntryDraft, balance, validate
from accord.ledger.tables import Account, Entry, EntryLine
from accord.store.sql import insert_ignore

#: Account ids by (database, account key). Accounts are never changed or deleted, so an id
#: once committed stays true. An id read in a transaction is kept here only once that
#: transaction has committed with no rollback on the way (not even of a savepoint): the row
#: it names may have been inserted by the transaction itself, and a rollback takes it away.
_ACCOUNT_IDS: dict[tuple[str, str], str] = {}
_SEEN = "accord.ledger_accounts_seen"


@event.listens_for(Session, "after_commit")
def _keep_seen_accounts(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released; the transaction around it may still roll back
    seen = session.info.pop(_SEEN, None)
    if seen:
        if len(_ACCOUNT_IDS) > 100_000:
            _ACCOUNT_IDS.clear()
        _ACCOUNT_IDS.update(seen)


@event.listens_for(Session, "after_soft_rollback")
def _forget_seen_accounts(session: Session, previous_transaction) -> None:
    session.info.pop(_SEEN, None)  # some may be gone with what was rolled back


def _account_id(session: Session, organization_id: str, ref: AccountRef) -> str:
    where = (str(session.get_bind().engine.url), ref.key)
    known = _ACCOUNT_IDS.get(where)
    if known is not None:
        return known
    insert_ignore(
        session,
        Account.__table__,
        {
            "id": new_id("acct"),
            "key": ref.key,
            "organization_id": organization_id,
            "program_id": ref.program_id,
            "kind": ref.kind.value,
            "partner_id": ref.partner_id,
            "currency": ref.currency,
        },
        key="key",
    )
    account_id = session.execute(select(Account.id).where(Account.key == ref.key)).scalar_one()
    session.info.setdefault(_SEEN, {})[where] = account_id
    return account_id


def post(session: Session, organization_id: str, entry: EntryDraft | None, at: datetime) -> bool:
    """Store a balanced entry once; a second post of the same business key is a no-op.

    Returns True when the entry was written now.
    """
    if entry is None:
        return False
    validate(entry)
    entry_id = new_id("ent")
    inserted = insert_ignore(
        session,
        Entry.__table__,
        {
            "id": entry_id,
            "organization_id": organization_id,
            "business_key": entry.business_key,
            "memo": entry.memo[:500],
            "at": at,
        },
        key="business_key",
    )
    if not inserted:
        return False
    lines = [
        {
            "id": new_id("lin"),
            "entry_id": entry_id,
            "account_id": _account_id(session, organization_id, line.account),
            "debit_minor": line.debit.minor,
            "credit_minor": line.credit.minor,
            "currency": line.account.currency,
        }
        for line in entry.lines
    ]
    session.execute(EntryLine.__table__.insert(), lines)
    record_posting(session, organization_id, entry, lines)
    return True


@dataclass(frozen=True, slots=True)
class AccountBalance:
    kind: AccountKind
    partner_id: str | None
    currency: str
    debit_minor: int
    credit_minor: int

    @property
    def balance_minor(self) -> int:
        return balance(self.kind, self.debit_minor, self.credit_minor)


def account_balances(
    session: Session,
    program_id: str,
    *,
    kind: AccountKind | None = None,
    partner_id: str | None = None,
) -> list[AccountBalance]:
    """Balances of a program's accounts, summed from their lines (never stored)."""
    query = (
        select(
            Account.kind,
            Account.partner_id,
            Account.currency,
            func.coalesce(func.sum(EntryLine.debit_minor), 0),
            func.coalesce(func.sum(EntryLine.credit_minor), 0),
        )
        .outerjoin(EntryLine, EntryLine.account_id == Account.id)
        .where(Account.program_id == program_id)
        .group_by(Account.kind, Account.partner_id, Account.currency)
    )
    if kind is not None:
        query = query.where(Account.kind == kind.value)
    if partner_id is not None:
        query = query.where(Account.partner_id == partner_id)
    return [
        AccountBalance(AccountKind(k), p, c, int(d), int(cr))
        for k, p, c, d, cr in session.execute(query)
    ]


def trial_balance(session: Session, program_id: str) -> dict[str, tuple[int, int]]:
    """Total debits and credits per currency over all of a program's lines."""
    rows = session.execute(
        select(
            EntryLine.currency,
            func.coalesce(func.sum(EntryLine.debit_minor), 0),
            func.coalesce(func.sum(EntryLine.credit_minor), 0),
        )
        .join(Account, Account.id == EntryLine.account_id)
        .where(Account.program_id == program_id)
        .group_by(EntryLine.currency)
    )
    return {currency: (int(d), int(c)) for currency, d, c in rows}


def totals_by_kind(session: Session, program_id: str) -> dict[tuple[str, str], int]:
    """Balance per (account kind, currency), summed over partners."""
    result: dict[tuple[str, str], int] = defaultdict(int)
    for row in account_balances(session, program_id):
        result[(row.kind.value, row.currency)] += row.balance_minor
    return dict(result)
