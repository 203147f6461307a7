"""A partner's enrollment in a program, as other stages read it.

Contracts, tracking, conversions and inquiries ask which enrollment (its status, its
contract) a partner has in a program; this module answers without the partners' use cases,
so that those stages and `accord.partners.service` can both depend on it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

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
