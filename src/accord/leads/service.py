"""Leads: capture a person and what they did, find them again as one contact, merge the
contacts a capture shows to be one person (keeping the evidence), undo a merge, score
contacts from their activities, and move them through the stages.

A capture takes the brand's lead-settings row lock, so two captures of one new person at
once make one contact. Every capture recomputes its contact's score from the activity log;
the daily pass (`score_all`) recomputes every contact, so that decay and changed rules
apply to everyone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from accord.errors import Conflict, InvalidInput, NotFound, Text
from accord.ids import new_id
from accord.leads.model import (
    IDENTITY_KINDS,
    PERSONAL_KINDS,
    STAGES,
    BadIdentity,
    Capture,
    Stage,
    check_zone,
    grade,
    identities_of,
    in_zone,
    shared_kinds,
)
from accord.leads.scoring import (
    Settings,
    as_of,
    breakdown,
    forget,
    locked_settings,
    move,
    rescore,
    settings_of,
    who,
)
from accord.leads.tables import (
    Activity,
    Contact,
    ContactIdentity,
    ContactMerge,
    IdentityPair,
    KeepApart,
    LeadContentGrant,
    LeadEventRegistration,
    LeadHandoff,
    LeadSettings,
    LeadTask,
    NurtureEnrolment,
    NurtureSend,
    StageChange,
)
from accord.leads.visits import claim, consents_now, root_of
from accord.money import Money
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand

#: The order stages advance in (lost aside): a merge keeps the further of the two.
_ORDER = {stage.value: n for n, stage in enumerate(STAGES)}


# settings ---------------------------------------------------------------------------------
def lead_settings(store: Store, caller: Caller) -> Settings:
    require_brand(caller)
    with store.read() as session:
        return settings_of(session.get(LeadSettings, caller.organization_id))


def change_lead_settings(
    store: Store,
    caller: Caller,
    *,
    default_region: str | None = None,
    half_life_days: Decimal | int | str | None = None,
    points: dict[str, int] | None = None,
    caps: dict[str, int] | None = None,
    zone: Sequence[str] | None = None,
    industries: dict[str, int] | None = None,
    regions: dict[str, int] | None = None,
) -> Settings:
    """Change what is given; what is not given stays."""
    require_brand(caller)
    now = store.clock.now()
    with store.unit() as session:
        row = locked_settings(session, caller.organization_id, now)
        current = settings_of(row)
        if default_region is not None:
            region = default_region.strip().upper()
            if region and (len(region) != 2 or not region.isalpha()):
                raise InvalidInput("default_region", "must be a two-letter country code")
            row.default_region = region or None
        scoring = dict(row.scoring or {})
        if half_life_days is not None:
            try:
                days = Decimal(str(half_life_days))
            except ArithmeticError:
                raise InvalidInput("half_life_days", "must be a number of days") from None
            if not days.is_finite() or not Decimal(1) <= days <= Decimal(730):
                raise InvalidInput("half_life_days", "must be from 1 to 730 days")
            scoring["half_life_days"] = str(days)
        if points is not None:
            known = {r.activity: r for r in current.scoring.rules if r.channel is None}
            rules = [
                {"activity": r.activity, "points": r.points, "group": r.group,
                 "channel": r.channel}
                for r in current.scoring.rules
            ]  # fmt: skip
            for activity, value in points.items():
                if activity not in known:
                    raise InvalidInput(f"points.{activity}", "no such activity rule")
                if not isinstance(value, int) or not -100 <= value <= 100:
                    raise InvalidInput(f"points.{activity}", "must be a whole number, -100 to 100")
                for rule in rules:
                    if rule["activity"] == activity and rule["channel"] is None:
                        rule["points"] = value
            scoring["rules"] = rules
        if caps is not None:
            merged = dict(current.scoring.caps)
            for group, value in caps.items():
                if group not in merged:
                    raise InvalidInput(f"caps.{group}", "no such group")
                if not isinstance(value, int) or not 0 <= value <= 1000:
                    raise InvalidInput(f"caps.{group}", "must be a whole number, 0 to 1000")
                merged[group] = value
            scoring["caps"] = merged
        row.scoring = scoring or None
        if zone is not None:
            try:
                row.mql_zone = sorted(check_zone(zone))
            except ValueError as error:
                raise InvalidInput("zone", str(error)) from None
        if industries is not None or regions is not None:
            fit = dict(row.fit or {})
            if industries is not None:
                fit["industries"] = {k.strip().lower(): int(v) for k, v in industries.items()}
            if regions is not None:
                fit["regions"] = {k.strip().upper(): int(v) for k, v in regions.items()}
            row.fit = fit
        row.updated_at = now
        row.updated_by = (who() or "")[:40] or None
        return settings_of(row)


# capture ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Captured:
    contact_id: str
    activity_id: str
    created: bool
    #: contacts this capture merged into `contact_id`
    merged: tuple[str, ...] = ()
    #: identifiers found to be shared by several people (they merged nothing)
    shared: tuple[tuple[str, str], ...] = ()


def _insert(session: Session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _shared_now(
    session: Session, organization_id: str, ids: dict[str, str]
) -> set[tuple[str, str]]:
    """Record which identifiers came together, and return those of `ids` now seen with too
    many different people (more than SHARED_AFTER values of another personal kind)."""
    insert = _insert(session)
    pairs = [
        {"organization_id": organization_id, "kind": k, "value": v,
         "other_kind": k2, "other_value": v2}
        for k, v in ids.items() for k2, v2 in ids.items()
        if k2 != k and k2 in PERSONAL_KINDS
    ]  # fmt: skip
    if pairs:
        session.execute(insert(IdentityPair).values(pairs).on_conflict_do_nothing())
    shared = set()
    for kind, value in ids.items():
        counts = dict(
            session.execute(
                select(IdentityPair.other_kind, func.count())
                .where(
                    IdentityPair.organization_id == organization_id,
                    IdentityPair.kind == kind,
                    IdentityPair.value == value,
                )
                .group_by(IdentityPair.other_kind)
            ).all()
        )
        if shared_kinds(counts):
            shared.add((kind, value))
    return shared


def _root(session: Session, contact_id: str) -> Contact:
    contact = root_of(session, contact_id)
    if contact is None:
        raise NotFound("contact", contact_id)
    return contact


def _kept_apart(session: Session, organization_id: str, a: str, b: str) -> bool:
    first, second = sorted((a, b))
    return session.get(KeepApart, (organization_id, first, second)) is not None


def _merge(
    session: Session,
    survivor: Contact,
    absorbed: Contact,
    evidence: list[dict[str, str]],
    activity_id: str | None,
    now: datetime,
) -> ContactMerge:
    """Move everything of `absorbed` to `survivor`; keep the record to undo it."""
    session.execute(
        update(ContactIdentity)
        .where(ContactIdentity.contact_id == absorbed.id)
        .values(contact_id=survivor.id)
    )
    session.execute(
        update(Activity).where(Activity.contact_id == absorbed.id).values(contact_id=survivor.id)
    )
    session.execute(
        update(LeadTask).where(LeadTask.contact_id == absorbed.id).values(contact_id=survivor.id)
    )
    if survivor.owner_id is None and absorbed.owner_id is not None:
        survivor.owner_id, survivor.owned_since = absorbed.owner_id, absorbed.owned_since
    for name in ("name", "company", "title", "industry", "company_size", "region", "city"):
        if getattr(survivor, name) in (None, "") and getattr(absorbed, name) not in (None, ""):
            setattr(survivor, name, getattr(absorbed, name))
    if absorbed.stage != Stage.LOST and _ORDER[absorbed.stage] > _ORDER.get(survivor.stage, 0):
        survivor.stage = absorbed.stage
    absorbed.merged_into = survivor.id
    absorbed.updated_at = survivor.updated_at = now
    forget(session, absorbed.organization_id, [absorbed.id])
    merge = ContactMerge(
        id=new_id("mrg"),
        organization_id=survivor.organization_id,
        survivor_id=survivor.id,
        absorbed_id=absorbed.id,
        evidence=evidence,
        activity_id=activity_id,
        at=now,
        by=who(),
    )
    session.add(merge)
    return merge


def capture(store: Store, caller: Caller, given: Capture) -> Captured:
    """Record a person and what they did: find their contact by any identifier they gave
    (merging the contacts those identifiers name, unless an identifier is shared or a person
    kept them apart), or make one; keep the identifiers and the activity; score the contact."""
    require_brand(caller)
    organization_id = caller.organization_id
    now = store.clock.now()
    with store.unit() as session:
        settings_row = locked_settings(session, organization_id, now)
        settings = settings_of(settings_row)
        try:
            ids = identities_of(given.given_identities(), settings.default_region)
        except BadIdentity as error:
            raise InvalidInput(error.field, error.message) from None
        if not ids:
            raise InvalidInput(
                "email",
                "give at least one identifier: email, phone, wechat, device, cookie or customer_id",
            )
        settings_row.captures = (settings_row.captures or 0) + 1
        shared = _shared_now(session, organization_id, ids)
        newly = _flag_shared(session, organization_id, shared, now)
        usable = [(k, v) for k, v in ids.items() if (k, v) not in shared]
        holders: dict[str, set[tuple[str, str]]] = {}
        if usable:
            rows = session.execute(
                select(
                    ContactIdentity.contact_id, ContactIdentity.kind, ContactIdentity.value
                ).where(
                    ContactIdentity.organization_id == organization_id,
                    ContactIdentity.shared.is_(False),
                    or_(
                        *(
                            (ContactIdentity.kind == k) & (ContactIdentity.value == v)
                            for k, v in usable
                        )
                    ),
                )
            ).all()
            for contact_id, kind, value in rows:
                holders.setdefault(contact_id, set()).add((kind, value))
        contacts = sorted(
            (_root(session, contact_id) for contact_id in holders),
            key=lambda c: (c.created_at, c.id),
        )
        at = given.occurred_at or now
        activity_id = new_id("act")
        created = False
        merged: list[str] = []
        target = contacts[0] if contacts else None
        for other in contacts[1:]:
            if other.id == target.id or other.merged_into:
                continue
            if _kept_apart(session, organization_id, target.id, other.id):
                continue
            evidence = _evidence(holders.get(other.id, set()) | _held(session, other.id, usable))
            _merge(session, target, other, evidence, activity_id, now)
            merged.append(other.id)
        held = set()
        if target is not None:
            held = {
                (row.kind, row.value)
                for row in session.scalars(
                    select(ContactIdentity).where(ContactIdentity.contact_id == target.id)
                )
            }
        # a capture that names someone already known and brings a new e-mail, phone, UnionID
        # or customer id is a contact of its own merged into theirs, so that the link can
        # be undone (by a person, or when the identifier that made it turns out shared)
        fresh_personal = [
            (k, v) for k, v in ids.items() if k in PERSONAL_KINDS and (k, v) not in held
        ]
        owner = target
        if target is None or fresh_personal:
            owner = Contact(
                id=new_id("con"),
                organization_id=organization_id,
                stage=Stage.NEW.value,
                behaviour=0,
                fit=0,
                armed=True,
                created_at=now,
                updated_at=now,
            )
            session.add(owner)
            session.flush()
            created = target is None
        for name, value in given.profile().items():
            setattr(owner, name, value)
            if target is not None:
                setattr(target, name, value)
        for kind, value in ids.items():
            if owner is not target and (kind, value) in held:
                continue  # the identifier that bridges to `target` stays target's own
            if owner is target and (kind, value) in held:
                session.execute(
                    update(ContactIdentity)
                    .where(
                        ContactIdentity.contact_id == target.id,
                        ContactIdentity.kind == kind,
                        ContactIdentity.value == value,
                    )
                    .values(last_seen=now)
                )
                continue
            session.add(
                ContactIdentity(
                    id=new_id("cid"),
                    organization_id=organization_id,
                    contact_id=owner.id,
                    origin_contact_id=owner.id,
                    kind=kind,
                    value=value,
                    shared=(kind, value) in shared,
                    first_seen=now,
                    last_seen=now,
                    activity_id=activity_id,
                    channel=given.channel,
                )
            )
        session.add(
            Activity(
                id=activity_id,
                organization_id=organization_id,
                contact_id=owner.id,
                origin_contact_id=owner.id,
                type=given.type,
                channel=given.channel,
                source=given.source,
                campaign=given.campaign,
                utm=given.utm.model_dump(exclude_none=True) if given.utm else None,
                referrer=given.referrer,
                keyword=given.keyword,
                subject=given.subject,
                at=at,
                received_at=now,
                data=given.data,
                consent=given.consent,
            )
        )
        owner.last_activity_at = at
        session.flush()
        if target is not None and owner is not target:
            bridge = [(k, v) for k, v in usable if (k, v) in held]
            _merge(session, target, owner, _evidence(bridge), activity_id, now)
        else:
            target = owner
        target.last_activity_at = max(filter(None, (target.last_activity_at, at)))
        target.updated_at = now
        cookie = ids.get("cookie")
        if cookie and ("cookie", cookie) not in shared:
            # what this browser did before its person was known becomes theirs
            giver = target.id if ("cookie", cookie) in held else owner.id
            claim(session, organization_id, cookie, giver, target.id)
        session.flush()
        rescore(session, target, settings, now)
        for contact in newly:
            rescore(session, contact, settings, now)
        return Captured(target.id, activity_id, created, tuple(merged), tuple(sorted(shared)))


def _evidence(pairs) -> list[dict[str, str]]:
    return [{"kind": k, "value": v} for k, v in sorted(set(pairs))]


def _held(session: Session, contact_id: str, usable: Iterable[tuple[str, str]]) -> set:
    wanted = set(usable)
    return {
        (row.kind, row.value)
        for row in session.scalars(
            select(ContactIdentity).where(ContactIdentity.contact_id == contact_id)
        )
        if (row.kind, row.value) in wanted
    }


def _flag_shared(
    session: Session, organization_id: str, shared: set[tuple[str, str]], now: datetime
) -> list[Contact]:
    """Mark identifiers now known to be shared, and undo the merges that rested on shared
    identifiers alone. Returns the contacts those undone merges restored."""
    restored: list[Contact] = []
    for kind, value in sorted(shared):
        holders = list(
            session.scalars(
                select(ContactIdentity).where(
                    ContactIdentity.organization_id == organization_id,
                    ContactIdentity.kind == kind,
                    ContactIdentity.value == value,
                    ContactIdentity.shared.is_(False),
                )
            )
        )
        if not holders:
            continue
        for row in holders:
            row.shared = True
        involved = {row.contact_id for row in holders} | {row.origin_contact_id for row in holders}
        merges = session.scalars(
            select(ContactMerge).where(
                ContactMerge.organization_id == organization_id,
                ContactMerge.undone_at.is_(None),
                or_(ContactMerge.survivor_id.in_(involved), ContactMerge.absorbed_id.in_(involved)),
            )
        ).all()
        for merge in merges:
            rest = {(e["kind"], e["value"]) for e in merge.evidence} - shared
            rest -= {(k, v) for k, v in _shared_marked(session, organization_id, merge.evidence)}
            if not rest:
                restored.extend(
                    _undo(session, merge, now, "shared identifier: " + kind, by="Accord")
                )
    return restored


def _shared_marked(session: Session, organization_id: str, evidence: list[dict]) -> set:
    out = set()
    for item in evidence:
        found = session.scalar(
            select(ContactIdentity.id)
            .where(
                ContactIdentity.organization_id == organization_id,
                ContactIdentity.kind == item["kind"],
                ContactIdentity.value == item["value"],
                ContactIdentity.shared.is_(True),
            )
            .limit(1)
        )
        if found:
            out.add((item["kind"], item["value"]))
    return out


# undoing a merge ----------------------------------------------------------------------------
def _subtree(session: Session, contact_id: str) -> set[str]:
    """The contact and every contact merged into it (directly or not) and not undone."""
    found = {contact_id}
    frontier = [contact_id]
    while frontier:
        rows = session.scalars(
            select(ContactMerge.absorbed_id).where(
                ContactMerge.survivor_id.in_(frontier), ContactMerge.undone_at.is_(None)
            )
        ).all()
        frontier = [r for r in rows if r not in found]
        found.update(frontier)
    return found


def _undo(
    session: Session, merge: ContactMerge, now: datetime, reason: str | None, by: str | None
) -> list[Contact]:
    absorbed = session.get(Contact, merge.absorbed_id)
    survivor_root = _root(session, merge.survivor_id)
    mine = _subtree(session, absorbed.id)
    session.execute(
        update(ContactIdentity)
        .where(ContactIdentity.origin_contact_id.in_(mine))
        .values(contact_id=absorbed.id)
    )
    session.execute(
        update(Activity).where(Activity.origin_contact_id.in_(mine)).values(contact_id=absorbed.id)
    )
    session.execute(
        update(LeadTask).where(LeadTask.origin_contact_id.in_(mine)).values(contact_id=absorbed.id)
    )
    absorbed.merged_into = None
    absorbed.updated_at = survivor_root.updated_at = now
    merge.undone_at = now
    merge.undone_by = by
    merge.undo_reason = reason
    first, second = sorted((merge.survivor_id, merge.absorbed_id))
    if session.get(KeepApart, (merge.organization_id, first, second)) is None:
        session.add(KeepApart(organization_id=merge.organization_id, first_id=first,
                              second_id=second))  # fmt: skip
    session.flush()
    for contact in (absorbed, survivor_root):
        contact.last_activity_at = session.scalar(
            select(func.max(Activity.at)).where(Activity.contact_id == contact.id)
        )
    return [absorbed, survivor_root]


def check_merge(store: Store, caller: Caller, merge_id: str) -> None:
    """404 unless the merge is the brand's."""
    require_brand(caller)
    with store.read() as session:
        merge = session.get(ContactMerge, merge_id)
        if merge is None or merge.organization_id != caller.organization_id:
            raise NotFound("merge", merge_id)


