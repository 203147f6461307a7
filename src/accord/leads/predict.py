"""The predictive score: trained on the brand's own closed-loop outcomes, shown beside the
rules score. `train_brand` gathers every contact with an outcome (its features as they stood
before the outcome, so that what happened after cannot leak in), trains (`predict_model`),
keeps the model's numbers, and writes the chance of every open contact (new, MQL, SQL); with
too few outcomes it keeps the counts and clears the chances. The job queue retrains daily
(`train_lead_models`, 03:07 UTC) and on demand (the `lead_model` job).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from accord.leads.predict_model import (
    MIN_EACH,
    History,
    TooFew,
    as_dict,
    features,
    from_dict,
    label_of,
    train,
)
from accord.leads.tables import Activity, Contact, LeadModel, LeadSettings, StageChange
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand

#: Contacts whose chance is written per unit of work.
BATCH = 2000
OPEN = ("new", "mql", "sql")
OUTCOMES = ("opportunity", "customer", "lost")


def _histories(session, contacts: list[Contact], cutoffs: dict[str, datetime]):
    out = {c.id: History(c.fit, c.company_size) for c in contacts}
    for contact_id, kind, channel, at in session.execute(
        select(Activity.contact_id, Activity.type, Activity.channel, Activity.at)
        .where(Activity.contact_id.in_(list(out)))
        .order_by(Activity.at, Activity.id)
    ):
        cutoff = cutoffs.get(contact_id)
        if cutoff is not None and at >= cutoff:
            continue
        h = out[contact_id]
        h.counts[kind] = h.counts.get(kind, 0) + 1
        if channel:
            h.channels.add(channel)
        if h.first_at is None:
            h.first_at, h.first_channel = at, channel
        h.last_at = at
    return out


@dataclass(frozen=True)
class ModelRun:
    status: str
    won: int
    lost: int
    auc: float | None
    predicted: int


def train_brand(
    store: Store, organization_id: str, progress: Callable[[int, int | None], None] | None = None
) -> ModelRun:
    now = store.clock.now()
    with store.read() as session:
        outcome_at: dict[str, tuple[datetime, str]] = {}
        for contact_id, stage, at in session.execute(
            select(StageChange.contact_id, StageChange.stage, StageChange.at)
            .where(StageChange.organization_id == organization_id,
                   StageChange.stage.in_(OUTCOMES))
            .order_by(StageChange.at, StageChange.id)
        ):  # fmt: skip
            outcome_at.setdefault(contact_id, (at, stage))
        labelled = list(
            session.scalars(
                select(Contact).where(
                    Contact.id.in_(list(outcome_at)), Contact.merged_into.is_(None)
                )
            )
        )
        stages: dict[str, list[str]] = {}
        for contact_id, stage in session.execute(
            select(StageChange.contact_id, StageChange.stage).where(
                StageChange.contact_id.in_([c.id for c in labelled])
            )
        ):
            stages.setdefault(contact_id, []).append(stage)
        cutoffs = {c.id: outcome_at[c.id][0] for c in labelled}
        histories = _histories(session, labelled, cutoffs)
    rows, labels = [], []
    for contact in labelled:
        label = label_of(stages.get(contact.id, []))
        if label is None:
            continue
        rows.append(features(histories[contact.id], cutoffs[contact.id]))
        labels.append(label)
    try:
        model = train(rows, labels)
    except TooFew as few:
        with store.unit() as session:
            session.merge(LeadModel(organization_id=organization_id, status="too_few",
                                    model=None, won=few.won, lost=few.lost, predicted=0,
                                    trained_at=now))  # fmt: skip
            session.execute(update(Contact).where(Contact.organization_id == organization_id,
                                                  Contact.predicted.is_not(None))
                            .values(predicted=None))  # fmt: skip
        return ModelRun("too_few", few.won, few.lost, None, 0)
    written, after = 0, ""
    while True:
        with store.unit() as session:
            batch = list(
                session.scalars(
                    select(Contact)
                    .where(Contact.organization_id == organization_id,
                           Contact.merged_into.is_(None), Contact.id > after)
                    .order_by(Contact.id)
                    .limit(BATCH)
                )
            )  # fmt: skip
            if not batch:
                break
            open_ = [c for c in batch if c.stage in OPEN]
            found = _histories(session, open_, {})
            for contact in batch:
                contact.predicted = (
                    round(model.probability(features(found[contact.id], now)), 4)
                    if contact.stage in OPEN else None
                )  # fmt: skip
            written += len(open_)
            after = batch[-1].id
        if progress is not None:
            progress(written, None)
    with store.unit() as session:
        session.merge(LeadModel(organization_id=organization_id, status="trained",
                                model=as_dict(model), won=model.won, lost=model.lost,
                                predicted=written, trained_at=now))  # fmt: skip
    return ModelRun("trained", model.won, model.lost, model.auc, written)


def train_all(store: Store) -> dict[str, int]:
    with store.read() as session:
        brands = list(session.scalars(select(LeadSettings.organization_id)))
    trained = 0
    for brand in brands:
        trained += int(train_brand(store, brand).status == "trained")
    return {"brands": len(brands), "trained": trained}


@dataclass(frozen=True)
class ModelView:
    status: str  # none, too_few, trained
    won: int
    lost: int
    more_won: int
    more_lost: int
    auc: float | None
    movers: list[tuple[str, float]]
    predicted: int
    trained_at: datetime | None


def model_view(store: Store, caller: Caller) -> ModelView:
    require_brand(caller)
    with store.read() as session:
        row = session.get(LeadModel, caller.organization_id)
        if row is None:  # never trained: count the outcomes there are
            seen: dict[str, list[str]] = {}
            for contact_id, stage in session.execute(
                select(StageChange.contact_id, StageChange.stage).where(
                    StageChange.organization_id == caller.organization_id,
                    StageChange.stage.in_(OUTCOMES),
                )
            ):
                seen.setdefault(contact_id, []).append(stage)
            labels = [label_of(stages) for stages in seen.values()]
            won, lost = labels.count(1), labels.count(0)
            return ModelView("none", won, lost, max(0, MIN_EACH - won), max(0, MIN_EACH - lost),
                             None, [], 0, None)  # fmt: skip
        more_won, more_lost = max(0, MIN_EACH - row.won), max(0, MIN_EACH - row.lost)
        if row.status != "trained" or not row.model:
            return ModelView("too_few", row.won, row.lost, more_won, more_lost, None, [], 0,
                             row.trained_at)  # fmt: skip
        model = from_dict(row.model)
        return ModelView("trained", row.won, row.lost, 0, 0, model.auc, model.movers(),
                         row.predicted, row.trained_at)  # fmt: skip
