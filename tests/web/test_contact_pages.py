"""People in the console: a marketer adds a person met at a stand, finds them again,
reads how the score adds up, undoes a wrong merge and moves a stage, in English and in
Chinese; bad input is named in the form."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from accord.leads.model import Capture
from accord.leads.service import capture, change_lead_settings, contact_view
from tests.web.conftest import csrf_of, sign_in, wait_for_job


def _post(client, path: str, csrf: str, **fields):
    return client.post(
        path,
        content=urlencode({"csrf": csrf, **fields}),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


def test_a_marketer_adds_a_person_and_a_later_form_joins_their_history(client, manager):
    brand, user = manager
    change_lead_settings(brand.store, brand.caller, default_region="CN")
    sign_in(client, user.email)
    page = client.get("/console/contacts")
    assert page.status_code == 200 and "No one yet" in page.text
    added = _post(
        client,
        "/console/contacts",
        csrf_of(page.text),
        name="Zhang Min",
        phone="139 1234 5678",
        company="Hengda Pharma",
        title="Procurement Director",
        type="store_visit",
        note="Asked about bulk pricing",
    )
    assert added.status_code == 303, added.text
    url = added.headers["location"].split("?")[0]
    contact_id = url.rsplit("/", 1)[1]
    # later she downloads a white paper from the site with her e-mail and phone
    capture(
        brand.store,
        brand.caller,
        Capture(
            email="zhang.min@hengda.example",
            phone="+8613912345678",
            type="download",
            channel="web",
            subject="GMP white paper",
            utm={"source": "baidu", "medium": "cpc"},
            keyword="GMP compliance software",
        ),
    )
    shown = client.get(url)
    text = re.sub(r"<[^>]+>", " ", shown.text)
    for seen in (
        "Zhang Min",
        "Procurement Director",
        "Visited a store",
        "Downloaded",
        "GMP white paper",
        "GMP compliance software",
        "+8613912345678",
        "zhang.min@hengda.example",
        "How the score adds up",
        "Asked about bulk pricing",
    ):
        assert seen in text, seen
    listed = client.get("/console/contacts?q=hengda")
    assert contact_id in listed.text and "Zhang Min" in listed.text
    assert contact_id not in client.get("/console/contacts?q=nobody-here").text


def test_a_wrong_merge_is_undone_and_the_stage_moved_from_the_page(client, manager):
    brand, user = manager
    capture(brand.store, brand.caller, Capture(phone="+8613800000001", name="Wang Lei"))
    capture(brand.store, brand.caller, Capture(email="liu@corp.example", name="Liu Yang"))
    both = capture(
        brand.store, brand.caller, Capture(phone="+8613800000001", email="liu@corp.example")
    )
    merge_id = contact_view(brand.store, brand.caller, both.contact_id).merges[0].id
    sign_in(client, user.email)
    page = client.get(f"/console/contacts/{both.contact_id}")
    assert "Undo" in page.text and "liu@corp.example" in page.text
    undone = _post(
        client,
        f"/console/contact-merges/{merge_id}/undo",
        csrf_of(page.text),
        reason="Two people at one desk",
    )
    assert undone.status_code == 303
    restored = client.get(undone.headers["location"])
    assert "Liu Yang" in restored.text and "Two people at one desk" in restored.text
    moved = _post(
        client,
        f"/console/contacts/{both.contact_id}/stage",
        csrf_of(page.text),
        stage="sql",
        reason="Budget confirmed",
    )
    assert moved.status_code == 303
    after = client.get(f"/console/contacts/{both.contact_id}")
    assert "Sales-qualified" in after.text and "Budget confirmed" in after.text
    bad = _post(
        client, f"/console/contacts/{both.contact_id}/stage", csrf_of(page.text), stage="won"
    )
    assert bad.status_code == 422 and "use one of" in bad.text


def test_the_pages_speak_chinese_and_a_bad_phone_is_named(client, manager):
    brand, user = manager
    capture(
        brand.store,
        brand.caller,
        Capture(email="a@b.example", type="event_attended", channel="event"),
    )
    sign_in(client, user.email)
    client.cookies.set("accord_lang", "zh_Hans")
    page = client.get("/console/contacts")
    text = re.sub(r"<[^>]+>", " ", page.text)
    assert "联系人" in text and "添加联系人" in text
    for english in ("People", "Add a person", "Latest activity", "Score everyone now"):
        assert english not in text, english
    one = client.get(
        "/console/contacts/" + re.search(r"/console/contacts/(con_\w+)", page.text).group(1)
    )
    text = re.sub(r"<[^>]+>", " ", one.text)
    assert "参加活动" in text and "分数构成" in text
    for english in ("Attended an event", "How we know them", "Activities"):
        assert english not in text, english
    bad = _post(client, "/console/contacts", csrf_of(page.text), name="X", phone="12")
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text


def test_scoring_everyone_runs_as_a_job(client, manager):
    brand, user = manager
    capture(brand.store, brand.caller, Capture(email="c@d.example", type="demo_request"))
    sign_in(client, user.email)
    page = client.get("/console/contacts")
    started = _post(client, "/console/leads/score", csrf_of(page.text))
    assert started.status_code == 303
    done = wait_for_job(client, started.headers["location"])
    assert "Contacts scored: 1." in done


def test_a_list_of_badge_scans_is_imported_as_a_job_with_each_rows_result(client, manager):
    brand, user = manager
    change_lead_settings(brand.store, brand.caller, default_region="CN")
    capture(brand.store, brand.caller, Capture(email="known@acme.example", type="download"))
    sign_in(client, user.email)
    page = client.get("/console/contacts")
    assert "Import a list" in page.text
    badges = (
        "name,phone,email,company,title,company_size\n"
        "Chen Jie,13800001111,,Nanhai Chemicals,Plant Manager,800\n"
        "Known Person,13800002222,known@acme.example,Acme,CTO,\n"
        "Bad Phone,12,,Nowhere,,\n"
        "No Identifier,,,Ghost Ltd,,\n"
    )
    started = client.post(
        "/console/contacts/import",
        data={
            "csrf": csrf_of(page.text),
            "type": "event_attended",
            "channel": "event",
            "source": "Shanghai CPhI 2026",
        },
        files={"file": ("cphi-badges.csv", badges.encode(), "text/csv")},
    )
    assert started.status_code == 303, started.text
    done = wait_for_job(client, started.headers["location"])
    assert "cphi-badges.csv" in done
    results = client.get(started.headers["location"] + "/results.csv").text.splitlines()
    statuses = [line.split(",")[1] for line in results[1:]]
    assert statuses == ["created", "matched", "rejected", "rejected"]
    assert "phone" in results[3] and "at least one identifier" in results[4]
    found = client.get("/console/contacts?q=chen")
    assert "Chen Jie" in found.text and "Nanhai Chemicals" in found.text
    one = client.get("/console/contacts?q=known@acme.example")
    contact = re.search(r"/console/contacts/(con_\w+)", one.text).group(1)
    view = contact_view(brand.store, brand.caller, contact)
    assert {a.type for a in view.activities} == {"download", "event_attended"}
    assert view.activities[0].source == "Shanghai CPhI 2026" and view.title == "CTO"


def test_a_person_downloads_their_data_and_is_erased_from_the_page(client, manager):
    brand, user = manager
    made = capture(
        brand.store,
        brand.caller,
        Capture(email="ask@privacy.example", name="Asker", type="download"),
    )
    sign_in(client, user.email)
    page = client.get(f"/console/contacts/{made.contact_id}")
    copy = client.get(f"/console/contacts/{made.contact_id}/export.json")
    assert copy.status_code == 200 and "attachment" in copy.headers["content-disposition"]
    assert copy.json()["identities"][0]["value"] == "ask@privacy.example"
    unconfirmed = _post(client, f"/console/contacts/{made.contact_id}/erase", csrf_of(page.text))
    assert unconfirmed.status_code == 422 and "cannot be undone" in unconfirmed.text
    erased = _post(
        client, f"/console/contacts/{made.contact_id}/erase", csrf_of(page.text), confirm="yes"
    )
    assert erased.status_code == 303
    listing = client.get(erased.headers["location"])
    assert "The person is erased" in listing.text and "Asker" not in listing.text
    assert client.get(f"/console/contacts/{made.contact_id}").status_code == 404


def test_a_sales_rep_is_handed_a_lead_calls_it_and_wins_the_deal(client, manager):
    from accord.tenancy.service import create_user
    from tests.web.conftest import unique_email

    brand, user = manager
    rep = create_user(
        brand.store,
        brand.caller.organization_id,
        unique_email("rep"),
        "a long password 9",
        role="sales",
    )
    given = Capture(email="buyer@plant.example", name="Sun Qiang", type="demo_request")
    made = capture(brand.store, brand.caller, given)
    sign_in(client, user.email)
    page = client.get(f"/console/contacts/{made.contact_id}")
    assert rep.email in page.text
    handed = _post(
        client, f"/console/contacts/{made.contact_id}/owner", csrf_of(page.text), owner=rep.id
    )
    assert handed.status_code == 303
    client.cookies.clear()
    sign_in(client, rep.email, "a long password 9")
    day = client.get("/console/my-day")
    assert day.status_code == 200 and "Sun Qiang" in day.text and "Nothing due" in day.text
    token = csrf_of(day.text)
    today = brand.store.clock.now().date().isoformat()
    _post(
        client,
        f"/console/contacts/{made.contact_id}/tasks",
        token,
        title="Call about the quote",
        due=today,
    )
    _post(
        client, f"/console/contacts/{made.contact_id}/notes", token, note="Budget approved for Q1"
    )
    day = client.get("/console/my-day")
    assert "Call about the quote" in day.text
    task_id = re.search(r"/console/lead-tasks/(tsk_\w+)/done", day.text).group(1)
    done = _post(client, f"/console/lead-tasks/{task_id}/done", token, back="/console/my-day")
    assert done.headers["location"] == "/console/my-day"
    assert "Call about the quote" not in client.get("/console/my-day").text
    won = _post(
        client,
        f"/console/contacts/{made.contact_id}/stage",
        token,
        stage="customer",
        amount="128000.00",
        currency="CNY",
        reason="Signed for three sites",
    )
    assert won.status_code == 303
    shown = client.get(f"/console/contacts/{made.contact_id}").text
    assert "Budget approved for Q1" in shown and "128,000.00" in shown
    view = contact_view(brand.store, brand.caller, made.contact_id)
    assert view.stages[0].amount.minor == 12_800_000 and view.stages[0].amount.currency == "CNY"
    # a sales rep changes people, not partners or payouts
    assert client.get("/console/payouts").status_code == 200  # reads the rest
    refused = _post(client, "/console/payouts/run", token, program=brand.program_id)
    assert refused.status_code == 403
    bad = _post(
        client,
        f"/console/contacts/{made.contact_id}/stage",
        token,
        stage="lost",
        amount="10",
        currency="CNY",
    )
    assert bad.status_code == 422 and "only an opportunity or a won deal" in bad.text


def test_the_sources_page_shows_which_keywords_bring_buyers(client, manager):
    brand, user = manager
    capture(
        brand.store,
        brand.caller,
        Capture(email="k@w.example", type="page_view", channel="web", keyword="lims price"),
    )
    sign_in(client, user.email)
    page = client.get("/console/lead-sources?by=keyword")
    assert (
        page.status_code == 200
        and "lims price" in page.text
        and "Sources that pay off" in page.text
    )
    client.cookies.set("accord_lang", "zh_Hans")
    zh = client.get("/console/lead-sources?by=channel")
    assert "带来成交的来源" in zh.text and "网站" in zh.text


def test_possible_duplicates_are_merged_or_kept_apart_from_the_page(client, manager):
    brand, user = manager
    capture(
        brand.store,
        brand.caller,
        Capture(email="zhou.jie@ofc.example", name="Zhou Jie", company="Orion Finance"),
    )
    capture(
        brand.store,
        brand.caller,
        Capture(email="zhoujie@ofc.example", name="Zhou Jei", company="Orion Finance"),
    )
    sign_in(client, user.email)
    page = client.get("/console/contacts-similar")
    assert "Zhou Jei" in page.text and "Likeness" in page.text
    keep = re.search(r'name="keep" value="(con_\w+)"', page.text).group(1)
    other = re.search(r'name="other" value="(con_\w+)"', page.text).group(1)
    merged = _post(
        client, "/console/contacts-similar/merge", csrf_of(page.text), keep=keep, other=other
    )
    assert merged.status_code == 303
    after = client.get(merged.headers["location"])
    assert "Merged." in after.text and "No possible duplicate" in after.text
    shown = client.get(f"/console/contacts/{keep}")
    assert "a person decided they are one" in shown.text


def test_why_accord_made_someone_an_mql_is_told_in_chinese(client, manager):
    brand, user = manager
    change_lead_settings(brand.store, brand.caller, industries={"software": 30})
    done = capture(brand.store, brand.caller, Capture(
        email="cto@acme.example", name="Li", company="Acme", title="CTO", industry="software",
        company_size=2000, type="demo_request", channel="web"))  # fmt: skip
    assert contact_view(brand.store, brand.caller, done.contact_id).stage == "mql"
    sign_in(client, user.email)
    english = re.sub(r"<[^>]+>", " ", client.get(f"/console/contacts/{done.contact_id}").text)
    assert "entered the MQL zone (A fit, 40 points)" in english
    client.cookies.set("accord_lang", "zh_Hans")
    text = re.sub(r"<[^>]+>", " ", client.get(f"/console/contacts/{done.contact_id}").text)
    assert (
        "进入 MQL 区间\uff08匹配度 A\uff0c40 分\uff09" in text
        and "entered the MQL zone" not in text
    )
