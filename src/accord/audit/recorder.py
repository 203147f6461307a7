"""Audit events recorded by the store itself, in the transaction that makes the change.

A `before_flush` listener on every Session looks at the audited mapped classes among the
new, changed and deleted objects and adds one AuditEvent per change, with the values before
and after; ORM bulk UPDATEs and DELETEs of audited classes get one summary event each; the
ledger calls `record_posting` for each entry it writes (one line per entry). The actor comes
from accord.audit.context. A session with no audited object leaves at once, so ingestion's
hot path (clicks, conversions, their commissions) pays almost nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.base import NO_VALUE

from accord.audit.context import current
from accord.audit.tables import AuditEvent
from accord.commissions.tables import Commission
from accord.contracts.tables import Contract, ContractAcceptance, ContractVersion, PayoutRule
from accord.conversions.tables import Conversion, ConversionReversal
from accord.fx.tables import ExchangeRate
from accord.ids import new_id
from accord.partners.tables import Enrollment, Partner
from accord.payouts.tables import Payout, PayoutBatch
from accord.postbacks.tables import PostbackEndpoint
from accord.programs.tables import Program
from accord.protect.tables import FraudSettings, RiskScore
from accord.tenancy.tables import ApiKey, User

REDACTED = "[redacted]"
#: Columns never written to the log, only that they changed.
SECRET = ("secret", "password", "hash", "payout_details")


@dataclass(frozen=True, slots=True)
class Policy:
    """What of a class is audited."""

    name: str  # the object type in the log
    on_create: bool = True
    on_delete: bool = True
    #: the columns whose change is audited (None: every column); others are not logged
    fields: tuple[str, ...] | None = None
    #: columns left out of the values logged
    skip: tuple[str, ...] = ()


POLICIES: dict[type, Policy] = {
    Program: Policy("program"),
    Contract: Policy("contract"),
    ContractVersion: Policy("contract_version"),
    PayoutRule: Policy("payout_rule"),
    ContractAcceptance: Policy("contract_acceptance"),
    Enrollment: Policy("enrollment", fields=("status", "contract_id")),
    Partner: Policy(
        "partner", fields=("name", "payout_method", "payout_currency", "payout_details")
    ),
    # A conversion's creation and its commission's are ingestion, not changes.
    Conversion: Policy(
        "conversion",
        on_create=False,
        fields=("status", "amount_minor", "reversed_minor", "confirmation"),
    ),
    ConversionReversal: Policy("reversal"),
    Commission: Policy(
        "commission", on_create=False, fields=("status", "amount_minor", "hold_reason")
    ),
    Payout: Policy("payout"),
    PayoutBatch: Policy("payout_batch"),
    ExchangeRate: Policy("exchange_rate"),
    ApiKey: Policy("api_key", skip=("last_used_at",), fields=None),
    User: Policy("user"),
    PostbackEndpoint: Policy("postback_endpoint"),
    FraudSettings: Policy("fraud_settings", skip=("updated_at", "updated_by")),
    # A score's creation is ingestion; a person's review of a held one is a change.
    RiskScore: Policy(
        "risk_score", on_create=False, fields=("review", "review_note", "reviewed_by")
    ),
}
_AUDITED = tuple(POLICIES)


def _plain(value: Any) -> Any:
    """A value as JSON holds it."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.loads(json.dumps(value, default=str))
    return str(value)


def _shown(column: str, value: Any) -> Any:
    if value is not None and any(word in column for word in SECRET):
        return REDACTED
    return _plain(value)


def _values(obj, policy: Policy) -> dict[str, Any]:
    state = inspect(obj)
    names = policy.fields or [a.key for a in state.mapper.column_attrs]
    values = {}
    for name in names:
        if name in policy.skip:
            continue
        value = state.attrs[name].loaded_value
        values[name] = _shown(name, None if value is NO_VALUE else value)
    return values


def _changes(obj, policy: Policy) -> tuple[dict[str, Any], dict[str, Any]]:
    """The audited columns that changed: their values before and after."""
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    names = policy.fields or [a.key for a in state.mapper.column_attrs]
    for name in names:
        if name in policy.skip:
            continue
        history = state.attrs[name].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if _plain(old) == _plain(new) and history.deleted:
            continue
        before[name] = _shown(name, old)
        after[name] = _shown(name, new)
    return before, after


