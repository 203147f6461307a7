"""Sources that pay off: for each channel, campaign, source (an event, a form), search
keyword or subject (a white paper, a webinar), the people it first brought in a period, how
many became marketing-qualified, reached an opportunity, and were won, with the revenue
won. Each contact counts once, for the activity that first brought it (first touch)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from accord.errors import InvalidInput, Text
from accord.leads.tables import Activity, Contact, StageChange
from accord.money import Money
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand

DIMENSIONS = ("channel", "campaign", "source", "keyword", "subject")
#: Stages at or past marketing-qualified, and past an opportunity.
QUALIFIED = ("mql", "sql", "opportunity", "customer")
OPPORTUNITY = ("opportunity", "customer")


@dataclass
class SourceRow:
    value: str | None
    leads: int = 0
    mqls: int = 0
    opportunities: int = 0
    won: int = 0
    #: revenue won, by currency
    revenue: dict[str, Money] = field(default_factory=dict)

    @property
    def mql_rate(self) -> Decimal | None:
        return Decimal(self.mqls) / self.leads if self.leads else None

    @property
    def win_rate(self) -> Decimal | None:
        return Decimal(self.won) / self.leads if self.leads else None


def sources(
    store: Store, caller: Caller, by: str, since: datetime, until: datetime
) -> list[SourceRow]:
    """One row per value of `by` among the contacts first seen in [since, until), most
    won revenue first, then most leads."""
    require_brand(caller)
    if by not in DIMENSIONS:
        raise InvalidInput("by", Text("use one of: %(choices)s", choices=", ".join(DIMENSIONS)))
    if until <= since:
        raise InvalidInput("until", "must be after since")
    column = getattr(Activity, by)
    org = caller.organization_id
    ranked = (
        select(
            Activity.contact_id.label("contact_id"),
            column.label("value"),
            func.row_number()
            .over(partition_by=Activity.contact_id, order_by=(Activity.at, Activity.id))
            .label("n"),
        )
        .where(Activity.organization_id == org)
        .subquery()
    )
    with store.read() as session:
        firsts = session.execute(
            select(ranked.c.contact_id, ranked.c.value, Contact.stage)
            .join(Contact, Contact.id == ranked.c.contact_id)
            .where(
                ranked.c.n == 1,
                Contact.organization_id == org,
                Contact.merged_into.is_(None),
                Contact.created_at >= since,
                Contact.created_at < until,
            )
        ).all()
        ids = [contact_id for contact_id, _, _ in firsts]
        reached: dict[str, set[str]] = {}
        won: dict[str, Money] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for contact_id, stage, minor, currency in session.execute(
                select(
                    StageChange.contact_id, StageChange.stage, StageChange.amount_minor,
                    StageChange.currency,
                )
                .where(StageChange.contact_id.in_(chunk))
                .order_by(StageChange.at, StageChange.id)
            ):  # fmt: skip
                reached.setdefault(contact_id, set()).add(stage)
                if stage == "customer" and minor is not None and currency:
                    won[contact_id] = Money.from_minor(minor, currency)
    rows: dict[str | None, SourceRow] = {}
    for contact_id, value, stage in firsts:
        row = rows.setdefault(value, SourceRow(value))
        seen = reached.get(contact_id, set()) | {stage}
        row.leads += 1
        row.mqls += int(bool(seen & set(QUALIFIED)))
        row.opportunities += int(bool(seen & set(OPPORTUNITY)))
        if stage == "customer":
            row.won += 1
            amount = won.get(contact_id)
            if amount is not None:
                kept = row.revenue.get(amount.currency)
                row.revenue[amount.currency] = amount if kept is None else kept + amount
    return sorted(
        rows.values(),
        key=lambda r: (
            -sum((m.amount for m in r.revenue.values()), Decimal(0)),
            -r.leads,
            r.value or "",
        ),
    )
