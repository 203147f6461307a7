"""Events as a marketer, a registrant and the staff at the door meet them: registering on a
phone gives a ticket (the same one twice), a full or closed event says so; the confirmation
and the reminders arrive through a real SMTP server at the hours chosen (a late registrant
gets only the nearest); scanning the ticket checks the person in once; an attendee list is
imported with each row's result; and erasure takes the ticket with the person."""

from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime, timedelta

import pytest

from accord.errors import InvalidInput, NotFound
from accord.leads import events as lead_events
from accord.leads.service import contact_view, erase_contact
from accord.mail.sender import Mailer
from accord.server import AccordApp
from accord.settings import Settings
from tests.factories import make_brand

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

BASE = "https://accord.brand.example"


@pytest.fixture
def app(store):
    with TestClient(AccordApp(store, Settings()), raise_server_exceptions=False,
                    follow_redirects=False) as client:  # fmt: skip
        yield client


def _seminar(store, brand, clock, **more):
    starts = clock.now() + timedelta(days=3)
    spec = {"kind": "seminar", "name": "GMP audit seminar", "place": "Shanghai, Hall 2",
            "starts_at": starts.astimezone(UTC).replace(tzinfo=None).isoformat(),
            "timezone": "UTC", "reminders": "24, 1", "language": "zh_Hans",
            "consents": [{"purpose": "marketing", "text": "Send me news"}]} | more  # fmt: skip
    return lead_events.save_event(store, brand.caller, spec)


def test_registering_gives_a_ticket_once_and_a_full_event_says_so(store, clock, app):
    brand = make_brand(store)
    event = _seminar(store, brand, clock, capacity=1)
    page = app.get(f"/events/{event.id}")
    assert page.status_code == 200 and "GMP audit seminar" in page.text
    missing = app.post(f"/events/{event.id}", data={"name": "Li"})
    assert missing.status_code == 422 and 'aria-invalid="true"' in missing.text
    sent = app.post(f"/events/{event.id}", data={"name": "Li Wei", "email": "li@acme.example",
                                                  "consent.marketing": "yes"})  # fmt: skip
    assert sent.status_code == 303
    ticket_path = sent.headers["location"]
    token = ticket_path.rsplit("/", 1)[1]
    ticket = app.get(ticket_path)
    assert ticket.status_code == 200 and f"/events/{event.id}/qr/{token}.svg" in ticket.text
    code = app.get(f"/events/{event.id}/qr/{token}.svg")
    assert code.status_code == 200 and code.headers["content-type"] == "image/svg+xml"
    again = app.post(
        f"/events/{event.id}",
        data={"name": "Li Wei", "email": "LI@acme.example", "consent.marketing": "yes"},
    )
    assert again.headers["location"] == ticket_path  # the same ticket
    full = app.post(f"/events/{event.id}", data={"name": "Wang", "email": "wang@acme.example"})
    assert full.status_code == 422 and "The event is full." in full.text
    assert app.get(f"/events/{event.id}/ticket/{'0' * 32}").status_code == 404
    lead_events.save_event(store, brand.caller, {
        "kind": "seminar", "name": "GMP audit seminar", "status": "closed",
        "starts_at": event.starts_at.isoformat(), "timezone": "UTC"}, event.id)  # fmt: skip
    assert "Registration is closed." in app.get(f"/events/{event.id}").text
    [reg] = lead_events.registrations_of(store, brand.caller, event.id)
    view = contact_view(store, brand.caller, reg.contact_id)
    registered = [a for a in view.activities if a.type == "event_registered"]
    assert registered[0].channel == "event" and registered[0].subject == "GMP audit seminar"
    assert view.consents["marketing"]["granted"] is True


def test_confirmation_and_reminders_arrive_at_the_chosen_hours(store, clock, smtp, mail_settings):
    inbox, _ = smtp
    brand = make_brand(store)
    event = _seminar(store, brand, clock)
    lead_events.register(store, event.id, {"name": "李伟", "email": "li@events.example"})
    mailer = Mailer(mail_settings)
    first = lead_events.send_event_mail(store, mailer, base_url=BASE)
    assert first.confirmations >= 1
    [confirmation] = inbox.wait_for("li@events.example")
    assert confirmation["Subject"] == "报名成功\uff1aGMP audit seminar"
    body = confirmation.get_body(("plain",)).get_content()
    assert "Shanghai, Hall 2" in body and re.search(rf"{BASE}/events/{event.id}/ticket/\w+", body)
    assert f"{BASE}/events/{event.id}/calendar.ics" in body
    assert lead_events.send_event_mail(store, mailer, base_url=BASE).reminders == 0
    clock.advance(timedelta(days=2, hours=1))  # 23 hours before
    lead_events.send_event_mail(store, mailer, base_url=BASE)
    assert "24" in inbox.wait_for("li@events.example", 2)[1]["Subject"]
    # a late registrant, 50 minutes before: only the one-hour reminder
    clock.advance(timedelta(hours=22, minutes=10))
    lead_events.register(store, event.id, {"name": "Wang", "email": "wang@events.example"})
    lead_events.send_event_mail(store, mailer, base_url=BASE)
    lead_events.send_event_mail(store, mailer, base_url=BASE)
    lead_events.send_event_mail(store, mailer, base_url=BASE)
    subjects = [m["Subject"] for m in inbox.wait_for("wang@events.example", 2)]
    assert subjects[0].startswith("报名成功") and " 1 " in subjects[1]
    assert len(inbox.to("wang@events.example")) == 2
    assert len(inbox.to("li@events.example")) == 3  # confirmation, 24 h, 1 h