def undo_merge(store: Store, caller: Caller, merge_id: str, reason: str | None = None) -> Contact:
    """Split a merge: the absorbed contact gets back its identifiers and activities (and
    those of the contacts merged into it before), both are scored again, and no capture
    merges them again. Returns the restored contact."""
    require_brand(caller)
    now = store.clock.now()
    with store.unit() as session:
        settings = settings_of(session.get(LeadSettings, caller.organization_id))
        merge = session.get(ContactMerge, merge_id)
        if merge is None or merge.organization_id != caller.organization_id:
            raise NotFound("merge", merge_id)
        if merge.undone_at is not None:
            raise Conflict("this merge was undone already")
        note = (reason or "").strip()[:2000] or None
        restored = _undo(session, merge, now, note, by=who())
        for contact in restored:
            rescore(session, contact, settings, now)
        return restored[0]


# stages -----------------------------------------------------------------------------------
def set_stage(
    store: Store,
    caller: Caller,
    contact_id: str,
    stage: str,
    reason: str | None = None,
    amount: Money | None = None,
) -> Contact:
    """Move a contact to a stage; an opportunity or a won deal (customer) may carry its
    amount, a lost one its reason."""
    require_brand(caller)
    try:
        chosen = Stage(stage)
    except ValueError:
        raise InvalidInput(
            "stage", Text("use one of: %(choices)s", choices=", ".join(s.value for s in STAGES))
        ) from None
    if amount is not None and chosen not in (Stage.OPPORTUNITY, Stage.CUSTOMER):
        raise InvalidInput("amount", "only an opportunity or a won deal (customer) has an amount")
    if amount is not None and amount.amount < 0:
        raise InvalidInput("amount", "must not be negative")
    now = store.clock.now()
    with store.unit() as session:
        contact = _own(session, caller, contact_id)
        if contact.stage == chosen.value and amount is None:
            return contact
        move(session, contact, chosen, now, who(), (reason or "").strip()[:2000] or None,
              amount)  # fmt: skip
        return contact


