"""Leads, scoring: each contact's behaviour score kept from the activity log, the fit from
the profile, the MQL trigger, and the daily pass.

A contact's score is a sum over groups of capped, decayed points (`model.behaviour`). Decay
halves every activity's points each half-life, so a group's total at any time is its total
at the brand's **score epoch** (its weight, `ContactScorePart`) times one factor that is the
same for every contact of the brand (`model.factor`). So:

- a change to a contact's activities (a capture, a merge, an undo) rebuilds that contact's
  weights from its activity log, in the same unit of work;
- the daily pass decays every score with one statement per brand, without reading the
  activity log, and fires the MQL trigger for contacts the decay moved into the zone;
- a change to the behaviour rules or the half-life rebuilds every weight of the brand from
  the log with one set-based statement; a change to the fit rules refits every contact.

The database aggregates; Python never loops over activities in the daily pass.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import (
    Float,
    and_,
    case,
    cast,
    delete,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from accord.audit.context import current as current_actor
from accord.events.model import LeadStageChanged
from accord.events.service import record
from accord.ids import new_id
from accord.leads.model import (
    DEFAULT_MQL_ZONE,
    Behaviour,
    Done,
    FitRules,
    Profile,
    ScoreRule,
    Scoring,
    Stage,
    check_zone,
    factor,
    fit_score,
    grade,
    in_zone,
    score_at,
    trigger,
    weights,
)
from accord.leads.tables import Activity, Contact, ContactScorePart, LeadSettings, StageChange
from accord.money import Money
from accord.store.engine import Store

#: Rebase the weights when the epoch is this many half-lives old (2^256 is far from a
#: float's limit, and a rebase keeps them there).
REBASE_AFTER = 256
#: Contacts refitted per statement when the fit rules change.
FIT_BATCH = 5000


def who() -> str | None:
    actor = current_actor()
    return (actor.label or actor.id or actor.kind or "")[:200] or None


# settings ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Settings:
    """A brand's lead settings as the rules read them."""

    default_region: str | None
    scoring: Scoring
    fit: FitRules
    zone: frozenset[str]


def settings_of(row: LeadSettings | None) -> Settings:
    if row is None:
        return Settings(None, Scoring(), FitRules(), DEFAULT_MQL_ZONE)
    scoring = Scoring()
    if row.scoring:
        scoring = Scoring(
            rules=tuple(
                ScoreRule(r["activity"], int(r["points"]), r["group"], r.get("channel"))
                for r in row.scoring.get("rules", [])
            )
            or scoring.rules,
            caps={k: int(v) for k, v in (row.scoring.get("caps") or scoring.caps).items()},
            half_life_days=Decimal(str(row.scoring.get("half_life_days", scoring.half_life_days))),
        )
    fit = FitRules()
    if row.fit:
        fit = FitRules(
            industries={k.lower(): int(v) for k, v in (row.fit.get("industries") or {}).items()},
            regions={k.upper(): int(v) for k, v in (row.fit.get("regions") or {}).items()},
        )
    zone = check_zone(row.mql_zone) if row.mql_zone else DEFAULT_MQL_ZONE
    return Settings(row.default_region, scoring, fit, zone)


