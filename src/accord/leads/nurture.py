"""Nurturing: sequences of mails, waits and branches for people not ready for sales yet.

- A brand writes a sequence (`save_sequence`): its steps (`nurture_model`), the stages it
  is for (new, by default: a person who becomes an MQL or a customer leaves it), the
  consent its mail needs, the language of its own words, and how many mails an hour it may
  send. People enter one by one (`enrol`) or, with `auto_enrol`, everyone at those stages
  with an e-mail address, now and as they come.
- The queue's `send_nurture_mail` (every minute) runs `run_nurture`: each enrolment due
  takes its next steps. Before each mail the person's consent is read again: someone who
  withdrew it (unsubscribed) or never gave it (when the sequence needs it) leaves the
  sequence and gets nothing. Mail goes through the SMTP server of the settings; one the
  server refuses is tried again three times, then the person leaves it (undeliverable).
  Without a server nothing is sent and nothing moves on.
- Every mail carries a one-click unsubscribe (RFC 8058 headers and a link), a pixel that
  counts the first open and links that count clicks (`/n/...`, `web.public_nurture`). A
  send, an open, a click and an unsubscribe are activities of the person, scored like any
  other (an open or a click may make them an MQL).
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.orm import Session

from accord.errors import InvalidInput, NotFound, Text
from accord.ids import new_id
from accord.leads.model import STAGES
from accord.leads.nurture_model import (
    LANGUAGES,
    BadStep,
    Facts,
    Step,
    check_steps,
    compose,
    personal,
    step_on,
)
from accord.leads.scoring import who
from accord.leads.tables import (
    Activity,
    Contact,
    ContactIdentity,
    NurtureEnrolment,
    NurtureSend,
    NurtureSequence,
)
from accord.leads.visits import consents_now, record_for, root_of
from accord.mail.render import render
from accord.mail.sender import Mail, address
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import organization_name, require_brand

STATUSES = ("draft", "active", "paused")
#: Why an enrolment ended, in the order the console lists them.
REASONS = ("finished", "branch", "stage", "unsubscribed", "no_consent", "no_email",
           "undeliverable", "merged", "stopped")  # fmt: skip
DEFAULT_PER_HOUR = 100
MAX_PER_HOUR = 10_000
#: A mail the server refused is tried this many times in all.
ATTEMPTS = 3
RETRY_AFTER = timedelta(minutes=15)
#: How long a run may hold enrolments before another run may take them.
LEASE = timedelta(minutes=10)
#: People one run of `send_nurture_mail` enrols into one sequence at most.
ENROL_BATCH = 5_000
MAX_ENROL = 1_000


# sequences --------------------------------------------------------------------------------
@dataclass(frozen=True)
class StepStats:
    step: int
    sent: int
    opened: int
    clicked: int


@dataclass(frozen=True)
class Stats:
    enrolled: int = 0
    active: int = 0
    ended: Mapping[str, int] = field(default_factory=dict)
    sent: int = 0
    failed: int = 0
    opened: int = 0
    clicked: int = 0
    unsubscribed: int = 0
    steps: tuple[StepStats, ...] = ()


@dataclass(frozen=True)
class NurtureSequenceView:
    id: str
    name: str
    status: str
    steps: tuple[Step, ...]
    stages: tuple[str, ...]
    auto_enrol: bool
    purpose: str
    needs_consent: bool
    language: str
    from_name: str | None
    per_hour: int
    created_at: datetime
    updated_at: datetime
    stats: Stats


def _view(row: NurtureSequence, stats: Stats) -> NurtureSequenceView:
    return NurtureSequenceView(
        row.id, row.name, row.status, check_steps(row.steps), tuple(row.stages),
        row.auto_enrol, row.purpose, row.needs_consent, row.language, row.from_name,
        row.per_hour, row.created_at, row.updated_at, stats,
    )  # fmt: skip


def _flag(value: Any, name: str, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    raise InvalidInput(name, "give true or false")


def check_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A sequence as given (API or console), checked field by field."""
    name = " ".join(str(spec.get("name") or "").split())
    if not name:
        raise InvalidInput("name", "is required")
    if len(name) > 200:
        raise InvalidInput("name", "at most 200 characters")
    status = spec.get("status") or "draft"
    if status not in STATUSES:
        raise InvalidInput("status", Text("use one of: %(choices)s", choices=", ".join(STATUSES)))
    try:
        steps = check_steps(spec.get("steps"))
    except BadStep as error:
        raise InvalidInput(error.field, error.message) from None
    stages = spec.get("stages") or ["new"]
    if not isinstance(stages, list) or any(s not in STAGES for s in stages):
        raise InvalidInput("stages", Text("use some of: %(stages)s", stages=", ".join(STAGES)))
    purpose = str(spec.get("purpose") or "marketing").strip()
    if not purpose.replace("_", "").isalnum() or not purpose.islower() or len(purpose) > 40:
        raise InvalidInput("purpose", "name a consent purpose in lower case, e.g. marketing")
    language = spec.get("language") or "en"
    if language not in LANGUAGES:
        raise InvalidInput("language", Text("use one of: %(choices)s",
                                            choices=", ".join(LANGUAGES)))  # fmt: skip
    from_name = " ".join(str(spec.get("from_name") or "").split())[:200] or None
    per_hour = spec.get("per_hour", DEFAULT_PER_HOUR)
    if isinstance(per_hour, str) and per_hour.strip().isdigit():
        per_hour = int(per_hour)
    if isinstance(per_hour, bool) or not isinstance(per_hour, int):
        raise InvalidInput("per_hour", "give a whole number of mails an hour")
    if not 1 <= per_hour <= MAX_PER_HOUR:
        raise InvalidInput("per_hour", Text("must be from 1 to %(most)s", most=f"{MAX_PER_HOUR:,}"))
    return {
        "name": name, "status": status, "steps": [s.as_dict() for s in steps],
        "stages": [s for s in STAGES if s in stages], "purpose": purpose,
        "auto_enrol": _flag(spec.get("auto_enrol"), "auto_enrol", False),
        "needs_consent": _flag(spec.get("needs_consent"), "needs_consent", True),
        "language": language, "from_name": from_name, "per_hour": per_hour,
    }  # fmt: skip