# reading ----------------------------------------------------------------------------------
def _own(session: Session, caller: Caller, contact_id: str) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None or contact.organization_id != caller.organization_id:
        raise NotFound("contact", contact_id)
    return _root(session, contact.id)


@dataclass(frozen=True)
class ContactRow:
    id: str
    name: str | None
    company: str | None
    title: str | None
    stage: str
    behaviour: int
    fit: int
    grade: str
    email: str | None
    phone: str | None
    last_activity_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class ContactPage:
    rows: list[ContactRow]
    has_more: bool
    next_after: str | None
    total: int


SORTS = ("score", "recent", "created")


def contacts_page(
    store: Store,
    caller: Caller,
    *,
    search: str | None = None,
    stage: str | None = None,
    sort: str = "score",
    limit: int = 50,
    after: str | None = None,
) -> ContactPage:
    """The brand's contacts (merged ones aside), found by name, company, e-mail or phone,
    of one stage or all, by score (highest first), latest activity or creation; a page at a
    time after the cursor `after`."""
    require_brand(caller)
    if sort not in SORTS:
        raise InvalidInput("sort", Text("use one of: %(choices)s", choices=", ".join(SORTS)))
    if stage and stage not in {s.value for s in STAGES}:
        raise InvalidInput(
            "stage", Text("use one of: %(choices)s", choices=", ".join(s.value for s in STAGES))
        )
    limit = max(1, min(limit, 500))
    with store.read() as session:
        query = select(Contact).where(
            Contact.organization_id == caller.organization_id, Contact.merged_into.is_(None)
        )
        if stage:
            query = query.where(Contact.stage == stage)
        text = (search or "").strip()
        if text:
            like = f"%{text.lower()}%"
            holding = select(ContactIdentity.contact_id).where(
                ContactIdentity.organization_id == caller.organization_id,
                func.lower(ContactIdentity.value).like(like),
            )
            query = query.where(
                or_(
                    func.lower(Contact.name).like(like),
                    func.lower(Contact.company).like(like),
                    Contact.id.in_(holding),
                )
            )
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        order = _sort(sort)
        if after:
            query = _after(session, query, sort, after)
        rows = list(session.scalars(query.order_by(*order).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        firsts = _first_identities(session, [c.id for c in rows])
        out = [
            ContactRow(
                c.id, c.name, c.company, c.title, c.stage, c.behaviour, c.fit, grade(c.fit),
                firsts.get(c.id, {}).get("email"), firsts.get(c.id, {}).get("phone"),
                c.last_activity_at, c.created_at,
            )
            for c in rows
        ]  # fmt: skip
        return ContactPage(out, more, rows[-1].id if more and rows else None, total)


def _sort(sort: str):
    if sort == "recent":
        return (Contact.last_activity_at.desc().nulls_last(), Contact.id.desc())
    if sort == "created":
        return (Contact.id.desc(),)
    return (Contact.behaviour.desc(), Contact.id.desc())


def _after(session: Session, query, sort: str, after: str):
    last = session.get(Contact, after)
    if last is None:
        raise InvalidInput("after", "no such contact")
    if sort == "created":
        return query.where(Contact.id < last.id)
    if sort == "recent":
        if last.last_activity_at is None:
            return query.where(Contact.last_activity_at.is_(None), Contact.id < last.id)
        return query.where(
            or_(
                Contact.last_activity_at < last.last_activity_at,
                Contact.last_activity_at.is_(None),
                (Contact.last_activity_at == last.last_activity_at) & (Contact.id < last.id),
            )
        )
    return query.where(
        or_(
            Contact.behaviour < last.behaviour,
            (Contact.behaviour == last.behaviour) & (Contact.id < last.id),
        )
    )


def _first_identities(session: Session, ids: list[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    if not ids:
        return out
    for contact_id, kind, value in session.execute(
        select(ContactIdentity.contact_id, ContactIdentity.kind, ContactIdentity.value)
        .where(ContactIdentity.contact_id.in_(ids), ContactIdentity.kind.in_(("email", "phone")))
        .order_by(ContactIdentity.first_seen, ContactIdentity.id)
    ):
        out.setdefault(contact_id, {}).setdefault(kind, value)
    return out


@dataclass(frozen=True)
class IdentityView:
    kind: str
    value: str
    shared: bool
    first_seen: datetime
    channel: str | None
    #: the activity that brought it (the evidence)
    activity_id: str | None
    #: the contact it was first given to (another one: it came with a merge)
    origin_contact_id: str


@dataclass(frozen=True)
class ActivityView:
    id: str
    type: str
    channel: str | None
    source: str | None
    campaign: str | None
    utm: dict[str, str] | None
    referrer: str | None
    keyword: str | None
    subject: str | None
    at: datetime
    data: dict[str, Any] | None
    origin_contact_id: str


@dataclass(frozen=True)
class MergeView:
    id: str
    survivor_id: str
    absorbed_id: str
    evidence: list[dict[str, str]]
    at: datetime
    by: str | None
    undone_at: datetime | None
    undone_by: str | None
    undo_reason: str | None


@dataclass(frozen=True)
class StageView:
    stage_before: str | None
    stage: str
    at: datetime
    by: str | None
    reason: str | None
    amount: Money | None = None


@dataclass(frozen=True)
class ContactView:
    id: str
    name: str | None
    company: str | None
    title: str | None
    industry: str | None
    company_size: int | None
    region: str | None
    city: str | None
    stage: str
    behaviour: int
    groups: dict[str, Decimal]
    fit: int
    grade: str
    in_zone: bool
    created_at: datetime
    last_activity_at: datetime | None
    scored_at: datetime | None
    identities: list[IdentityView]
    activities: list[ActivityView]
    merges: list[MergeView]
    stages: list[StageView]
    #: when the contact asked for was merged into this one, its id
    asked_for: str | None = None
    activity_count: int = 0
    names: dict[str, str] = field(default_factory=dict)
    #: the latest consent per purpose: {"marketing": {"granted", "at", "source"}}
    consents: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the predictive model's chance that it becomes an opportunity or a customer
    predicted: float | None = None


#: Activities a contact's page shows (the latest).
SHOWN_ACTIVITIES = 200


def contact_view(store: Store, caller: Caller, contact_id: str) -> ContactView:
    """A contact with its identifiers (and their evidence), latest activities, merges (into
    it, and its own into another) and stage history."""
    require_brand(caller)
    with store.read() as session:
        settings = settings_of(session.get(LeadSettings, caller.organization_id))
        contact = _own(session, caller, contact_id)
        identities = [
            IdentityView(r.kind, r.value, r.shared, r.first_seen, r.channel, r.activity_id,
                         r.origin_contact_id)
            for r in session.scalars(
                select(ContactIdentity)
                .where(ContactIdentity.contact_id == contact.id)
                .order_by(ContactIdentity.first_seen, ContactIdentity.id)
            )
        ]  # fmt: skip
        identities.sort(key=lambda i: (IDENTITY_KINDS.index(i.kind), i.first_seen))
        activities = [
            ActivityView(a.id, a.type, a.channel, a.source, a.campaign, a.utm, a.referrer,
                         a.keyword, a.subject, a.at, a.data, a.origin_contact_id)
            for a in session.scalars(
                select(Activity)
                .where(Activity.contact_id == contact.id)
                .order_by(Activity.at.desc(), Activity.id.desc())
                .limit(SHOWN_ACTIVITIES)
            )
        ]  # fmt: skip
        count = session.scalar(
            select(func.count()).select_from(Activity).where(Activity.contact_id == contact.id)
        )
        family = _subtree(session, contact.id)
        merges = [
            MergeView(m.id, m.survivor_id, m.absorbed_id, list(m.evidence), m.at, m.by,
                      m.undone_at, m.undone_by, m.undo_reason)
            for m in session.scalars(
                select(ContactMerge)
                .where(
                    or_(
                        ContactMerge.survivor_id.in_(family),
                        ContactMerge.absorbed_id.in_(family),
                    )
                )
                .order_by(ContactMerge.at.desc(), ContactMerge.id.desc())
            )
        ]  # fmt: skip
        stages = [
            StageView(
                s.stage_before,
                s.stage,
                s.at,
                s.by,
                s.reason,
                Money.from_minor(s.amount_minor, s.currency)
                if s.amount_minor is not None and s.currency
                else None,
            )
            for s in session.scalars(
                select(StageChange)
                .where(StageChange.contact_id.in_(family))
                .order_by(StageChange.at.desc(), StageChange.id.desc())
            )
        ]
        related = {m.survivor_id for m in merges} | {m.absorbed_id for m in merges}
        names = {
            c.id: c.name
            for c in session.scalars(select(Contact).where(Contact.id.in_(related)))
            if c.name
        }
        for origin, value in session.execute(
            select(ContactIdentity.origin_contact_id, ContactIdentity.value)
            .where(ContactIdentity.origin_contact_id.in_(related - set(names)))
            .order_by(ContactIdentity.first_seen, ContactIdentity.id)
        ):
            names.setdefault(origin, value)
        return ContactView(
            contact.id, contact.name, contact.company, contact.title, contact.industry,
            contact.company_size, contact.region, contact.city, contact.stage,
            contact.behaviour, dict(breakdown(session, contact, settings).groups),
            contact.fit, grade(contact.fit),
            in_zone(contact.fit, contact.behaviour, settings.zone),
            contact.created_at, contact.last_activity_at, as_of(session, contact), identities,
            activities, merges, stages,
            asked_for=contact_id if contact_id != contact.id else None,
            activity_count=int(count or 0), names=names, predicted=contact.predicted,
            consents=_consents(session, contact.id),
        )  # fmt: skip


def stage_counts(store: Store, caller: Caller) -> dict[str, int]:
    """How many contacts are at each stage (merged ones aside)."""
    require_brand(caller)
    with store.read() as session:
        rows = session.execute(
            select(Contact.stage, func.count())
            .where(Contact.organization_id == caller.organization_id, Contact.merged_into.is_(None))
            .group_by(Contact.stage)
        ).all()
    found = dict(rows)
    return {s.value: int(found.get(s.value, 0)) for s in STAGES}


# people's data ----------------------------------------------------------------------------
def export_contact(store: Store, caller: Caller, contact_id: str) -> dict[str, Any]:
    """Everything kept about a person, as JSON values: the profile, every identifier with
    where it came from, every activity (with its answers), the merges and the stages."""
    require_brand(caller)
    with store.read() as session:
        contact = _own(session, caller, contact_id)
        family = _subtree(session, contact.id)
        profile = {
            name: getattr(contact, name)
            for name in ("name", "company", "title", "industry", "company_size", "region",
                         "city", "stage", "behaviour", "fit")
        }  # fmt: skip
        identities = [
            {"kind": r.kind, "value": r.value, "shared": r.shared,
             "first_seen": r.first_seen.isoformat(), "last_seen": r.last_seen.isoformat(),
             "channel": r.channel}
            for r in session.scalars(
                select(ContactIdentity)
                .where(ContactIdentity.contact_id == contact.id)
                .order_by(ContactIdentity.first_seen, ContactIdentity.id)
            )
        ]  # fmt: skip
        activities = [
            {"type": a.type, "at": a.at.isoformat(), "channel": a.channel, "source": a.source,
             "campaign": a.campaign, "utm": a.utm, "referrer": a.referrer, "keyword": a.keyword,
             "subject": a.subject, "data": a.data, "consent": a.consent}
            for a in session.scalars(
                select(Activity)
                .where(Activity.contact_id == contact.id)
                .order_by(Activity.at, Activity.id)
            )
        ]  # fmt: skip
        stages = [
            {"stage_before": s.stage_before, "stage": s.stage, "at": s.at.isoformat(),
             "by": s.by, "reason": s.reason}
            for s in session.scalars(
                select(StageChange)
                .where(StageChange.contact_id.in_(family))
                .order_by(StageChange.at, StageChange.id)
            )
        ]  # fmt: skip
        merges = [
            {"at": m.at.isoformat(), "evidence": m.evidence,
             "undone_at": m.undone_at.isoformat() if m.undone_at else None}
            for m in session.scalars(
                select(ContactMerge)
                .where(ContactMerge.survivor_id.in_(family), ContactMerge.undone_at.is_(None))
                .order_by(ContactMerge.at, ContactMerge.id)
            )
        ]  # fmt: skip
        consents = {
            purpose: {**given, "at": given["at"].isoformat()}
            for purpose, given in _consents(session, contact.id).items()
        }
        from accord.leads.nurture import sends_of

        mails = [
            {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in m.items()}
            for m in sends_of(session, family)
        ]
        registrations = [
            {"event_id": r.event_id, "name": r.name, "email": r.email,
             "registered_at": r.registered_at.isoformat(),
             "attended_at": r.attended_at.isoformat() if r.attended_at else None}
            for r in session.scalars(
                select(LeadEventRegistration)
                .where(LeadEventRegistration.contact_id.in_(family))
                .order_by(LeadEventRegistration.registered_at)
            )
        ]  # fmt: skip
        return {
            "contact_id": contact.id,
            "exported_at": store.clock.now().isoformat(),
            "consents": consents,
            "profile": profile,
            "identities": identities,
            "activities": activities,
            "merges": merges,
            "stages": stages,
            "mails": mails,
            "event_registrations": registrations,
        }


@dataclass(frozen=True)
class Erased:
    contacts: int
    identities: int
    activities: int
    #: the erased records and their identifiers (not kept: for erasing elsewhere)
    contact_ids: tuple[str, ...] = ()
    identifiers: tuple[tuple[str, str], ...] = ()


def erase_contact(store: Store, caller: Caller, contact_id: str) -> Erased:
    """Erase a person: their contact and every record merged into it, their identifiers
    (and what was learnt from seeing them together), activities with their answers, stage
    history and merges. Contacts a merge of theirs was undone from are kept, without the
    link."""
    require_brand(caller)
    from sqlalchemy import delete

    with store.unit() as session:
        contact = _own(session, caller, contact_id)
        family = _subtree(session, contact.id)
        held = session.execute(
            select(ContactIdentity.kind, ContactIdentity.value).where(
                or_(
                    ContactIdentity.contact_id.in_(family),
                    ContactIdentity.origin_contact_id.in_(family),
                )
            )
        ).all()
        org = caller.organization_id
        for kind, value in {(k, v) for k, v in held}:
            session.execute(
                delete(IdentityPair).where(
                    IdentityPair.organization_id == org,
                    or_(
                        (IdentityPair.kind == kind) & (IdentityPair.value == value),
                        (IdentityPair.other_kind == kind) & (IdentityPair.other_value == value),
                    ),
                )
            )
        identities = session.execute(
            delete(ContactIdentity).where(
                or_(
                    ContactIdentity.contact_id.in_(family),
                    ContactIdentity.origin_contact_id.in_(family),
                )
            )
        ).rowcount
        activities = session.execute(
            delete(Activity).where(
                or_(Activity.contact_id.in_(family), Activity.origin_contact_id.in_(family))
            )
        ).rowcount
        session.execute(delete(StageChange).where(StageChange.contact_id.in_(family)))
        # what was sent about them: hand-offs to the CRM, nurturing mail and enrolments
        session.execute(delete(LeadHandoff).where(LeadHandoff.contact_id.in_(family)))
        session.execute(delete(NurtureSend).where(NurtureSend.contact_id.in_(family)))
        session.execute(delete(NurtureEnrolment).where(NurtureEnrolment.contact_id.in_(family)))
        # event tickets (their name and e-mail) and content download links
        session.execute(
            delete(LeadEventRegistration).where(LeadEventRegistration.contact_id.in_(family))
        )
        session.execute(delete(LeadContentGrant).where(LeadContentGrant.contact_id.in_(family)))
        session.execute(
            delete(LeadTask).where(
                or_(LeadTask.contact_id.in_(family), LeadTask.origin_contact_id.in_(family))
            )
        )
        session.execute(
            delete(ContactMerge).where(
                or_(ContactMerge.survivor_id.in_(family), ContactMerge.absorbed_id.in_(family))
            )
        )
        session.execute(
            delete(KeepApart).where(
                KeepApart.organization_id == org,
                or_(KeepApart.first_id.in_(family), KeepApart.second_id.in_(family)),
            )
        )
        forget(session, org, family)
        gone = session.execute(delete(Contact).where(Contact.id.in_(family))).rowcount
        return Erased(
            int(gone or 0), int(identities or 0), int(activities or 0),
            tuple(sorted(family)), tuple(sorted(set(held))),
        )  # fmt: skip


def _consents(session: Session, contact_id: str) -> dict[str, dict[str, Any]]:
    """The latest consent per purpose: {"marketing": {"granted": True, "at": ..., ...}}."""
    return consents_now(session, contact_id)


def consents_of(store: Store, caller: Caller, contact_id: str) -> dict[str, dict[str, Any]]:
    """A contact's consents: the latest given or withdrawn for each purpose."""
    require_brand(caller)
    with store.read() as session:
        contact = _own(session, caller, contact_id)
        return _consents(session, contact.id)


def add_activity(
    store: Store, caller: Caller, contact_id: str, kind: str, *, channel: str | None = None,
    source: str | None = None, data: dict[str, Any] | None = None,
) -> str:  # fmt: skip
    """Something a person of the brand records about a known contact (a note, a call):
    an activity of the contact, scored like any other. Returns its id."""
    require_brand(caller)
    now = store.clock.now()
    with store.unit() as session:
        settings = settings_of(session.get(LeadSettings, caller.organization_id))
        contact = _own(session, caller, contact_id)
        activity = Activity(
            id=new_id("act"), organization_id=contact.organization_id, contact_id=contact.id,
            origin_contact_id=contact.id, type=kind, channel=channel,
            source=(source or "")[:200] or None, at=now, received_at=now, data=data,
        )  # fmt: skip
        session.add(activity)
        contact.last_activity_at = now
        session.flush()
        rescore(session, contact, settings, now)
        return activity.id


# near-duplicates a person reviews ------------------------------------------------------------
#: At most this many contacts are compared at once (the most recently active).
SIMILAR_SCAN = 20_000


@dataclass(frozen=True)
class SimilarPair:
    first: ContactRow
    second: ContactRow
    score: float
    fields: dict[str, float]


def similar_contacts(store: Store, caller: Caller, limit: int = 50) -> list[SimilarPair]:
    """Pairs of contacts that look like one person without sharing an identifier (a typo
    in the name, a digit swapped in the phone), best first; pairs a person kept apart are
    left out."""
    from accord.leads.similar import CONTACT_SPEC, contact_frame, suggest

    require_brand(caller)
    with store.read() as session:
        contacts = list(
            session.scalars(
                select(Contact)
                .where(
                    Contact.organization_id == caller.organization_id,
                    Contact.merged_into.is_(None),
                )
                .order_by(Contact.last_activity_at.desc().nulls_last(), Contact.id)
                .limit(SIMILAR_SCAN)
            )
        )
        if len(contacts) < 2:
            return []
        firsts = {}
        for start in range(0, len(contacts), 500):
            firsts.update(_first_identities(session, [c.id for c in contacts[start : start + 500]]))
        apart = {
            (a, b)
            for a, b in session.execute(
                select(KeepApart.first_id, KeepApart.second_id).where(
                    KeepApart.organization_id == caller.organization_id
                )
            )
        }
    frame = contact_frame(
        [
            {"id": c.id, "name": c.name, "company": c.company, "title": c.title,
             "email": firsts.get(c.id, {}).get("email"),
             "phone": firsts.get(c.id, {}).get("phone")}
            for c in contacts
        ]
    )  # fmt: skip
    rows = {
        c.id: ContactRow(
            c.id, c.name, c.company, c.title, c.stage, c.behaviour, c.fit, grade(c.fit),
            firsts.get(c.id, {}).get("email"), firsts.get(c.id, {}).get("phone"),
            c.last_activity_at, c.created_at,
        )
        for c in contacts
    }  # fmt: skip
    out = []
    for found in suggest(frame, CONTACT_SPEC, limit=limit * 2):
        if tuple(sorted((found.first, found.second))) in apart:
            continue
        first, second = sorted((rows[found.first], rows[found.second]), key=lambda r: r.created_at)
        out.append(SimilarPair(first, second, found.score, found.fields))
        if len(out) >= limit:
            break
    return out


def merge_reviewed(store: Store, caller: Caller, keep_id: str, other_id: str) -> Contact:
    """A person decided two contacts are one: `other` is merged into `keep`, with the
    review as the evidence (it can be undone like any merge)."""
    require_brand(caller)
    now = store.clock.now()
    with store.unit() as session:
        settings = settings_of(session.get(LeadSettings, caller.organization_id))
        keep = _own(session, caller, keep_id)
        other = _own(session, caller, other_id)
        if keep.id == other.id:
            raise Conflict("these are one contact already")
        reviewer = who() or "a person"
        _merge(session, keep, other, [{"kind": "review", "value": reviewer[:200]}], None, now)
        rescore(session, keep, settings, now)
        return keep


def keep_apart(store: Store, caller: Caller, first_id: str, second_id: str) -> None:
    """A person decided two contacts are different people: never suggest or merge them."""
    require_brand(caller)
    with store.unit() as session:
        a = _own(session, caller, first_id)
        b = _own(session, caller, second_id)
        if a.id == b.id:
            raise Conflict("these are one contact already")
        first, second = sorted((a.id, b.id))
        if session.get(KeepApart, (caller.organization_id, first, second)) is None:
            session.add(KeepApart(organization_id=caller.organization_id, first_id=first,
                                  second_id=second))  # fmt: skip
