"""Nurturing as a marketer and the people on the list see it: a sequence mails people who
gave their consent through a real SMTP server on localhost, waits, and branches on what they
did; the mail's pixel and links count opens and clicks as activities (a click can make an
MQL); its one-click unsubscribe withdraws the consent and no more mail follows; people who
never consented, have moved on to sales or exceed the hourly limit get nothing now; a
person's export lists the mails and erasure removes them."""

from __future__ import annotations

import re
import warnings
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.leads import nurture
from accord.leads.model import Capture
from accord.leads.nurture_model import BadStep, Facts, Step, check_steps, compose, step_on
from accord.leads.service import (
    capture,
    change_lead_settings,
    contact_view,
    erase_contact,
    export_contact,
    set_stage,
)
from accord.leads.tables import NurtureEnrolment, NurtureSend
from accord.mail.sender import Mailer
from accord.server import AccordApp
from accord.settings import Settings
from tests.factories import make_brand

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

BASE = "https://accord.brand.example"

STEPS = [
    {"kind": "email", "subject": "{name}, the GMP white paper",
     "body": "Hi {name},\n\nHere it is: https://brand.example/gmp.pdf.\n\n<b>Not bold</b>"},
    {"kind": "wait", "days": 3},
    {"kind": "branch", "condition": "clicked", "then": "5"},
    {"kind": "email", "subject": "Did you see it?", "body": "A reminder: https://brand.example/gmp.pdf"},
    {"kind": "email", "subject": "A demo for your team", "body": "Book one: https://brand.example/demo"},
]  # fmt: skip


# the steps as data --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("steps", "field"),
    [
        ([], "steps"),
        ([{"kind": "wait", "days": 2}], "steps"),
        ([{"kind": "email", "subject": "", "body": "x"}], "steps[0].subject"),
        ([{"kind": "email", "subject": "a", "body": "b"}, {"kind": "wait", "days": 0}],
         "steps[1].days"),
        ([{"kind": "email", "subject": "a", "body": "b"}, {"kind": "nap"}], "steps[1].kind"),
        ([{"kind": "branch", "condition": "opened", "then": "1"},
          {"kind": "email", "subject": "a", "body": "b"}], "steps[0].then"),
        ([{"kind": "email", "subject": "a", "body": "b"},
          {"kind": "branch", "condition": "score", "then": "exit"}], "steps[1].at_least"),
        ([{"kind": "email", "subject": "a", "body": "b"},
          {"kind": "branch", "condition": "activity", "activity": "Bad Type!", "then": "exit"}],
         "steps[1].activity"),
    ],
)  # fmt: skip
def test_a_step_that_cannot_run_is_refused_naming_its_field(steps, field):
    with pytest.raises(BadStep) as refused:
        check_steps(steps)
    assert refused.value.field == field


_email = st.just({"kind": "email", "subject": "s", "body": "b"})
_wait = st.builds(lambda d: {"kind": "wait", "days": d}, st.integers(1, 30))


@st.composite
def _sequences(draw):
    count = draw(st.integers(1, 12))
    raw = []
    for n in range(count):
        if n + 2 <= count and draw(st.booleans()):
            then = draw(st.sampled_from(["exit", *[str(k) for k in range(n + 2, count + 1)]]))
            condition = draw(st.sampled_from(["opened", "clicked", "activity", "score"]))
            raw.append({"kind": "branch", "condition": condition, "activity": "download",
                        "at_least": draw(st.integers(0, 50)), "then": then})  # fmt: skip
        else:
            raw.append(draw(st.one_of(_email, _wait)))
    if not any(r["kind"] == "email" for r in raw):
        raw.append({"kind": "email", "subject": "s", "body": "b"})
    return check_steps(raw)


_facts = st.builds(Facts, st.booleans(), st.booleans(),
                   st.frozensets(st.sampled_from(["download", "page_view"])),
                   st.integers(0, 60))  # fmt: skip


@given(_sequences(), _facts)
def test_every_run_of_a_sequence_ends_and_sends_only_its_mails(steps, facts):
    position, seen = 0, 0
    while True:
        move = step_on(steps, position, facts)
        seen += 1
        assert seen <= len(steps) + 1
        if move.action in ("done", "exit"):
            break
        assert move.position > position  # always forward
        if move.action == "send":
            assert steps[move.step].kind == "email"
        else:
            assert steps[move.position - 1].kind == "wait" and move.days >= 1
        position = move.position


