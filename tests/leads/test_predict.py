"""The predictive score: trained on the brand's own outcomes, it ranks buyers above losses
on outcomes it never saw (AUC), says what moves it, predicts only open contacts, and tells a
brand with too few outcomes how many more it needs instead of making a score up."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.leads.model import Capture
from accord.leads.predict import model_view, train_brand
from accord.leads.predict_model import (
    MIN_EACH,
    History,
    TooFew,
    feature_names,
    features,
    label_of,
    train,
)
from accord.leads.service import capture, contact_view, set_stage
from tests.factories import make_brand

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _history(rng: random.Random, buyer: bool) -> History:
    counts = {"page_view": rng.randint(1, 12)}
    if buyer or rng.random() < 0.15:
        counts["demo_request"] = rng.randint(1, 2)
        counts["pricing_view"] = rng.randint(1, 4)
    return History(fit=rng.randint(40, 100) if buyer else rng.randint(0, 70),
                   company_size=rng.choice([20, 200, 2000]), counts=counts,
                   channels={"web"}, first_channel="web",
                   first_at=NOW - timedelta(days=40), last_at=NOW - timedelta(days=2))  # fmt: skip


def test_label_of_a_history_of_stages():
    assert label_of(["mql", "sql", "opportunity", "lost"]) == 1
    assert label_of(["mql", "lost"]) == 0
    assert label_of(["mql", "sql"]) is None


def test_a_model_ranks_buyers_above_losses_it_never_saw_and_names_what_moves_it():
    rng = random.Random(3)
    rows, labels = [], []
    for n in range(200):
        buyer = n % 2 == 0
        rows.append(features(_history(rng, buyer), NOW))
        labels.append(int(buyer))
    model = train(rows, labels)
    assert model.auc > 0.85 and (model.won, model.lost) == (100, 100)
    movers = dict(model.movers(20))
    assert movers["did_demo_request"] > 0 and movers["fit"] > 0
    buyer = model.probability(features(_history(random.Random(9), True), NOW))
    browser = model.probability(features(_history(random.Random(9), False), NOW))
    assert 0 <= browser < buyer <= 1
    assert len(feature_names()) == len(rows[0])


@settings(max_examples=25, deadline=None)
@given(st.integers(0, MIN_EACH - 1), st.integers(0, 60))
def test_too_few_outcomes_make_no_model_and_say_how_many_more(won, lost):
    rows = [[float(i)] * len(feature_names()) for i in range(won + lost)]
    labels = [1] * won + [0] * lost
    with pytest.raises(TooFew) as few:
        train(rows, labels)
    assert few.value.more_won == MIN_EACH - won
    assert few.value.more_lost == max(0, MIN_EACH - lost)


def _person(store, brand, n: int, buyer: bool) -> str:
    kinds = ["page_view"] * 3 + (["pricing_view", "demo_request"] if buyer else [])
    contact = None
    for kind in kinds:
        contact = capture(store, brand.caller, Capture(
            email=f"p{n}@{'buy' if buyer else 'look'}.example", type=kind, channel="web",
            company="Co" if buyer else None)).contact_id  # fmt: skip
    return contact


def test_a_brand_with_few_outcomes_is_told_how_many_more_it_needs(store):
    brand = make_brand(store)
    for n in range(3):
        set_stage(store, brand.caller, _person(store, brand, n, True), "customer")
    set_stage(store, brand.caller, _person(store, brand, 9, False), "lost")
    run = train_brand(store, brand.caller.organization_id)
    assert (run.status, run.won, run.lost) == ("too_few", 3, 1)
    view = model_view(store, brand.caller)
    assert (view.status, view.more_won, view.more_lost, view.auc) == ("too_few", 17, 19, None)
    assert contact_view(store, brand.caller, _person(store, brand, 50, True)).predicted is None


def test_a_brand_model_predicts_its_open_contacts_from_its_own_outcomes(store):
    brand = make_brand(store)
    for n in range(25):
        set_stage(store, brand.caller, _person(store, brand, n, True), "opportunity")
        set_stage(store, brand.caller, _person(store, brand, 100 + n, False), "lost")
    hot = _person(store, brand, 500, True)
    cold = _person(store, brand, 600, False)
    store.clock.advance(timedelta(days=1))
    run = train_brand(store, brand.caller.organization_id)
    assert run.status == "trained" and (run.won, run.lost) == (25, 25) and run.auc > 0.9
    assert run.predicted >= 2
    hot_view, cold_view = (contact_view(store, brand.caller, c) for c in (hot, cold))
    assert hot_view.predicted > 0.5 > cold_view.predicted
    assert contact_view(store, brand.caller, _person(store, brand, 1, True)).predicted is None
    view = model_view(store, brand.caller)
    assert view.status == "trained" and view.movers
