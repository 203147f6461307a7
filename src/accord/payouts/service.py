"""Use cases for payout batches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select, update

from accord.commissions.changes import commission_changes
from accord.commissions.model import CommissionStatus
from accord.commissions.tables import Commission
from accord.errors import InvalidInput, NotFound
from accord.events.model import CommissionPaid, PayoutSent
from accord.events.service import record, record_many
from accord.fx.service import Rate, convert_minor, rate_at
from accord.ids import new_id
from accord.ledger.model import AccountKind, accounts_for, program_account, transfer
from accord.ledger.service import account_balances, post
from accord.money import Money
from accord.partners.tables import Partner
from accord.payouts.model import PayoutLine, plan_batch
from accord.payouts.tables import Payout, PayoutBatch
from accord.programs.service import load_program
from accord.store.engine import Store
from accord.store.paging import Slice, read_page
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand


@dataclass
class BatchResult:
    batch: PayoutBatch | None
    payouts: list[Payout]


def _planned(
    session, program, *, hold_without_method: bool = False
) -> tuple[dict[str, int], list[PayoutLine]]:
    """Each partner's payable balance in the program's currency, and the lines a batch
    pays now (`plan_batch`: positive balances at the threshold or above); with
    `hold_without_method`, not those of partners who gave no payout method (their balance
    waits for the next batch)."""
    balances = {
        row.partner_id: row.balance_minor
        for row in account_balances(session, program.id, kind=AccountKind.PARTNER_PAYABLE)
        if row.currency == program.currency and row.partner_id
    }
    lines = plan_batch(balances, program.payout_threshold_minor)
    if hold_without_method and lines:
        ready = set(
            session.scalars(
                select(Partner.id).where(
                    Partner.id.in_([line.partner_id for line in lines]),
                    Partner.payout_method.is_not(None),
                )
            )
        )
        lines = [line for line in lines if line.partner_id in ready]
    return balances, lines


def _payout_rate(session, program, partner: Partner | None, now) -> Rate:
    """The rate a partner's payout is sent at: into its payout currency (the program's when
    it chose none), or InvalidInput when no rate is in force."""
    target = (partner.payout_currency if partner else None) or program.currency
    return rate_at(session, program.organization_id, program.currency, target, now,
                   field="payout_currency")  # fmt: skip


def run_batch(
    store: Store,
    caller: Caller,
    program_id: str,
    *,
    progress: Callable[[int, int], None] | None = None,
    hold_without_method: bool = False,
) -> BatchResult:
    """Pay each partner's payable balance (net of clawbacks) that reaches the threshold;
    `progress(done, total)` hears of each partner paid. The batch is one transaction.
    A partner without a payout method is paid by hand (`manual`), or with
    `hold_without_method` left out of the batch until it gives one."""
    require_brand(caller)
    now = store.clock.now()
    with store.unit() as session:
        program = load_program(session, caller, program_id, for_update=True)
        _, lines = _planned(session, program, hold_without_method=hold_without_method)
        if not lines:
            return BatchResult(None, [])
        batch = PayoutBatch(
            id=new_id("pbt"),
            organization_id=program.organization_id,
            program_id=program.id,
            currency=program.currency,
            total_minor=sum(line.amount_minor for line in lines),
            payout_count=len(lines),
            created_at=now,
        )
        session.add(batch)
        session.flush()
        payouts = []
        for line in lines:
            partner = session.get(Partner, line.partner_id)
            rate = _payout_rate(session, program, partner, now)
            target = rate.quote
            payout = Payout(
                id=new_id("pay"),
                batch_id=batch.id,
                organization_id=program.organization_id,
                program_id=program.id,
                partner_id=line.partner_id,
                amount_minor=line.amount_minor,
                currency=program.currency,
                commission_count=0,
                status="paid",
                sent_minor=convert_minor(line.amount_minor, program.currency, target, rate.rate),
                sent_currency=target,
                fx_rate=rate.rate if rate.effective_from is not None else None,
                method=partner.payout_method if partner else None,
                created_at=now,
            )
            session.add(payout)
            session.flush()
            acct = accounts_for(program.id, line.partner_id, program.currency)
            post(
                session,
                program.organization_id,
                transfer(
                    f"payout:{payout.id}",
                    f"payout in batch {batch.id}",
                    acct[AccountKind.PARTNER_PAYABLE],
                    acct[AccountKind.PAID_OUT],
                    Money.from_minor(line.amount_minor, program.currency),
                ),
                now,
            )
            post(
                session,
                program.organization_id,
                transfer(
                    f"payout:{payout.id}:funds",
                    "paid from the brand's funds",
                    program_account(program.id, AccountKind.BRAND_FUNDING, program.currency),
                    program_account(program.id, AccountKind.FUNDS_HELD, program.currency),
                    Money.from_minor(line.amount_minor, program.currency),
                ),
                now,
            )
            paid = session.scalars(
                select(Commission.id).where(
                    Commission.program_id == program.id,
                    Commission.partner_id == line.partner_id,
                    Commission.status == CommissionStatus.APPROVED.value,
                )
            ).all()  # the program's row lock keeps approvals out until this commits
            result = session.execute(
                update(Commission)
                .where(
                    Commission.program_id == program.id,
                    Commission.partner_id == line.partner_id,
                    Commission.status == CommissionStatus.APPROVED.value,
                )
                .values(
                    status=CommissionStatus.PAID.value,
                    paid_at=now,
                    payout_id=payout.id,
                    version=Commission.version + 1,
                )
                .execution_options(synchronize_session=False)
            )
            payout.commission_count = int(result.rowcount or 0)
            record(session, _sent(payout, batch.id, now))
            paid_events = commission_changes(
                session, CommissionPaid, paid, now, payout_id=payout.id
            )
            record_many(session, paid_events)
            payouts.append(payout)
            if progress is not None:
                progress(len(payouts), len(lines))
        return BatchResult(batch, payouts)


def _sent(payout: Payout, batch_id: str, now) -> PayoutSent:
    return PayoutSent(
        organization_id=payout.organization_id,
        program_id=payout.program_id,
        occurred_at=now,
        payout_id=payout.id,
        batch_id=batch_id,
        partner_id=payout.partner_id,
        amount=Money.from_minor(payout.amount_minor, payout.currency).amount,
        currency=payout.currency,
        sent_amount=Money.from_minor(payout.sent_minor, payout.sent_currency).amount,
        sent_currency=payout.sent_currency,
        commission_count=payout.commission_count,
        method=payout.method,
    )


def visible_payouts(caller: Caller):
    query = select(Payout)
    if caller.is_brand:
        return query.where(Payout.organization_id == caller.organization_id)
    return query.where(Payout.partner_id == caller.partner_id)


def get_payout(store: Store, caller: Caller, payout_id: str) -> Payout:
    with store.read() as session:
        payout = session.scalar(visible_payouts(caller).where(Payout.id == payout_id))
        if payout is None:
            raise NotFound("payout", payout_id, field="payout_id")
        return payout


@dataclass(frozen=True, slots=True)
class PartnerBalance:
    partner_id: str
    currency: str
    pending_minor: int  # earned, not yet approved (ledger)
    payable_minor: int  # approved, not yet paid; negative after a clawback (ledger)
    paid_minor: int  # sum of payouts


def partner_balances(store: Store, caller: Caller, program_id: str) -> list[PartnerBalance]:
    """Pending, payable and paid per partner of a program (a partner sees only its own)."""
    with store.read() as session:
        program = load_program(session, caller, program_id)
        only = None if caller.is_brand else caller.partner_id
        ledger: dict[tuple[str, str], dict[AccountKind, int]] = {}
        for row in account_balances(session, program.id, partner_id=only):
            if row.partner_id is not None:
                ledger.setdefault((row.partner_id, row.currency), {})[row.kind] = row.balance_minor
        paid_query = (
            select(Payout.partner_id, Payout.currency, func.sum(Payout.amount_minor))
            .where(Payout.program_id == program.id)
            .group_by(Payout.partner_id, Payout.currency)
        )
        if only is not None:
            paid_query = paid_query.where(Payout.partner_id == only)
        paid = {(p, c): int(total) for p, c, total in session.execute(paid_query)}
    keys = sorted(set(ledger) | set(paid))
    return [
        PartnerBalance(
            partner_id,
            currency,
            ledger.get((partner_id, currency), {}).get(AccountKind.PARTNER_PENDING, 0),
            ledger.get((partner_id, currency), {}).get(AccountKind.PARTNER_PAYABLE, 0),
            paid.get((partner_id, currency), 0),
        )
        for partner_id, currency in keys
    ]


def fund_program(
    store: Store, caller: Caller, program_id: str, amount: object, reference: str
) -> int:
    """Record money the brand deposited to pay partners; returns the funding balance
    (deposits less payouts, in minor units; negative when payouts ran ahead of deposits).
    A reference used twice records the deposit once."""
    require_brand(caller)
    if not reference.strip():
        raise InvalidInput("reference", "give the bank or transfer reference of the deposit")
    now = store.clock.now()
    with store.unit() as session:
        program = load_program(session, caller, program_id, for_update=True)
        money = Money.of(amount, program.currency)
        if money.minor <= 0:
            raise InvalidInput("amount", "must be greater than zero")
        post(
            session,
            program.organization_id,
            transfer(
                f"funding:{program.id}:{reference.strip()[:120]}",
                f"deposit {reference.strip()[:120]}",
                program_account(program.id, AccountKind.FUNDS_HELD, program.currency),
                program_account(program.id, AccountKind.BRAND_FUNDING, program.currency),
                money,
            ),
            now,
        )
        return funding_balance(session, program.id, program.currency)


def funding_balance(session, program_id: str, currency: str) -> int:
    for row in account_balances(session, program_id, kind=AccountKind.BRAND_FUNDING):
        if row.currency == currency:
            return row.balance_minor
    return 0


def payout_due(schedule: str, today, last_batch_at) -> bool:
    """Whether a scheduled program pays today: weekly on Mondays, monthly on the 1st,
    once that day (UTC)."""
    if schedule == "weekly" and today.weekday() != 0:
        return False
    if schedule == "monthly" and today.day != 1:
        return False
    if schedule not in ("weekly", "monthly"):
        return False
    return last_batch_at is None or last_batch_at.date() < today


@dataclass
class ScheduleRun:
    program_id: str
    locked: int
    approved_automatically: bool
    batch: BatchResult | None
    click_commissions: int = 0


def run_schedules(store: Store, caller: Caller) -> list[ScheduleRun]:
    """The periodic work of every program of the brand: pay yesterday's clicks under click
    rules, lock what is due (approving it when the program approves automatically), then
    pay when the payout schedule says so."""
    from accord.commissions.service import lock_due
    from accord.commissions.traffic import accrue_click_commissions
    from accord.programs.service import list_programs

    require_brand(caller)
    runs = []
    for program in list_programs(store, caller):
        clicks_paid = accrue_click_commissions(store, caller, program.id)
        locked = lock_due(store, caller, program.id)
        batch = None
        with store.read() as session:
            last = session.scalar(
                select(func.max(PayoutBatch.created_at)).where(PayoutBatch.program_id == program.id)
            )
        if payout_due(program.payout_schedule, store.clock.now().date(), last):
            batch = run_batch(store, caller, program.id)
        runs.append(ScheduleRun(program.id, locked, program.auto_approve, batch, clicks_paid))
    return runs


def payouts_page(
    store: Store,
    caller: Caller,
    *,
    limit: int,
    starting_after: str | None = None,
    program_id: str | None = None,
) -> Slice[Payout]:
    """A page of the payouts the caller may see, oldest first."""
    query = visible_payouts(caller)
    if program_id:
        query = query.where(Payout.program_id == program_id)
    return read_page(store, query, Payout.id, limit, starting_after)


def get_batch(store: Store, caller: Caller, batch_id: str) -> PayoutBatch:
    """One of the brand's payout batches, or NotFound (another brand's is not found)."""
    require_brand(caller)
    with store.read() as session:
        batch = session.get(PayoutBatch, batch_id)
        if batch is None or batch.organization_id != caller.organization_id:
            raise NotFound("payout batch", batch_id, field="batch_id")
        return batch


# reads for the console and the portal -------------------------------------------------------
def recent_batches(store: Store, caller: Caller, program_id: str, limit: int = 20) -> list:
    """A brand's latest payout batches in a program, newest first."""
    require_brand(caller)
    with store.read() as session:
        return list(
            session.scalars(
                select(PayoutBatch)
                .where(
                    PayoutBatch.program_id == program_id,
                    PayoutBatch.organization_id == caller.organization_id,
                )
                .order_by(PayoutBatch.id.desc())
                .limit(limit)
            )
        )


