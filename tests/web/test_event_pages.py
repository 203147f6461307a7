"""Events in the console, as a marketer and the staff at the door do it without the API:
an event set up (a wrong time zone refused, what was typed kept), its registration page and
QR code, a registrant checked in by opening their ticket's code on a signed-in phone, an
attendee list uploaded with its rows' results; in Chinese too."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from tests.web.conftest import csrf_of, sign_in


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _post(client, path: str, fields: dict):
    return client.post(path, content=urlencode(fields),
                       headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip


def test_a_marketer_runs_an_event_and_the_door_checks_people_in(client, manager):
    _, user = manager
    sign_in(client, user.email)
    page = client.get("/console/events")
    assert page.status_code == 200 and "No event yet." in page.text
    csrf = csrf_of(page.text)
    fields = {"csrf": csrf, "kind": "seminar", "name": "GMP audit seminar",
              "starts_at": "2027-01-10T14:00", "timezone": "Shanghai", "place": "Hall 2",
              "reminders": "24, 1", "language": "zh_Hans", "status": "open",
              "consent.purpose": "marketing", "consent.text": "Send me news"}  # fmt: skip
    refused = _post(client, "/console/events", fields)
    assert refused.status_code == 422 and "Asia/Shanghai" in _text(refused.text)
    assert 'value="GMP audit seminar"' in refused.text
    saved = _post(client, "/console/events", fields | {"timezone": "Asia/Shanghai"})
    assert saved.status_code == 303
    path = saved.headers["location"].split("?")[0]
    event_id = path.rsplit("/", 1)[1]
    shown = _text(client.get(path).text)
    assert "No one has registered yet." in shown and f"/events/{event_id}" in shown
    assert client.get(f"{path}/qr.svg").headers["content-type"] == "image/svg+xml"

    # a visitor registers on the public page (another browser)
    from starlette.testclient import TestClient

    with TestClient(client.app, follow_redirects=False) as visitor:
        sent = visitor.post(f"/events/{event_id}", data={"name": "李伟", "email": "li@x.example"})
        token = sent.headers["location"].rsplit("/", 1)[1]

    door = client.get(f"{path}/check-in/{token}")
    assert door.status_code == 200 and "李伟" in door.text
    checked = _post(client, f"{path}/check-in/{token}", {"csrf": csrf, "at": "door"})
    assert checked.status_code == 303
    assert "Checked in at" in client.get(checked.headers["location"]).text
    assert client.get(f"{path}/check-in/{'0' * 32}").status_code == 404

    attendees = "email,name\nwang@x.example,Wang\n,Nobody\n"
    upload = client.post(
        f"{path}/attendance",
        data={"csrf": csrf},
        files={"file": ("attendees.csv", attendees, "text/csv")},
    )
    assert upload.status_code == 200
    text = _text(upload.text)
    assert "1 of 2 rows imported." in text and "Line 3" in text
    assert "checked in at the door" in text

    client.cookies.set("accord_lang", "zh_Hans")
    zh = _text(client.get(path).text)
    assert "报名者" in zh and "现场扫码签到" in zh and "研讨会" in zh
    assert "Registrants" not in zh and "Seminar" not in zh
