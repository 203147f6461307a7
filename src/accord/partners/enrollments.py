"""A partner's enrollment in a program, as other stages read it.

Contracts, tracking, conversions and inquiries ask which enrollment (its status, its
contract) a partner has in a program; this module answers without the partners' use cases,
so that those stages and `accord.partners.service` can both depend on it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.events.model import EnrollmentChange
from accord.partners.tables import Enrollment
from accord.store.memo import remembered


def load_enrollment(session: Session, program_id: str, partner_id: str) -> Enrollment | None:
    """The partner's enrollment in the program, None when it has none (remembered for the
    unit of work inside `accord.store.memo.memoized`)."""
    return remembered(
        session,
        "enrollment",
        (program_id, partner_id),
        lambda: session.scalar(
            select(Enrollment).where(
                Enrollment.program_id == program_id, Enrollment.partner_id == partner_id
            )
        ),
    )


def contract_at(enrollment: Enrollment, at: datetime) -> str | None:
    """The contract the partner earns under at `at`: the last move to take effect by then,
    else the contract it was put on (None: the program's default)."""
    current = enrollment.contract_id
    for move in enrollment.contract_moves or ():
        if datetime.fromisoformat(move["from"]) > at:
            break
        current = move["contract_id"]
    return current


def coming_move(enrollment: Enrollment, at: datetime) -> dict | None:
    """The next move after `at`, if one is decided: {"contract_id", "from", ...}."""
    for move in enrollment.contract_moves or ():
        if datetime.fromisoformat(move["from"]) > at:
            return move
    return None


def enrollment_change(
    kind: type[EnrollmentChange],
    organization_id: str,
    enrollment: Enrollment,
    before: str | None,
    now,
) -> EnrollmentChange:
    """The domain event of a partner's enrollment changing, for the brand's organization."""
    return kind(
        organization_id=organization_id,
        program_id=enrollment.program_id,
        occurred_at=now,
        partner_id=enrollment.partner_id,
        enrollment_id=enrollment.id,
        status_before=before,
        status=enrollment.status,
    )
