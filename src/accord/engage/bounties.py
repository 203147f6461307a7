"""Bounties: tasks a brand sets its partners, each with a fixed reward.

- sales: reach `target` conversions from `starts_at` to `ends_at`;
- revenue: reach `target` (minor units) of net revenue in the period;
- content: publish something (a review, a video) and submit its address; the brand
  approves it.

Progress counts what is not reversed (accord.reports.service.results_between). Sales and
revenue rewards are paid when the period has ended, to the partners who reached the target
by then (the job-queue task `settle_bounties`, hourly), so that orders reversed during the
period do not count; a content reward is paid when the brand approves. Every reward is a
commission of kind `bounty` through the ledger, once per partner and bounty."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.commissions.service import award_fixed
from accord.engage.tables import Bounty, BountyClaim
from accord.errors import Conflict, InvalidInput, NotFound
from accord.ids import new_id
from accord.money import Money
from accord.partners.groups import group_in_program, partner_standing
from accord.partners.service import audience
from accord.programs.model import check_url
from accord.programs.promotions import check_promotion_key
from accord.programs.service import load_program
from accord.reports.service import results_between
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand, require_partner

KINDS = ("sales", "revenue", "content")


@dataclass(frozen=True)
class BountyIn:
    title: str
    kind: str
    target: str | int | None
    starts_at: datetime
    ends_at: datetime
    reward: str
    description: str = ""
    group_id: str | None = None
    promotion: str | None = None


@dataclass(frozen=True)
class Progress:
    """A partner's standing in a bounty: how far it got (conversions, minor units, or 1 once
    its content is approved), of the target."""

    bounty: Bounty
    partner_id: str
    value: int
    claim: BountyClaim | None

    @property
    def reached(self) -> bool:
        return self.value >= self.bounty.target

    @property
    def share(self) -> float:
        return min(1.0, self.value / self.bounty.target) if self.bounty.target else 1.0

    @property
    def paid(self) -> bool:
        return self.claim is not None and self.claim.commission_id is not None


def create_bounty(store: Store, caller: Caller, program_id: str, data: BountyIn) -> Bounty:
    require_brand(caller)
    title = (data.title or "").strip()
    if not title or len(title) > 200:
        raise InvalidInput("title", "give the bounty a title of 1 to 200 characters")
    if data.kind not in KINDS:
        raise InvalidInput("kind", "choose sales, revenue or content")
    for field, value in (("starts_at", data.starts_at), ("ends_at", data.ends_at)):
        if value is None or value.tzinfo is None:
            raise InvalidInput(field, "give a time with its timezone")
    if data.ends_at <= data.starts_at:
        raise InvalidInput("ends_at", "must be after the start")
    promotion = check_promotion_key(store, caller, program_id, data.promotion)
    with store.unit() as session:
        program = load_program(session, caller, program_id)
        reward = Money.parse(data.reward, program.currency, field="reward")
        if reward.minor <= 0:
            raise InvalidInput("reward", "must be more than zero")
        if data.kind == "content":
            target = 1
        elif data.kind == "revenue":
            target = Money.parse(data.target, program.currency, field="target").minor
        else:
            try:
                target = int(str(data.target).strip())
            except ValueError as error:
                raise InvalidInput("target", "give a whole number of sales") from error
        if target <= 0:
            raise InvalidInput("target", "must be more than zero")
        row = Bounty(id=new_id("bty"), organization_id=program.organization_id,
                     program_id=program.id, title=title,
                     description=(data.description or "").strip()[:5000], kind=data.kind,
                     target=target, starts_at=data.starts_at, ends_at=data.ends_at,
                     reward_minor=reward.minor, currency=program.currency,
                     group_id=group_in_program(session, program.id, data.group_id),
                     promotion=promotion, active=True, created_at=store.clock.now())  # fmt: skip
        session.add(row)
    return row


def _for(session: Session, bounty: Bounty) -> list[str]:
    """The approved partners a bounty is for."""
    if bounty.group_id:
        return audience(session, bounty.program_id, "group", bounty.group_id)
    return audience(session, bounty.program_id, "all", None)


def _progress(store: Store, bounties: list[Bounty], partner_ids_of) -> list[Progress]:
    out = []
    for bounty in bounties:
        with store.read() as session:
            partners = partner_ids_of(session, bounty)
            claims = {c.partner_id: c for c in session.scalars(
                select(BountyClaim).where(BountyClaim.bounty_id == bounty.id))}  # fmt: skip
        if bounty.kind == "content":
            values = {p: int(claims[p].status == "approved") if p in claims else 0
                      for p in partners}  # fmt: skip
        else:
            found = results_between(store, bounty.program_id, bounty.starts_at, bounty.ends_at,
                                    partners)  # fmt: skip
            at = 0 if bounty.kind == "sales" else 1
            values = {p: found.get(p, (0, 0))[at] for p in partners}
        out += [Progress(bounty, p, values[p], claims.get(p)) for p in partners]
    return out


def bounties(store: Store, caller: Caller, program_id: str) -> list[tuple[Bounty, list[Progress]]]:
    """A program's bounties, each with every partner's progress, furthest first."""
    require_brand(caller)
    with store.read() as session:
        program = load_program(session, caller, program_id)
        rows = list(session.scalars(select(Bounty).where(Bounty.program_id == program.id)
                                    .order_by(Bounty.ends_at.desc())))  # fmt: skip
    progress = _progress(store, rows, _for)
    return [(b, sorted((p for p in progress if p.bounty.id == b.id),
                       key=lambda p: (-p.share, p.partner_id))) for b in rows]  # fmt: skip


def partner_bounties(store: Store, caller: Caller, program_id: str) -> list[Progress]:
    """The active bounties of a program open to the calling partner, with its progress."""
    if caller.partner_id is None:
        raise NotFound("program", program_id, field="program_id")
    with store.read() as session:
        standing = partner_standing(session, caller, program_id)
        if standing is None:
            raise NotFound("program", program_id, field="program_id")
        rows = [b for b in session.scalars(
            select(Bounty).where(Bounty.program_id == program_id, Bounty.active)
            .order_by(Bounty.ends_at)) if standing.opens(b.group_id)]  # fmt: skip
    return _progress(store, rows, lambda session, bounty: [caller.partner_id])


def _open(session: Session, caller: Caller, bounty_id: str) -> Bounty:
    bounty = session.get(Bounty, bounty_id)
    if bounty is None or not bounty.active or caller.partner_id is None:
        raise NotFound("bounty", bounty_id, field="bounty_id")
    standing = partner_standing(session, caller, bounty.program_id)
    if standing is None or not standing.opens(bounty.group_id):
        raise NotFound("bounty", bounty_id, field="bounty_id")
    return bounty


def _claim(session: Session, bounty_id: str, partner_id: str) -> BountyClaim | None:
    return session.scalar(
        select(BountyClaim).where(
            BountyClaim.bounty_id == bounty_id, BountyClaim.partner_id == partner_id
        )
    )


def submit_content(store: Store, caller: Caller, bounty_id: str, url: str) -> BountyClaim:
    """A partner's content for a content bounty (again after a rejection)."""
    url = check_url((url or "").strip(), "url")
    now = store.clock.now()
    with store.unit() as session:
        bounty = _open(session, caller, bounty_id)
        if bounty.kind != "content":
            raise Conflict("this bounty counts sales, not content")
        if not bounty.starts_at <= now < bounty.ends_at:
            raise Conflict("the bounty is not open now")
        claim = _claim(session, bounty.id, caller.partner_id)
        if claim is not None and claim.status == "approved":
            raise Conflict("your content for this bounty was approved already")
        if claim is None:
            claim = BountyClaim(id=new_id("bcl"), bounty_id=bounty.id,
                                partner_id=caller.partner_id, created_at=now)  # fmt: skip
            session.add(claim)
        claim.url, claim.status, claim.note, claim.created_at = url, "submitted", "", now
    return claim