def _named_payouts(caller: Caller, program_id: str):
    return (
        visible_payouts(caller)
        .add_columns(Partner.name)
        .join(Partner, Partner.id == Payout.partner_id)
        .where(Payout.program_id == program_id)
    )


def payout_page(
    store: Store, caller: Caller, program_id: str, *, before: str = "", limit: int = 50
) -> tuple[list[tuple[Payout, str]], bool]:
    """A page of a program's payouts the caller may see, newest first, before the id
    `before`: (payout, partner name); and whether another page follows."""
    query = _named_payouts(caller, program_id)
    if before:
        query = query.where(Payout.id < before)
    with store.read() as session:
        found = session.execute(query.order_by(Payout.id.desc()).limit(limit + 1))
        rows = [tuple(r) for r in found]
    return rows[:limit], len(rows) > limit


def all_payouts(store: Store, caller: Caller, program_id: str) -> list[tuple[Payout, str]]:
    """Every payout of a program the caller may see, oldest first: (payout, partner name)."""
    with store.read() as session:
        if caller.is_brand:  # another brand's program is not found; a partner sees its own
            program_id = load_program(session, caller, program_id).id
        query = _named_payouts(caller, program_id).order_by(Payout.id)
        return [tuple(r) for r in session.execute(query)]


# before a batch ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PreviewLine:
    """One partner a batch run now would pay: how much, by which method, in what currency."""

    partner_id: str
    name: str
    amount: Money
    method: str | None  # None: no payout method given (paid by hand)
    sent: Money | None  # in the partner's payout currency; None when no rate is in force


