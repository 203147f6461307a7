"""Leads' work a person starts on the job queue (the work itself is in accord.jobs.work)."""

from __future__ import annotations

from accord.jobs import service as jobs
from accord.leads.model import erasure_marks
from accord.leads.service import Erased, erase_contact
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand


def start_scoring(store: Store, caller: Caller, user_id: str | None = None):
    """Put scoring all the brand's contacts now on the job queue; returns the job."""
    require_brand(caller)
    return jobs.start(store, caller, "lead_scoring", {}, user_id=user_id)


def start_training(store: Store, caller: Caller, user_id: str | None = None):
    """Put training the brand's predictive model on the job queue; returns the job."""
    require_brand(caller)
    return jobs.start(store, caller, "lead_model", {}, user_id=user_id)


def _redact(family: set[str], marks: set[str]):
    def rewrite(result: dict) -> dict | None:
        rows = result.get("rows")
        if not isinstance(rows, list):
            return None
        out = []
        for row in rows:
            row = dict(row)
            if row.get("id") in family:
                row["id"], row["erased"] = None, True
            if marks & set(row.get("marks") or ()):
                row.pop("marks")
                row["message"], row["erased"] = "erased at the person's request", True
            out.append(row)
        return {**result, "rows": out}

    return rewrite


def erase_person(store: Store, caller: Caller, contact_id: str) -> Erased:
    """Erase a person (`service.erase_contact`) and what imports reported of them: the
    rows that made or matched their contact lose its id, and a refused row whose message
    names one of their identifiers (its erasure marks) loses its message."""
    done = erase_contact(store, caller, contact_id)
    rewrite = _redact(set(done.contact_ids), erasure_marks(done.identifiers))
    jobs.rewrite_results(store, caller.organization_id, "import_leads", rewrite)
    return done
