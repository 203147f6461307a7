"""Hand-off: marketing-qualified contacts go to sales, and what sales made of them comes back.

- **By webhook**: the brand gives its CRM's (or middleware's) URL and a shape (HubSpot,
  Salesforce or Accord's own). When a contact becomes an MQL (`lead.stage_changed`), the
  subscriber (`leads.subscribers`) writes a hand-off in the same transaction; the queue's
  `deliver_lead_handoffs` sends it signed (Standard Webhooks: `webhook-id`,
  `webhook-timestamp`, `webhook-signature`, the brand's secret) and tries again on the
  postbacks' schedule. Only public addresses are called.
- **By CSV**: every contact of a stage in HubSpot's or Salesforce's import columns.
- **To the built-in CRM**: with `assign`, a new MQL goes to the brand's sales rep with the
  fewest open leads, with a task to call them today.
- **Outcomes back**: by API or CSV, in Accord's words or the CRM's (an opportunity, a won
  deal with its amount, a lost one with its reason), each row with its result.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from accord.errors import AccordError, InvalidInput, Text
from accord.ids import new_id
from accord.leads.handoff_model import (
    CSV_COLUMNS,
    FORMATS,
    BadOutcome,
    Lead,
    csv_row,
    outcome_of,
    shaped,
)
from accord.leads.model import Stage, grade
from accord.leads.scoring import locked_settings
from accord.leads.tables import (
    Activity,
    Contact,
    ContactIdentity,
    LeadHandoff,
    LeadSettings,
    LeadTask,
)
from accord.money import Money
from accord.postbacks.model import (
    Resolver,
    check_destination,
    delivered,
    format_secret,
    retry_at,
    signed_headers,
)
from accord.spreadsheets import spreadsheet_safe
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand, users_in

#: How long a worker holds the hand-offs it took before another may take them.
LEASE = timedelta(minutes=15)
#: Rows an outcomes upload may have.
MAX_OUTCOMES = 10_000
#: Stages a sales rep is still working (their load, when a new MQL is assigned).
OPEN_STAGES = ("mql", "sql", "opportunity")


# settings ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class HandoffSettings:
    url: str | None
    format: str
    assign: bool
    #: shown once, when it is made
    secret: str | None = None


def handoff_settings(store: Store, caller: Caller) -> HandoffSettings:
    require_brand(caller)
    with store.read() as session:
        row = session.get(LeadSettings, caller.organization_id)
        given = (row.handoff if row else None) or {}
    return HandoffSettings(given.get("url"), given.get("format", "hubspot"),
                           bool(given.get("assign")))  # fmt: skip


def change_handoff(
    store: Store,
    caller: Caller,
    *,
    url: str | None,
    format: str = "hubspot",
    assign: bool = False,
    new_secret: bool = False,
    resolve: Resolver | None = None,
    allow_private: bool = False,
) -> HandoffSettings:
    """Where MQLs go. A URL must be http(s) on a public address; the signing secret is made
    with the first URL (or on request) and returned this once."""
    require_brand(caller)
    if format not in FORMATS:
        raise InvalidInput("format", Text("use one of: %(formats)s", formats=", ".join(FORMATS)))
    target = (url or "").strip() or None
    if target is not None:
        if not target.lower().startswith(("https://", "http://")) or len(target) > 2000:
            raise InvalidInput("url", "give the full address, starting with https://")
        if not allow_private:
            from accord.postbacks.service import system_resolve

            check_destination(target, resolve or system_resolve)
    with store.unit() as session:
        row = locked_settings(session, caller.organization_id, store.clock.now())
        current = dict(row.handoff or {})
        secret = None
        if target is not None and (new_secret or not current.get("secret")):
            secret = format_secret(os.urandom(32))
            current["secret"] = secret
        current.update(url=target, format=format, assign=bool(assign))
        row.handoff = current
    return HandoffSettings(target, format, bool(assign), secret)


# what a hand-off says ---------------------------------------------------------------------
def lead_of(session: Session, contact: Contact) -> Lead:
    firsts: dict[str, str] = {}
    wanted = ContactIdentity.kind.in_(("email", "phone"))
    for kind, value in session.execute(
        select(ContactIdentity.kind, ContactIdentity.value)
        .where(ContactIdentity.contact_id == contact.id, wanted)
        .order_by(ContactIdentity.first_seen, ContactIdentity.id)
    ):
        firsts.setdefault(kind, value)
    first = session.execute(
        select(Activity.source, Activity.campaign, Activity.channel)
        .where(Activity.contact_id == contact.id)
        .order_by(Activity.at, Activity.id)
        .limit(1)
    ).first()
    source = (first[0] or first[2]) if first else None
    return Lead(
        contact.id, contact.name, firsts.get("email"), firsts.get("phone"), contact.company,
        contact.title, contact.industry, contact.company_size, contact.region, contact.city,
        contact.stage, contact.behaviour, contact.fit, grade(contact.fit), source,
        first[1] if first else None,
    )  # fmt: skip


# when a contact becomes an MQL ------------------------------------------------------------
def on_qualified(session: Session, organization_id: str, contact_id: str, now: datetime) -> None:
    """Hand a new MQL over as the brand asked: a webhook to send, a sales rep to own it."""
    row = session.get(LeadSettings, organization_id)
    given = (row.handoff if row else None) or {}
    contact = session.get(Contact, contact_id)
    if contact is None or contact.merged_into is not None:
        return
    if given.get("url"):
        already = session.scalar(
            select(func.count())
            .select_from(LeadHandoff)
            .where(LeadHandoff.contact_id == contact.id, LeadHandoff.url == given["url"])
        )
        if not already:
            shape = given.get("format", "hubspot")
            session.add(
                LeadHandoff(
                    id=new_id("hof"), organization_id=organization_id, contact_id=contact.id,
                    url=given["url"], format=shape,
                    body=json.dumps(shaped(lead_of(session, contact), shape), ensure_ascii=False,
                                    default=str),
                    status="pending", attempts=0, next_at=now, created_at=now,
                )
            )  # fmt: skip
    if given.get("assign") and contact.owner_id is None:
        rep = _least_loaded(session, organization_id)
        if rep is not None:
            contact.owner_id, contact.owned_since = rep, now
            session.add(
                LeadTask(
                    id=new_id("tsk"), organization_id=organization_id, contact_id=contact.id,
                    origin_contact_id=contact.id, owner_id=rep,
                    title=f"Call {contact.name or 'the new lead'}: a new MQL"[:500],
                    due=now.date(), created_at=now, created_by="Accord",
                )
            )  # fmt: skip


def _least_loaded(session: Session, organization_id: str) -> str | None:
    """The sales rep (or, with none, a manager) with the fewest open leads; the longest
    on the team first among equals."""
    users = users_in(session, organization_id)
    reps = [u.id for u in users if u.role == "sales"] or [
        u.id for u in users if u.role in ("manager", "owner")
    ]
    if not reps:
        return None
    load = dict(
        session.execute(
            select(Contact.owner_id, func.count())
            .where(
                Contact.organization_id == organization_id,
                Contact.owner_id.in_(reps),
                Contact.merged_into.is_(None),
                Contact.stage.in_(OPEN_STAGES),
            )
            .group_by(Contact.owner_id)
        ).all()
    )
    return min(reps, key=lambda r: (load.get(r, 0), reps.index(r)))


# sending ----------------------------------------------------------------------------------
@dataclass
class HandoffRun:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def deliver_handoffs(
    store: Store,
    send: Callable[[Any], int],
    *,
    limit: int = 100,
    resolve: Resolver | None = None,
    allow_private: bool = False,
) -> HandoffRun:
    """Send the hand-offs due now, signed with the brand's secret; retry failures on the
    postbacks' schedule, and give up (failed) when it is over."""
    from accord.postbacks.service import Outgoing, system_resolve

    now = store.clock.now()
    with store.unit() as session:
        due = list(
            session.scalars(
                select(LeadHandoff)
                .where(
                    LeadHandoff.status == "pending",
                    LeadHandoff.next_at <= now,
                    or_(LeadHandoff.leased_until.is_(None), LeadHandoff.leased_until < now),
                )
                .order_by(LeadHandoff.next_at)
                .limit(limit)
            )
        )
        work = []
        for item in due:
            item.leased_until = now + LEASE
            row = session.get(LeadSettings, item.organization_id)
            secret = ((row.handoff if row else None) or {}).get("secret") or ""
            start = item.retried_at or item.created_at
            work.append((item.id, item.url, item.body, secret, start, item.attempts))
    run = HandoffRun()
    outcomes = []
    for handoff_id, url, body, secret, created, attempts in work:
        code, error = None, None
        try:
            addresses = () if allow_private else tuple(
                check_destination(url, resolve or system_resolve))  # fmt: skip
            headers = signed_headers(secret, handoff_id, int(now.timestamp()), body)
            code = send(Outgoing(url, body, headers, addresses))
            if not delivered(code):
                error = f"HTTP {code}"
        except AccordError as refused:
            error = refused.message
        except Exception as failure:  # the CRM's server failing must not stop the worker
            error = f"{type(failure).__name__}: {failure}"[:1000]
        outcomes.append((handoff_id, code, error, created, attempts + 1))
    with store.unit() as session:
        for handoff_id, code, error, created, attempts in outcomes:
            values: dict[str, Any] = {"attempts": attempts, "status_code": code,
                                      "error": error, "leased_until": None}  # fmt: skip
            if error is None:
                values.update(status="sent", sent_at=now, next_at=None)
                run.sent += 1
            else:
                again = retry_at(created, attempts, now)
                values.update(status="pending" if again else "failed", next_at=again)
                run.retrying += int(again is not None)
                run.failed += int(again is None)
            session.execute(update(LeadHandoff).where(LeadHandoff.id == handoff_id)
                            .values(**values))  # fmt: skip
    return run