def save_sequence(
    store: Store, caller: Caller, spec: Mapping[str, Any], sequence_id: str | None = None
) -> NurtureSequenceView:
    require_brand(caller)
    values = check_spec(spec)
    now = store.clock.now()
    with store.unit() as session:
        if sequence_id is None:
            row = NurtureSequence(id=new_id("nsq"), organization_id=caller.organization_id,
                                  created_at=now, **values)  # fmt: skip
            session.add(row)
        else:
            row = _own(session, caller, sequence_id)
            for name, value in values.items():
                setattr(row, name, value)
        row.updated_at = now
        row.updated_by = who()
        session.flush()
        return _view(row, _stats(session, [row.id]).get(row.id, Stats()))


def _own(session: Session, caller: Caller, sequence_id: str) -> NurtureSequence:
    row = session.get(NurtureSequence, sequence_id)
    if row is None or row.organization_id != caller.organization_id:
        raise NotFound("nurturing sequence", sequence_id)
    return row


def _stats(session: Session, ids: list[str], per_step: bool = False) -> dict[str, Stats]:
    if not ids:
        return {}
    counts: dict[str, dict[str, int]] = {i: {} for i in ids}
    for seq, status, reason, n in session.execute(
        select(NurtureEnrolment.sequence_id, NurtureEnrolment.status, NurtureEnrolment.reason,
               func.count())
        .where(NurtureEnrolment.sequence_id.in_(ids))
        .group_by(NurtureEnrolment.sequence_id, NurtureEnrolment.status, NurtureEnrolment.reason)
    ):  # fmt: skip
        key = "active" if status == "active" else f"ended:{reason or 'finished'}"
        counts[seq][key] = counts[seq].get(key, 0) + n
    sends = {
        seq: (sent or 0, failed or 0, opened, clicked, unsub)
        for seq, sent, failed, opened, clicked, unsub in session.execute(
            select(
                NurtureSend.sequence_id,
                func.sum(case((NurtureSend.status == "sent", 1), else_=0)),
                func.sum(case((NurtureSend.status == "failed", 1), else_=0)),
                func.count(NurtureSend.opened_at),
                func.count(NurtureSend.clicked_at),
                func.count(NurtureSend.unsubscribed_at),
            )
            .where(NurtureSend.sequence_id.in_(ids))
            .group_by(NurtureSend.sequence_id)
        )
    }
    steps: dict[str, list[StepStats]] = {}
    if per_step:
        for seq, step, sent, opened, clicked in session.execute(
            select(NurtureSend.sequence_id, NurtureSend.step, func.count(),
                   func.count(NurtureSend.opened_at), func.count(NurtureSend.clicked_at))
            .where(NurtureSend.sequence_id.in_(ids), NurtureSend.status == "sent")
            .group_by(NurtureSend.sequence_id, NurtureSend.step)
            .order_by(NurtureSend.step)
        ):  # fmt: skip
            steps.setdefault(seq, []).append(StepStats(step, sent, opened, clicked))
    out = {}
    for seq in ids:
        c = counts[seq]
        ended = {k.removeprefix("ended:"): v for k, v in c.items() if k.startswith("ended:")}
        sent, failed, opened, clicked, unsub = sends.get(seq, (0, 0, 0, 0, 0))
        out[seq] = Stats(sum(c.values()), c.get("active", 0), ended, int(sent), int(failed),
                         opened, clicked, unsub, tuple(steps.get(seq, ())))  # fmt: skip
    return out


