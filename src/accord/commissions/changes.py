"""Commission changes as domain events: the commission, and the order's amount left, as
they stand when the change is made (see accord.events.model.CommissionChange)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.commissions.tables import Commission
from accord.conversions.tables import Conversion
from accord.events.model import CommissionChange
from accord.money import Money

Change = TypeVar("Change", bound=CommissionChange)

#: Ids read per query when many commissions change at once.
CHUNK = 500


def _amount(minor: int, currency: str):
    return Money.from_minor(minor, currency).amount


def commission_change(
    kind: type[Change],
    commission: Commission,
    conversion: Conversion | None,
    at: datetime,
    **facts: object,
) -> Change:
    """The event `kind` for one commission whose conversion (if any) is at hand."""
    order = {}
    if conversion is not None:
        left = conversion.amount_minor - (conversion.reversed_minor or 0)
        order = {
            "order_amount": _amount(left, conversion.currency),
            "order_currency": conversion.currency,
        }
    return kind(
        organization_id=commission.organization_id,
        program_id=commission.program_id,
        occurred_at=at,
        commission_id=commission.id,
        partner_id=commission.partner_id,
        conversion_id=commission.conversion_id,
        kind=commission.kind,
        event_type=commission.event_type,
        status=commission.status,
        amount=_amount(commission.amount_minor, commission.currency),
        currency=commission.currency,
        **order,
        **facts,
    )


def commission_changes(
    session: Session, kind: type[Change], ids: Sequence[str], at: datetime, **facts: object
) -> list[Change]:
    """The event `kind` for many commissions, read as stored now (after a bulk update),
    with their orders, a query per CHUNK ids, in id order."""
    found = []
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        rows = session.execute(
            select(
                Commission.id,
                Commission.organization_id,
                Commission.program_id,
                Commission.partner_id,
                Commission.conversion_id,
                Commission.kind,
                Commission.event_type,
                Commission.status,
                Commission.amount_minor,
                Commission.currency,
                Conversion.amount_minor,
                Conversion.reversed_minor,
                Conversion.currency,
            )
            .outerjoin(Conversion, Conversion.id == Commission.conversion_id)
            .where(Commission.id.in_(ordered[start : start + CHUNK]))
            .order_by(Commission.id)
        ).all()
        for row in rows:
            (cid, org, program, partner, conversion, what, event_type, status, minor, currency,
             order_minor, reversed_minor, order_currency) = row  # fmt: skip
            order = {}
            if order_currency is not None:
                order = {
                    "order_amount": _amount(order_minor - (reversed_minor or 0), order_currency),
                    "order_currency": order_currency,
                }
            found.append(
                kind(
                    organization_id=org,
                    program_id=program,
                    occurred_at=at,
                    commission_id=cid,
                    partner_id=partner,
                    conversion_id=conversion,
                    kind=what,
                    event_type=event_type,
                    status=status,
                    amount=_amount(minor, currency),
                    currency=currency,
                    **order,
                    **facts,
                )
            )
    return found
