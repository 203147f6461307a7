"""The daily pass: the set-based decay of every score (no activity read) gives the score the
activity log gives at that time, for any history; a rules change rebuilds the weights from
the log in the database with the same result as Python's; the MQL trigger fires for a contact
that decay carries into the zone, and re-arms for one carried out of it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from accord.leads.model import Capture, Done, Scoring, behaviour, weights
from accord.leads.scoring import REBASE_AFTER, score_all, score_brand, settings_of
from accord.leads.service import capture, change_lead_settings, contact_view
from accord.leads.tables import Activity, ContactScorePart, LeadSettings
from tests.factories import make_brand

TYPES = ["page_view", "download", "form_submit", "event_attended", "email_click", "other"]


def _history_of(store, contact_id) -> list[Done]:
    with store.read() as session:
        return [
            Done(t, c, at)
            for t, c, at in session.execute(
                select(Activity.type, Activity.channel, Activity.at).where(
                    Activity.contact_id == contact_id
                )
            )
        ]


def _near_half(value: float) -> bool:
    """A score whose exact value is within a hair of x.5 may round either way in floats."""
    return abs(value - int(value) - 0.5) < 1e-6


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.sampled_from(TYPES), st.integers(0, 200), st.integers(0, 2)),
        min_size=1,
        max_size=12,
    ),
    st.integers(1, 400),
)
def test_the_daily_pass_gives_the_score_the_log_gives(store, history, later):
    brand = make_brand(store)
    start = store.clock.now()
    people = []
    for kind, days_ago, person in history:
        made = capture(
            store,
            brand.caller,
            Capture(
                email=f"p{person}@decay.example",
                type=kind,
                channel="web",
                occurred_at=start - timedelta(days=days_ago),
            ),
        )
        people.append(made.contact_id)
    store.clock.advance(timedelta(days=later))
    score_all(store, brand.caller.organization_id)
    scoring = Scoring()
    for contact_id in set(people):
        expected = behaviour(_history_of(store, contact_id), scoring, store.clock.now())
        view = contact_view(store, brand.caller, contact_id)
        exact = sum(float(v) for v in expected.groups.values())
        if not _near_half(exact):
            assert view.behaviour == expected.score
        for group, value in view.groups.items():
            assert abs(value - expected.groups[group]) <= 0.011


@pytest.fixture
def brand(store):
    return make_brand(store)


def _add(store, brand, **fields):
    return capture(store, brand.caller, Capture(**fields))


def test_a_rules_change_rebuilds_every_weight_from_the_log_in_the_database(store, brand):
    for n in range(6):
        _add(store, brand, email=f"r{n}@rules.example", type="download",
             occurred_at=store.clock.now() - timedelta(days=3 * n))  # fmt: skip
        _add(store, brand, email=f"r{n}@rules.example", type="page_view", channel="web")
    store.clock.advance(timedelta(days=5))
    change_lead_settings(store, brand.caller, half_life_days=10, points={"download": 20})
    done = score_brand(store, brand.caller.organization_id)
    assert done.rebuilt == 12  # six people, two groups each
    with store.read() as session:
        row = session.get(LeadSettings, brand.caller.organization_id)
        scoring = settings_of(row).scoring
        stored = {
            (p.contact_id, p.score_group): p.weight
            for p in session.scalars(
                select(ContactScorePart).where(
                    ContactScorePart.organization_id == brand.caller.organization_id
                )
            )
        }
    for contact_id in {c for c, _ in stored}:
        expected = weights(_history_of(store, contact_id), scoring, row.score_epoch,
                           store.clock.now())  # fmt: skip
        for group, weight in expected.items():
            assert stored[(contact_id, group)] == pytest.approx(weight, rel=1e-9)
        view = contact_view(store, brand.caller, contact_id)
        assert view.behaviour == behaviour(_history_of(store, contact_id), scoring,
                                           store.clock.now()).score  # fmt: skip
    again = score_brand(store, brand.caller.organization_id)
    assert again.rebuilt == 0  # nothing changed: the pass only decays


def _armed(store, contact_id) -> bool:
    from accord.leads.tables import Contact

    with store.read() as session:
        return session.get(Contact, contact_id).armed


def test_decay_into_the_zone_fires_the_trigger_and_out_of_it_re_arms(store, brand):
    # a capped group decays slower than a negative one: the score rises with time alone.
    # Five demo requests are 200 intent points, capped at 60; an e-mail opened is -40 here.
    change_lead_settings(store, brand.caller, points={"email_open": -40})
    for _ in range(5):
        made = _add(store, brand, email="slow@rise.example", type="demo_request")
    _add(store, brand, email="slow@rise.example", type="email_open")
    change_lead_settings(store, brand.caller, zone=["D2"])  # no profile: a D fit
    score_brand(store, brand.caller.organization_id)
    view = contact_view(store, brand.caller, made.contact_id)
    assert (view.behaviour, view.grade, view.in_zone, view.stage) == (20, "D", False, "new")
    store.clock.advance(timedelta(days=30))  # intent 100 (capped 60), e-mail -20
    done = score_brand(store, brand.caller.organization_id)
    view = contact_view(store, brand.caller, made.contact_id)
    assert (view.behaviour, view.in_zone, view.stage, done.qualified) == (40, True, "mql", 1)
    assert [s.reason for s in view.stages] == ["entered the MQL zone (D fit, 40 points)"]
    assert not _armed(store, made.contact_id)
    store.clock.advance(timedelta(days=90))  # intent 12.5, e-mail -2.5: out of the zone
    score_all(store, brand.caller.organization_id)
    view = contact_view(store, brand.caller, made.contact_id)
    assert (view.behaviour, view.in_zone) == (10, False)
    assert _armed(store, made.contact_id)


def test_a_contact_decayed_out_of_the_zone_is_re_armed_by_the_pass(store, brand):
    change_lead_settings(store, brand.caller, industries={"software": 30})
    made = _add(store, brand, email="ceo@big.example", company="Big", title="CEO",
                industry="software", company_size=5000, type="demo_request")  # fmt: skip
    _add(store, brand, email="ceo@big.example", type="trial_signup")
    view = contact_view(store, brand.caller, made.contact_id)
    assert (view.grade, view.behaviour, view.in_zone, view.stage) == ("A", 60, True, "mql")
    assert not _armed(store, made.contact_id)
    store.clock.advance(timedelta(days=90))  # 70 points / 8 = 8.75
    score_all(store, brand.caller.organization_id)
    view = contact_view(store, brand.caller, made.contact_id)
    assert (view.behaviour, view.in_zone) == (9, False)
    assert _armed(store, made.contact_id)
    _add(store, brand, email="ceo@big.example", type="demo_request")
    view = contact_view(store, brand.caller, made.contact_id)
    assert view.in_zone and not _armed(store, made.contact_id)
    assert [s.stage for s in view.stages] == ["mql"]  # past "new": no second MQL move


def test_weights_are_rebased_long_after_the_epoch_and_scores_stay(store, brand):
    made = _add(store, brand, email="old@rebase.example", type="event_attended")
    _add(store, brand, email="old@rebase.example", type="event_attended",
         occurred_at=store.clock.now())  # fmt: skip
    half_life = 30
    store.clock.advance(timedelta(days=half_life * (REBASE_AFTER + 1)))
    _add(store, brand, email="old@rebase.example", type="form_submit")
    score_brand(store, brand.caller.organization_id)
    with store.read() as session:
        row = session.get(LeadSettings, brand.caller.organization_id)
        assert row.score_epoch == store.clock.now()
    assert contact_view(store, brand.caller, made.contact_id).behaviour == 15