def sequences_of(store: Store, caller: Caller) -> list[NurtureSequenceView]:
    require_brand(caller)
    with store.read() as session:
        rows = list(
            session.scalars(
                select(NurtureSequence)
                .where(NurtureSequence.organization_id == caller.organization_id)
                .order_by(NurtureSequence.created_at.desc(), NurtureSequence.id)
            )
        )
        stats = _stats(session, [r.id for r in rows])
        return [_view(r, stats[r.id]) for r in rows]


def sequence_of(store: Store, caller: Caller, sequence_id: str) -> NurtureSequenceView:
    require_brand(caller)
    with store.read() as session:
        row = _own(session, caller, sequence_id)
        return _view(row, _stats(session, [row.id], per_step=True)[row.id])


def check_sequence(store: Store, caller: Caller, sequence_id: str) -> None:
    """Raises NotFound unless the sequence is the caller's brand's."""
    sequence_of(store, caller, sequence_id)


# who is in a sequence ----------------------------------------------------------------------
def _email_of(session: Session, contact_id: str) -> str | None:
    return session.scalar(
        select(ContactIdentity.value)
        .where(ContactIdentity.contact_id == contact_id, ContactIdentity.kind == "email")
        .order_by(ContactIdentity.last_seen.desc(), ContactIdentity.id)
        .limit(1)
    )


def enrol(
    store: Store, caller: Caller, sequence_id: str, contact_ids: Sequence[str]
) -> dict[str, str]:
    """Put people in a sequence; returns each id's result: enrolled, already (in it now or
    before), not_at_stage, no_email or not_found."""
    require_brand(caller)
    if not contact_ids:
        raise InvalidInput("contact_ids", "name at least one contact")
    if len(contact_ids) > MAX_ENROL:
        raise InvalidInput("contact_ids", Text("at most %(contacts)s at once",
                                               contacts=f"{MAX_ENROL:,}"))  # fmt: skip
    now = store.clock.now()
    out: dict[str, str] = {}
    with store.unit() as session:
        row = _own(session, caller, sequence_id)
        for given in contact_ids:
            contact = root_of(session, str(given)[:40])
            if contact is None or contact.organization_id != caller.organization_id:
                out[given] = "not_found"
            elif session.scalar(select(NurtureEnrolment.id).where(
                    NurtureEnrolment.sequence_id == row.id,
                    NurtureEnrolment.contact_id == contact.id)):  # fmt: skip
                out[given] = "already"
            elif contact.stage not in row.stages:
                out[given] = "not_at_stage"
            elif _email_of(session, contact.id) is None:
                out[given] = "no_email"
            else:
                session.add(_enrolment(row, contact.id, now, who()))
                session.flush()
                out[given] = "enrolled"
    return out


def _enrolment(row: NurtureSequence, contact_id: str, now: datetime, by: str | None):
    return NurtureEnrolment(
        id=new_id("nen"), organization_id=row.organization_id, sequence_id=row.id,
        contact_id=contact_id, position=0, status="active", next_at=now, enrolled_at=now,
        enrolled_by=by,
    )  # fmt: skip


