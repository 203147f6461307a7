"""Creator briefs: what a brand asks of creators (deliverables, dates, keywords, hashtags,
the disclosure a post must carry, forbidden words, a fixed fee), posts creators submit for
them, each requirement checked (accord.engage.checks) and shown to both sides, and the
brand's decision. Approving a post pays the brief's fee once, as a commission of kind
`fee` through the ledger (accord.commissions.service.award_fixed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.commissions.service import award_fixed
from accord.engage import checks as ck
from accord.engage.tables import Brief, BriefSubmission
from accord.errors import Conflict, InvalidInput, NotFound, Text
from accord.ids import new_id
from accord.money import Money
from accord.partners.enrollments import load_enrollment
from accord.partners.groups import group_in_program, partner_standing
from accord.programs.model import check_url
from accord.programs.promotions import check_promotion_key
from accord.programs.service import load_program
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand, require_partner

MAX_TEXT = 20_000
SUBMITTED, APPROVED, REJECTED = "submitted", "approved", "rejected"


@dataclass(frozen=True)
class BriefIn:
    title: str
    deliverables: str = ""
    starts_on: datetime | None = None
    due_on: datetime | None = None
    keywords: list[str] | str = ()
    hashtags: list[str] | str = ()
    disclosure: list[str] | str = ()
    forbidden: list[str] | str = ()
    fee: str | None = None
    group_id: str | None = None
    promotion: str | None = None


@dataclass(frozen=True)
class BriefView:
    brief: Brief
    submissions: int
    approved: int
    waiting: int


def requirements(brief: Brief) -> dict[str, list[str]]:
    return {"keywords": list(brief.keywords or []), "hashtags": list(brief.hashtags or []),
            "disclosure": list(brief.disclosure or []),
            "forbidden": list(brief.forbidden or [])}  # fmt: skip


def create_brief(store: Store, caller: Caller, program_id: str, data: BriefIn) -> Brief:
    require_brand(caller)
    title = (data.title or "").strip()
    if not title or len(title) > 200:
        raise InvalidInput("title", "give the brief a title of 1 to 200 characters")
    if data.starts_on and data.due_on and data.due_on < data.starts_on:
        raise InvalidInput("due_on", "must not be before the start")
    keywords = ck.terms(data.keywords, "keywords")
    hashtags = ck.terms(data.hashtags, "hashtags", hashtag=True)
    disclosure = ck.terms(data.disclosure, "disclosure")
    forbidden = ck.terms(data.forbidden, "forbidden")
    clash = {ck.fold(k) for k in keywords} & {ck.fold(f) for f in forbidden}
    if clash:
        raise InvalidInput("forbidden", Text("%(term)s is both required and forbidden",
                                             term=repr(sorted(clash)[0])))  # fmt: skip
    promotion = check_promotion_key(store, caller, program_id, data.promotion)
    with store.unit() as session:
        program = load_program(session, caller, program_id)
        fee = Money.parse(data.fee, program.currency, field="fee") if (data.fee or "").strip() \
            else Money.zero(program.currency)  # fmt: skip
        if fee.minor < 0:
            raise InvalidInput("fee", "must not be negative")
        brief = Brief(id=new_id("brf"), organization_id=program.organization_id,
                      program_id=program.id, title=title,
                      deliverables=(data.deliverables or "").strip()[:MAX_TEXT],
                      starts_on=data.starts_on, due_on=data.due_on, keywords=keywords,
                      hashtags=hashtags, disclosure=disclosure, forbidden=forbidden,
                      fee_minor=fee.minor, currency=program.currency,
                      group_id=group_in_program(session, program.id, data.group_id),
                      promotion=promotion, active=True,
                      created_at=store.clock.now())  # fmt: skip
        session.add(brief)
    return brief


def _own(session: Session, caller: Caller, brief_id: str) -> Brief:
    brief = session.get(Brief, brief_id)
    if brief is None or brief.organization_id != caller.organization_id:
        raise NotFound("brief", brief_id, field="brief_id")
    return brief


def briefs(store: Store, caller: Caller, program_id: str) -> list[BriefView]:
    """A program's briefs with their submissions counted (the brand's view)."""
    require_brand(caller)
    with store.read() as session:
        program = load_program(session, caller, program_id)
        rows = list(session.scalars(
            select(Brief).where(Brief.program_id == program.id).order_by(Brief.created_at.desc())
        ))  # fmt: skip
        counts: dict[tuple[str, str], int] = {}
        if rows:
            for brief_id, status, n in session.execute(
                select(BriefSubmission.brief_id, BriefSubmission.status, func.count())
                .where(BriefSubmission.brief_id.in_([b.id for b in rows]))
                .group_by(BriefSubmission.brief_id, BriefSubmission.status)
            ):
                counts[(brief_id, status)] = n
        return [
            BriefView(b, sum(counts.get((b.id, s), 0) for s in (SUBMITTED, APPROVED, REJECTED)),
                      counts.get((b.id, APPROVED), 0), counts.get((b.id, SUBMITTED), 0))
            for b in rows
        ]  # fmt: skip


def brief_of(store: Store, caller: Caller, brief_id: str) -> tuple[Brief, list[BriefSubmission]]:
    """A brief and its submissions: all of them for its brand; a partner's own for a partner
    it is open to."""
    with store.read() as session:
        brief = session.get(Brief, brief_id)
        if brief is None:
            raise NotFound("brief", brief_id, field="brief_id")
        query = select(BriefSubmission).where(BriefSubmission.brief_id == brief.id)
        if caller.partner_id is None:
            if brief.organization_id != caller.organization_id:
                raise NotFound("brief", brief_id, field="brief_id")
        else:
            if not _open_to(session, caller, brief):
                raise NotFound("brief", brief_id, field="brief_id")
            query = query.where(BriefSubmission.partner_id == caller.partner_id)
        rows = list(session.scalars(query.order_by(BriefSubmission.submitted_at.desc(),
                                                   BriefSubmission.id)))  # fmt: skip
        return brief, rows


def _open_to(session: Session, caller: Caller, brief: Brief) -> bool:
    standing = partner_standing(session, caller, brief.program_id)
    return standing is not None and standing.opens(brief.group_id)


def partner_briefs(store: Store, caller: Caller, program_id: str) -> list[tuple[Brief, str | None]]:
    """The active briefs of a program open to the calling partner, each with the status of
    its latest submission (None: nothing submitted)."""
    if caller.partner_id is None:
        raise NotFound("program", program_id, field="program_id")
    with store.read() as session:
        if load_enrollment(session, program_id, caller.partner_id) is None:
            raise NotFound("program", program_id, field="program_id")
        rows = [b for b in session.scalars(
            select(Brief).where(Brief.program_id == program_id, Brief.active)
            .order_by(Brief.created_at.desc())
        ) if _open_to(session, caller, b)]  # fmt: skip
        latest: dict[str, str] = {}
        for brief_id, status in session.execute(
            select(BriefSubmission.brief_id, BriefSubmission.status)
            .where(BriefSubmission.partner_id == caller.partner_id,
                   BriefSubmission.program_id == program_id)
            .order_by(BriefSubmission.submitted_at, BriefSubmission.id)
        ):  # fmt: skip
            latest[brief_id] = status
        return [(b, latest.get(b.id)) for b in rows]


def submit(store: Store, caller: Caller, brief_id: str, *, url: str | None = None,
           text: str = "") -> BriefSubmission:  # fmt: skip
    """A creator's post for a brief, checked against each requirement at once. A post that
    misses one may be submitted again; one approved cannot be replaced."""
    require_partner(caller)
    text = (text or "").strip()
    url = check_url(url.strip(), "url") if (url or "").strip() else None
    if not text:
        raise InvalidInput("text", "paste the post's text (its caption) to check it")
    if len(text) > MAX_TEXT:
        raise InvalidInput("text", Text("at most %(most)s characters", most=f"{MAX_TEXT:,}"))
    now = store.clock.now()
    with store.unit() as session:
        brief = session.get(Brief, brief_id)
        if brief is None or not brief.active or not _open_to(session, caller, brief):
            raise NotFound("brief", brief_id, field="brief_id")
        done = session.scalar(select(BriefSubmission.id).where(
            BriefSubmission.brief_id == brief.id, BriefSubmission.partner_id == caller.partner_id,
            BriefSubmission.status == APPROVED))  # fmt: skip
        if done is not None:
            raise Conflict("your post for this brief was approved already")
        found = ck.check(text, **requirements(brief))
        row = BriefSubmission(id=new_id("bsub"), brief_id=brief.id, program_id=brief.program_id,
                              partner_id=caller.partner_id, url=url, text=text,
                              checks=[c.as_dict() for c in found], status=SUBMITTED,
                              submitted_at=now)  # fmt: skip
        session.add(row)
    return row


def decide(store: Store, caller: Caller, submission_id: str, approve: bool,
           note: str = "") -> BriefSubmission:  # fmt: skip
    """The brand approves a submitted post (paying the brief's fee, once) or rejects it with a
    note. A post that misses a requirement cannot be approved."""
    require_brand(caller)
    now = store.clock.now()
    with store.unit() as session:
        row = session.get(BriefSubmission, submission_id)
        brief = session.get(Brief, row.brief_id) if row is not None else None
        if row is None or brief is None or brief.organization_id != caller.organization_id:
            raise NotFound("submission", submission_id, field="submission_id")
        if row.status != SUBMITTED:
            raise Conflict(Text("this post was %(status)s already", status=row.status))
        if approve and not ck.passes(row.checks):
            raise Conflict("the post misses a requirement of the brief; reject it with a note")
        row.status = APPROVED if approve else REJECTED
        row.note = (note or "").strip()[:2000]
        row.decided_at = now
        if approve and brief.fee_minor > 0:
            commission = award_fixed(
                session, brief.program_id, row.partner_id, key=f"brief:{brief.id}:{row.partner_id}",
                kind="fee", amount=Money.from_minor(brief.fee_minor, brief.currency),
                reason=f"brief {brief.title!r}: post approved",
                explanation={"brief": brief.title, "brief_id": brief.id, "submission_id": row.id,
                             "url": row.url},
                now=now,
            )  # fmt: skip
            row.commission_id = commission.id
    return row


def set_active(store: Store, caller: Caller, brief_id: str, active: bool) -> Brief:
    require_brand(caller)
    with store.unit() as session:
        brief = _own(session, caller, brief_id)
        brief.active = active
    return brief


def require_own_brief(store: Store, caller: Caller, brief_id: str) -> None:
    """The brief is the calling brand's, or NotFound."""
    require_brand(caller)
    with store.read() as session:
        _own(session, caller, brief_id)


def require_open_brief(store: Store, caller: Caller, brief_id: str) -> None:
    """The brief is open to the calling partner, or NotFound."""
    require_partner(caller)
    with store.read() as session:
        brief = session.get(Brief, brief_id)
        if brief is None or not _open_to(session, caller, brief):
            raise NotFound("brief", brief_id, field="brief_id")


def require_own_submission(store: Store, caller: Caller, submission_id: str) -> None:
    """The submission answers a brief of the calling brand, or NotFound."""
    require_brand(caller)
    with store.read() as session:
        row = session.get(BriefSubmission, submission_id)
        brief = session.get(Brief, row.brief_id) if row is not None else None
        if brief is None or brief.organization_id != caller.organization_id:
            raise NotFound("submission", submission_id, field="submission_id")