def test_the_door_checks_a_ticket_in_once_and_an_attendee_list_is_imported(store, clock):
    brand = make_brand(store)
    event = _seminar(store, brand, clock)
    li = lead_events.register(store, event.id, {"name": "Li", "email": "li@door.example"})
    lead_events.register(store, event.id, {"name": "Zhao", "email": "zhao@door.example"})
    clock.advance(timedelta(days=3))
    registration, first = lead_events.check_in(store, brand.caller, event.id, li.token)
    assert first and registration.attended_by == "door"
    _, again = lead_events.check_in(store, brand.caller, event.id, li.token)
    assert not again
    kinds = [a.type for a in contact_view(store, brand.caller, li.contact_id).activities]
    assert kinds.count("event_attended") == 1
    with pytest.raises(NotFound):
        lead_events.check_in(store, make_brand(store).caller, event.id, li.token)
    rows = lead_events.import_attendance(store, brand.caller, event.id,
                                         "email,name\nzhao@door.example,Zhao\n"
                                         "walkin@door.example,Walk In\n,No one\n")  # fmt: skip
    assert [r.result for r in rows] == ["registered", "walk_in", "rejected"]
    assert rows[2].line == 4 and "email" in rows[2].message
    people = {r.email: r for r in lead_events.registrations_of(store, brand.caller, event.id)}
    assert people["zhao@door.example"].attended_by == "import"
    counted = lead_events.event_of(store, brand.caller, event.id)
    assert (counted.registered, counted.attended) == (2, 2)
    with pytest.raises(InvalidInput):
        lead_events.import_attendance(store, brand.caller, event.id, "name\nX\n")
    from accord.leads.service import export_contact

    [ticket] = export_contact(store, brand.caller, li.contact_id)["event_registrations"]
    assert ticket["email"] == "li@door.example" and ticket["attended_at"]
    erase_contact(store, brand.caller, li.contact_id)
    assert len(lead_events.registrations_of(store, brand.caller, event.id)) == 1


def test_an_event_as_given_is_checked_field_by_field(store):
    brand = make_brand(store)
    good = {"kind": "seminar", "name": "S", "starts_at": "2027-01-10T14:00",
            "timezone": "Asia/Shanghai"}  # fmt: skip
    made = lead_events.save_event(store, brand.caller, good)
    assert made.starts_at == datetime(2027, 1, 10, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai
    for change, field in [({"kind": "party"}, "kind"), ({"starts_at": "soon"}, "starts_at"),
                          ({"timezone": "Mars/Olympus"}, "timezone"),
                          ({"ends_at": "2027-01-10T13:00"}, "ends_at"),
                          ({"capacity": "0"}, "capacity"), ({"reminders": "24, x"}, "reminders"),
                          ({"url": "ftp://x"}, "url")]:  # fmt: skip
        with pytest.raises(InvalidInput) as refused:
            lead_events.save_event(store, brand.caller, good | change)
        assert refused.value.field == field


def test_an_event_goes_into_a_calendar_as_rfc_5545_says(store, clock, app):
    brand = make_brand(store)
    venue = "\u4e0a\u6d77\u56fd\u9645\u4f1a\u8bae\u4e2d\u5fc3"  # a convention centre
    event = _seminar(store, brand, clock, summary="Auditors; batch records, and a demo",
                     place=f"{venue}, Hall 2 " + "\u957f" * 40)  # fmt: skip
    got = app.get(f"/events/{event.id}/calendar.ics")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/calendar")
    raw = got.content
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))  # folded, in octets
    text = raw.decode("utf-8").replace("\r\n ", "")  # unfolded
    fields = dict(line.split(":", 1) for line in text.split("\r\n") if ":" in line)
    assert fields["DTSTART"] == event.starts_at.strftime("%Y%m%dT%H%M%SZ")
    assert fields["SUMMARY"] == "GMP audit seminar"
    assert fields["LOCATION"].startswith(
        "\u4e0a\u6d77\u56fd\u9645\u4f1a\u8bae\u4e2d\u5fc3\\, Hall 2"
    )
    assert "Auditors\\; batch records\\, and a demo" in fields["DESCRIPTION"]
    assert fields["UID"].startswith(event.id + "@")
    assert app.get("/events/evt_nothing/calendar.ics").status_code == 404