def stop(store: Store, caller: Caller, contact_id: str, sequence_id: str) -> bool:
    """Take a person out of a sequence (stopped); False if they were not in it."""
    require_brand(caller)
    now = store.clock.now()
    with store.unit() as session:
        _own(session, caller, sequence_id)
        done = session.execute(
            update(NurtureEnrolment)
            .where(NurtureEnrolment.sequence_id == sequence_id,
                   NurtureEnrolment.contact_id == contact_id,
                   NurtureEnrolment.status == "active")
            .values(status="exited", reason="stopped", ended_at=now, next_at=None)
        )  # fmt: skip
        return bool(done.rowcount)


@dataclass(frozen=True)
class EnrolmentView:
    sequence_id: str
    sequence: str
    status: str
    reason: str | None
    position: int
    steps: int
    next_at: datetime | None
    enrolled_at: datetime
    sent: int
    opened: int
    clicked: int


def enrolments_of(store: Store, caller: Caller, contact_id: str) -> list[EnrolmentView]:
    """The sequences a contact is or was in, newest first."""
    require_brand(caller)
    with store.read() as session:
        rows = session.execute(
            select(NurtureEnrolment, NurtureSequence)
            .join(NurtureSequence, NurtureSequence.id == NurtureEnrolment.sequence_id)
            .where(NurtureEnrolment.organization_id == caller.organization_id,
                   NurtureEnrolment.contact_id == contact_id)
            .order_by(NurtureEnrolment.enrolled_at.desc())
        ).all()  # fmt: skip
        out = []
        for enrolment, seq in rows:
            sent, opened, clicked = session.execute(
                select(func.count(), func.count(NurtureSend.opened_at),
                       func.count(NurtureSend.clicked_at))
                .where(NurtureSend.enrolment_id == enrolment.id, NurtureSend.status == "sent")
            ).one()  # fmt: skip
            out.append(EnrolmentView(seq.id, seq.name, enrolment.status, enrolment.reason,
                                     enrolment.position, len(seq.steps), enrolment.next_at,
                                     enrolment.enrolled_at, sent, opened, clicked))  # fmt: skip
        return out


# the run ----------------------------------------------------------------------------------
@dataclass
class NurtureRun:
    enrolled: int = 0
    sent: int = 0
    failed: int = 0
    ended: int = 0
    #: enrolments whose mail waits for the sequence's hourly limit
    held: int = 0
    #: no SMTP server is set up: nothing was sent or moved on
    no_server: bool = False


def _auto_enrol(store: Store, now: datetime) -> int:
    added = 0
    with store.unit() as session:
        for row in session.scalars(
            select(NurtureSequence).where(NurtureSequence.status == "active",
                                          NurtureSequence.auto_enrol.is_(True))
        ):  # fmt: skip
            has_email = (
                select(ContactIdentity.id)
                .where(ContactIdentity.contact_id == Contact.id, ContactIdentity.kind == "email")
                .exists()
            )
            enrolled = (
                select(NurtureEnrolment.id)
                .where(NurtureEnrolment.sequence_id == row.id,
                       NurtureEnrolment.contact_id == Contact.id)
                .exists()
            )  # fmt: skip
            ids = session.scalars(
                select(Contact.id)
                .where(Contact.organization_id == row.organization_id,
                       Contact.merged_into.is_(None), Contact.stage.in_(row.stages),
                       has_email, ~enrolled)
                .order_by(Contact.created_at, Contact.id)
                .limit(ENROL_BATCH)
            ).all()  # fmt: skip
            if ids:
                session.execute(
                    insert(NurtureEnrolment),
                    [
                        {"id": new_id("nen"), "organization_id": row.organization_id,
                         "sequence_id": row.id, "contact_id": i, "position": 0,
                         "status": "active", "next_at": now, "enrolled_at": now,
                         "enrolled_by": "Accord"}
                        for i in ids
                    ],
                )  # fmt: skip
                added += len(ids)
    return added