@dataclass(frozen=True)
class HandoffItem:
    id: str
    contact_id: str
    name: str | None
    url: str
    format: str
    status: str
    attempts: int
    status_code: int | None
    error: str | None
    created_at: datetime
    sent_at: datetime | None
    next_at: datetime | None


def recent_handoffs(store: Store, caller: Caller, limit: int = 50) -> list[HandoffItem]:
    require_brand(caller)
    with store.read() as session:
        rows = session.execute(
            select(LeadHandoff, Contact.name)
            .join(Contact, Contact.id == LeadHandoff.contact_id, isouter=True)
            .where(LeadHandoff.organization_id == caller.organization_id)
            .order_by(LeadHandoff.created_at.desc(), LeadHandoff.id.desc())
            .limit(limit)
        ).all()
        return [
            HandoffItem(h.id, h.contact_id, name, h.url, h.format, h.status, h.attempts,
                        h.status_code, h.error, h.created_at, h.sent_at, h.next_at)
            for h, name in rows
        ]  # fmt: skip


def send_again(store: Store, caller: Caller, handoff_id: str) -> None:
    """Put a failed hand-off back on the schedule (the CRM was down for a day)."""
    require_brand(caller)
    with store.unit() as session:
        item = session.get(LeadHandoff, handoff_id)
        if item is None or item.organization_id != caller.organization_id:
            from accord.errors import NotFound

            raise NotFound("hand-off", handoff_id)
        now = store.clock.now()
        # a new schedule of attempts from now; when it was first made stays as it was
        item.status, item.next_at, item.retried_at, item.attempts = "pending", now, now, 0


