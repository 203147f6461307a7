"""Use cases for contracts, their versions, acceptances and the terms in force."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.contracts.engine import CompiledTerms, Facts, MemoryUsage
from accord.contracts.tables import Contract, ContractAcceptance, ContractVersion, PayoutRule
from accord.contracts.terms import RuleSpec, TermsSpec, parse_terms, terms_of
from accord.errors import Forbidden, InvalidInput, NotFound
from accord.events.model import ContractVersionAdded
from accord.events.service import record
from accord.ids import new_id
from accord.money import Money
from accord.partners import taxonomy
from accord.partners.enrollments import contract_at, load_enrollment
from accord.partners.types import check_selectors, own_types
from accord.programs.service import load_program
from accord.programs.tables import Program
from accord.store.engine import Store
from accord.store.memo import remembered
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand

__all__ = ["RuleSpec", "Terms", "TermsSpec"]


@dataclass(frozen=True, slots=True)
class Terms:
    """The version in force for a partner, compiled, with its rules' stored ids by rank."""

    version: ContractVersion
    compiled: CompiledTerms
    rule_ids: tuple[str, ...]

    @property
    def contract_version_id(self) -> str:
        return self.version.id


TermsInput = TermsSpec | list[RuleSpec] | dict


def _spec(terms: TermsInput) -> TermsSpec:
    if isinstance(terms, list):
        return terms_of(terms)
    return parse_terms(terms)


def _rule_rows(spec: TermsSpec, currency: str) -> list[PayoutRule]:
    """One row per rule: what commissions point at, and what lists show."""
    rows = []
    for rank, rule in enumerate(spec.rules):
        fixed = None if rule.fixed is None else Money.of(rule.fixed, currency).minor
        rows.append(
            PayoutRule(
                id=new_id("rul"),
                rank=rank,
                name=rule.label(),
                event_type=rule.event_type,
                customer_status=rule.customer_condition,
                percent=rule.percent,
                fixed_minor=fixed,
                currency=currency,
                group_name=rule.group,
                basis=rule.basis,
            )
        )
    return rows


def create_contract(
    store: Store,
    caller: Caller,
    program_id: str,
    name: str,
    terms: TermsInput,
    *,
    effective_from: datetime | None = None,
    is_default: bool = False,
    requires_acceptance: bool = False,
    note: str | None = None,
) -> Contract:
    """A contract (a template partners are put on) with its first version; the default
    one applies to partners without one."""
    require_brand(caller)
    if not name.strip():
        raise InvalidInput("name", "must not be empty")
    spec = _spec(terms)
    now = store.clock.now()
    with store.unit() as session:
        program = load_program(session, caller, program_id)
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
        _add_version(
            session,
            contract,
            1,
            effective_from or now,
            spec,
            program,
            now,
            requires_acceptance=requires_acceptance,
            note=note,
        )
    return contract


def add_version(
    store: Store,
    caller: Caller,
    contract_id: str,
    terms: TermsInput,
    *,
    effective_from: datetime | None = None,
    requires_acceptance: bool = False,
    note: str | None = None,
) -> ContractVersion:
    """New terms as a new version; commissions already computed keep their version."""
    require_brand(caller)
    spec = _spec(terms)
    now = store.clock.now()
    with store.unit() as session:
        contract = visible_contract(session, caller, contract_id)
        program = session.get(Program, contract.program_id)
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
            spec,
            program,
            now,
            requires_acceptance=requires_acceptance,
            note=note,
        )


def _add_version(
    session: Session,
    contract: Contract,
    number: int,
    effective_from: datetime,
    spec: TermsSpec,
    program: Program,
    now: datetime,
    *,
    requires_acceptance: bool,
    note: str | None,
) -> ContractVersion:
    currency = program.currency
    CompiledTerms(spec, currency)  # refuses amounts the currency cannot hold
    version = ContractVersion(
        id=new_id("ctv"),
        contract_id=contract.id,
        number=number,
        effective_from=effective_from,
        created_at=now,
        terms=spec.as_json(),
        requires_acceptance=requires_acceptance,
        note=note,
    )
    session.add(version)
    session.flush()
    for rule in _rule_rows(spec, currency):
        rule.contract_version_id = version.id
        session.add(rule)
    record(
        session,
        ContractVersionAdded(
            organization_id=program.organization_id,
            program_id=contract.program_id,
            occurred_at=now,
            contract_id=contract.id,
            contract_name=contract.name,
            version_id=version.id,
            number=number,
            effective_from=effective_from,
            requires_acceptance=requires_acceptance,
            is_default=contract.is_default,
        ),
    )
    return version