def _facts(session: Session, enrolment: NurtureEnrolment, contact: Contact) -> Facts:
    opened, clicked = session.execute(
        select(func.count(NurtureSend.opened_at), func.count(NurtureSend.clicked_at)).where(
            NurtureSend.enrolment_id == enrolment.id
        )
    ).one()
    done = session.scalars(
        select(Activity.type)
        .where(Activity.contact_id == contact.id, Activity.at >= enrolment.enrolled_at)
        .distinct()
    ).all()
    return Facts(bool(opened), bool(clicked), frozenset(done), contact.behaviour)


def _consent(session: Session, contact_id: str, purpose: str) -> bool | None:
    """The latest consent the person gave or withdrew for `purpose` (None: never asked)."""
    given = consents_now(session, contact_id).get(purpose)
    return None if given is None else given["granted"]


def _end(enrolment: NurtureEnrolment, reason: str, now: datetime, run: NurtureRun) -> None:
    enrolment.status = "done" if reason == "finished" else "exited"
    enrolment.reason = reason
    enrolment.ended_at = now
    enrolment.next_at = None
    run.ended += 1


def _sent_last_hour(session: Session, sequence_id: str, now: datetime) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                NurtureSend.sequence_id == sequence_id,
                NurtureSend.created_at > now - timedelta(hours=1),
            )
        )
        or 0
    )


def _brand_name(session: Session, organization_id: str) -> str:
    return organization_name(session, organization_id)


@dataclass(frozen=True)
class _Planned:
    send_id: str
    enrolment_id: str
    step: int
    mail: Mail


def _plan(
    session: Session, enrolment: NurtureEnrolment, seq: NurtureSequence, now: datetime,
    base_url: str, used: dict[str, int], run: NurtureRun, default_sender: str,
) -> _Planned | None:  # fmt: skip
    contact = root_of(session, enrolment.contact_id)
    if contact is None:
        _end(enrolment, "merged", now, run)
        return None
    if contact.id != enrolment.contact_id:
        twin = session.scalar(
            select(NurtureEnrolment.id).where(
                NurtureEnrolment.sequence_id == seq.id, NurtureEnrolment.contact_id == contact.id
            )
        )
        if twin is not None:  # fmt: skip
            _end(enrolment, "merged", now, run)
            return None
        enrolment.contact_id = contact.id
    if contact.stage not in seq.stages:
        _end(enrolment, "stage", now, run)
        return None
    steps = check_steps(seq.steps)
    needs_facts = any(s.kind == "branch" for s in steps[enrolment.position :])
    move = step_on(steps, enrolment.position, _facts(session, enrolment, contact)
                   if needs_facts else Facts())  # fmt: skip
    if move.action in ("done", "exit"):
        _end(enrolment, "finished" if move.action == "done" else "branch", now, run)
        return None
    if move.action == "wait":
        enrolment.position = move.position
        enrolment.next_at = now + timedelta(days=move.days)
        return None
    consent = _consent(session, contact.id, seq.purpose)
    if consent is False:
        _end(enrolment, "unsubscribed", now, run)
        return None
    if seq.needs_consent and consent is not True:
        _end(enrolment, "no_consent", now, run)
        return None
    to = _email_of(session, contact.id)
    if to is None:
        _end(enrolment, "no_email", now, run)
        return None
    if seq.id not in used:
        used[seq.id] = _sent_last_hour(session, seq.id, now)
    if used[seq.id] >= seq.per_hour:
        enrolment.next_at = now + timedelta(minutes=5)
        run.held += 1
        return None
    used[seq.id] += 1
    step = steps[move.step or 0]
    send_id, token = new_id("nms"), os.urandom(16).hex()
    base = f"{base_url}/n"
    made = compose(personal(step.body or "", contact.name, seq.language),
                   f"{base}/c/{send_id}/{token}/")  # fmt: skip
    subject = personal(step.subject or "", contact.name, seq.language)
    unsubscribe = f"{base}/u/{send_id}/{token}"
    rendered = render("nurture", seq.language, subject=subject, body=made.text,
                      body_html=_markup(made.html), brand=_brand_name(session, seq.organization_id),
                      unsubscribe=unsubscribe, pixel=f"{base}/o/{send_id}/{token}.gif")  # fmt: skip
    session.add(NurtureSend(
        id=send_id, token=token, organization_id=seq.organization_id, sequence_id=seq.id,
        enrolment_id=enrolment.id, contact_id=contact.id, step=move.step or 0, to_address=to,
        subject=subject[:500], links=list(made.links), status="sending", created_at=now,
        opens=0, clicks=0,
    ))  # fmt: skip
    enrolment.position = move.position
    enrolment.next_at = now
    sender = None
    if seq.from_name:
        mailbox = default_sender.rpartition("<")[2].rstrip(">").strip() or default_sender
        sender = address(mailbox, seq.from_name)
    headers = {"List-Unsubscribe": f"<{unsubscribe}>",
               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}  # fmt: skip
    mail = Mail((to,), rendered.subject, rendered.text, rendered.html, headers, sender)
    return _Planned(send_id, enrolment.id, move.step or 0, mail)


