"""Hosted forms: a marketer makes a form with its fields and a consent, a visitor on a phone
fills it (in their language, framed in the brand's site or not) and becomes a contact with
the consent and the UTM tags kept; bad answers are named, robots and floods are turned away."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from accord.leads.service import consents_of, contact_view, contacts_page
from accord.web.public_forms import FORM_SENDS
from tests.web.conftest import csrf_of, sign_in


def _post(client, path: str, pairs: list[tuple[str, str]]):
    return client.post(
        path,
        content=urlencode(pairs),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


def _make_form(client, user) -> str:
    sign_in(client, user.email)
    page = client.get("/console/forms")
    assert page.status_code == 200 and "New form" in page.text
    made = _post(
        client,
        "/console/forms",
        [
            ("csrf", csrf_of(page.text)),
            ("name", "Download the GMP white paper"),
            ("activity", "download"),
            ("subject", "GMP white paper 2027"),
            ("field", "name"),
            ("required.name", "yes"),
            ("field", "email"),
            ("required.email", "yes"),
            ("field", "phone"),
            ("field", "company"),
            ("field", "company_size"),
            ("consent1.purpose", "marketing"),
            ("consent1.text", "Send me news about GMP software"),
            ("consent2.purpose", "privacy"),
            ("consent2.text", "I accept the privacy notice"),
            ("consent2.required", "yes"),
            ("thanks", "Thank you! Your copy is ready."),
            ("download_url", "https://files.brand.example/gmp.pdf"),
            ("active", "yes"),
        ],
    )
    assert made.status_code == 303, made.text
    form_id = made.headers["location"].split("/")[-1].split("?")[0]
    client.cookies.clear()
    return form_id


def test_a_visitor_fills_a_form_and_becomes_a_contact_with_consent_and_utm(client, manager):
    brand, user = manager
    FORM_SENDS.reset()
    form_id = _make_form(client, user)
    page = client.get(
        f"/f/{form_id}?utm_source=wechat&utm_campaign=gmp-q4",
        headers={"referer": "https://brand.example/gmp"},
    )
    assert page.status_code == 200 and "X-Frame-Options" not in page.headers
    assert "Send me news about GMP software" in page.text and "website_url" in page.text
    sent = _post(
        client,
        f"/f/{form_id}",
        [
            ("name", "Zhao Lin"),
            ("email", "zhao.lin@pharma.example"),
            ("company_size", "1,200"),
            ("consent.privacy", "yes"),
            ("utm_source", "wechat"),
            ("utm_campaign", "gmp-q4"),
            ("came_from", "https://brand.example/gmp"),
            ("website_url", ""),
        ],
    )
    assert sent.status_code == 200 and "Your copy is ready" in sent.text
    assert "https://files.brand.example/gmp.pdf" in sent.text
    row = contacts_page(brand.store, brand.caller).rows[0]
    view = contact_view(brand.store, brand.caller, row.id)
    act = view.activities[0]
    assert (view.name, view.company_size, act.type, act.source) == (
        "Zhao Lin",
        1200,
        "download",
        "Download the GMP white paper",
    )
    assert act.utm == {"source": "wechat", "campaign": "gmp-q4"} and act.campaign == "gmp-q4"
    assert act.referrer == "https://brand.example/gmp"
    given = consents_of(brand.store, brand.caller, row.id)
    assert {k: v["granted"] for k, v in given.items()} == {"marketing": False, "privacy": True}
    assert act.data["consent_texts"]["privacy"] == "I accept the privacy notice"
    assert {k: v["granted"] for k, v in view.consents.items()} == {
        "marketing": False,
        "privacy": True,
    }


def test_bad_answers_are_named_in_the_visitors_language_and_robots_keep_nothing(client, manager):
    brand, user = manager
    FORM_SENDS.reset()
    form_id = _make_form(client, user)
    client.cookies.set("accord_lang", "zh_Hans")
    missing = _post(client, f"/f/{form_id}", [("name", "X"), ("email", "x@y.example")])
    assert missing.status_code == 422 and "请勾选" in missing.text
    text = re.sub(r"<[^>]+>", " ", missing.text)
    assert "is required" not in text and "optional" not in text
    assert '<button type="submit" class="primary">提交</button>' in missing.text
    bad = _post(
        client,
        f"/f/{form_id}",
        [("name", "X"), ("email", "not-an-address"), ("consent.privacy", "yes")],
    )
    assert bad.status_code == 422 and "邮箱" in bad.text and 'aria-invalid="true"' in bad.text
    robot = _post(
        client,
        f"/f/{form_id}",
        [
            ("name", "Bot"),
            ("email", "bot@spam.example"),
            ("consent.privacy", "yes"),
            ("website_url", "http://spam.example"),
        ],
    )
    assert robot.status_code == 200
    assert contacts_page(brand.store, brand.caller).total == 0
    assert client.get("/f/frm_doesnotexist").status_code == 404


def test_a_flood_from_one_address_is_slowed_down(client, manager):
    brand, user = manager
    FORM_SENDS.reset()
    form_id = _make_form(client, user)
    answers = [("name", "N"), ("consent.privacy", "yes")]
    codes = [
        _post(client, f"/f/{form_id}", [*answers, ("email", f"n{i}@flood.example")]).status_code
        for i in range(32)
    ]
    assert codes[:30] == [200] * 30 and codes[30:] == [429, 429]
    assert contacts_page(brand.store, brand.caller).total == 30


def test_a_form_without_a_way_to_find_the_person_again_is_refused(client, manager):
    _, user = manager
    sign_in(client, user.email)
    page = client.get("/console/forms")
    bad = _post(
        client,
        "/console/forms",
        [
            ("csrf", csrf_of(page.text)),
            ("name", "Only names"),
            ("field", "name"),
            ("active", "yes"),
        ],
    )
    assert bad.status_code == 422 and "e-mail or a phone" in bad.text


def test_a_store_qr_code_credits_everyone_it_brings_to_the_store(client, manager):
    from datetime import UTC, datetime

    from accord.leads.qr import codes_of
    from accord.leads.sources import sources

    brand, user = manager
    FORM_SENDS.reset()
    form_id = _make_form(client, user)
    sign_in(client, user.email)
    page = client.get(f"/console/forms/{form_id}")
    assert "QR codes" in page.text
    blank = [("csrf", csrf_of(page.text)), ("place", "store"), ("label", "  ")]
    refused = _post(client, f"/console/forms/{form_id}/qr-codes", blank)
    assert refused.status_code == 422 and "name the place" in refused.text
    made = _post(client, f"/console/forms/{form_id}/qr-codes",
                 [("csrf", csrf_of(page.text)), ("place", "store"),
                  ("label", "Shanghai Jing'an store")])  # fmt: skip
    assert made.status_code == 303
    page = client.get(f"/console/forms/{form_id}")
    code = re.search(r"/console/lead-qr-codes/(qr_\w+)\.png", page.text).group(1)
    png = client.get(f"/console/lead-qr-codes/{code}.png")
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    svg = client.get(f"/console/lead-qr-codes/{code}.svg")
    assert svg.headers["content-type"].startswith("image/svg") and b"<svg" in svg.content
    assert client.get("/console/lead-qr-codes/qr_nobody.png").status_code == 404
    client.cookies.clear()
    # a shopper scans it at the counter and sends the form
    opened = client.get(f"/f/{form_id}?qr={code}")
    assert f'name="qr" value="{code}"' in opened.text
    sent = _post(client, f"/f/{form_id}", [
        ("name", "Qian Yu"), ("email", "qian.yu@shop.example"), ("consent.privacy", "yes"),
        ("qr", code), ("website_url", ""),
    ])  # fmt: skip
    assert sent.status_code == 200
    row = contacts_page(brand.store, brand.caller).rows[0]
    act = contact_view(brand.store, brand.caller, row.id).activities[0]
    assert (act.channel, act.source, act.data["qr"]) == ("store", "Shanghai Jing'an store", code)
    # another form's code, or a made-up one, credits nothing
    _post(client, f"/f/{form_id}", [
        ("name", "Sun Li"), ("email", "sun.li@shop.example"), ("consent.privacy", "yes"),
        ("qr", "qr_made_up"), ("website_url", ""),
    ])  # fmt: skip
    ever = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
    rows = {r.value: r.leads for r in sources(brand.store, brand.caller, "source", *ever)}
    assert rows["Shanghai Jing'an store"] == 1 and rows["Download the GMP white paper"] == 1
    [counted] = codes_of(brand.store, brand.caller, form_id)
    assert (counted.scans, counted.people) == (1, 1)
    sign_in(client, user.email)
    listed = re.sub(r"<[^>]+>", " ", client.get(f"/console/forms/{form_id}").text)
    assert "Shanghai Jing'an store" in listed.replace("&#39;", "'")
