"""Protect's work a person starts on the job queue: fraud backtests, read back too (the
replay itself is `protect.backtest`, which the queue's work runs), and scoring a program's
partners now (`protect.partner_risk`)."""

from __future__ import annotations

from typing import Any

from accord.errors import NotFound
from accord.jobs import service as jobs
from accord.programs.service import load_program
from accord.protect.backtest import _draft, period_of
from accord.protect.service import fraud_settings
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand


def start_backtest(
    store: Store,
    caller: Caller,
    program_id: str,
    args: dict[str, Any],
    user_id: str | None = None,
):
    """Check the period and draft now (a bad field is refused before anything runs), then
    put the backtest on the job queue; returns the job."""
    require_brand(caller)
    period_of(args)
    _draft(fraud_settings(store, caller, program_id), args)
    return jobs.start(
        store,
        caller,
        "fraud_backtest",
        {**args, "program_id": program_id},
        program_id=program_id,
        user_id=user_id,
    )


#: The kinds of job protect starts.
KINDS = ("fraud_backtest", "partner_risk")


def backtest_job(
    store: Store,
    caller: Caller,
    program_id: str,
    job_id: str,
    kinds: tuple[str, ...] = ("fraud_backtest",),
):
    """A backtest job of the program, or a job of other `kinds` (404 for any other)."""
    job = jobs.get_job(store, caller, job_id)
    if job.kind not in kinds or job.program_id != program_id:
        raise NotFound("job", job_id, field="job_id")
    return job


def latest_backtest(store: Store, caller: Caller, program_id: str):
    """The program's most recent backtest job, or None."""
    for job in jobs.recent_jobs(store, caller, limit=50):
        if job.kind == "fraud_backtest" and job.program_id == program_id:
            return job
    return None


def start_scoring(store: Store, caller: Caller, program_id: str, user_id: str | None = None):
    """Put scoring the program's partners on the job queue; returns the job."""
    require_brand(caller)
    with store.read() as session:
        load_program(session, caller, program_id)
    return jobs.start(
        store,
        caller,
        "partner_risk",
        {"program_id": program_id},
        program_id=program_id,
        user_id=user_id,
    )