def test_a_branch_jumps_when_its_condition_holds_and_goes_on_when_not():
    steps = check_steps(STEPS)
    assert step_on(steps, 2, Facts(clicked=True)) == Move_send(5, 4)
    assert step_on(steps, 2, Facts(opened=True)) == Move_send(4, 3)
    leave = check_steps([{"kind": "branch", "condition": "score", "at_least": 40, "then": "exit"},
                         {"kind": "email", "subject": "s", "body": "b"}])  # fmt: skip
    assert step_on(leave, 0, Facts(score=40)).action == "exit"
    assert step_on(leave, 0, Facts(score=39)).action == "send"


def Move_send(position: int, step: int):  # noqa: N802 - reads as the value it builds
    from accord.leads.nurture_model import Move

    return Move("send", position, step=step)


def test_links_are_counted_and_the_marketers_text_is_escaped():
    made = compose("See https://brand.example/a?x=1&y=2. Again: https://brand.example/a?x=1&y=2"
                   "\n\n<script>alert(1)</script> and (https://b.example/z)",
                   "https://t/c/1/k/")  # fmt: skip
    assert made.links == ("https://brand.example/a?x=1&y=2", "https://b.example/z")
    assert made.text.count("https://t/c/1/k/0") == 2 and "https://t/c/1/k/1)" in made.text
    assert "<script>" not in made.html and "&lt;script&gt;" in made.html
    assert '<a href="https://t/c/1/k/0">https://brand.example/a?x=1&amp;y=2</a>' in made.html


# the run, with a real SMTP server -------------------------------------------------------------
@pytest.fixture
def brand(store):
    made = make_brand(store)
    change_lead_settings(store, made.caller, industries={"software": 30})
    return made


@pytest.fixture(autouse=True)
def pause_after(store):
    """Runs send for every brand of the database: each test pauses its sequences when done."""
    yield
    from sqlalchemy import update

    from accord.leads.tables import NurtureSequence

    with store.unit() as session:
        session.execute(update(NurtureSequence).values(status="paused"))


@pytest.fixture
def app_client(store):
    with TestClient(AccordApp(store, Settings()), raise_server_exceptions=False,
                    follow_redirects=False) as client:  # fmt: skip
        yield client


def _person(store, brand, email, name, *, consent=True, **more):
    given = {"consent": {"marketing": True}} if consent else {}
    return capture(store, brand.caller, Capture(
        email=email, name=name, type="download", channel="web", subject="GMP white paper",
        **given, **more)).contact_id  # fmt: skip


def _links(message) -> dict[str, str]:
    html = message.get_body(("html",)).get_content()
    return {
        "pixel": re.search(r'<img src="([^"]+)"', html).group(1),
        "links": re.findall(r'<a href="(https://accord\.brand\.example/n/c/[^"]+)"', html),
        "unsubscribe": re.search(r'<a href="(https://accord\.brand\.example/n/u/[^"]+)"',
                                 html).group(1),
    }  # fmt: skip


def _run(store, settings):
    return nurture.run_nurture(store, Mailer(settings), base_url=BASE)


def _path(url: str) -> str:
    return url.removeprefix(BASE)