def load_contract(session: Session, program_id: str, contract_id: str) -> Contract:
    contract = session.scalar(
        select(Contract).where(Contract.id == contract_id, Contract.program_id == program_id)
    )
    if contract is None:
        raise NotFound("contract", contract_id, field="contract_id")
    return contract


_COMPILED: dict[str, tuple[CompiledTerms, tuple[str, ...]]] = {}


def compiled(session: Session, version: ContractVersion, currency: str) -> Terms:
    """A version's terms compiled once per process: versions never change."""
    cached = _COMPILED.get(version.id)
    if cached is None:
        spec = parse_terms(version.terms)
        rule_ids = tuple(
            session.scalars(
                select(PayoutRule.id)
                .where(PayoutRule.contract_version_id == version.id)
                .order_by(PayoutRule.rank)
            )
        )
        if len(_COMPILED) > 2000:
            _COMPILED.clear()
        cached = _COMPILED[version.id] = (CompiledTerms(spec, currency), rule_ids)
    return Terms(version, cached[0], cached[1])


def terms_at(
    session: Session,
    program_id: str,
    contract_id: str | None,
    at: datetime,
    *,
    currency: str,
    partner_id: str | None = None,
) -> Terms | None:
    """The version in force at `at` for a partner (their contract, else the default).

    The latest version effective by then applies, except one that requires acceptance and
    that the partner has not accepted: they stay on the version before it.
    """
    if contract_id is None:
        contract_id = remembered(
            session,
            "default_contract",
            program_id,
            lambda: session.scalar(
                select(Contract.id).where(Contract.program_id == program_id, Contract.is_default)
            ),
        )
        if contract_id is None:
            return None
    versions = remembered(
        session,
        "contract_versions",
        contract_id,
        lambda: session.scalars(
            select(ContractVersion)
            .where(ContractVersion.contract_id == contract_id)
            .order_by(ContractVersion.effective_from.desc(), ContractVersion.number.desc())
        ).all(),
    )
    for version in versions:
        if version.effective_from > at:
            continue
        needs_acceptance = version.requires_acceptance and partner_id is not None
        if needs_acceptance and not _accepted(session, version.id, partner_id):
            continue
        return compiled(session, version, currency)
    return None


def _accepted(session: Session, version_id: str, partner_id: str) -> bool:
    return remembered(
        session,
        "acceptance",
        (version_id, partner_id),
        lambda: (
            session.scalar(
                select(ContractAcceptance.id).where(
                    ContractAcceptance.contract_version_id == version_id,
                    ContractAcceptance.partner_id == partner_id,
                )
            )
            is not None
        ),
    )


def accept_version(
    store: Store, caller: Caller, version_id: str, *, accepted_by: str, ip: str | None = None
) -> ContractAcceptance:
    """A partner accepts a version of the contract they are on; accepting twice is a no-op.
    A version of any other contract is not found, as if it did not exist."""
    if caller.partner_id is None:
        raise Forbidden("only a partner can accept a contract version")
    now = store.clock.now()
    with store.unit() as session:
        version = visible_version(session, caller, version_id)
        earlier = session.scalar(
            select(ContractAcceptance).where(
                ContractAcceptance.contract_version_id == version.id,
                ContractAcceptance.partner_id == caller.partner_id,
            )
        )
        if earlier is not None:
            return earlier
        row = ContractAcceptance(
            id=new_id("acc"),
            contract_version_id=version.id,
            partner_id=caller.partner_id,
            accepted_by=accepted_by[:200],
            ip=ip,
            accepted_at=now,
        )
        session.add(row)
        return row


def contract_of_partner(
    session: Session, program_id: str, partner_id: str, at: datetime | None = None
) -> str | None:
    """The id of the contract a partner is on in a program at `at` (now): its enrollment's,
    else the program's default; None when it is not in the program or there is no
    contract."""
    enrollment = load_enrollment(session, program_id, partner_id)
    if enrollment is None:
        return None
    mine = contract_at(enrollment, at or datetime.now(UTC))
    if mine is not None:
        return mine
    return remembered(
        session,
        "default_contract",
        program_id,
        lambda: session.scalar(
            select(Contract.id).where(Contract.program_id == program_id, Contract.is_default)
        ),
    )


def visible_contract(session: Session, caller: Caller, contract_id: str) -> Contract:
    """A contract the caller may read: any contract of the brand's own programs, or the one
    contract a partner is on in a program. Anything else is not found, with the same answer
    as an id that does not exist (nothing of another organization is named)."""
    contract = session.get(Contract, contract_id)
    if contract is not None and _may_read(session, caller, contract):
        return contract
    raise NotFound("contract", contract_id, field="contract_id")


