"""A partner's risk score as other stages read it (no import of the partner stage)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.protect.tables import PartnerRisk


def latest_partner_risk(session: Session, partner_id: str) -> int | None:
    """A partner's highest latest risk score across the programs it is scored in (for
    rules deciding its applications elsewhere); None when it was never scored."""
    latest = (
        select(PartnerRisk.program_id, func.max(PartnerRisk.day).label("day"))
        .where(PartnerRisk.partner_id == partner_id)
        .group_by(PartnerRisk.program_id)
        .subquery()
    )
    score = session.scalar(
        select(func.max(PartnerRisk.score))
        .join(
            latest,
            (latest.c.program_id == PartnerRisk.program_id) & (latest.c.day == PartnerRisk.day),
        )
        .where(PartnerRisk.partner_id == partner_id)
    )
    return None if score is None else int(score)
