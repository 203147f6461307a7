"""Reading the audit log: an organization's events, filtered, newest or oldest first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, or_, select

from accord.audit.tables import AuditEvent
from accord.errors import InvalidInput, Text
from accord.store.engine import Store
from accord.store.paging import Slice, read_page
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand

#: Object types people filter on, as the log names them.
OBJECT_TYPES = (
    "program", "contract", "contract_version", "payout_rule", "contract_acceptance",
    "enrollment", "partner", "conversion", "reversal", "commission", "payout",
    "payout_batch", "ledger_entry", "exchange_rate", "api_key", "user", "postback_endpoint",
)  # fmt: skip


def events_query(
    caller: Caller,
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select:
    """The brand's own events (changes to its data), filtered; not yet ordered."""
    require_brand(caller)
    query = select(AuditEvent).where(AuditEvent.organization_id == caller.organization_id)
    if object_type:
        if object_type not in OBJECT_TYPES:
            raise InvalidInput(
                "object_type", Text("use one of %(choices)s", choices=", ".join(OBJECT_TYPES))
            )
        query = query.where(AuditEvent.object_type == object_type)
    if object_id:
        query = query.where(AuditEvent.object_id == object_id)
    if actor:
        needle = actor.strip()
        query = query.where(
            or_(
                AuditEvent.actor_id == needle,
                AuditEvent.actor_label == needle.lower(),
                AuditEvent.actor_kind == needle,
            )
        )
    if since:
        query = query.where(AuditEvent.at >= since)
    if until:
        query = query.where(AuditEvent.at < until)
    return query


def events_page(
    store: Store,
    caller: Caller,
    *,
    limit: int,
    starting_after: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Slice[AuditEvent]:
    """A page of the brand's events, oldest first, filtered as `events_query` filters."""
    query = events_query(
        caller, object_type=object_type, object_id=object_id, actor=actor, since=since,
        until=until,
    )  # fmt: skip
    return read_page(store, query, AuditEvent.id, limit, starting_after)


def audit_events(
    store: Store,
    caller: Caller,
    *,
    before: str | None = None,
    limit: int | None = None,
    newest_first: bool = True,
    **filters,
) -> list[AuditEvent]:
    """The brand's events (`events_query`'s filters), newest first (or oldest first), before
    the id `before`, at most `limit` of them."""
    query = events_query(caller, **filters)
    if before:
        query = query.where(AuditEvent.id < before)
    query = query.order_by(AuditEvent.id.desc() if newest_first else AuditEvent.id)
    if limit is not None:
        query = query.limit(limit)
    with store.read() as session:
        return list(session.scalars(query))
