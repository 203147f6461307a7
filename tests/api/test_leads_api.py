"""Leads over the API as an integrating engineer drives it: capture from two channels, find
the one contact, hand it to a rep with a task and a note, win the deal with its amount,
import a list; and as an attacker would: bad fields named, other brands' ids unknown,
oversized and malformed bodies refused."""

from __future__ import annotations

from accord.tenancy.service import create_user
from tests.api.support import Api
from tests.factories import make_brand


def test_a_lead_from_two_channels_is_one_contact_worked_to_a_won_deal(client, api, brand):
    api.client.put("/api/v1/lead-settings", json={"default_region": "CN"}, headers=api.headers)
    first = api.post(
        "/leads/captures",
        {
            "phone": "139 0000 1111",
            "name": "Gao Yu",
            "type": "event_attended",
            "channel": "event",
            "source": "Chengdu roadshow",
        },
    )
    assert first.status_code == 201, first.text
    second = api.post(
        "/leads/captures",
        {
            "email": "gao.yu@works.example",
            "phone": "13900001111",
            "type": "demo_request",
            "channel": "web",
            "utm": {"source": "baidu", "term": "mes system"},
            "keyword": "mes system",
        },
    )
    assert second.json()["contact_id"] == first.json()["contact_id"]
    contact_id = first.json()["contact_id"]
    found = api.ok("/contacts", search="works.example")
    assert [c["id"] for c in found["data"]] == [contact_id] and found["total"] == 1
    rep = create_user(
        brand.store,
        brand.caller.organization_id,
        "rep@brand-leads.example",
        "a long password 3",
        role="sales",
    )
    owned = api.client.put(
        f"/api/v1/contacts/{contact_id}/owner", json={"owner_id": rep.id}, headers=api.headers
    )
    assert owned.status_code == 200
    task = api.post(
        f"/contacts/{contact_id}/tasks", {"title": "Send the quote", "due": "2026-11-02"}
    )
    assert task.status_code == 201 and task.json()["owner_id"] == rep.id
    assert [t["title"] for t in api.ok("/lead-tasks", owner_id=rep.id)] == ["Send the quote"]
    assert api.post(f"/contacts/{contact_id}/notes", {"note": "Wants 3 lines"}).status_code == 201
    won = api.client.put(
        f"/api/v1/contacts/{contact_id}/stage",
        json={"stage": "customer", "amount": "88000.00", "currency": "CNY"},
        headers=api.headers,
    )
    assert won.status_code == 200, won.text
    body = won.json()
    assert body["stage"] == "customer" and body["identities"][0]["kind"] in ("phone", "email")
    assert {a["type"] for a in body["activities"]} >= {"event_attended", "demo_request", "note"}
    path = f"/api/v1/contacts/{contact_id}/stage"
    body = {"stage": "customer", "amount": "1"}
    missing = api.client.put(path, json=body, headers=api.headers)
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "currency"


