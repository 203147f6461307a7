"""The audit log of the calling brand: read-only, paged."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from accord.api.deps import CallerDep, Limit, StartingAfter, StoreDep
from accord.api.schemas import Page
from accord.audit.service import events_page

router = APIRouter(tags=["audit"])


class AuditEventOut(BaseModel):
    id: str
    at: datetime
    actor_kind: str = Field(description="user, key, cli or system")
    actor_id: str | None = Field(description="The user's id or the API key's key id.")
    actor_label: str | None = Field(description="The user's email.")
    actor_organization_id: str | None
    address: str | None = Field(description="The client's address.")
    action: str = Field(description="create, update, delete, or post (a ledger entry)")
    object_type: str
    object_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@router.get("/audit-events", response_model=Page[AuditEventOut])
def list_audit_events(
    store: StoreDep,
    caller: CallerDep,
    limit: Limit = 100,
    starting_after: StartingAfter = None,
    object_type: str | None = None,
    object_id: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
):
    """Every change to the brand's money, contracts, settings, keys and users, oldest
    first: who (a user or a key), when, from which address, and the values before and
    after. The log is append-only: there is no way to change or remove an event."""
    found = events_page(
        store, caller, limit=limit, starting_after=starting_after, object_type=object_type,
        object_id=object_id, actor=actor, since=since, until=until,
    )  # fmt: skip
    return Page[AuditEventOut](
        data=[AuditEventOut.model_validate(r, from_attributes=True) for r in found.rows],
        has_more=found.has_more,
        next_starting_after=found.next_after,
    )
