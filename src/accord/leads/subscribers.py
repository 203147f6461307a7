"""Leads react to their own stage changes: a contact that became marketing-qualified is
handed to sales as the brand asked (`leads.handoff.on_qualified`), in the dispatcher's
transaction, so it is handed over once."""

from __future__ import annotations

from sqlalchemy.orm import Session

from accord.events.model import LeadStageChanged
from accord.events.subscriptions import subscribe
from accord.leads.handoff import on_qualified


@subscribe(LeadStageChanged, "lead_handoff")
def stage_changed(session: Session, event: LeadStageChanged) -> None:
    if event.stage == "mql":
        on_qualified(session, event.organization_id, event.contact_id, event.occurred_at)
