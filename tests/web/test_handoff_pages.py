"""Hand-off in the console, as a marketing manager does it without the API: a private
webhook address is refused in the form, a public one saved with its secret shown once, new
MQLs given to sales reps, the MQLs downloaded in Salesforce's columns, and a CRM's file of
outcomes uploaded with each row's result; in English and in Chinese."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from accord.leads.handoff import change_handoff, deliver_handoffs
from accord.leads.model import Capture
from accord.leads.service import capture, change_lead_settings, contact_view
from accord.tenancy.service import create_user
from tests.factories import events_settled
from tests.web.conftest import csrf_of, sign_in, wait_for_job


def _post(client, path: str, csrf: str, **fields):
    return client.post(
        path,
        content=urlencode({"csrf": csrf, **fields}),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _mql(brand, email: str, name: str) -> str:
    done = capture(brand.store, brand.caller, Capture(
        email=email, name=name, company="Acme Software", title="CTO", industry="software",
        company_size=2000, type="demo_request", channel="web", source="baidu"))  # fmt: skip
    events_settled(brand.store, brand.caller.organization_id)
    return done.contact_id


def test_a_manager_hands_mqls_to_sales_and_reads_back_the_outcomes(client, manager):
    brand, user = manager
    org = brand.caller.organization_id
    change_lead_settings(brand.store, brand.caller, industries={"software": 30})
    rep = create_user(brand.store, org, "rep@brand.example", "a long password 1", role="sales")
    sign_in(client, user.email)
    page = client.get("/console/lead-handoff")
    assert page.status_code == 200
    assert "Nothing sent yet" in page.text
    refused = _post(client, "/console/lead-handoff", csrf_of(page.text),
                    url="http://10.1.2.3/hook", format="salesforce")  # fmt: skip
    assert refused.status_code == 422
    assert "10.1.2.3" in refused.text and 'aria-invalid="true"' in refused.text
    saved = _post(client, "/console/lead-handoff", csrf_of(page.text), url="",
                  format="salesforce", assign="yes")  # fmt: skip
    assert saved.status_code == 303
    again = client.get("/console/lead-handoff")
    assert 'value="salesforce" selected' in again.text and 'name="assign" value="yes" checked' in (
        again.text
    )
    won = _mql(brand, "li@acme.example", "李伟")
    view = contact_view(brand.store, brand.caller, won)
    assert view.stage == "mql"
    # the rep has the new lead, and a call for today on their day's page
    client.cookies.clear()
    sign_in(client, rep.email, "a long password 1")
    day = _text(client.get("/console/my-day").text)
    assert "李伟" in day and "Call 李伟: a new MQL" in day
    client.cookies.set("accord_lang", "zh_Hans")
    assert "致电 李伟\uff1a新的 MQL" in _text(client.get("/console/my-day").text)
    client.cookies.clear()
    sign_in(client, user.email)
    again = client.get("/console/lead-handoff")
    sheet = client.get("/console/lead-handoff/leads.csv?format=salesforce&stage=mql")
    assert sheet.status_code == 200
    assert sheet.text.lstrip("\ufeff").startswith("FirstName,LastName,Email")
    assert "伟,李,li@acme.example" in sheet.text
    outcomes = (
        "Email,Status,Amount,CurrencyIsoCode\n"
        "li@acme.example,Closed - Converted,88000,CNY\n"
        "ghost@acme.example,Closed - Converted,1,CNY\n"
    )
    started = client.post(
        "/console/lead-handoff/outcomes",
        data={"csrf": csrf_of(again.text)},
        files={"file": ("salesforce-leads.csv", outcomes.encode(), "text/csv")},
    )
    assert started.status_code == 303, started.text
    done = wait_for_job(client, started.headers["location"])
    assert "salesforce-leads.csv" in done and "Hand-off to sales" in done
    results = client.get(started.headers["location"] + "/results.csv").text.splitlines()
    assert [line.split(",")[1] for line in results[1:]] == ["updated", "rejected"]
    assert contact_view(brand.store, brand.caller, won).stage == "customer"
    client.cookies.set("accord_lang", "zh_Hans")
    zh = _text(client.get("/console/lead-handoff").text)
    for seen in ("移交销售", "新 MQL 的去向", "下载导入 CRM 的文件", "销售跟进结果"):
        assert seen in zh
    for english in ("Hand-off to sales", "Where new MQLs go", "Send again", "Download CSV"):
        assert english not in zh


def test_a_failed_hand_off_is_shown_with_its_answer_and_can_be_sent_again(client, manager):
    brand, user = manager
    change_lead_settings(brand.store, brand.caller, industries={"software": 30})
    change_handoff(brand.store, brand.caller, url="http://127.0.0.1:9/closed",
                   format="hubspot", allow_private=True)  # fmt: skip
    _mql(brand, "down@acme.example", "Dana Down")
    for _ in range(12):  # the CRM stays down until the schedule is over

        def refuse(outgoing):
            raise ConnectionRefusedError("connection refused")

        deliver_handoffs(brand.store, refuse, allow_private=True)
        brand.store.clock.advance(__import__("datetime").timedelta(days=1))
    sign_in(client, user.email)
    page = client.get("/console/lead-handoff")
    text = _text(page.text)
    assert "Dana Down" in text and "gave up" in text and "connection refused" in text
    handoff_id = re.search(r"/console/lead-handoffs/(hof_\w+)/retry", page.text).group(1)
    retried = _post(client, f"/console/lead-handoffs/{handoff_id}/retry", csrf_of(page.text))
    assert retried.status_code == 303
    assert "to send" in _text(client.get("/console/lead-handoff").text)


def test_the_predicted_chance_page_says_how_many_more_outcomes_it_needs(client, manager):
    _brand, user = manager
    sign_in(client, user.email)
    page = client.get("/console/lead-model")
    assert page.status_code == 200
    text = _text(page.text)
    assert "Not enough outcomes yet" in text and "record 20 more won and 20 more lost" in text
    started = _post(client, "/console/lead-model/train", csrf_of(page.text))
    assert started.status_code == 303
    wait_for_job(client, started.headers["location"])
    client.cookies.set("accord_lang", "zh_Hans")
    zh = _text(client.get("/console/lead-model").text)
    assert "结果数据还不够" in zh and "Not enough" not in zh
