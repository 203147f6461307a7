"""The work each kind of job does, and the money schedule every worker runs each hour.

A job's function is `function(store, caller, args, context) -> dict`: `args` is the JSON the
job was started with, `context` carries its id, attempt, payload and progress callback, and
the returned dict becomes the job's result. A job runs again when its worker was killed, so
every function is idempotent: an import stores each row once (its order id says whether it
is already there), a payout batch pays from the ledger's payable balances, which a batch
that committed has already emptied (a retry pays nobody twice and reports the batch that
paid).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from accord.audit.context import Actor, acting
from accord.conversions.imports import import_conversions, import_reversals
from accord.errors import AccordError, InvalidInput
from accord.jobs.queue import crontab, periodic
from accord.leads.handoff import outcomes_from_csv, outcomes_result
from accord.leads.imports import import_leads, import_result
from accord.leads.predict import train_brand
from accord.leads.scoring import score_all
from accord.payouts.service import run_batch, run_schedules
from accord.payouts.tables import PayoutBatch
from accord.protect.backtest import run_backtest
from accord.protect.partner_risk import score_now
from accord.store.engine import Store
from accord.tenancy.model import Caller, OrganizationKind
from accord.tenancy.tables import Organization

log = logging.getLogger("accord.jobs")


@dataclass(frozen=True)
class Context:
    job_id: str
    attempt: int
    created_at: datetime
    payload: str | None
    progress: Callable[[int, int | None], None]


Work = Callable[[Store, Caller, dict[str, Any], Context], dict]
KINDS: dict[str, Work] = {}


def kind(name: str) -> Callable[[Work], Work]:
    """Register the function that does jobs of `name`."""

    def decorator(function: Work) -> Work:
        if name in KINDS and KINDS[name] is not function:
            raise ValueError(f"two job functions are called {name}")
        KINDS[name] = function
        return function

    return decorator


def _import_result(rows: list, filename: str | None) -> dict:
    return {
        "file": filename,
        "counts": dict(Counter(r.status for r in rows)),
        "rows": [
            {
                "row": r.row,
                "status": r.status,
                "id": getattr(r, "reversal_id", None) or r.conversion_id,
                "field": (r.error or {}).get("field"),
                "message": (r.error or {}).get("message"),
            }
            for r in rows
        ],
    }


def _text(context: Context) -> str:
    if context.payload is None:
        raise InvalidInput("file", "the uploaded file is no longer there; upload it again")
    return context.payload


@kind("import_conversions")
def conversions_import(store: Store, caller: Caller, args: dict, context: Context) -> dict:
    """A CSV of offline conversions (the payload); a row already stored is a duplicate."""
    rows = import_conversions(
        store, caller, _text(context), program_id=args.get("program_id"), progress=context.progress
    )
    return _import_result(rows, args.get("file"))


@kind("import_reversals")
def reversals_import(store: Store, caller: Caller, args: dict, context: Context) -> dict:
    """A CSV of returns (the payload)."""
    rows = import_reversals(
        store, caller, _text(context), program_id=args.get("program_id"), progress=context.progress
    )
    return _import_result(rows, args.get("file"))


@kind("payout_batch")
def payout_batch(store: Store, caller: Caller, args: dict, context: Context) -> dict:
    """Pay each partner's payable balance. The batch is one transaction that empties the
    balances it pays, so a retry after a killed worker pays nobody twice; when an earlier
    attempt committed, the retry pays nobody and reports that attempt's batch."""
    program_id = args["program_id"]
    result = run_batch(store, caller, program_id, progress=context.progress,
                       hold_without_method=bool(args.get("hold_without_method")))  # fmt: skip
    batch = result.batch
    count = len(result.payouts)
    if batch is None and context.attempt > 1:
        with store.read() as session:
            batch = session.scalar(
                select(PayoutBatch)
                .where(
                    PayoutBatch.program_id == program_id,
                    PayoutBatch.created_at >= context.created_at,
                )
                .order_by(PayoutBatch.created_at.desc())
                .limit(1)
            )
        count = batch.payout_count if batch is not None else 0
    if batch is None:
        return {"batch_id": None, "payouts": 0}
    return {
        "batch_id": batch.id,
        "payouts": count,
        "total_minor": batch.total_minor,
        "currency": batch.currency,
    }


