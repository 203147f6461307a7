"""Leads' work a person starts on the job queue (the work itself is in accord.jobs.work)."""

from __future__ import annotations

from accord.jobs import service as jobs
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand


def start_scoring(store: Store, caller: Caller, user_id: str | None = None):
    """Put scoring all the brand's contacts now on the job queue; returns the job."""
    require_brand(caller)
    return jobs.start(store, caller, "lead_scoring", {}, user_id=user_id)
