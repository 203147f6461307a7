"""One person from every channel: captures find a contact by any identifier, merge the
contacts one capture shows to be one person (with the evidence), never merge on an
identifier shared by several people, and a merge can be undone with both histories whole."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accord.errors import Conflict, InvalidInput, NotFound
from accord.events.service import list_events
from accord.leads.model import Capture
from accord.leads.scoring import score_all
from accord.leads.service import (
    capture,
    change_lead_settings,
    contact_view,
    contacts_page,
    set_stage,
    undo_merge,
)
from tests.factories import make_brand


@pytest.fixture
def brand(store):
    made = make_brand(store)
    change_lead_settings(store, made.caller, default_region="CN")
    return made


def _capture(brand, **fields):
    return capture(brand.store, brand.caller, Capture(**fields))


def test_a_person_is_found_again_by_any_identifier_and_two_halves_merge(brand):
    first = _capture(
        brand,
        phone="138 0013 8000",
        name="Li Wei",
        type="event_registered",
        channel="event",
        source="Shanghai summit",
    )
    assert first.created
    again = _capture(brand, phone="+86 138-0013-8000", type="event_attended", channel="event")
    assert again.contact_id == first.contact_id and not again.created
    other = _capture(
        brand,
        email="Li.Wei@Acme.example",
        type="download",
        channel="web",
        subject="White paper: data lakes",
    )
    assert other.contact_id != first.contact_id
    # a form gives both: the two contacts are one person
    both = _capture(
        brand,
        email="li.wei@acme.example",
        phone="13800138000",
        company="Acme",
        title="CTO",
        type="demo_request",
    )
    assert both.contact_id == first.contact_id and both.merged == (other.contact_id,)
    view = contact_view(brand.store, brand.caller, other.contact_id)
    assert view.id == first.contact_id and view.asked_for == other.contact_id
    assert {(i.kind, i.value) for i in view.identities} == {
        ("phone", "+8613800138000"),
        ("email", "li.wei@acme.example"),
    }
    assert [a.type for a in view.activities] == [
        "demo_request",
        "download",
        "event_attended",
        "event_registered",
    ]
    merge = view.merges[0]
    assert merge.absorbed_id == other.contact_id
    assert merge.evidence == [{"kind": "email", "value": "li.wei@acme.example"}]


def test_undoing_a_merge_restores_both_people_and_keeps_them_apart(brand):
    a = _capture(brand, phone="13800138001", type="event_attended")
    b = _capture(brand, email="b@corp.example", type="download")
    both = _capture(brand, phone="13800138001", email="b@corp.example", type="form_submit")
    merge_id = contact_view(brand.store, brand.caller, a.contact_id).merges[0].id
    restored = undo_merge(brand.store, brand.caller, merge_id, reason="two colleagues")
    assert restored.id == b.contact_id
    left = contact_view(brand.store, brand.caller, a.contact_id)
    right = contact_view(brand.store, brand.caller, b.contact_id)
    assert [x.type for x in right.activities] == ["download"]
    assert {x.type for x in left.activities} == {"event_attended", "form_submit"}
    assert {i.kind for i in right.identities} == {"email"}
    assert left.merges[0].undone_at is not None and left.merges[0].undo_reason == "two colleagues"
    # the same evidence does not merge them again
    again = _capture(brand, phone="13800138001", email="b@corp.example", type="page_view")
    assert again.merged == () and again.contact_id == both.contact_id
    with pytest.raises(Conflict):
        undo_merge(brand.store, brand.caller, merge_id)


def test_a_switchboard_phone_merges_nobody_and_is_flagged(brand):
    board = "+86 21 5555 0000"
    ids = [_capture(brand, phone=board, email=f"p{i}@bigco.example").contact_id for i in range(4)]
    # two people on one phone merged at first; a third e-mail shows it is shared, which
    # undoes that merge
    assert len(set(ids[2:])) == 2 and len({*ids}) >= 3
    page = contacts_page(brand.store, brand.caller)
    assert page.total == 4
    view = contact_view(brand.store, brand.caller, ids[3])
    phone = next(i for i in view.identities if i.kind == "phone")
    assert phone.shared


def test_bad_identifiers_are_refused_with_the_field_named(brand):
    with pytest.raises(InvalidInput) as error:
        _capture(brand, phone="12")
    assert error.value.field == "phone"
    with pytest.raises(InvalidInput) as error:
        _capture(brand, email="not an address")
    assert error.value.field == "email"
    with pytest.raises(InvalidInput) as error:
        _capture(brand, name="Nobody")
    assert "at least one identifier" in str(error.value)
    with pytest.raises(InvalidInput) as error:
        _capture(brand, wechat={"openid": "o123"})
    assert error.value.field == "wechat.appid"


def test_the_score_decays_and_an_mql_is_made_once(brand):
    made = _capture(
        brand,
        email="cto@fit.example",
        company="Fit Ltd",
        title="CTO",
        company_size=1200,
        type="demo_request",
    )
    _capture(brand, email="cto@fit.example", type="event_attended")
    view = contact_view(brand.store, brand.caller, made.contact_id)
    assert (view.behaviour, view.fit, view.grade, view.stage) == (65, 70, "B", "mql")
    assert [s.stage for s in view.stages] == ["mql"]
    changed = [
        r.event
        for r in list_events(brand.store, brand.caller.organization_id)
        if r.event.type == "lead.stage_changed"
    ]
    assert [(e.contact_id, e.stage_before, e.stage) for e in changed] == [
        (made.contact_id, "new", "mql")
    ]
    brand.store.clock.advance(timedelta(days=60))  # two half-lives
    score_all(brand.store, brand.caller.organization_id)
    view = contact_view(brand.store, brand.caller, made.contact_id)
    assert view.behaviour == 16  # 65 / 4, rounded
    set_stage(brand.store, brand.caller, made.contact_id, "sql", reason="called, has budget")
    view = contact_view(brand.store, brand.caller, made.contact_id)
    assert [s.stage for s in view.stages] == ["sql", "mql"]


def test_another_brand_sees_none_of_it(store, brand):
    made = _capture(brand, email="x@one.example")
    other = make_brand(store)
    with pytest.raises(NotFound):
        contact_view(store, other.caller, made.contact_id)
    assert contacts_page(store, other.caller).total == 0


def test_a_visitor_who_identifies_later_is_one_contact_with_each_identifier_once(brand):
    seen = _capture(brand, cookie="ck0123456789abcd", type="page_view", channel="web")
    _capture(brand, cookie="ck0123456789abcd", type="page_view", channel="web")
    form = _capture(
        brand, cookie="ck0123456789abcd", email="v@visit.example", name="Vera", type="download"
    )
    demo = _capture(brand, email="v@visit.example", phone="13700000000", type="demo_request")
    assert form.contact_id == demo.contact_id == seen.contact_id
    view = contact_view(brand.store, brand.caller, seen.contact_id)
    pairs = [(i.kind, i.value) for i in view.identities]
    assert sorted(pairs) == sorted(set(pairs)) and len(pairs) == 3
    assert len(view.activities) == 4 and view.name == "Vera"
    # the phone came with the demo request: undoing that merge takes it (and the request) away
    last = next(
        m for m in view.merges if {"kind": "email", "value": "v@visit.example"} in m.evidence
    )
    undo_merge(brand.store, brand.caller, last.id)
    view = contact_view(brand.store, brand.caller, seen.contact_id)
    assert {i.kind for i in view.identities} == {"cookie", "email"}
    assert [a.type for a in view.activities] == ["download", "page_view", "page_view"]


def test_a_contact_page_asked_by_its_own_id_says_nothing_of_a_merge(brand):
    a = _capture(brand, cookie="ck-own-page-0001", type="page_view")
    _capture(brand, cookie="ck-own-page-0001", email="own@page.example", type="download")
    _capture(brand, email="own@page.example", phone="13600000000", type="demo_request")
    view = contact_view(brand.store, brand.caller, a.contact_id)
    assert view.asked_for is None and len(view.merges) == 2
    assert set(view.names.values()) == {"ck-own-page-0001", "own@page.example", "+8613600000000"}


def test_a_person_is_exported_whole_and_erased_with_everything_merged_into_them(brand):
    from accord.leads.service import erase_contact, export_contact

    a = _capture(
        brand,
        email="gone@forget.example",
        name="Gone",
        type="download",
        data={"question": "budget?"},
    )
    _capture(brand, email="gone@forget.example", phone="13500000000", type="event_attended")
    other = _capture(brand, email="stay@keep.example", type="download")
    copy = export_contact(brand.store, brand.caller, a.contact_id)
    assert copy["profile"]["name"] == "Gone"
    assert {i["value"] for i in copy["identities"]} == {"gone@forget.example", "+8613500000000"}
    assert [x["type"] for x in copy["activities"]] == ["download", "event_attended"]
    assert copy["activities"][0]["data"] == {"question": "budget?"}
    done = erase_contact(brand.store, brand.caller, a.contact_id)
    assert (done.contacts, done.identities, done.activities) == (2, 2, 2)
    with pytest.raises(NotFound):
        contact_view(brand.store, brand.caller, a.contact_id)
    assert [r.id for r in contacts_page(brand.store, brand.caller).rows] == [other.contact_id]
    # the same e-mail later is a stranger: nothing of them was kept to recognise them by
    again = _capture(brand, email="gone@forget.example", type="page_view")
    assert again.created and again.contact_id != a.contact_id


def test_sources_count_first_touches_and_what_became_of_them(brand):
    from datetime import timedelta

    from accord.leads.sources import sources
    from accord.money import Money

    since = brand.store.clock.now() - timedelta(days=1)
    ads = _capture(
        brand, email="a@src.example", type="page_view", channel="web", keyword="mes system"
    )
    _capture(brand, email="b@src.example", type="page_view", channel="web", keyword="erp")
    show = _capture(
        brand, phone="13300000001", type="event_attended", channel="event", source="Expo"
    )
    # the ad's lead comes back at the show later: still the ad's (first touch)
    _capture(brand, email="a@src.example", type="event_attended", channel="event", source="Expo")
    set_stage(
        brand.store, brand.caller, ads.contact_id, "customer", amount=Money.of("5000.00", "CNY")
    )
    set_stage(brand.store, brand.caller, show.contact_id, "opportunity")
    until = brand.store.clock.now() + timedelta(days=1)
    rows = {r.value: r for r in sources(brand.store, brand.caller, "channel", since, until)}
    assert (rows["web"].leads, rows["web"].won, rows["web"].mqls) == (2, 1, 1)
    assert rows["web"].revenue["CNY"] == Money.of("5000.00", "CNY")
    assert (rows["event"].leads, rows["event"].opportunities, rows["event"].won) == (1, 1, 0)
    words = {r.value: r for r in sources(brand.store, brand.caller, "keyword", since, until)}
    assert words["mes system"].won == 1 and words["erp"].won == 0
    assert next(iter(words)) == "mes system"  # most revenue first


def test_erasing_a_person_reaches_what_an_import_reported_of_them(store, brand):
    from accord.jobs import service as jobs
    from accord.leads.jobs import erase_person

    text = (
        "name,email,phone\nAda,ada@list.example,\nAda again,ADA@list.example,+861\n"
        "Bo,bo@list.example,\nBo again,bo@list.example,+862\n"
    )
    job = jobs.start(store, brand.caller, "import_leads", {"file": "expo.csv"}, payload=text)
    assert jobs.run_job(store, job.id) == "done"
    before = jobs.get_job(store, brand.caller, job.id).result["rows"]
    ada = before[0]["id"]
    assert before[1]["status"] == "rejected" and "+861" in before[1]["message"]
    erase_person(store, brand.caller, ada)
    after = jobs.get_job(store, brand.caller, job.id).result["rows"]
    assert after[0]["id"] is None and after[0]["erased"]
    assert after[0]["status"] == "created"  # the count stays true
    # her refused row named her e-mail: its message (quoting her phone) is gone
    assert after[1]["erased"] and "+861" not in str(after[1])
    assert (after[2], after[3]) == (before[2], before[3])  # another person's rows stay
