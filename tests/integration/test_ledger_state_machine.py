"""A hypothesis state machine that drives the real services on the store.

Each example builds its own brand (the database is shared), then runs a random sequence of
conversions (click, promo code or nothing), retries, partial and whole reversals, clock moves,
locking, approval, payout batches and clawbacks after payout. After every step the ledger is
checked from the database and against a small independent model of what should have happened.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from accord.commissions.service import approve, lock_due
from accord.commissions.tables import Commission, CommissionAdjustment
from accord.conversions.model import ConversionReport, ReversalRequest
from accord.conversions.reversals import reverse_conversion
from accord.conversions.service import record_conversion
from accord.conversions.tables import Conversion, ConversionReversal
from accord.errors import Conflict, IdempotencyConflict, InvalidInput, InvalidTransition
from accord.fx.service import set_rate
from accord.ledger.model import AccountKind, balance
from accord.ledger.service import account_balances, trial_balance
from accord.ledger.tables import Account, Entry, EntryLine
from accord.money import exponent
from accord.payouts.service import run_batch
from accord.payouts.tables import Payout, PayoutBatch
from accord.programs.service import update_program
from accord.reports.service import program_summary
from accord.tracking.service import create_promo_code
from tests.factories import add_partner, click, make_brand

WINDOW_DAYS = 30
LOCKING_DAYS = st.sampled_from([0, 3, 30])
RATE_NEW = Decimal(10)  # tests.factories.DEFAULT_RULES: sale 10% for new customers
RATE_RETURNING = Decimal(5)  # ... and 5% for any other
PARTNERS = 3


def commission_minor(amount_minor: int, rate: Decimal) -> int:
    """The expected commission on an amount in minor units, rounded half-up once."""
    return int((Decimal(amount_minor) * rate / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def remaining_commission(basis: int, left: int, original: int, rate: Decimal) -> int:
    """The commission on what is left of an order: the basis shrinks in proportion,
    exactly, and is rounded half-up once."""
    if left <= 0 or original <= 0:
        return 0
    exact = Fraction(basis * left, original) * Fraction(rate) / 100
    return int((exact * 2 + 1) // 2)


def exchanged(minor: int, source_exp: int, target_exp: int, rate: Decimal) -> int:
    """Minor units of one currency in another at `rate`, rounded half-up once."""
    value = Decimal(minor).scaleb(-source_exp) * rate
    return int(value.scaleb(target_exp).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_minor(text: str, exp: int = 2) -> int:
    """An amount as the service stores it: minor units, rounded half-up."""
    return int(Decimal(text).scaleb(exp).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def cents_text(minor: int) -> str:
    return minor_text(minor, 2)


def minor_text(minor: int, exp: int) -> str:
    """Minor units written as a decimal amount in a currency with `exp` digits."""
    return str(Decimal(minor).scaleb(-exp))


@dataclass
class ModelCommission:
    id: str
    partner_id: str
    amount_minor: int
    status: str
    lock_due_at: datetime
    rate: Decimal
    basis_minor: int  # the order amount in the program currency, after any exchange
    payout_id: str | None = None


@dataclass
class ModelConversion:
    id: str
    report: ConversionReport
    amount_minor: int
    partner_id: str | None
    commission: ModelCommission | None
    reversed_minor: int = 0
    status: str = "attributed"
    commission_ids: list[str] = field(default_factory=list)

    @property
    def left(self) -> int:
        return self.amount_minor - self.reversed_minor


AMOUNTS = st.one_of(
    st.integers(0, 300_000).map(cents_text),  # 0.00 .. 3000.00
    st.integers(0, 300_000).map(str),  # whole units, as yen are written
    st.integers(0, 3_000_000).map(lambda m: f"{m // 1000}.{m % 1000:03d}"),  # refused
    st.integers(1, 20).map(lambda n: f"{n}.005"),  # exactly on the half
    st.just("0"),
)
TOUCHES = st.sampled_from(["click", "old_click", "promo", "click+promo", "unknown_click", "none"])
CUSTOMERS = st.sampled_from([None, None, "cust-1", "cust-2", "cust-3"])
THRESHOLDS = st.sampled_from(["0", "0", "25.00", "100.00"])
CURRENCIES = st.sampled_from(["USD", "USD", "JPY", "KWD"])  # 2, 0 and 3 decimals


def build_machine(store, clock):
    class LedgerMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.brand = None
            self.partners = []
            self.clicks: list[tuple[str, str, datetime]] = []
            self.conversions: list[ModelConversion] = []
            self.commissions: dict[str, ModelCommission] = {}
            self.customers_seen: set[str] = set()
            self.pending: dict[str, int] = {}
            self.payable: dict[str, int] = {}
            self.paid_out = 0
            self.payouts: dict[str, tuple[str, int]] = {}  # payout id -> (partner, amount)
            self.reversal_keys: dict[str, tuple[ModelConversion, ReversalRequest, str]] = {}
            self.threshold_minor = 0
            self.locking_days = 30
            self.exp = 2
            self.orders = 0
            self.eur_rate: Decimal | None = None  # EUR -> program currency, once entered

        # setup ------------------------------------------------------------------------
        @initialize(threshold=THRESHOLDS, locking_days=LOCKING_DAYS, currency=CURRENCIES)
        def make_program(self, threshold, locking_days, currency):
            self.brand = make_brand(
                store, currency=currency, threshold=threshold, locking_days=locking_days
            )
            # Orders in another currency may come to more than the default largest order
            # once exchanged; the bound itself is tested in tests/api/test_order_bounds.py.
            update_program(
                store,
                self.brand.caller,
                self.brand.program_id,
                {"max_order_amount": "1000000000"},
            )
            self.exp = exponent(currency)
            self.threshold_minor = to_minor(threshold, self.exp)
            self.locking_days = locking_days
            for i in range(PARTNERS):
                partner = add_partner(self.brand, partner_type="coupon")
                create_promo_code(
                    store,
                    self.brand.caller,
                    self.brand.program_id,
                    f"P{i}CODE",
                    partner_id=partner.id,
                )
                self.partners.append(partner)
                self.pending[partner.id] = 0
                self.payable[partner.id] = 0

        # helpers ----------------------------------------------------------------------
        def _snapshot(self):
            """Counts and totals that a retry must leave exactly as they were."""
            org = self.brand.caller.organization_id
            pid = self.brand.program_id
            with store.read() as s:
                return (
                    s.scalar(select(func.count()).where(Conversion.program_id == pid)),
                    s.scalar(select(func.count()).where(Commission.program_id == pid)),
                    s.scalar(
                        select(func.coalesce(func.sum(Commission.amount_minor), 0)).where(
                            Commission.program_id == pid
                        )
                    ),
                    s.scalar(select(func.count()).where(Entry.organization_id == org)),
                    s.scalar(
                        select(func.count())
                        .select_from(EntryLine)
                        .join(Entry, Entry.id == EntryLine.entry_id)
                        .where(Entry.organization_id == org)
                    ),
                    s.scalar(
                        select(func.count())
                        .select_from(ConversionReversal)
                        .join(Conversion, Conversion.id == ConversionReversal.conversion_id)
                        .where(Conversion.program_id == pid)
                    ),
                    s.scalar(
                        select(func.count())
                        .select_from(CommissionAdjustment)
                        .join(Commission, Commission.id == CommissionAdjustment.commission_id)
                        .where(Commission.program_id == pid)
                    ),
                    s.scalar(select(func.count()).where(Payout.program_id == pid)),
                    sorted(
                        (b.kind.value, b.partner_id or "", b.debit_minor, b.credit_minor)
                        for b in account_balances(s, pid)
                    ),
                )

        def _report(self, touch, partner_index, promo_index, amount, customer, foreign=False):
            now = clock.now()
            partner = self.partners[partner_index]
            fields: dict[str, object] = {}
            expected_partner = None
            if touch in ("click", "click+promo"):
                fields["click_id"] = click(self.brand, partner)
                self.clicks.append((fields["click_id"], partner.id, now))
                expected_partner = partner.id
            if touch == "old_click":
                if not self.clicks:
                    fields["click_id"] = click(self.brand, partner)
                    self.clicks.append((fields["click_id"], partner.id, now))
                    expected_partner = partner.id
                else:
                    click_id, owner, at = self.clicks[partner_index % len(self.clicks)]
                    fields["click_id"] = click_id
                    if now - at <= timedelta(days=WINDOW_DAYS):
                        expected_partner = owner
            if touch in ("promo", "click+promo"):
                fields["promo_code"] = f"p{promo_index}code"  # codes compare case-insensitively
                if expected_partner is None:
                    expected_partner = self.partners[promo_index].id
            if touch == "unknown_click":
                fields["click_id"] = f"clk_unknown_{uuid.uuid4().hex[:12]}"
            if customer is not None:
                fields["customer_id"] = customer
            self.orders += 1
            report = ConversionReport(
                program_id=self.brand.program_id,
                order_id=f"order-{self.orders}",
                amount=Decimal(amount),
                currency="EUR" if foreign else self.brand.currency,
                **fields,
            )
            return report, expected_partner

        def _reverse(self, conv: ModelConversion, mode: str, cents: int, keyed: bool):
            left = conv.left
            exp = exponent(conv.report.currency)  # a foreign order is reversed in its currency
            if mode in ("partial", "half_unit") and left < 1:
                mode = "too_much"
            if mode == "partial":
                amount = Decimal(minor_text(1 + cents % left, exp))
            if mode == "half_unit":  # k and a half minor units: rounds half-up to k + 1
                amount = Decimal(cents % left) + Decimal("0.5")
                amount = amount.scaleb(-exp)
            if mode == "too_much":
                amount = Decimal(minor_text(left + 1 + cents % 1000, exp))
            request = ReversalRequest(
                amount=None if mode == "whole" else amount,
                reason_code="returned",
                idempotency_key=f"rev-{uuid.uuid4().hex}" if keyed else None,
            )
            before = self._snapshot()
            if left <= 0 and conv.status == "reversed":
                with pytest.raises(Conflict):
                    reverse_conversion(store, self.brand.caller, conv.id, request)
                assert self._snapshot() == before
                return
            if mode == "too_much":
                with pytest.raises(InvalidInput):
                    reverse_conversion(store, self.brand.caller, conv.id, request)
                assert self._snapshot() == before
                return
            result = reverse_conversion(store, self.brand.caller, conv.id, request)
            assert result.created
            taken = left if mode == "whole" else to_minor(str(amount), exp)
            assert result.reversal.amount_minor == taken
            conv.reversed_minor += taken
            if conv.left == 0:
                conv.status = "reversed"
            expected_delta = 0
            com = conv.commission
            if com is not None and com.status != "reversed":
                target = remaining_commission(
                    com.basis_minor, conv.left, conv.amount_minor, com.rate
                )
                delta = target - com.amount_minor
                side = self.pending if com.status in ("pending", "locked") else self.payable
                side[com.partner_id] += delta
                com.amount_minor = target
                if conv.left == 0:
                    com.status = "reversed"
                expected_delta = delta
            assert result.commission_delta_minor == expected_delta
            if keyed:
                self.reversal_keys[request.idempotency_key] = (conv, request, result.reversal.id)

        # rules ------------------------------------------------------------------------
        @rule(
            touch=TOUCHES,
            partner_index=st.integers(0, PARTNERS - 1),
            promo_index=st.integers(0, PARTNERS - 1),
            amount=AMOUNTS,
            customer=CUSTOMERS,
            foreign=st.sampled_from([False, False, False, True]),
        )
        def add_conversion(self, touch, partner_index, promo_index, amount, customer, foreign):
            foreign = foreign and self.brand.currency != "EUR"
            exp = 2 if foreign else self.exp
            if Decimal(amount) != Decimal(amount).quantize(Decimal(1).scaleb(-exp)):
                # More decimals than the currency has: refused, never rounded away.
                with pytest.raises(InvalidInput) as refused:
                    self._report(touch, partner_index, promo_index, amount, customer, foreign)
                assert refused.value.field == "amount"
                return
            report, expected_partner = self._report(
                touch, partner_index, promo_index, amount, customer, foreign
            )
            if foreign and self.eur_rate is None:
                before = self._snapshot()
                with pytest.raises(InvalidInput) as refused:
                    record_conversion(store, self.brand.caller, report)
                assert refused.value.field == "currency"
                assert self._snapshot() == before
                return
            returning = customer is not None and customer in self.customers_seen
            if customer is not None:
                self.customers_seen.add(customer)
            recorded = record_conversion(store, self.brand.caller, report)
            assert recorded.created
            conversion = recorded.conversion
            assert conversion.amount_minor == to_minor(amount, exp)
            basis = conversion.amount_minor
            if foreign:
                basis = exchanged(basis, 2, self.exp, self.eur_rate)
            assert conversion.partner_id == expected_partner
            assert conversion.customer_status == ("returning" if returning else "new")
            commission = None
            if expected_partner is None:
                assert conversion.status == "unattributed"
                assert recorded.commission_ids == []
            else:
                assert len(recorded.commission_ids) == 1
                rate = RATE_RETURNING if returning else RATE_NEW
                commission = ModelCommission(
                    recorded.commission_ids[0],
                    expected_partner,
                    commission_minor(basis, rate),
                    "pending",
                    clock.now() + timedelta(days=self.locking_days),
                    rate,
                    basis,
                )
                self.commissions[commission.id] = commission
                self.pending[expected_partner] += commission.amount_minor
            self.conversions.append(
                ModelConversion(
                    conversion.id,
                    report,
                    conversion.amount_minor,
                    expected_partner,
                    commission,
                    status=conversion.status,
                    commission_ids=list(recorded.commission_ids),
                )
            )

        @precondition(lambda self: self.conversions)
        @rule(data=st.data())
        def retry(self, data):
            conv = data.draw(st.sampled_from(self.conversions))
            before = self._snapshot()
            again = record_conversion(store, self.brand.caller, conv.report.model_copy())
            assert not again.created
            assert again.conversion.id == conv.id
            assert again.commission_ids == conv.commission_ids
            assert self._snapshot() == before

        @precondition(lambda self: self.conversions)
        @rule(data=st.data(), new_amount=AMOUNTS)
        def retry_with_different_amount(self, data, new_amount):
            """The same order with another amount is refused; one that rounds to the same
            minor units is the same request (129.9 and 129.90, or 12.4 and 12 in yen)."""
            conv = data.draw(st.sampled_from(self.conversions))
            changed = conv.report.model_copy(update={"amount": Decimal(new_amount)})
            before = self._snapshot()
            if to_minor(new_amount, exponent(conv.report.currency)) == conv.amount_minor:
                again = record_conversion(store, self.brand.caller, changed)
                assert (again.created, again.conversion.id) == (False, conv.id)
            else:
                with pytest.raises(IdempotencyConflict) as caught:
                    record_conversion(store, self.brand.caller, changed)
                assert caught.value.field == "amount"
            assert self._snapshot() == before

        @precondition(lambda self: self.conversions)
        @rule(
            data=st.data(),
            mode=st.sampled_from(["partial", "partial", "half_unit", "whole", "too_much"]),
            cents=st.integers(0, 1_000_000),
            keyed=st.booleans(),
        )
        def reverse(self, data, mode, cents, keyed):
            conv = data.draw(st.sampled_from(self.conversions))
            self._reverse(conv, mode, cents, keyed)

        @precondition(
            lambda self: any(
                c.commission is not None and c.commission.status == "paid" for c in self.conversions
            )
        )
        @rule(
            data=st.data(),
            mode=st.sampled_from(["partial", "half_unit", "whole"]),
            cents=st.integers(0, 1_000_000),
        )
        def claw_back_after_payout(self, data, mode, cents):
            paid = [
                c
                for c in self.conversions
                if c.commission is not None and c.commission.status == "paid"
            ]
            conv = data.draw(st.sampled_from(paid))
            self._reverse(conv, mode, cents, keyed=False)

        @precondition(lambda self: self.reversal_keys)
        @rule(data=st.data())
        def retry_reversal(self, data):
            key = data.draw(st.sampled_from(sorted(self.reversal_keys)))
            conv, request, reversal_id = self.reversal_keys[key]
            before = self._snapshot()
            again = reverse_conversion(store, self.brand.caller, conv.id, request.model_copy())
            assert not again.created
            assert again.reversal.id == reversal_id
            assert self._snapshot() == before

        @rule(rate=st.decimals(Decimal("0.5"), Decimal("200"), places=4))
        def currency_rate_changes(self, rate):
            """A new EUR rate: later conversions use it, earlier commissions keep theirs."""
            clock.advance(timedelta(seconds=1))
            set_rate(store, self.brand.caller, "EUR", self.brand.currency, rate, clock.now())
            self.eur_rate = rate

        @rule(days=st.sampled_from([1, 5, 15, 29, 31, 45]))
        def time_passes(self, days):
            clock.advance(timedelta(days=days))

        @rule(
            step=st.sampled_from(["lock", "approve", "pay", "pay_twice", "month_end", "month_end"])
        )
        def back_office(self, step):
            """The brand's periodic work, one step of it or a whole month end in a row."""
            if step == "month_end":
                self.time_passes(31)
            if step in ("lock", "month_end"):
                self.lock()
            if step in ("approve", "month_end"):
                self.approve_locked()
            if step in ("pay", "pay_twice", "month_end"):
                self.pay()
            if step == "pay_twice":
                result = run_batch(store, self.brand.caller, self.brand.program_id)
                assert result.batch is None and result.payouts == []

        def lock(self):
            now = clock.now()
            due = [
                c
                for c in self.commissions.values()
                if c.status == "pending" and c.lock_due_at <= now
            ]
            assert lock_due(store, self.brand.caller, self.brand.program_id) == len(due)
            for c in due:
                c.status = "locked"

        def approve_locked(self):
            locked = sorted(c.id for c in self.commissions.values() if c.status == "locked")
            approved = approve(store, self.brand.caller, self.brand.program_id)
            assert sorted(approved) == locked
            for cid in locked:
                c = self.commissions[cid]
                c.status = "approved"
                self.pending[c.partner_id] -= c.amount_minor
                self.payable[c.partner_id] += c.amount_minor

        @precondition(lambda self: any(c.status != "locked" for c in self.commissions.values()))
        @rule(data=st.data())
        def refuse_approving_unlocked(self, data):
            ids = sorted(c.id for c in self.commissions.values() if c.status != "locked")
            cid = data.draw(st.sampled_from(ids))
            before = self._snapshot()
            with pytest.raises(InvalidTransition):
                approve(store, self.brand.caller, self.brand.program_id, [cid])
            assert self._snapshot() == before

        def pay(self):
            due = {
                p: amount
                for p, amount in self.payable.items()
                if amount > 0 and amount >= self.threshold_minor
            }
            result = run_batch(store, self.brand.caller, self.brand.program_id)
            got = {p.partner_id: p.amount_minor for p in result.payouts}
            assert got == due
            if not due:
                assert result.batch is None
                return
            assert result.batch.total_minor == sum(due.values())
            for payout in result.payouts:
                marked = [
                    c
                    for c in self.commissions.values()
                    if c.partner_id == payout.partner_id and c.status == "approved"
                ]
                assert payout.commission_count == len(marked)
                for c in marked:
                    c.status = "paid"
                    c.payout_id = payout.id
                self.payouts[payout.id] = (payout.partner_id, payout.amount_minor)
                self.payable[payout.partner_id] -= payout.amount_minor
                self.paid_out += payout.amount_minor

        # invariants -------------------------------------------------------------------
        @invariant()
        def ledger_reconciles(self):
            if self.brand is None:
                return
            pid = self.brand.program_id
            org = self.brand.caller.organization_id
            cur = self.brand.currency
            with store.read() as s:
                # debits equal credits, per currency, over the program's lines
                for currency, (debits, credits) in trial_balance(s, pid).items():
                    assert debits == credits, currency
                # ... and entry by entry
                unbalanced = s.execute(
                    select(EntryLine.entry_id)
                    .join(Entry, Entry.id == EntryLine.entry_id)
                    .where(Entry.organization_id == org)
                    .group_by(EntryLine.entry_id, EntryLine.currency)
                    .having(func.sum(EntryLine.debit_minor) != func.sum(EntryLine.credit_minor))
                ).all()
                assert unbalanced == []
                # every account's balance equals the sum of its own lines
                per_account = {
                    (kind, partner or None): balance(AccountKind(kind), int(d), int(c))
                    for kind, partner, d, c in s.execute(
                        select(
                            Account.kind,
                            Account.partner_id,
                            select(func.coalesce(func.sum(EntryLine.debit_minor), 0))
                            .where(EntryLine.account_id == Account.id)
                            .scalar_subquery(),
                            select(func.coalesce(func.sum(EntryLine.credit_minor), 0))
                            .where(EntryLine.account_id == Account.id)
                            .scalar_subquery(),
                        ).where(Account.program_id == pid)
                    )
                }
                reported = {
                    (b.kind.value, b.partner_id): b.balance_minor for b in account_balances(s, pid)
                }
                assert per_account == reported
                assert all(b.currency == cur for b in account_balances(s, pid))
                kinds = dict.fromkeys(AccountKind, 0)
                for (kind, _), value in per_account.items():
                    kinds[AccountKind(kind)] += value
                expense = kinds[AccountKind.COMMISSION_EXPENSE]
                pending = kinds[AccountKind.PARTNER_PENDING]
                payable = kinds[AccountKind.PARTNER_PAYABLE]
                paid = kinds[AccountKind.PAID_OUT]
                commissions = list(
                    s.scalars(select(Commission).where(Commission.program_id == pid))
                )
                payouts = list(s.scalars(select(Payout).where(Payout.program_id == pid)))
                batches = list(s.scalars(select(PayoutBatch).where(PayoutBatch.program_id == pid)))
                conversions = {
                    c.id: c
                    for c in s.scalars(select(Conversion).where(Conversion.program_id == pid))
                }

            total = sum(c.amount_minor for c in commissions)
            assert total == expense
            assert expense == pending + payable + paid
            assert paid == sum(p.amount_minor for p in payouts)
            assert paid == sum(b.total_minor for b in batches)
            assert paid == self.paid_out

            # the model agrees, account by account
            for partner_id in self.pending:
                assert (
                    per_account.get(("partner_pending", partner_id), 0) == self.pending[partner_id]
                ), partner_id
                assert (
                    per_account.get(("partner_payable", partner_id), 0) == self.payable[partner_id]
                ), partner_id
            assert expense == sum(c.amount_minor for c in self.commissions.values())

            # commissions: one per attributed conversion, as the model expects
            assert {c.id for c in commissions} == set(self.commissions)
            payout_by_id = {p.id: p for p in payouts}
            per_payout: dict[str, int] = {}
            for c in commissions:
                m = self.commissions[c.id]
                assert (c.status, c.amount_minor) == (m.status, m.amount_minor), c.id
                # paid at most once: the payout id is set once and never changes
                assert c.payout_id == m.payout_id, c.id
                if c.payout_id is not None:
                    assert payout_by_id[c.payout_id].partner_id == c.partner_id
                    per_payout[c.payout_id] = per_payout.get(c.payout_id, 0) + 1
                    assert c.paid_at is not None
                if c.status == "paid":
                    assert c.payout_id is not None
            for p in payouts:
                assert p.commission_count == per_payout.get(p.id, 0), p.id
                assert self.payouts[p.id] == (p.partner_id, p.amount_minor)
            assert len(payout_by_id) == len(self.payouts)

            # conversions: counted once each, reversed amounts as the model says
            assert set(conversions) == {c.id for c in self.conversions}
            for m in self.conversions:
                row = conversions[m.id]
                assert (row.amount_minor, row.reversed_minor, row.status) == (
                    m.amount_minor,
                    m.reversed_minor,
                    m.status,
                ), m.id

        def teardown(self):
            if self.brand is None:
                return
            summary = program_summary(store, self.brand.caller, self.brand.program_id)
            assert summary.ledger_balanced, summary.checks
            assert summary.conversions == len(self.conversions)

    return LedgerMachine


# In four parts the workers share: SQLite 40 runs of 250 steps (10,000 random steps), and
# PostgreSQL, where the same service code meets the engine's locks and constraints, 16 runs
# (4,000 steps); every invariant after each step.
@pytest.mark.parametrize("part", range(4))
def test_ledger_state_machine(store, clock, part):
    examples = 10 if store.engine.dialect.name == "sqlite" else 4
    machine = build_machine(store, clock)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=250,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