def test_bad_input_is_named_and_other_brands_see_nothing(client, api, brand, store):
    bad = api.post("/leads/captures", {"phone": "not a phone", "type": "Download!"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["error"]["errors"]} >= {"type"}
    unknown = api.post("/leads/captures", {"email": "a@b.example", "salary": 1})
    assert unknown.status_code == 422 and "salary" in unknown.text
    made = api.post("/leads/captures", {"email": "mine@one.example"}).json()["contact_id"]
    other = Api(client, make_brand(store).api_key)
    assert other.get(f"/contacts/{made}").status_code == 404
    assert other.ok("/contacts")["total"] == 0
    assert other.post("/contact-erasures", {"contact_id": made}).status_code == 404
    assert Api(client, None).get("/contacts").status_code == 401
    huge = api.post("/leads/captures", {"email": "x@y.example", "data": {"k": "v" * 30_000}})
    assert huge.status_code == 422
    broken = api.post_raw("/leads/captures", b'{"email": ')
    assert broken.status_code in (400, 422)


def test_a_list_is_imported_with_every_rows_result(client, api):
    text = "name,email,phone\nA,a@list.example,\nB,,12\nC,c@list.example,\n"
    answer = api.client.post(
        "/api/v1/leads/imports?type=event_attended&channel=event&source=Expo",
        content=text.encode(),
        headers={**api.headers, "content-type": "text/csv"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["counts"] == {"created": 2, "rejected": 1}
    assert body["rows"][1]["error"]["field"] == "phone"


def test_mqls_are_handed_off_and_outcomes_come_back_over_the_api(client, api):
    refused = api.client.put(
        "/api/v1/lead-handoff", json={"url": "http://127.0.0.1:9/hook"}, headers=api.headers
    )
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "url"
    wrong = api.client.put(
        "/api/v1/lead-handoff", json={"url": None, "format": "pipedrive"}, headers=api.headers
    )
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "format"
    done = api.client.put(
        "/api/v1/lead-handoff", json={"url": None, "format": "salesforce"}, headers=api.headers
    )
    assert done.json() == {"url": None, "format": "salesforce", "assign": False, "secret": None}
    made = api.post("/leads/captures", {"email": "ceo@big.example", "type": "demo_request"})
    contact_id = made.json()["contact_id"]
    api.client.put(f"/api/v1/contacts/{contact_id}/stage", json={"stage": "mql"},
                   headers=api.headers)  # fmt: skip
    sheet = api.client.get("/api/v1/leads/handoff.csv?format=hubspot", headers=api.headers)
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/csv")
    assert sheet.text.splitlines()[0].startswith("email,firstname,lastname")
    assert "ceo@big.example" in sheet.text
    back = api.post("/leads/outcomes", {"outcomes": [
        {"contact_id": contact_id, "outcome": "opportunity", "amount": "9000", "currency": "EUR"},
        {"email": "nobody@big.example", "outcome": "won"},
    ]})  # fmt: skip
    assert back.status_code == 200, back.text
    body = back.json()
    assert body["counts"] == {"updated": 1, "rejected": 1}
    assert body["rows"][0]["stage"] == "opportunity"
    assert api.ok(f"/contacts/{contact_id}")["stage"] == "opportunity"
    sheet = api.client.post(
        "/api/v1/leads/outcomes",
        content=f"accord_contact_id,lifecyclestage\n{contact_id},customer\n".encode(),
        headers={**api.headers, "content-type": "text/csv"},
    )
    assert sheet.json()["rows"][0]["status"] == "updated"
    broken = api.post_raw("/leads/outcomes", b'{"outcomes": [')
    assert broken.status_code == 422 and broken.json()["error"]["field"] == "body"


def test_qr_codes_of_a_form_over_the_api(client, api):
    form = api.post("/lead-forms", {"name": "Store sign-up", "fields": [
        {"name": "email", "required": True}]})  # fmt: skip
    assert form.status_code == 201, form.text
    form_id = form.json()["id"]
    bad = api.post(f"/lead-forms/{form_id}/qr-codes", {"place": "moon", "label": "x"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "place"
    made = api.post(f"/lead-forms/{form_id}/qr-codes", {"place": "event", "label": "CPhI stand"})
    assert made.status_code == 201, made.text
    code = made.json()
    assert code["url"].endswith(f"/f/{form_id}?qr={code['id']}") and code["scans"] == 0
    assert [c["id"] for c in api.ok(f"/lead-forms/{form_id}/qr-codes")] == [code["id"]]
    png = api.client.get(f"/api/v1/lead-qr-codes/{code['id']}?format=png", headers=api.headers)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    svg = api.client.get(f"/api/v1/lead-qr-codes/{code['id']}?format=svg", headers=api.headers)
    assert b"<svg" in svg.content
    gif = api.client.get(f"/api/v1/lead-qr-codes/{code['id']}?format=gif", headers=api.headers)
    assert gif.status_code == 422


def test_a_nurturing_sequence_over_the_api(client, api, brand, store):
    steps = [{"kind": "email", "subject": "Hi {name}", "body": "See https://brand.example/a"},
             {"kind": "wait", "days": 2},
             {"kind": "branch", "condition": "score", "at_least": 40, "then": "exit"},
             {"kind": "email", "subject": "Again", "body": "Again"}]  # fmt: skip
    bad = api.post(
        "/nurture-sequences", {"name": "S", "steps": [*steps[:1], {"kind": "wait", "days": 0}]}
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "steps[1].days"
    jumps_back = api.post(
        "/nurture-sequences",
        {
            "name": "S",
            "steps": [*steps[:2], {"kind": "branch", "condition": "opened", "then": "1"}, steps[3]],
        },
    )
    assert jumps_back.status_code == 422 and jumps_back.json()["error"]["field"] == "steps[2].then"
    made = api.post("/nurture-sequences", {"name": "Welcome", "steps": steps, "status": "active"})
    assert made.status_code == 201, made.text
    seq = made.json()
    assert seq["steps"][2] == {"kind": "branch", "condition": "score", "at_least": 40,
                               "then": "exit"}  # fmt: skip
    assert seq["stats"]["enrolled"] == 0 and seq["stages"] == ["new"]
    person = api.post(
        "/leads/captures", {"email": "li@acme.example", "consent": {"marketing": True}}
    )
    phone_only = api.post("/leads/captures", {"phone": "+8613900002222"})
    other = make_brand(store)
    theirs = Api(client, other.api_key).post("/leads/captures", {"email": "x@y.example"})
    enrolled = api.post(f"/nurture-sequences/{seq['id']}/enrolments", {"contact_ids": [
        person.json()["contact_id"], phone_only.json()["contact_id"],
        theirs.json()["contact_id"]]})  # fmt: skip
    assert list(enrolled.json()["results"].values()) == ["enrolled", "no_email", "not_found"]
    paused = api.client.put(f"/api/v1/nurture-sequences/{seq['id']}",
                            json={"name": "Welcome", "steps": steps, "status": "paused"},
                            headers=api.headers)  # fmt: skip
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert api.ok(f"/nurture-sequences/{seq['id']}")["stats"]["active"] == 1
    assert Api(client, other.api_key).get(f"/nurture-sequences/{seq['id']}").status_code == 404


def test_the_content_library_over_the_api(client, api, brand, store):
    made = api.post("/lead-content", {"kind": "deck", "title": "Line overview",
                                      "tags": ["MES"], "published": True})  # fmt: skip
    assert made.status_code == 201, made.text
    item = made.json()
    assert item["page"].endswith(f"/content/{item['id']}") and item["file_name"] is None
    bad = api.post("/lead-content", {"kind": "podcast", "title": "X"})
    assert bad.status_code == 422
    put = api.client.put(f"/api/v1/lead-content/{item['id']}/file?name=line.pdf",
                         content=b"%PDF-1.4\n%%EOF\n",
                         headers={**api.headers, "content-type": "application/pdf"})  # fmt: skip
    assert put.status_code == 200 and put.json()["file_name"] == "line.pdf"
    wrong = api.client.put(f"/api/v1/lead-content/{item['id']}/file", content=b"hello",
                           headers={**api.headers, "content-type": "text/plain"})  # fmt: skip
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "file"
    assert [i["id"] for i in api.ok("/lead-content", tag="MES")] == [item["id"]]
    other = Api(client, make_brand(store).api_key)
    assert other.get(f"/lead-content/{item['id']}").status_code == 404
    assert client.get(f"/content/{item['id']}/file").content.startswith(b"%PDF")