def _may_read(session: Session, caller: Caller, contract: Contract) -> bool:
    if caller.is_brand:
        owner = session.scalar(
            select(Program.organization_id).where(Program.id == contract.program_id)
        )
        return owner == caller.organization_id
    if caller.partner_id is None:
        return False
    return contract_of_partner(session, contract.program_id, caller.partner_id) == contract.id


def visible_version(session: Session, caller: Caller, version_id: str) -> ContractVersion:
    """A version of a contract the caller may read (see `visible_contract`), else NotFound."""
    version = session.get(ContractVersion, version_id)
    if version is not None:
        try:
            visible_contract(session, caller, version.contract_id)
        except NotFound:
            version = None
    if version is None:
        raise NotFound("contract version", version_id, field="contract_version_id")
    return version


def list_versions(store: Store, caller: Caller, contract_id: str) -> list[ContractVersion]:
    """The versions of a contract, oldest first.

    A brand reads every contract of its programs. A partner reads only the contract it is
    on (its enrollment's, else the program's default), and all of that contract's versions:
    each is in force for it (now, earlier, or from a later date) or waits for its
    acceptance. Another contract of the program, and so a version waiting for another
    partner's acceptance there, is not found.
    """
    with store.read() as session:
        contract = visible_contract(session, caller, contract_id)
        return list(
            session.scalars(
                select(ContractVersion)
                .where(ContractVersion.contract_id == contract.id)
                .order_by(ContractVersion.number)
            )
        )


def acceptances(store: Store, caller: Caller, version_id: str) -> list[ContractAcceptance]:
    require_brand(caller)
    with store.read() as session:
        visible_version(session, caller, version_id)
        return list(
            session.scalars(
                select(ContractAcceptance)
                .where(ContractAcceptance.contract_version_id == version_id)
                .order_by(ContractAcceptance.accepted_at)
            )
        )


def list_contracts(store: Store, caller: Caller, program_id: str) -> list[Contract]:
    """A program's contracts: all of them for its brand; for a partner, only the one it is
    on (none when the program has no contract for it)."""
    with store.read() as session:
        program = load_program(session, caller, program_id)
        query = select(Contract).where(Contract.program_id == program.id)
        if not caller.is_brand:
            mine = contract_of_partner(session, program.id, caller.partner_id,
                                       store.clock.now())  # fmt: skip
            if mine is None:
                return []
            query = query.where(Contract.id == mine)
        return list(session.scalars(query.order_by(Contract.created_at, Contract.id)))


@dataclass(frozen=True, slots=True)
class PartnerContract:
    """A partner's contract in a program as the partner sees it: the version it earns under
    now, and a newer one waiting for its acceptance, if any."""

    contract: Contract
    in_force: ContractVersion | None
    awaiting: ContractVersion | None

    @property
    def shown(self) -> ContractVersion | None:
        return self.awaiting or self.in_force


def partner_contract(store: Store, caller: Caller, program_id: str) -> PartnerContract | None:
    """The partner's contract in a program it is enrolled in (its own, else the default)."""
    if caller.partner_id is None:
        raise Forbidden("this is the partner's view of its contract")
    now = store.clock.now()
    with store.read() as session:
        enrollment = load_enrollment(session, program_id, caller.partner_id)
        if enrollment is None:
            raise NotFound("program", program_id, field="program_id")
        mine = contract_at(enrollment, now)
        contract = (
            session.get(Contract, mine)
            if mine
            else session.scalar(
                select(Contract).where(Contract.program_id == program_id, Contract.is_default)
            )
        )
        if contract is None:
            return None
        versions = list(
            session.scalars(
                select(ContractVersion)
                .where(ContractVersion.contract_id == contract.id)
                .order_by(ContractVersion.effective_from.desc(), ContractVersion.number.desc())
            )
        )
        accepted = set(
            session.scalars(
                select(ContractAcceptance.contract_version_id).where(
                    ContractAcceptance.partner_id == caller.partner_id,
                    ContractAcceptance.contract_version_id.in_([v.id for v in versions]),
                )
            )
        )
    in_force = awaiting = None
    for version in versions:
        needs = version.requires_acceptance and version.id not in accepted
        if needs and awaiting is None and in_force is None:
            awaiting = version  # the newest version the partner has not accepted yet
        if not needs and version.effective_from <= now:
            in_force = version
            break
    return PartnerContract(contract, in_force, awaiting)