# CSV --------------------------------------------------------------------------------------
def handoff_csv(store: Store, caller: Caller, shape: str, stage: str = "mql") -> str:
    """Every contact of a stage, in the CRM's import columns."""
    require_brand(caller)
    if shape not in FORMATS:
        raise InvalidInput("format", Text("use one of: %(formats)s", formats=", ".join(FORMATS)))
    try:
        Stage(stage)
    except ValueError:
        raise InvalidInput("stage", Text("%(stage)s is not a stage", stage=repr(stage))) from None
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS[shape], extrasaction="ignore")
    writer.writeheader()
    with store.read() as session:
        for contact in session.scalars(
            select(Contact)
            .where(
                Contact.organization_id == caller.organization_id,
                Contact.merged_into.is_(None),
                Contact.stage == stage,
            )
            .order_by(Contact.behaviour.desc(), Contact.id)
        ):
            row = csv_row(lead_of(session, contact), shape)
            # what a form's visitor typed must not run as a formula in the rep's spreadsheet
            writer.writerow({k: spreadsheet_safe(v) if isinstance(v, str) else v
                             for k, v in row.items()})  # fmt: skip
    return out.getvalue()


# outcomes ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class OutcomeResult:
    row: int
    status: str  # updated, unchanged, rejected
    contact_id: str | None = None
    stage: str | None = None
    field: str | None = None
    message: str | None = None