@dataclass(frozen=True, slots=True)
class BatchPreview:
    """What `run_batch` would do now, without doing it: who is paid, how much, how; and who
    is carried over (under the threshold, or owing a clawback)."""

    lines: list[PreviewLine]
    total: Money
    carried_over: int
    threshold: Money
    funding: Money
    #: Partners due a payout who gave no payout method, left out of this batch.
    held: list[PreviewLine] = field(default_factory=list)

    @property
    def without_method(self) -> list[PreviewLine]:
        return [line for line in self.lines if line.method is None]


def preview_batch(
    store: Store, caller: Caller, program_id: str, *, hold_without_method: bool = False
) -> BatchPreview:
    """The batch a run would make now, read only (nothing is paid, nothing is marked);
    with `hold_without_method`, partners without a payout method are listed as held."""
    require_brand(caller)
    now = store.clock.now()
    with store.read() as session:
        program = load_program(session, caller, program_id)
        currency = program.currency
        balances, planned = _planned(session, program)
        partners = {
            p.id: p
            for p in session.scalars(
                select(Partner).where(Partner.id.in_([line.partner_id for line in planned]))
            )
        }
        lines = []
        for line in planned:
            partner = partners.get(line.partner_id)
            try:
                rate = _payout_rate(session, program, partner, now)
                sent = Money.from_minor(
                    convert_minor(line.amount_minor, currency, rate.quote, rate.rate), rate.quote
                )
            except InvalidInput:
                sent = None
            lines.append(PreviewLine(
                line.partner_id, partner.name if partner else line.partner_id,
                Money.from_minor(line.amount_minor, currency),
                partner.payout_method if partner else None, sent))  # fmt: skip
        funding = funding_balance(session, program.id, currency)
    held = [line for line in lines if line.method is None] if hold_without_method else []
    lines = [line for line in lines if line not in held]
    return BatchPreview(
        lines,
        Money.from_minor(sum(line.amount.minor for line in lines), currency),
        sum(1 for amount in balances.values() if amount != 0) - len(lines) - len(held),
        Money.from_minor(program.payout_threshold_minor, currency),
        Money.from_minor(funding, currency),
        held,
    )


def batch_payouts(store: Store, caller: Caller, batch_id: str) -> list[tuple[Payout, str]]:
    """A brand's batch's payouts, oldest first: (payout, partner name)."""
    batch = get_batch(store, caller, batch_id)
    with store.read() as session:
        query = (
            _named_payouts(caller, batch.program_id)
            .where(Payout.batch_id == batch.id)
            .order_by(Payout.id)
        )
        return [tuple(r) for r in session.execute(query)]