def _markup(text: str):
    from markupsafe import Markup

    # compose() escaped every piece of the marketer's text
    return Markup(text)


def run_nurture(store: Store, mailer, *, base_url: str, limit: int = 500) -> NurtureRun:
    """Enrol who auto-enrolment brings, then take each due enrolment's next steps and send
    the mails they reach (at most `limit` enrolments a run)."""
    run = NurtureRun()
    now = store.clock.now()
    run.enrolled = _auto_enrol(store, now)
    if not mailer.configured:
        run.no_server = True
        return run
    planned: list[_Planned] = []
    with store.unit() as session:
        due = session.scalars(
            select(NurtureEnrolment)
            .join(NurtureSequence, NurtureSequence.id == NurtureEnrolment.sequence_id)
            .where(NurtureEnrolment.status == "active", NurtureEnrolment.next_at <= now,
                   NurtureSequence.status == "active",
                   (NurtureEnrolment.leased_until.is_(None))
                   | (NurtureEnrolment.leased_until < now))
            .order_by(NurtureEnrolment.next_at, NurtureEnrolment.id)
            .limit(limit)
        ).all()  # fmt: skip
        sequences: dict[str, NurtureSequence] = {}
        used: dict[str, int] = {}
        for enrolment in due:
            seq = sequences.get(enrolment.sequence_id) or session.get(
                NurtureSequence, enrolment.sequence_id)  # fmt: skip
            sequences[seq.id] = seq
            made = _plan(session, enrolment, seq, now, base_url.rstrip("/"), used, run,
                         mailer.settings.mail_from)  # fmt: skip
            if made is not None:
                enrolment.leased_until = now + LEASE
                planned.append(made)
    errors = mailer.send_each([p.mail for p in planned])
    with store.unit() as session:
        for item, error in zip(planned, errors, strict=True):
            send = session.get(NurtureSend, item.send_id)
            enrolment = session.get(NurtureEnrolment, item.enrolment_id)
            enrolment.leased_until = None
            if error is None:
                send.status, send.sent_at = "sent", now
                run.sent += 1
                seq = session.get(NurtureSequence, send.sequence_id)
                _record(session, send.contact_id, "email_sent", seq, send.subject, now)
                continue
            send.status, send.error = "failed", error[:1000]
            run.failed += 1
            tries = session.scalar(select(func.count()).where(
                NurtureSend.enrolment_id == enrolment.id, NurtureSend.step == item.step,
                NurtureSend.status == "failed"))  # fmt: skip
            if (tries or 0) >= ATTEMPTS:
                _end(enrolment, "undeliverable", now, run)
            else:
                enrolment.position = item.step
                enrolment.next_at = now + RETRY_AFTER
    return run


def _record(
    session: Session, contact_id: str, kind: str, seq: NurtureSequence | None, subject: str,
    now: datetime, consent: dict[str, bool] | None = None, data: dict | None = None,
) -> Contact | None:  # fmt: skip
    """An activity of the person a mail went to (whoever they are merged into now)."""
    name = seq.name if seq else None
    return record_for(session, contact_id, kind, now, channel="email", source=name,
                      campaign=name, subject=subject, consent=consent, data=data)  # fmt: skip


# the mail's own links (public) --------------------------------------------------------------
def _send(session: Session, send_id: str, token: str) -> NurtureSend | None:
    row = session.get(NurtureSend, (send_id or "")[:40])
    if row is None or not hmac.compare_digest(row.token.encode(), (token or "")[:64].encode()):
        return None
    return row