def _pay(session: Session, bounty: Bounty, claim: BountyClaim, now: datetime) -> None:
    commission = award_fixed(
        session, bounty.program_id, claim.partner_id, key=f"bounty:{bounty.id}:{claim.partner_id}",
        kind="bounty", amount=Money.from_minor(bounty.reward_minor, bounty.currency),
        reason=f"bounty {bounty.title!r}: done",
        explanation={"bounty": bounty.title, "bounty_id": bounty.id, "kind": bounty.kind,
                     "target": bounty.target}, now=now)  # fmt: skip
    claim.commission_id = commission.id


def decide(store: Store, caller: Caller, bounty_id: str, partner_id: str, approve: bool,
           note: str = "") -> BountyClaim:  # fmt: skip
    """The brand approves a partner's content (paying the reward, once) or rejects it."""
    require_brand(caller)
    now = store.clock.now()
    with store.unit() as session:
        bounty = session.get(Bounty, bounty_id)
        if bounty is None or bounty.organization_id != caller.organization_id:
            raise NotFound("bounty", bounty_id, field="bounty_id")
        claim = _claim(session, bounty.id, partner_id)
        if claim is None or claim.status != "submitted":
            raise Conflict("nothing of this partner waits for a decision")
        claim.status = "approved" if approve else "rejected"
        claim.note, claim.decided_at = (note or "").strip()[:2000], now
        if approve:
            _pay(session, bounty, claim, now)
    return claim