def _fingerprint(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def rules_fingerprint(scoring: Scoring) -> str:
    """What the weights depend on: the rules and the half-life (not the caps)."""
    rules = [[r.activity, r.channel, r.points, r.group] for r in scoring.rules]
    return _fingerprint([rules, str(scoring.half_life_days)])


def fit_fingerprint(fit: FitRules) -> str:
    return _fingerprint([fit.industries, fit.regions, fit.sizes, fit.titles, fit.company])


def locked_settings(session: Session, organization_id: str, now: datetime) -> LeadSettings:
    """The brand's settings row, locked for this unit of work (made on first use, with its
    score epoch and the fingerprints of the rules its first scores use)."""
    row = session.execute(
        select(LeadSettings)
        .where(LeadSettings.organization_id == organization_id)
        .with_for_update()
    ).scalar_one_or_none()
    if row is None:
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
        else:
            from sqlalchemy.dialects.sqlite import insert as upsert
        defaults = settings_of(None)
        session.execute(
            upsert(LeadSettings)
            .values(
                organization_id=organization_id,
                captures=0,
                updated_at=now,
                score_epoch=now,
                scored_with=rules_fingerprint(defaults.scoring),
                fitted_with=fit_fingerprint(defaults.fit),
            )
            .on_conflict_do_nothing(index_elements=["organization_id"])
        )
        row = session.execute(
            select(LeadSettings)
            .where(LeadSettings.organization_id == organization_id)
            .with_for_update()
        ).scalar_one()
    return row


def epoch_of(session: Session, organization_id: str, now: datetime) -> datetime:
    row = session.get(LeadSettings, organization_id)
    if row is None or row.score_epoch is None:
        row = locked_settings(session, organization_id, now)
        if row.score_epoch is None:
            row.score_epoch = now
    return row.score_epoch


# one contact ------------------------------------------------------------------------------
def profile_of(contact: Contact) -> Profile:
    return Profile(contact.company, contact.title, contact.industry, contact.company_size,
                   contact.region)  # fmt: skip


def move(
    session: Session, contact: Contact, stage: Stage, now: datetime, by: str | None,
    reason: str | None, amount: Money | None = None,
) -> None:  # fmt: skip
    """Move a contact to a stage, keeping the change in its history and telling the
    other stages (`lead.stage_changed`)."""
    before = contact.stage
    contact.stage = stage.value
    contact.updated_at = now
    session.add(
        StageChange(
            id=new_id("stg"),
            organization_id=contact.organization_id,
            contact_id=contact.id,
            stage_before=before,
            stage=stage.value,
            at=now,
            by=by,
            reason=reason,
            amount_minor=amount.minor if amount is not None else None,
            currency=amount.currency if amount is not None else None,
        )
    )
    record(
        session,
        LeadStageChanged(
            organization_id=contact.organization_id,
            occurred_at=now,
            contact_id=contact.id,
            stage_before=before,
            stage=stage.value,
            behaviour=contact.behaviour,
            fit=contact.fit,
        ),
    )


def _qualify(session: Session, contact: Contact, now: datetime) -> None:
    move(session, contact, Stage.MQL, now, "Accord", "entered the MQL zone "
         f"({grade(contact.fit)} fit, {contact.behaviour} points)")  # fmt: skip


def _apply(
    session: Session, contact: Contact, found: Behaviour, settings: Settings, now: datetime
) -> None:
    contact.behaviour = found.score
    contact.fit = fit_score(profile_of(contact), settings.fit)
    contact.scored_at = now
    fired = trigger(contact.armed, in_zone(contact.fit, contact.behaviour, settings.zone))
    contact.armed = fired.armed
    if fired.fires and contact.stage == Stage.NEW.value:
        _qualify(session, contact, now)


def rescore(session: Session, contact: Contact, settings: Settings, now: datetime) -> None:
    """Rebuild one contact's weights from its activity log and score it now."""
    epoch = epoch_of(session, contact.organization_id, now)
    done = [
        Done(t, c, at)
        for t, c, at in session.execute(
            select(Activity.type, Activity.channel, Activity.at).where(
                Activity.contact_id == contact.id
            )
        )
    ]
    found = weights(done, settings.scoring, epoch, now)
    session.execute(
        delete(ContactScorePart).where(
            ContactScorePart.organization_id == contact.organization_id,
            ContactScorePart.contact_id == contact.id,
        )
    )
    if found:
        session.execute(
            insert(ContactScorePart),
            [
                {"contact_id": contact.id, "score_group": group, "weight": weight,
                 "organization_id": contact.organization_id}
                for group, weight in sorted(found.items())
            ],
        )  # fmt: skip
    scored = score_at(found, settings.scoring, factor(settings.scoring, epoch, now))
    _apply(session, contact, scored, settings, now)


def forget(session: Session, organization_id: str, contact_ids) -> None:
    """Drop the weights of contacts merged away or erased."""
    session.execute(
        delete(ContactScorePart).where(
            ContactScorePart.organization_id == organization_id,
            ContactScorePart.contact_id.in_(contact_ids),
        )
    )


def as_of(session: Session, contact: Contact) -> datetime | None:
    """When the contact's score was last brought up to date: its own scoring, or the
    brand's last daily pass (which writes only the scores it changes)."""
    row = session.get(LeadSettings, contact.organization_id)
    times = [t for t in (contact.scored_at, row.scored_at if row else None) if t is not None]
    return max(times) if times else None


def breakdown(session: Session, contact: Contact, settings: Settings) -> Behaviour:
    """The contact's score as of its last scoring, with each group's part."""
    row = session.get(LeadSettings, contact.organization_id)
    found = dict(
        session.execute(
            select(ContactScorePart.score_group, ContactScorePart.weight).where(
                ContactScorePart.organization_id == contact.organization_id,
                ContactScorePart.contact_id == contact.id,
            )
        ).all()
    )
    at = as_of(session, contact)
    if row is None or row.score_epoch is None or at is None:
        return Behaviour(contact.behaviour, {})
    return score_at(found, settings.scoring, factor(settings.scoring, row.score_epoch, at))


# every contact of a brand, set-based ------------------------------------------------------
def _days(session: Session, column):
    """Days since a fixed origin, as the database computes them from a timestamp column."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", column), Float) / 86400.0
    return func.julianday(column)


def _py_days(session: Session, moment: datetime) -> float:
    unix = moment.astimezone(UTC).timestamp() / 86400
    return unix if session.get_bind().dialect.name == "postgresql" else unix + 2440587.5


def _rule_cases(scoring: Scoring):
    """(points, group) as SQL CASE expressions over an activity's type and channel, with
    the precedence of `Scoring.points`: a channel's own rule first, then the general one."""
    ordered = [r for r in scoring.rules if r.channel is not None]
    ordered += [r for r in scoring.rules if r.channel is None]
    whens = []
    for rule in ordered:
        cond = Activity.type == rule.activity
        if rule.channel is not None:
            cond = and_(cond, Activity.channel == rule.channel)
        whens.append((cond, rule))
    if not whens:
        return literal(None), literal(None)
    points = case(*[(c, literal(r.points)) for c, r in whens], else_=None)
    group = case(*[(c, literal(r.group)) for c, r in whens], else_=None)
    return points, group


def rebuild_weights(session: Session, organization_id: str, settings: Settings,
                    epoch: datetime, now: datetime) -> int:  # fmt: skip
    """Every contact's weights of a brand again from the activity log: one INSERT ...
    SELECT ... GROUP BY. Returns the number of (contact, group) weights."""
    session.execute(
        delete(ContactScorePart).where(ContactScorePart.organization_id == organization_id)
    )
    points, group = _rule_cases(settings.scoring)
    rate = math.log(2) / float(settings.scoring.half_life_days)
    day = _days(session, Activity.at)
    until = _py_days(session, now)
    day = case((day > until, literal(until)), else_=day)
    weight = func.sum(points * func.exp((day - _py_days(session, epoch)) * rate))
    brand = Activity.organization_id == organization_id
    if session.get_bind().dialect.name == "sqlite":
        # one sweep of the log: without statistics SQLite would take the brand's index and
        # fetch every row by a lookup
        brand = (Activity.organization_id + "") == organization_id
    query = (
        select(Activity.contact_id, group.label("g"), literal(organization_id), weight)
        .where(brand, group.is_not(None))
        .group_by(Activity.contact_id, group)
    )
    session.execute(
        insert(ContactScorePart).from_select(
            ["contact_id", "score_group", "organization_id", "weight"], query
        )
    )
    if session.get_bind().dialect.name == "postgresql":
        # the planner's figures for the weights are stale after a rewrite of this size, and
        # the daily pass's join is planned from them (a nested loop instead of a hash join
        # doubles it); the server's own analysis would come only minutes later
        session.execute(text("ANALYZE contact_score_parts"))
    return int(
        session.scalar(
            select(func.count())
            .select_from(ContactScorePart)
            .where(ContactScorePart.organization_id == organization_id)
        )
    )


def _zone_sql(zone: frozenset[str], score=None):
    """`model.in_zone` over the contacts' fit and behaviour columns (or another score)."""
    score = Contact.behaviour if score is None else score
    fit = {"A": (75, None), "B": (50, 75), "C": (25, 50), "D": (None, 25)}
    band = {"1": (None, 25), "2": (25, 50), "3": (50, 75), "4": (75, None)}

    def within(column, bounds):
        low, high = bounds
        parts = []
        if low is not None:
            parts.append(column >= low)
        if high is not None:
            parts.append(column < high)
        return and_(*parts)

    cells = [
        and_(within(Contact.fit, fit[cell[0]]), within(score, band[cell[1]]))
        for cell in sorted(zone)
    ]
    return or_(*cells) if cells else false()


def _totals(settings: Settings, at_factor: float, organization_id: str):
    """Each contact's score from its weights, as `model.score_at` computes it: one
    aggregate over the brand's weights, joined to the contacts (never a query per contact)."""
    value = ContactScorePart.weight * at_factor
    capped = case(
        *[
            (ContactScorePart.score_group == g, case((value > cap, literal(float(cap))),
                                                     else_=value))
            for g, cap in sorted(settings.scoring.caps.items())
        ],
        else_=value,
    )  # fmt: skip
    return (
        select(
            ContactScorePart.contact_id.label("contact_id"),
            func.floor(func.sum(capped) + 0.5).label("score"),
        )
        .where(ContactScorePart.organization_id == organization_id)
        .group_by(ContactScorePart.contact_id)
        .subquery()
    )


def refit(store: Store, organization_id: str, fit: FitRules,
          progress: Callable[[int], None] = lambda done: None) -> int:  # fmt: skip
    """Every contact's fit again from its profile, a batch per statement."""
    done, after = 0, ""
    while True:
        with store.unit() as session:
            rows = session.execute(
                select(Contact.id, Contact.company, Contact.title, Contact.industry,
                       Contact.company_size, Contact.region)
                .where(Contact.organization_id == organization_id, Contact.id > after)
                .order_by(Contact.id)
                .limit(FIT_BATCH)
            ).all()  # fmt: skip
            if not rows:
                return done
            session.execute(
                update(Contact),
                [{"id": r[0], "fit": fit_score(Profile(*r[1:]), fit)} for r in rows],
            )
            after = rows[-1][0]
            done += len(rows)
        progress(done)


@dataclass
class Pass:
    contacts: int = 0
    qualified: int = 0
    rebuilt: int = 0
    refitted: int = 0


def score_brand(store: Store, organization_id: str) -> Pass:
    """The daily pass for one brand: rebuild what a rules change made stale, decay every
    score to now, fire the MQL trigger for those now in the zone and re-arm those out of
    it. Captures of the brand wait for each step's unit of work (the settings row lock)."""
    out = Pass()
    now = store.clock.now()
    with store.unit() as session:
        row = locked_settings(session, organization_id, now)
        settings = settings_of(row)
        stale_fit = row.fitted_with != fit_fingerprint(settings.fit)
    if stale_fit:
        out.refitted = refit(store, organization_id, settings.fit)
        with store.unit() as session:
            row = locked_settings(session, organization_id, now)
            row.fitted_with = fit_fingerprint(settings.fit)
    with store.unit() as session:
        row = locked_settings(session, organization_id, now)
        settings = settings_of(row)
        epoch = row.score_epoch or now
        half_lives = (now - epoch).total_seconds() / 86400 / float(settings.scoring.half_life_days)
        everyone = stale_fit
        if row.scored_with != rules_fingerprint(settings.scoring):
            everyone = True
            epoch = now
            out.rebuilt = rebuild_weights(session, organization_id, settings, epoch, now)
            row.score_epoch, row.scored_with = epoch, rules_fingerprint(settings.scoring)
        elif half_lives > REBASE_AFTER:
            session.execute(
                update(ContactScorePart)
                .where(ContactScorePart.organization_id == organization_id)
                .values(weight=ContactScorePart.weight * factor(settings.scoring, epoch, now))
            )
            row.score_epoch = epoch = now
        brand = and_(Contact.organization_id == organization_id, Contact.merged_into.is_(None))
        totals = _totals(settings, factor(settings.scoring, epoch, now), organization_id)
        zone = _fingerprint(sorted(settings.zone))
        everyone = everyone or row.zoned_with != zone
        row.zoned_with, row.scored_at = zone, now
        # Only the scores that changed are written. After every scoring a contact is armed
        # exactly when it is outside the zone, so the trigger fires for a changed score that
        # is inside the zone now while the contact was still armed: the statement keeps
        # `armed` for those (and re-arms those outside) and returns them.
        inside_now = _zone_sql(settings.zone, totals.c.score)
        returned = session.execute(
            update(Contact)
            .where(brand, Contact.id == totals.c.contact_id, Contact.behaviour != totals.c.score)
            .values(
                behaviour=totals.c.score,
                scored_at=now,
                armed=case((inside_now, Contact.armed), else_=True),
            )
            .returning(Contact.id, Contact.armed, Contact.fit, Contact.behaviour)
            .execution_options(synchronize_session=False)
        ).all()
        fired = [i for i, armed, fit, score in returned
                 if armed and in_zone(fit, score, settings.zone)]  # fmt: skip
        if everyone:  # a change of the rules, the fit or the zone: every contact again
            weighed = select(ContactScorePart.contact_id).where(
                ContactScorePart.organization_id == organization_id,
                ContactScorePart.contact_id == Contact.id,
            )
            session.execute(  # no weights left: nothing the contact did scores now
                update(Contact)
                .where(brand, Contact.behaviour != 0, ~weighed.exists())
                .values(behaviour=0, scored_at=now)
                .execution_options(synchronize_session=False)
            )
            inside = _zone_sql(settings.zone)
            fired = list(session.scalars(select(Contact.id).where(brand, Contact.armed, inside)))
            session.execute(
                update(Contact)
                .where(brand, Contact.armed.is_(False), ~inside)
                .values(armed=True)
                .execution_options(synchronize_session=False)
            )
        out.contacts = int(
            session.scalar(select(func.count()).select_from(Contact).where(brand)) or 0
        )
        for start in range(0, len(fired), 500):
            chunk = fired[start : start + 500]
            session.execute(
                update(Contact)
                .where(Contact.id.in_(chunk))
                .values(armed=False)
                .execution_options(synchronize_session=False)
            )
            for contact in session.scalars(
                select(Contact).where(Contact.id.in_(chunk), Contact.stage == Stage.NEW.value)
            ):
                _qualify(session, contact, now)
                out.qualified += 1
    return out


def score_all(
    store: Store,
    organization_id: str | None = None,
    progress: Callable[[int, int | None], None] = lambda done, total: None,
) -> dict[str, int]:
    """The daily pass for every brand (or one), reporting progress in contacts."""
    with store.read() as session:
        query = select(LeadSettings.organization_id).order_by(LeadSettings.organization_id)
        if organization_id:
            query = query.where(LeadSettings.organization_id == organization_id)
        brands = list(session.scalars(query))
        counts = dict(
            session.execute(
                select(Contact.organization_id, func.count())
                .where(Contact.organization_id.in_(brands), Contact.merged_into.is_(None))
                .group_by(Contact.organization_id)
            ).all()
        )
    total = sum(counts.values())
    progress(0, total)
    scored = qualified = 0
    for brand in brands:
        done = score_brand(store, brand)
        scored += done.contacts
        qualified += done.qualified
        progress(scored, total)
    return {"contacts": scored, "qualified": qualified}