def opened(store: Store, send_id: str, token: str) -> bool:
    """The mail's pixel was loaded: its first open is an activity of the person."""
    now = store.clock.now()
    with store.unit() as session:
        row = _send(session, send_id, token)
        if row is None:
            return False
        row.opens += 1
        if row.opened_at is None:
            row.opened_at = now
            seq = session.get(NurtureSequence, row.sequence_id)
            _record(session, row.contact_id, "email_open", seq, row.subject, now)
        return True


def clicked(store: Store, send_id: str, token: str, number: str) -> str | None:
    """A link of the mail was followed: the address it goes to (None: not this mail's).
    The first click of each link is an activity of the person; a click is an open too."""
    now = store.clock.now()
    with store.unit() as session:
        row = _send(session, send_id, token)
        if row is None or not number.isdigit() or int(number) >= len(row.links or []):
            return None
        n = int(number)
        url = row.links[n]
        seq = session.get(NurtureSequence, row.sequence_id)
        row.clicks += 1
        row.clicked_at = row.clicked_at or now
        if row.opened_at is None:
            row.opened_at = now
            row.opens += 1
            _record(session, row.contact_id, "email_open", seq, row.subject, now)
        seen = list(row.clicked_links or [])
        if n not in seen:
            row.clicked_links = [*seen, n]
            _record(session, row.contact_id, "email_click", seq, url, now,
                    data={"mail": row.subject})  # fmt: skip
        return url


@dataclass(frozen=True)
class Unsubscribe:
    brand: str
    purpose: str
    masked: str
    done: bool


def _masked(email: str) -> str:
    user, _, domain = email.partition("@")
    return f"{user[:1]}{'*' * max(1, min(len(user) - 1, 6))}@{domain}"


def unsubscribe_info(store: Store, send_id: str, token: str) -> Unsubscribe | None:
    with store.read() as session:
        row = _send(session, send_id, token)
        if row is None:
            return None
        seq = session.get(NurtureSequence, row.sequence_id)
        purpose = seq.purpose if seq else "marketing"
        return Unsubscribe(_brand_name(session, row.organization_id), purpose,
                           _masked(row.to_address), row.unsubscribed_at is not None)  # fmt: skip


def unsubscribe(store: Store, send_id: str, token: str) -> bool:
    """The person asked for no more of this kind of mail: their consent for the sequence's
    purpose is withdrawn (an activity), and every sequence of that purpose ends for them."""
    now = store.clock.now()
    with store.unit() as session:
        row = _send(session, send_id, token)
        if row is None:
            return False
        if row.unsubscribed_at is not None:
            return True
        row.unsubscribed_at = now
        seq = session.get(NurtureSequence, row.sequence_id)
        purpose = seq.purpose if seq else "marketing"
        contact = _record(session, row.contact_id, "unsubscribed", seq, row.subject, now,
                          consent={purpose: False})  # fmt: skip
        family = {row.contact_id} | ({contact.id} if contact else set())
        same_purpose = select(NurtureSequence.id).where(
            NurtureSequence.organization_id == row.organization_id,
            NurtureSequence.purpose == purpose,
        )
        session.execute(
            update(NurtureEnrolment)
            .where(NurtureEnrolment.contact_id.in_(family), NurtureEnrolment.status == "active",
                   NurtureEnrolment.sequence_id.in_(same_purpose))
            .values(status="exited", reason="unsubscribed", ended_at=now, next_at=None)
        )  # fmt: skip
        return True


# people's data --------------------------------------------------------------------------------
def sends_of(session: Session, contact_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The mails sent to these contacts, for an export of a person's data."""
    return [
        {"sequence_id": r.sequence_id, "to": r.to_address, "subject": r.subject,
         "status": r.status, "sent_at": r.sent_at, "opened_at": r.opened_at,
         "clicked_at": r.clicked_at, "unsubscribed_at": r.unsubscribed_at}
        for r in session.scalars(
            select(NurtureSend).where(NurtureSend.contact_id.in_(list(contact_ids)))
            .order_by(NurtureSend.created_at)
        )
    ]  # fmt: skip