def settle_due(store: Store, *, program_id: str | None = None) -> int:
    """Pay the rewards of the sales and revenue bounties whose period has ended (of one
    program, or all), to each partner that reached the target; returns how many were paid.
    Safe to run again, and from several workers at once."""
    now = store.clock.now()
    with store.read() as session:
        ended = select(Bounty).where(
            Bounty.kind != "content", Bounty.settled_at.is_(None), Bounty.ends_at <= now
        )
        if program_id is not None:
            ended = ended.where(Bounty.program_id == program_id)
        due = list(session.scalars(ended))
    paid = 0
    for bounty in due:
        reached = [p for p in _progress(store, [bounty], _for) if p.reached]
        with store.unit() as session:
            row = session.scalar(select(Bounty).where(Bounty.id == bounty.id).with_for_update())
            if row.settled_at is not None:
                continue
            for progress in reached:
                claim = _claim(session, row.id, progress.partner_id)
                if claim is None:
                    claim = BountyClaim(id=new_id("bcl"), bounty_id=row.id,
                                        partner_id=progress.partner_id, status="earned",
                                        created_at=now, decided_at=now)  # fmt: skip
                    session.add(claim)
                    session.flush()
                if claim.commission_id is None:
                    _pay(session, row, claim, now)
                    paid += 1
            row.settled_at = now
    return paid


def set_active(store: Store, caller: Caller, bounty_id: str, active: bool) -> Bounty:
    require_brand(caller)
    with store.unit() as session:
        bounty = session.get(Bounty, bounty_id)
        if bounty is None or bounty.organization_id != caller.organization_id:
            raise NotFound("bounty", bounty_id, field="bounty_id")
        bounty.active = active
    return bounty


def require_own_bounty(store: Store, caller: Caller, bounty_id: str) -> None:
    """The bounty is the calling brand's, or NotFound."""
    require_brand(caller)
    with store.read() as session:
        bounty = session.get(Bounty, bounty_id)
        if bounty is None or bounty.organization_id != caller.organization_id:
            raise NotFound("bounty", bounty_id, field="bounty_id")


def require_open_bounty(store: Store, caller: Caller, bounty_id: str) -> None:
    """The bounty is open to the calling partner, or NotFound."""
    require_partner(caller)
    with store.read() as session:
        _open(session, caller, bounty_id)