@kind("schedule")
def schedule(store: Store, caller: Caller, args: dict, context: Context) -> dict:
    """The brand's periodic money work (`run_schedules`): lock, approve, pay what is due."""
    runs = run_schedules(store, caller)
    context.progress(len(runs), len(runs))
    return {"programs": [_schedule_run(run) for run in runs]}


def _schedule_run(run) -> dict:
    batch = run.batch.batch if run.batch else None
    return {
        "program_id": run.program_id,
        "locked": run.locked,
        "approved_automatically": run.approved_automatically,
        "click_commissions": run.click_commissions,
        "batch_id": batch.id if batch else None,
        "total_minor": batch.total_minor if batch else None,
        "currency": batch.currency if batch else None,
    }


@kind("fraud_backtest")
def fraud_backtest(store: Store, caller: Caller, args: dict, context: Context) -> dict:
    """What the program's rules (or a draft) would have held over a past period."""
    result = run_backtest(store, caller, args["program_id"], args, progress=context.progress)
    return result.as_dict()


@kind("partner_risk")
def partner_risk(store: Store, caller: Caller, args: dict, context: Context) -> dict:
    """Score every partner of the program now, and tell its managers about rises."""
    context.progress(0, 1)
    done = score_now(store, caller, args["program_id"])
    context.progress(1, 1)
    return done


@kind("import_leads")
def leads_import(store: Store, caller: Caller, args: dict, context: Context) -> dict:
    """A CSV of people (the payload): badge scans, store visits, call-centre lists."""
    rows = import_leads(
        store, caller, _text(context), defaults=args.get("defaults"), progress=context.progress
    )
    return import_result(rows, args.get("file"))


@kind("import_outcomes")
def outcomes_import(store: Store, caller: Caller, args: dict, context: Context) -> dict:
    """A CSV of what sales made of the leads handed over (the payload)."""
    rows = outcomes_from_csv(store, caller, _text(context), progress=context.progress)
    return outcomes_result(rows, args.get("file"))


@kind("lead_model")
def lead_model(store: Store, caller: Caller, args: dict, context: Context) -> dict:
    """Train the brand's predictive model on its outcomes and predict every open contact."""
    done = train_brand(store, caller.organization_id, progress=context.progress)
    return {"status": done.status, "won": done.won, "lost": done.lost, "auc": done.auc,
            "predicted": done.predicted}  # fmt: skip


@kind("lead_scoring")
def lead_scoring(store: Store, caller: Caller, args: dict, context: Context) -> dict:
    """Score every contact of the brand again from its activities now."""
    return score_all(store, caller.organization_id, progress=context.progress)


@kind("sleep")
def sleep(store: Store, caller: Caller, args: dict, context: Context) -> dict:
    """Wait `seconds` in steps, reporting progress: for checking that workers run at all
    and what a killed worker leaves behind (tests and benchmarks use it)."""
    steps = max(1, int(args.get("steps", 10)))
    pause = float(args.get("seconds", 0)) / steps
    for step in range(steps):
        if pause:
            time.sleep(pause)
        context.progress(step + 1, steps)
    return {"steps": steps}


SCHEDULE_ACTOR = Actor("system", label="schedule")


@periodic("money_schedule", crontab=crontab(minute="7"))
def money_schedule(store: Store) -> int:
    """Every hour, each brand's periodic money work; idempotent (what is locked, approved or
    paid is not done again), so a pass cut short by a killed worker is finished by the next.
    Returns the number of brands whose work ran without error."""
    with store.read() as session:
        brands = list(
            session.execute(
                select(Organization.id, Organization.kind).where(
                    Organization.kind.in_(
                        (OrganizationKind.BRAND.value, OrganizationKind.AGENCY.value)
                    )
                )
            )
        )
    ran = 0
    with acting(SCHEDULE_ACTOR):
        for organization_id, organization_kind in brands:
            caller = Caller(organization_id, OrganizationKind(organization_kind))
            try:
                run_schedules(store, caller)
            except AccordError as error:
                log.warning("schedule of %s: %s", organization_id, error.message)
            except Exception:  # one brand's failure must not stop the others
                log.exception("schedule of %s failed", organization_id)
            else:
                ran += 1
    return ran