def record_outcomes(
    store: Store,
    caller: Caller,
    rows: Iterable[Mapping[str, Any]],
    *,
    first_row: int = 1,
    progress: Callable[[int, int | None], None] | None = None,
) -> list[OutcomeResult]:
    """Apply what sales made of each lead; a row that cannot be applied says why."""
    from accord.leads.service import set_stage

    require_brand(caller)
    results: list[OutcomeResult] = []
    for number, row in enumerate(rows, start=first_row):
        if len(results) >= MAX_OUTCOMES:
            raise InvalidInput("rows", Text("at most %(most)s outcomes at once",
                                            most=f"{MAX_OUTCOMES:,}"))  # fmt: skip
        try:
            outcome = outcome_of(row)
            contact_id = outcome.contact_id or _by_email(store, caller, outcome.email or "")
            amount = None
            if outcome.amount:
                try:
                    value = Decimal(outcome.amount.replace(",", ""))
                except InvalidOperation:
                    said = Text("%(text)s is not an amount", text=repr(outcome.amount))
                    raise BadOutcome("amount", said) from None
                if not outcome.currency:
                    raise BadOutcome("currency", "give the amount's currency (USD, CNY, ...)")
                amount = Money.of(value, outcome.currency)
            before = _stage_of(store, caller, contact_id)
            contact = set_stage(store, caller, contact_id, outcome.stage, outcome.reason, amount)
            status = "unchanged" if before == contact.stage and amount is None else "updated"
            results.append(OutcomeResult(number, status, contact.id, contact.stage))
        except BadOutcome as bad:
            results.append(OutcomeResult(number, "rejected", field=bad.field,
                                         message=bad.message))  # fmt: skip
        except AccordError as error:
            results.append(OutcomeResult(number, "rejected", field=getattr(error, "field", None),
                                         message=error.message))  # fmt: skip
        if progress is not None and len(results) % 200 == 0:
            progress(len(results), None)
    return results


def outcomes_from_csv(
    store: Store,
    caller: Caller,
    text: str,
    progress: Callable[[int, int | None], None] | None = None,
) -> list[OutcomeResult]:
    """Outcomes from a CSV with a header row (a CRM's export, or Accord's columns)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames:
        raise InvalidInput("file", "the file is empty: it needs a header row")
    return record_outcomes(store, caller, reader, first_row=2, progress=progress)


def outcomes_result(rows: list[OutcomeResult], filename: str | None) -> dict[str, Any]:
    """A job's result: counts by status and every row's outcome."""
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    return {
        "file": filename,
        "counts": counts,
        "rows": [{"row": r.row, "status": r.status, "id": r.contact_id, "stage": r.stage,
                  "field": r.field, "message": r.message} for r in rows],
    }  # fmt: skip


def _by_email(store: Store, caller: Caller, email: str) -> str:
    from accord.errors import NotFound

    with store.read() as session:
        found = session.scalar(
            select(ContactIdentity.contact_id).where(
                ContactIdentity.organization_id == caller.organization_id,
                ContactIdentity.kind == "email",
                ContactIdentity.value == email.strip().lower(),
            )
        )
    if found is None:
        raise NotFound("contact with the e-mail", email)
    return found


def _stage_of(store: Store, caller: Caller, contact_id: str) -> str | None:
    with store.read() as session:
        contact = session.get(Contact, contact_id)
        if contact is None or contact.organization_id != caller.organization_id:
            return None
        while contact.merged_into:
            contact = session.get(Contact, contact.merged_into)
        return contact.stage