def get_visible_contract(store: Store, caller: Caller, contract_id: str) -> Contract:
    """`visible_contract` read in a session of its own."""
    with store.read() as session:
        return visible_contract(session, caller, contract_id)


# reads for the console ------------------------------------------------------------------------
@dataclass
class Standing:
    """The contract a partner earns under in a program, and the newest version of it the
    partner accepted (number, when), if any."""

    contract: Contract | None
    accepted: tuple[int, datetime] | None


def partner_standing(
    store: Store, caller: Caller, program_id: str, contract_id: str | None, partner_id: str
) -> Standing:
    """For a brand: the partner's contract (`contract_id`, else the program's default) and
    its latest acceptance."""
    require_brand(caller)
    with store.read() as session:
        program = load_program(session, caller, program_id)
        contract = (
            session.get(Contract, contract_id)
            if contract_id
            else session.scalar(
                select(Contract).where(Contract.program_id == program.id, Contract.is_default)
            )
        )
        accepted = session.execute(
            select(ContractVersion.number, ContractAcceptance.accepted_at)
            .join(ContractVersion, ContractVersion.id == ContractAcceptance.contract_version_id)
            .where(
                ContractAcceptance.partner_id == partner_id,
                ContractVersion.contract_id == (contract.id if contract else None),
            )
            .order_by(ContractAcceptance.accepted_at.desc())
        ).first()
    return Standing(contract, tuple(accepted) if accepted else None)


def contract_for_type(session: Session, program_id: str, partner_type: str) -> str | None:
    """The contract of the program meant for a partner type, named itself or by its group
    (a contract naming the type wins over one naming its group; the oldest of equals), or
    None: the program's default."""
    contracts = session.scalars(
        select(Contract)
        .where(Contract.program_id == program_id)
        .order_by(Contract.created_at, Contract.id)
    ).all()
    if not any(contract.partner_types for contract in contracts):
        return None
    own = None
    if partner_type not in taxonomy.BY_CODE:  # a brand's own type: its group is stored
        program = session.get(Program, program_id)
        own = own_types(session, program.organization_id if program else None).groups
    for exact in (True, False):
        for contract in contracts:
            for selector in contract.partner_types or ():
                if (
                    (selector == partner_type)
                    if exact
                    else taxonomy.covers(selector, partner_type, own)
                ):
                    return contract.id
    return None


def set_contract_types(
    store: Store, caller: Caller, contract_id: str, partner_types: list[str]
) -> Contract:
    """The partner types a contract is meant for: applicants of those types are offered it
    (and put on it when the program approves them automatically)."""
    require_brand(caller)
    with store.unit() as session:
        wanted = check_selectors(partner_types, own_types(session, caller.organization_id))
        contract = visible_contract(session, caller, contract_id)
        contract.partner_types = sorted(wanted) or None
        return contract


@dataclass(frozen=True, slots=True)
class TermsPreview:
    """What one sample order would earn under draft terms, with the arithmetic."""

    amount: Money
    rule: str | None  # the rule that paid (its name, else its event), None: none matched
    arithmetic: str
    lines: list[dict]


def preview_terms(
    terms: object,
    currency: str,
    *,
    event_type: str,
    amount: str,
    at: datetime,
    customer_status: str = "new",
    country: str | None = None,
    promo_code: str | None = None,
    month_conversions: int = 0,
) -> TermsPreview:
    """A sample order under draft terms (validated as a new version would be), as the
    partner's first order of the month unless `month_conversions` came before it."""
    spec = _spec(terms)
    compiled = CompiledTerms(spec, currency)
    order = Money.parse(amount, currency, field="sample_amount")
    if order.amount <= 0:
        raise InvalidInput("sample_amount", "must be greater than zero")
    if customer_status not in ("new", "returning"):
        raise InvalidInput("sample_customer", "use new or returning")
    event = event_type.strip() or "sale"
    usage = MemoryUsage()
    if month_conversions > 0:
        usage.months[("preview", event, at.year * 100 + at.month)] = [month_conversions, 0]
    facts = Facts("preview", event, order.minor, at,
                  customer_status=customer_status, country=(country or "").upper() or None,
                  promo_code=promo_code or None)  # fmt: skip
    outcome = compiled.evaluate(facts, usage)
    explained = compiled.explain(facts, outcome)
    rule = outcome.rule.spec.label() if outcome.rule is not None else None
    return TermsPreview(Money.from_minor(outcome.amount_minor, currency), rule,
                        str(explained["arithmetic"]), list(explained["lines"]))  # fmt: skip