@kind("terms_what_if")
def terms_what_if(store: Store, caller: Caller, args: dict, context: Context) -> dict:
    """Draft terms replayed over a period's conversions, for one contract's partners, one
    partner type or one partner (or all): what each would have earned, against what they
    did. Nothing is written."""
    from accord.contracts.terms import parse_terms
    from accord.contracts.whatif import what_if
    from accord.partners import taxonomy
    from accord.partners.service import contract_holders, partner_names
    from accord.partners.types import brand_own_types

    program_id = args["program_id"]
    scope, value = args.get("scope") or "all", args.get("value") or ""
    wanted = None
    if scope != "all":
        holders = contract_holders(store, caller, program_id)
        own = brand_own_types(store, caller).groups
        wanted = {
            h.partner_id
            for h in holders
            if (
                scope == "contract"
                and (h.contract_id == value or (h.contract_id is None and args.get("is_default")))
            )
            or (scope == "partner_type" and taxonomy.covers(value, h.partner_type, own))
            or (scope == "partner" and h.partner_id == value)
        }
    result = what_if(
        store, caller, program_id, parse_terms(args["terms"]),
        datetime.fromisoformat(args["since"]), datetime.fromisoformat(args["until"]),
        partner_ids=wanted, progress=context.progress,
    ).as_dict()  # fmt: skip
    names = partner_names(store, caller, [p["partner_id"] for p in result["partners"]])
    for row in result["partners"]:
        row["name"] = names.get(row["partner_id"], row["partner_id"])
    result["scope"] = {"kind": scope, "value": value}
    since, until = datetime.fromisoformat(args["since"]), datetime.fromisoformat(args["until"])
    result["first_day"] = since.date().isoformat()
    result["last_day"] = (until - timedelta(microseconds=1)).date().isoformat()
    return result


def _platform_import(file: str | None, report, **extra) -> dict:
    """A platform import's result: its counts and every row's status, ids and message."""
    from accord.partners.imports import PLATFORMS, said, words_said

    rows = [{"row": r.row, "status": r.status, **{k: get(r) for k, get in extra.items()},
             **said(r), "words": words_said(r)} for r in report.rows]  # fmt: skip
    return {"file": file, "platform": PLATFORMS[report.platform],
            "counts": dict(Counter(r.status for r in report.rows)), "rows": rows}  # fmt: skip


@kind("import_partners")
def partners_import(store: Store, caller: Caller, args: dict, context: Context) -> dict:
    """A partner export of another platform (the payload): a partner per row, or why not."""
    from accord.partners.imports import import_partners

    report = import_partners(store, caller, args["program_id"], _text(context),
                             partner_type=args.get("partner_type") or "affiliate",
                             progress=context.progress)  # fmt: skip
    return _platform_import(args.get("file"), report, id=lambda r: r.partner_id)


@kind("import_history")
def history_import(store: Store, caller: Caller, args: dict, context: Context) -> dict:
    """An actions or commissions export of another platform (the payload): a conversion per
    row, its commission owed, settled or reversed as the old platform left it, or why not."""
    from accord.conversions.history import import_history

    report = import_history(store, caller, args["program_id"], _text(context),
                            progress=context.progress)  # fmt: skip
    owed = report.owed
    return {
        **_platform_import(args.get("file"), report, id=lambda r: r.conversion_id,
                           commission_id=lambda r: r.commission_id),
        "owed": {"count": sum(1 for r in report.rows if r.owed_minor), "minor": owed.minor,
                 "currency": owed.currency},
    }  # fmt: skip
