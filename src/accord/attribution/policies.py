"""A program's attribution policies: versions with effective dates, and the one in force.

A brand sets a policy (accord.attribution.policy) for the whole program or one event type,
from a date that is now or later. A conversion is attributed under the version in force at
the time it happened; a commission already computed is never recomputed when a policy
changes, so a new version never rewrites what partners were told they earned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.attribution.policy import CodePolicy, Model, Policy
from accord.attribution.tables import AttributionPolicyRow
from accord.contracts.model import is_valid_event_type
from accord.errors import InvalidInput, Text
from accord.ids import new_id
from accord.partners.types import check_selectors, own_types
from accord.programs.service import load_program
from accord.store.engine import Store
from accord.store.memo import remembered
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand

#: How far in the past an effective date may be (a form submitted a moment ago).
GRACE = timedelta(minutes=5)
MAX_VERSIONS = 500


@dataclass(frozen=True)
class PolicyVersion:
    """One version of a policy, as people read it."""

    id: str | None  # None: the program's default rule, never set
    program_id: str
    event_type: str | None
    effective_from: datetime | None
    policy: Policy
    note: str | None
    created_at: datetime | None
    in_force: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "program_id": self.program_id,
            "event_type": self.event_type,
            "effective_from": _iso(self.effective_from),
            "note": self.note,
            "created_at": _iso(self.created_at),
            "in_force": self.in_force,
            **self.policy.as_dict(),
        }


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def _policy(row: AttributionPolicyRow) -> Policy:
    return Policy(
        model=Model(row.model),
        window_days=row.window_days,
        first_weight=row.first_weight,
        last_weight=row.last_weight,
        half_life_hours=row.half_life_hours,
        code_policy=CodePolicy(row.code_policy),
        type_priority=tuple(row.type_priority or ()),
        priority_hours=row.priority_hours,
        split=row.split,
    )


def _version(row: AttributionPolicyRow, in_force: bool = False) -> PolicyVersion:
    return PolicyVersion(
        row.id,
        row.program_id,
        row.event_type,
        row.effective_from,
        _policy(row),
        row.note,
        row.created_at,
        in_force,
    )


def _rows(session: Session, program_id: str) -> list[AttributionPolicyRow]:
    return list(
        session.scalars(
            select(AttributionPolicyRow)
            .where(AttributionPolicyRow.program_id == program_id)
            .order_by(AttributionPolicyRow.effective_from, AttributionPolicyRow.created_at)
        )
    )


def _in_force(
    rows: list[AttributionPolicyRow], event_type: str | None, at: datetime
) -> AttributionPolicyRow | None:
    """The latest version started by `at`: one for the event type before one for all."""
    started = [r for r in rows if r.effective_from <= at]
    for wanted in dict.fromkeys((event_type, None)):
        matching = [r for r in started if r.event_type == wanted]
        if matching:
            return max(matching, key=lambda r: (r.effective_from, r.created_at))
    return None


def policy_at(
    session: Session, program_id: str, event_type: str | None, at: datetime
) -> tuple[str | None, Policy]:
    """The policy a conversion of `event_type` that happened at `at` is attributed under,
    and its version id (None for the default rule). Read once per session in a batch."""
    rows = remembered(
        session, "attribution_policies", program_id, lambda: _rows(session, program_id)
    )
    row = _in_force(rows, event_type, at)
    return (None, Policy()) if row is None else (row.id, _policy(row))


def set_policy(
    store: Store,
    caller: Caller,
    program_id: str,
    policy: Policy,
    *,
    effective_from: datetime | None = None,
    event_type: str | None = None,
    note: str | None = None,
) -> PolicyVersion:
    """Add a version of the program's policy, in force from `effective_from` (now when not
    given); conversions that happened before it keep the version they were attributed under."""
    require_brand(caller)
    caller.require("programs:write")
    now = store.clock.now()
    if effective_from is None:
        effective_from = now
    if effective_from.tzinfo is None:
        raise InvalidInput("effective_from", "give a time with its timezone (UTC-aware)")
    if effective_from < now - GRACE:
        raise InvalidInput(
            "effective_from",
            "must be now or later: commissions already computed are never recomputed, so a "
            "policy cannot start in the past",
        )
    if event_type is not None and not is_valid_event_type(event_type):
        raise InvalidInput(
            "event_type", "use sale, lead, signup, install, first_purchase or custom:<name>"
        )
    if note is not None and len(note) > 500:
        raise InvalidInput("note", "write at most 500 characters")
    with store.unit() as session:
        check_selectors(
            policy.type_priority, own_types(session, caller.organization_id), "type_priority"
        )
        program = load_program(session, caller, program_id, for_update=True)
        if len(_rows(session, program.id)) >= MAX_VERSIONS:
            raise InvalidInput(
                "effective_from",
                Text("a program keeps at most %(most)s versions", most=MAX_VERSIONS),
            )
        row = AttributionPolicyRow(
            id=new_id("apl"),
            organization_id=program.organization_id,
            program_id=program.id,
            event_type=event_type,
            effective_from=effective_from,
            model=policy.model.value,
            window_days=policy.window_days,
            first_weight=policy.first_weight,
            last_weight=policy.last_weight,
            half_life_hours=policy.half_life_hours,
            code_policy=policy.code_policy.value,
            type_priority=list(policy.type_priority),
            priority_hours=policy.priority_hours,
            split=policy.split,
            note=note or None,
            created_at=now,
        )
        session.add(row)
        session.flush()
        return _version(row, in_force=effective_from <= now)


def list_policies(store: Store, caller: Caller, program_id: str) -> list[PolicyVersion]:
    """Every version of the program's policy, the newest first, each marked when in force
    now (for its event type); the default rule alone when none was ever set."""
    require_brand(caller)
    now = store.clock.now()
    with store.read() as session:
        program = load_program(session, caller, program_id)
        rows = _rows(session, program.id)
        if not rows:
            return [PolicyVersion(None, program.id, None, None, Policy(), None, None, True)]
        current = {r.event_type: _in_force(rows, r.event_type, now) for r in rows}
        live = {row.id for row in current.values() if row is not None}
        return [_version(r, r.id in live) for r in reversed(rows)]
