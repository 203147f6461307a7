"""Use cases for contracts, their versions and payout rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.contracts.model import CustomerCondition, Rule, is_valid_event_type
from accord.contracts.tables import Contract, ContractVersion, PayoutRule
from accord.errors import InvalidInput, NotFound
from accord.ids import new_id
from accord.money import Money, to_decimal
from accord.programs.service import load_program
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A payout rule as a person writes it: percent and/or fixed amount in program currency."""

    event_type: str
    percent: Decimal | str | int | None = None
    fixed: Decimal | str | int | None = None
    customer_status: str = "any"
    name: str = ""


@dataclass(frozen=True, slots=True)
class Terms:
    contract_version_id: str
    rules: list[Rule] = field(default_factory=list)


def _check_rules(specs: list[RuleSpec], currency: str) -> list[PayoutRule]:
    if not specs:
        raise InvalidInput("rules", "a contract needs at least one payout rule")
    rows = []
    for rank, spec in enumerate(specs):
        where = f"rules[{rank}]"
        if not is_valid_event_type(spec.event_type):
            raise InvalidInput(
                f"{where}.event_type",
                f"{spec.event_type!r} is not sale, lead, signup, install, first_purchase "
                "or custom:<name>",
            )
        try:
            condition = CustomerCondition(spec.customer_status)
        except ValueError:
            raise InvalidInput(f"{where}.customer_status", "use any, new or returning") from None
        percent = fixed = None
        if spec.percent is not None:
            percent = to_decimal(spec.percent, field=f"{where}.percent")
        if spec.fixed is not None:
            fixed = Money.of(spec.fixed, currency, field=f"{where}.fixed")
        if percent is None and fixed is None:
            raise InvalidInput(where, "give a percent, a fixed amount, or both")
        if percent is not None and not 0 <= percent <= 100:
            raise InvalidInput(f"{where}.percent", "must be between 0 and 100")
        if fixed is not None and fixed.amount < 0:
            raise InvalidInput(f"{where}.fixed", "must not be negative")
        rows.append(
            PayoutRule(
                id=new_id("rul"),
                rank=rank,
                name=spec.name or f"{spec.event_type} ({condition.value} customers)",
                event_type=spec.event_type,
                customer_status=condition.value,
                percent=percent,
                fixed_minor=None if fixed is None else fixed.minor,
                currency=currency,
            )
        )
    return rows


def create_contract(
    store: Store,
    caller: Caller,
    program_id: str,
    name: str,
    rules: list[RuleSpec],
    *,
    effective_from: datetime | None = None,
    is_default: bool = False,
) -> Contract:
    """A contract with its first version; the default one applies to partners without one."""
    require_brand(caller)
    if not name.strip():
        raise InvalidInput("name", "must not be empty")
    now = store.clock.now()
    with store.unit() as session:
        program = load_program(session, caller, program_id)
        payout_rules = _check_rules(rules, program.currency)
        if is_default:
            for other in session.scalars(
                select(Contract).where(Contract.program_id == program.id, Contract.is_default)
            ):
                other.is_default = False
        contract = Contract(
            id=new_id("ctr"),
            program_id=program.id,
            name=name.strip(),
            is_default=is_default,
            created_at=now,
        )
        session.add(contract)
        session.flush()
        _add_version(session, contract, 1, effective_from or now, payout_rules, now)
    return contract


def add_version(
    store: Store,
    caller: Caller,
    contract_id: str,
    rules: list[RuleSpec],
    *,
    effective_from: datetime | None = None,
) -> ContractVersion:
    """New terms as a new version; commissions already computed keep their version."""
    require_brand(caller)
    now = store.clock.now()
    with store.unit() as session:
        contract = session.get(Contract, contract_id)
        if contract is None:
            raise NotFound("contract", contract_id, field="contract_id")
        program = load_program(session, caller, contract.program_id)
        latest = session.scalar(
            select(ContractVersion)
            .where(ContractVersion.contract_id == contract.id)
            .order_by(ContractVersion.number.desc())
        )
        number = (latest.number if latest else 0) + 1
        return _add_version(
            session,
            contract,
            number,
            effective_from or now,
            _check_rules(rules, program.currency),
            now,
        )


def _add_version(
    session: Session,
    contract: Contract,
    number: int,
    effective_from: datetime,
    rules: list[PayoutRule],
    now: datetime,
) -> ContractVersion:
    version = ContractVersion(
        id=new_id("ctv"),
        contract_id=contract.id,
        number=number,
        effective_from=effective_from,
        created_at=now,
    )
    session.add(version)
    session.flush()
    for rule in rules:
        rule.contract_version_id = version.id
        session.add(rule)
    return version


def load_contract(session: Session, program_id: str, contract_id: str) -> Contract:
    contract = session.scalar(
        select(Contract).where(Contract.id == contract_id, Contract.program_id == program_id)
    )
    if contract is None:
        raise NotFound("contract", contract_id, field="contract_id")
    return contract


def to_rule(row: PayoutRule) -> Rule:
    return Rule(
        id=row.id,
        rank=row.rank,
        name=row.name,
        event_type=row.event_type,
        customer_status=CustomerCondition(row.customer_status),
        percent=row.percent,
        fixed=None if row.fixed_minor is None else Money.from_minor(row.fixed_minor, row.currency),
    )


def terms_at(
    session: Session, program_id: str, contract_id: str | None, at: datetime
) -> Terms | None:
    """The contract version in force at `at` (the partner's contract, else the default)."""
    if contract_id is None:
        contract_id = session.scalar(
            select(Contract.id).where(Contract.program_id == program_id, Contract.is_default)
        )
        if contract_id is None:
            return None
    version = session.scalar(
        select(ContractVersion)
        .where(ContractVersion.contract_id == contract_id, ContractVersion.effective_from <= at)
        .order_by(ContractVersion.effective_from.desc(), ContractVersion.number.desc())
    )
    if version is None:
        return None
    rows = session.scalars(select(PayoutRule).where(PayoutRule.contract_version_id == version.id))
    return Terms(version.id, [to_rule(r) for r in rows])


def list_contracts(store: Store, caller: Caller, program_id: str) -> list[Contract]:
    with store.read() as session:
        load_program(session, caller, program_id)
        return list(session.scalars(select(Contract).where(Contract.program_id == program_id)))