def test_a_sequence_mails_counts_opens_and_clicks_and_follows_the_branch(
    store,
    clock,
    brand,
    smtp,
    mail_settings,
    app_client,
):
    inbox, _ = smtp
    li = _person(store, brand, "li@acme.example", "李伟")
    silent = _person(store, brand, "wang@acme.example", None)
    _person(store, brand, "zhao@acme.example", "Zhao", consent=False)
    seq = nurture.save_sequence(store, brand.caller, {
        "name": "GMP follow-up", "steps": STEPS, "status": "active", "auto_enrol": True,
        "from_name": "Acme Pharma"})  # fmt: skip

    first = _run(store, mail_settings)
    assert first.enrolled == 3 and first.sent == 2 and first.ended == 1  # zhao: no consent
    [to_li] = inbox.wait_for("li@acme.example")
    assert to_li["Subject"] == "李伟, the GMP white paper"
    assert to_li["From"].addresses[0].display_name == "Acme Pharma"
    assert to_li["From"].addresses[0].addr_spec == "reports@brand.example"
    assert to_li["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = to_li.get_body(("plain",)).get_content()
    assert "Hi 李伟," in text and "brand.example/gmp.pdf" not in text  # the link is counted
    assert "Hi there," in inbox.wait_for("wang@acme.example")[0].get_body(("plain",)).get_content()
    assert inbox.to("zhao@acme.example") == []
    links = _links(to_li)
    assert "<b>Not bold</b>" not in to_li.get_body(("html",)).get_content()

    # li opens it (twice: one activity) and clicks the white paper's link
    before = contact_view(store, brand.caller, li).behaviour
    for _ in range(2):
        shown = app_client.get(_path(links["pixel"]))
        assert shown.status_code == 200 and shown.headers["content-type"] == "image/gif"
    went = app_client.get(_path(links["links"][0]))
    assert went.status_code == 302 and went.headers["location"] == "https://brand.example/gmp.pdf"
    view = contact_view(store, brand.caller, li)
    kinds = [a.type for a in view.activities]
    assert kinds.count("email_open") == 1 and kinds.count("email_click") == 1
    assert kinds.count("email_sent") == 1
    assert view.behaviour == before + 1 + 4  # an open and a click, by the default rules
    # a forged token, another number or another send finds nothing
    assert app_client.get(_path(links["links"][0]).replace("/0", "/7")).status_code == 404
    forged = re.sub(r"/c/([^/]+)/([0-9a-f]+)/", r"/c/\1/" + "0" * 32 + "/", links["links"][0])
    assert app_client.get(_path(forged)).status_code == 404

    # nothing until the wait is over; then li (clicked) skips the reminder
    assert _run(store, mail_settings).sent == 0
    clock.advance(timedelta(days=3, minutes=5))
    _run(store, mail_settings)
    _run(store, mail_settings)
    assert [m["Subject"] for m in inbox.wait_for("li@acme.example", 2)][1] == "A demo for your team"
    assert [m["Subject"] for m in inbox.wait_for("wang@acme.example", 2)][1] == "Did you see it?"
    _run(store, mail_settings)
    _run(store, mail_settings)
    assert len(inbox.to("li@acme.example")) == 2 and len(inbox.to("wang@acme.example")) == 3

    stats = nurture.sequence_of(store, brand.caller, seq.id).stats
    assert (stats.enrolled, stats.sent, stats.opened, stats.clicked) == (3, 5, 1, 1)
    assert stats.ended == {"no_consent": 1, "finished": 2}
    assert stats.steps[0].sent == 2 and stats.steps[0].clicked == 1
    assert silent


def test_unsubscribing_withdraws_consent_and_stops_every_sequence_of_that_purpose(
    store,
    clock,
    brand,
    smtp,
    mail_settings,
    app_client,
):
    inbox, _ = smtp
    li = _person(store, brand, "li@acme.example", "李伟")
    steps = [{"kind": "email", "subject": "One", "body": "One"}, {"kind": "wait", "days": 1},
             {"kind": "email", "subject": "Two", "body": "Two"}]  # fmt: skip
    first = nurture.save_sequence(
        store, brand.caller, {"name": "A", "steps": steps, "status": "active", "auto_enrol": True}
    )
    other = nurture.save_sequence(
        store, brand.caller, {"name": "B", "steps": steps, "status": "active", "auto_enrol": True}
    )
    _run(store, mail_settings)
    mails = inbox.wait_for("li@acme.example", 2)
    url = _path(_links(mails[0])["unsubscribe"])
    asked = app_client.get(url)
    assert asked.status_code == 200 and "l*@acme.example" in asked.text
    assert "li@acme.example" not in asked.text
    # a mail program's one-click unsubscribe (RFC 8058)
    done = app_client.post(
        url,
        content="List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert app_client.post(url).status_code == 200  # twice is harmless
    assert nurture.check_sequence(store, brand.caller, first.id) is None
    consents = export_contact(store, brand.caller, li)["consents"]
    assert consents["marketing"]["granted"] is False
    clock.advance(timedelta(days=2))
    for _ in range(3):
        _run(store, mail_settings)
    assert len(inbox.to("li@acme.example")) == 2
    for seq in (first, other):
        assert nurture.sequence_of(store, brand.caller, seq.id).stats.ended == {"unsubscribed": 1}
    assert app_client.get(url.replace("/u/", "/u/x")).status_code == 404


def test_people_who_move_on_or_exceed_the_hourly_limit_wait_or_leave(
    store,
    clock,
    brand,
    smtp,
    mail_settings,
):
    inbox, _ = smtp
    ids = [_person(store, brand, f"p{n}@acme.example", f"P{n}") for n in range(5)]
    seq = nurture.save_sequence(store, brand.caller, {
        "name": "Slow", "status": "active", "per_hour": 2,
        "steps": [{"kind": "email", "subject": "Hello", "body": "Hello {name}"}]})  # fmt: skip
    result = nurture.enrol(store, brand.caller, seq.id, [*ids, "ct_nobody"])
    assert result["ct_nobody"] == "not_found" and list(result.values()).count("enrolled") == 5
    assert nurture.enrol(store, brand.caller, seq.id, ids[:1]) == {ids[0]: "already"}
    set_stage(store, brand.caller, ids[4], "sql")
    run = _run(store, mail_settings)
    assert (run.sent, run.held, run.ended) == (2, 2, 1)
    clock.advance(timedelta(minutes=30))
    assert _run(store, mail_settings).sent == 0
    clock.advance(timedelta(minutes=31))
    assert _run(store, mail_settings).sent == 2
    assert len(inbox.received) == 4
    assert nurture.sequence_of(store, brand.caller, seq.id).stats.ended.get("stage") == 1


def test_without_an_smtp_server_nothing_is_sent_or_lost(store, brand):
    _person(store, brand, "li@acme.example", "Li")
    nurture.save_sequence(store, brand.caller, {
        "name": "S", "status": "active", "auto_enrol": True,
        "steps": [{"kind": "email", "subject": "Hi", "body": "Hi"}]})  # fmt: skip
    run = nurture.run_nurture(store, Mailer(Settings(smtp_host=None)), base_url=BASE)
    assert run.no_server and run.enrolled == 1 and run.sent == 0
    [seq] = nurture.sequences_of(store, brand.caller)
    assert seq.stats.active == 1 and seq.stats.sent == 0


def test_a_refused_mail_is_tried_again_then_the_person_leaves(
    store,
    clock,
    brand,
    smtp,
    mail_settings,
):
    inbox, _ = smtp

    async def refuse(server, session, envelope, address, rcpt_options):
        return "550 no such mailbox"

    inbox.handle_RCPT = refuse  # the server refuses every recipient
    gone = _person(store, brand, "gone@acme.example", "Gone")
    seq = nurture.save_sequence(store, brand.caller, {
        "name": "S", "status": "active", "auto_enrol": True,
        "steps": [{"kind": "email", "subject": "Hi", "body": "Hi"}]})  # fmt: skip
    for _ in range(3):
        run = _run(store, mail_settings)
        assert run.failed == 1
        clock.advance(timedelta(minutes=16))
    stats = nurture.sequence_of(store, brand.caller, seq.id).stats
    assert stats.failed == 3 and stats.ended == {"undeliverable": 1}
    with store.read() as session:
        errors = session.query(NurtureSend.error).filter(NurtureSend.contact_id == gone).all()
    assert len(errors) == 3 and all("550" in e for (e,) in errors)


def test_a_persons_export_lists_their_mails_and_erasure_removes_them(
    store,
    brand,
    smtp,
    mail_settings,
):
    li = _person(store, brand, "li@acme.example", "Li")
    nurture.save_sequence(store, brand.caller, {
        "name": "S", "status": "active", "auto_enrol": True,
        "steps": [{"kind": "email", "subject": "Hi", "body": "Hi"}]})  # fmt: skip
    _run(store, mail_settings)
    [mail] = export_contact(store, brand.caller, li)["mails"]
    assert mail["to"] == "li@acme.example" and mail["status"] == "sent"
    erase_contact(store, brand.caller, li)
    with store.read() as session:
        assert session.query(NurtureSend).filter(NurtureSend.contact_id == li).count() == 0
        enrolled = session.query(NurtureEnrolment).filter(NurtureEnrolment.contact_id == li)
        assert enrolled.count() == 0


def test_a_sequence_as_given_is_checked_field_by_field(store, brand):
    from accord.errors import InvalidInput

    good = {"name": "S", "steps": [{"kind": "email", "subject": "Hi", "body": "Hi"}]}
    for change, field in [({"name": " "}, "name"), ({"status": "on"}, "status"),
                          ({"stages": ["mql", "won"]}, "stages"), ({"per_hour": 0}, "per_hour"),
                          ({"language": "fr"}, "language"), ({"purpose": "Mail Me"}, "purpose"),
                          ({"steps": [{"kind": "wait", "days": 1}]}, "steps"),
                          ({"auto_enrol": "yes"}, "auto_enrol")]:  # fmt: skip
        with pytest.raises(InvalidInput) as refused:
            nurture.save_sequence(store, brand.caller, good | change)
        assert refused.value.field == field
    other = make_brand(store)
    made = nurture.save_sequence(store, brand.caller, good)
    from accord.errors import NotFound

    with pytest.raises(NotFound):
        nurture.sequence_of(store, other.caller, made.id)
    with pytest.raises(NotFound):
        nurture.enrol(store, other.caller, made.id, ["x"])
    assert Step("wait", days=2).as_dict() == {"kind": "wait", "days": 2}
