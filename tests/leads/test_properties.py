"""Properties of one person and their score, for any history: captures never merge two
different people, a person whose captures are linked by identifiers is one contact, an
undone merge loses no activity; the behaviour score never grows with time alone, never
passes a group's cap, and never falls when an activity is added."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.leads.model import DEFAULT_CAPS, Capture, Done, Scoring, behaviour
from accord.leads.service import capture, contact_view, contacts_page, undo_merge
from tests.factories import make_brand

NOW = datetime(2026, 12, 1, tzinfo=UTC)
TYPES = [
    "page_view",
    "download",
    "form_submit",
    "event_attended",
    "demo_request",
    "email_open",
    "unknown_thing",
]
done = st.builds(
    Done,
    activity=st.sampled_from(TYPES),
    channel=st.sampled_from([None, "web", "event"]),
    at=st.integers(0, 400).map(lambda days: NOW - timedelta(days=days)),
)


@given(st.lists(done, max_size=40), st.integers(1, 200))
def test_time_alone_never_raises_a_score_and_caps_hold(history, days):
    scoring = Scoring()
    now = behaviour(history, scoring, NOW)
    later = behaviour(history, scoring, NOW + timedelta(days=days))
    assert 0 <= later.score <= now.score
    for group, value in now.groups.items():
        assert value <= DEFAULT_CAPS[group]


@given(st.lists(done, max_size=30), done)
def test_another_activity_never_lowers_a_score(history, extra):
    scoring = Scoring()
    assert (
        behaviour([*history, extra], scoring, NOW).score >= behaviour(history, scoring, NOW).score
    )


# one person ------------------------------------------------------------------------------
PEOPLE = 4
captures = st.lists(
    st.tuples(
        st.integers(0, PEOPLE - 1),
        st.sets(st.sampled_from(["email", "phone", "cookie"]), min_size=1),
    ),
    min_size=1,
    max_size=12,
)


def _ids(person: int, kinds: set[str]) -> dict:
    given = {
        "email": f"p{person}@people.example",
        "phone": f"+86138000000{person:02d}",
        "cookie": f"cookie-of-person-{person}",
    }
    return {k: given[k] for k in kinds}


def _components(history: list[tuple[int, set[str]]]) -> dict[int, int]:
    """How many separate contacts each person should be: captures sharing a kind link up."""
    out = {}
    for person in {p for p, _ in history}:
        groups: list[set[str]] = []
        for p, kinds in history:
            if p != person:
                continue
            touching = [g for g in groups if g & kinds]
            merged = set(kinds).union(*touching)
            groups = [g for g in groups if not g & kinds] + [merged]
        out[person] = len(groups)
    return out


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=captures, undo_first=st.booleans())
def test_captures_merge_exactly_the_linked_records_of_each_person(store, history, undo_first):
    brand = make_brand(store)
    for person, kinds in history:
        given = Capture(**_ids(person, kinds), type="page_view", data={"person": person})
        capture(store, brand.caller, given)
    rows = contacts_page(store, brand.caller, limit=500).rows
    views = [contact_view(store, brand.caller, r.id) for r in rows]
    owners: dict[int, int] = {}
    for view in views:
        people = {a.data["person"] for a in view.activities}
        assert len(people) == 1, "two different people were merged"
        person = people.pop()
        owners[person] = owners.get(person, 0) + 1
    assert owners == _components(history)
    assert sum(v.activity_count for v in views) == len(history)
    if undo_first:
        merges = [m for v in views for m in v.merges if m.undone_at is None]
        if merges:
            undo_merge(store, brand.caller, merges[0].id)
            rows = contacts_page(store, brand.caller, limit=500).rows
            total = sum(contact_view(store, brand.caller, r.id).activity_count for r in rows)
            assert total == len(history) and len(rows) == len(views) + 1