def _organization(session: Session, obj) -> str | None:
    """Whose data the object is: its own organization, its program's, its partner's."""
    org = getattr(obj, "organization_id", None)
    if org:
        return org
    with session.no_autoflush:
        target = obj
        version_id = getattr(target, "contract_version_id", None)
        if version_id:
            target = session.get(ContractVersion, version_id) or target
        contract_id = getattr(target, "contract_id", None)
        program_id = getattr(obj, "program_id", None) or getattr(target, "program_id", None)
        if not program_id and contract_id:
            contract = session.get(Contract, contract_id)
            program_id = contract.program_id if contract else None
        partner_id = getattr(obj, "partner_id", None)
        if isinstance(obj, PostbackEndpoint) and partner_id:  # a partner's own endpoint
            partner = session.get(Partner, partner_id)
            if partner is not None:
                return partner.organization_id
        if program_id:
            program = session.get(Program, program_id)
            if program is not None:
                return program.organization_id
        if partner_id:
            partner = session.get(Partner, partner_id)
            if partner is not None:
                return partner.organization_id
    return current().organization_id


def _now(session: Session) -> datetime:
    store = session.info.get("accord_store")
    return store.clock.now() if store is not None else datetime.now(UTC)


def _event(session, action, object_type, object_id, organization_id, before, after):
    actor = current()
    return AuditEvent(
        id=new_id("aud"),
        organization_id=organization_id,
        at=_now(session),
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_label=(actor.label or "")[:320] or None,
        actor_organization_id=actor.organization_id,
        address=(actor.address or "")[:64] or None,
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:200],
        before=before,
        after=after,
    )


@event.listens_for(Session, "before_flush")
def _record_changes(session: Session, flush_context, instances) -> None:
    new, dirty, deleted = session.new, session.dirty, session.deleted
    if not (
        any(isinstance(o, _AUDITED) for o in new)
        or any(isinstance(o, _AUDITED) for o in dirty)
        or any(isinstance(o, _AUDITED) for o in deleted)
    ):
        return  # nothing audited in this flush: ingestion's usual case
    events = []
    for obj in new:
        policy = POLICIES.get(type(obj))
        if policy is not None and policy.on_create:
            events.append(
                _event(session, "create", policy.name, obj.id, _organization(session, obj),
                       None, _values(obj, policy))
            )  # fmt: skip
    for obj in dirty:
        policy = POLICIES.get(type(obj))
        if policy is None or not session.is_modified(obj, include_collections=False):
            continue
        before, after = _changes(obj, policy)
        if after:
            events.append(
                _event(session, "update", policy.name, obj.id, _organization(session, obj),
                       before, after)
            )  # fmt: skip
    for obj in deleted:
        policy = POLICIES.get(type(obj))
        if policy is not None and policy.on_delete:
            events.append(
                _event(session, "delete", policy.name, obj.id, _organization(session, obj),
                       _values(obj, policy), None)
            )  # fmt: skip
    session.add_all(events)


@event.listens_for(Session, "do_orm_execute")
def _record_bulk_changes(orm_execute_state) -> None:
    """An ORM bulk UPDATE or DELETE of an audited class: one summary event, with the rows
    it matched, what it set and how many rows changed."""
    if not (orm_execute_state.is_update or orm_execute_state.is_delete):
        return None
    mapper = orm_execute_state.bind_mapper
    policy = POLICIES.get(mapper.class_) if mapper is not None else None
    if policy is None:
        return None
    result = orm_execute_state.invoke_statement()
    params = {k: _plain(v) for k, v in orm_execute_state.statement.compile().params.items()}
    session = orm_execute_state.session
    organization = current().organization_id
    program = next((v for k, v in params.items() if k.startswith("program_id")), None)
    if program:
        with session.no_autoflush:
            found = session.get(Program, program)
        organization = found.organization_id if found else organization
    action = "update" if orm_execute_state.is_update else "delete"
    rows = result.rowcount
    session.add(
        _event(session, action, policy.name, f"{program or '*'} ({rows} rows)",
               organization, None, {"parameters": params, "rows": rows})
    )  # fmt: skip
    return result


#: Ledger entries that are ingestion (a commission earned, its platform fee), not changes.
_INGESTION_ENTRIES = (":accrue", ":fee")


def record_posting(session: Session, organization_id: str, entry, lines: list[dict]) -> None:
    """One line for a ledger entry written now: its key, memo and debits per account."""
    key = entry.business_key
    if key.startswith(("commission:", "bonus:", "clicks:")) and key.endswith(_INGESTION_ENTRIES):
        return
    total = sum(int(line["debit_minor"]) for line in lines)
    session.add(
        _event(
            session, "post", "ledger_entry", key, organization_id, None,
            {"memo": entry.memo, "total_minor": total,
             "currency": lines[0]["currency"] if lines else None, "lines": len(lines)},
        )
    )  # fmt: skip
