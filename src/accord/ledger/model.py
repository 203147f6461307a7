"""Double-entry postings: pure rules that build balanced entries. No I/O.

Sign convention, fixed from day one: every line has a non-negative debit or credit, never
both. An account's balance is measured on its normal side:

    commission_expense  (program, debit-normal)   what the brand has committed to pay
    partner_pending     (partner, credit-normal)  earned, not yet approved
    partner_payable     (partner, credit-normal)  approved, not yet paid; negative = clawback
    paid_out            (program, credit-normal)  sent to partners
    platform_fee_expense (program, debit-normal)  the platform's fee on approved commissions
    platform_fees       (program, credit-normal)  that fee, owed to the platform operator
    funds_held          (program, debit-normal)   money the brand deposited, held to pay out
    brand_funding       (program, credit-normal)  the brand's deposits less what was paid

Because every entry balances, commission_expense = pending + payable + paid_out,
platform_fee_expense = platform_fees and funds_held = brand_funding, always.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum

from accord.money import Money


class AccountKind(StrEnum):
    COMMISSION_EXPENSE = "commission_expense"
    PARTNER_PENDING = "partner_pending"
    PARTNER_PAYABLE = "partner_payable"
    PAID_OUT = "paid_out"
    PLATFORM_FEE_EXPENSE = "platform_fee_expense"
    PLATFORM_FEES = "platform_fees"
    FUNDS_HELD = "funds_held"
    BRAND_FUNDING = "brand_funding"


DEBIT_NORMAL = frozenset(
    {AccountKind.COMMISSION_EXPENSE, AccountKind.PLATFORM_FEE_EXPENSE, AccountKind.FUNDS_HELD}
)


@dataclass(frozen=True, slots=True)
class AccountRef:
    kind: AccountKind
    program_id: str
    currency: str
    partner_id: str | None = None

    @property
    def key(self) -> str:
        return f"{self.program_id}:{self.kind.value}:{self.partner_id or '-'}:{self.currency}"


@dataclass(frozen=True, slots=True)
class Line:
    account: AccountRef
    debit: Money
    credit: Money


@dataclass(frozen=True, slots=True)
class EntryDraft:
    """A journal entry before it is stored; `business_key` makes posting it idempotent."""

    business_key: str
    memo: str
    lines: tuple[Line, ...]


class UnbalancedEntry(ValueError):
    pass


def validate(entry: EntryDraft) -> None:
    """Refuse lines with both or neither side, and entries whose debits and credits differ."""
    if len(entry.lines) < 2:
        raise UnbalancedEntry(f"{entry.business_key}: an entry needs at least two lines")
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for line in entry.lines:
        debit, credit = line.debit.minor, line.credit.minor
        if debit < 0 or credit < 0 or (debit > 0) == (credit > 0):
            raise UnbalancedEntry(f"{entry.business_key}: each line needs exactly one side > 0")
        if not (line.debit.currency == line.credit.currency == line.account.currency):
            raise UnbalancedEntry(f"{entry.business_key}: line currency differs from account")
        totals[line.account.currency][0] += debit
        totals[line.account.currency][1] += credit
    for currency, (debits, credits) in totals.items():
        if debits != credits:
            raise UnbalancedEntry(
                f"{entry.business_key}: debits {debits} != credits {credits} in {currency}"
            )


def transfer(
    business_key: str, memo: str, debit: AccountRef, credit: AccountRef, amount: Money
) -> EntryDraft | None:
    """Move `amount` by debiting one account and crediting another; None for zero.

    A negative amount swaps the sides, so callers can post signed changes directly.
    """
    if amount.is_zero():
        return None
    if amount.amount < 0:
        debit, credit, amount = credit, debit, -amount
    zero = Money.zero(amount.currency)
    entry = EntryDraft(
        business_key,
        memo,
        (Line(debit, amount, zero), Line(credit, zero, amount)),
    )
    validate(entry)
    return entry


def balance(kind: AccountKind, debit_minor: int, credit_minor: int) -> int:
    """An account's balance on its normal side, from the sums of its lines."""
    if kind in DEBIT_NORMAL:
        return debit_minor - credit_minor
    return credit_minor - debit_minor


def accounts_for(program_id: str, partner_id: str, currency: str) -> dict[AccountKind, AccountRef]:
    """The four accounts a partner's commission moves through."""
    return {
        AccountKind.COMMISSION_EXPENSE: AccountRef(
            AccountKind.COMMISSION_EXPENSE, program_id, currency
        ),
        AccountKind.PARTNER_PENDING: AccountRef(
            AccountKind.PARTNER_PENDING, program_id, currency, partner_id
        ),
        AccountKind.PARTNER_PAYABLE: AccountRef(
            AccountKind.PARTNER_PAYABLE, program_id, currency, partner_id
        ),
        AccountKind.PAID_OUT: AccountRef(AccountKind.PAID_OUT, program_id, currency),
    }


def program_account(program_id: str, kind: AccountKind, currency: str) -> AccountRef:
    """One of the program's own accounts (fees, funding, paid out)."""
    return AccountRef(kind, program_id, currency)
