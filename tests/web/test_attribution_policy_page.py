"""A program manager sets the attribution policy in the console and reads, on a commission,
who shared the credit and why."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy import select

from accord.commissions.tables import Commission
from accord.contracts.service import RuleSpec
from accord.tenancy.service import create_user
from tests.factories import add_partner, click, convert, make_brand
from tests.web.conftest import PASSWORD, csrf_of, sign_in, unique_email

FORM = {"content-type": "application/x-www-form-urlencoded"}


def _post(client, path: str, fields: dict):
    page = client.get(path.split("?")[0] + "?" + urlencode({"program": fields["program"]}))
    body = urlencode({**fields, "csrf": csrf_of(page.text)})
    return client.post(path, content=body, headers=FORM)


def test_a_manager_sets_a_split_policy_and_a_commission_shows_each_share(client, store):
    brand = make_brand(store, rules=[RuleSpec(event_type="sale", percent="10")])
    user = create_user(store, brand.caller.organization_id, unique_email("pm"), PASSWORD)
    sign_in(client, user.email)
    path = "/console/settings/attribution"
    page = client.get(f"{path}?program={brand.program_id}")
    assert page.status_code == 200
    assert "always (the default rule)" in page.text and "in force" in page.text

    saved = _post(
        client,
        path,
        {
            "program": brand.program_id,
            "model": "linear",
            "split": "on",
            "code_policy": "without_click",
            "priority_0": "content",
            "priority_hours": "12",
            "half_life_hours": "168",
            "first_weight": "0.4",
            "last_weight": "0.4",
            "note": "share the credit",
        },
    )
    assert saved.status_code == 303, saved.text
    listed = client.get(saved.headers["location"]).text
    assert "Policy saved" in listed and "share the credit" in listed
    assert re.search(r"linear</td>", listed)

    partners = [add_partner(brand) for _ in range(2)]
    for n, partner in enumerate(partners):
        store.clock.advance(timedelta(hours=1))
        recorded = convert(brand, f"O-{n}", customer_id="shopper", click_id=click(brand, partner))
    with store.read() as session:
        commission = session.scalars(
            select(Commission).where(Commission.conversion_id == recorded.conversion.id)
        ).first()
    shown = client.get(f"/console/commissions/{commission.id}").text
    assert "Partners sharing the credit" in shown and "linear model, credit split" in shown
    assert shown.count("50.0%") >= 2

    client.cookies.set("accord_lang", "zh_Hans")
    chinese = client.get(f"/console/commissions/{commission.id}").text
    assert "分享归因的合作伙伴" in chinese and "分摊归因" in chinese
    settings_zh = client.get(f"{path}?program={brand.program_id}")
    assert "归因策略" in settings_zh.text and "Model" not in settings_zh.text


def test_a_refused_policy_shows_the_form_again_with_the_reason(client, store):
    brand = make_brand(store)
    user = create_user(store, brand.caller.organization_id, unique_email("pm"), PASSWORD)
    sign_in(client, user.email)
    refused = _post(
        client,
        "/console/settings/attribution",
        {
            "program": brand.program_id,
            "model": "position_based",
            "first_weight": "0.7",
            "last_weight": "0.6",
            "half_life_hours": "24",
            "priority_hours": "0",
            "note": "typed by hand",
        },
    )
    assert refused.status_code == 422
    assert "last_weight" in refused.text and "add up to more than 1" in refused.text
    assert 'value="0.7"' in refused.text and "typed by hand" in refused.text
    past = _post(
        client,
        "/console/settings/attribution",
        {"program": brand.program_id, "effective_from": "2001-01-01T00:00"},
    )
    assert past.status_code == 422 and "now or later" in past.text


def test_a_manager_tries_first_click_on_past_conversions_and_reads_it_per_partner(client, store):
    brand = make_brand(store, rules=[RuleSpec(event_type="sale", percent="10")])
    user = create_user(store, brand.caller.organization_id, unique_email("pm"), PASSWORD)
    introducer, closer = add_partner(brand), add_partner(brand)
    for n, partner in enumerate((introducer, closer)):
        store.clock.advance(timedelta(hours=1))
        convert(brand, f"W-{n}", customer_id="walker", click_id=click(brand, partner))
    sign_in(client, user.email)
    day = store.clock.now().date().isoformat()
    page = client.get(
        "/console/settings/attribution/what-if",
        params={"program": brand.program_id, "model": "first_click", "since": day, "until": day},
    )
    assert page.status_code == 200
    # Under last click each partner earned 10.00; under first click both orders' journeys
    # start with the introducer's click: 20.00 for it, 0.00 for the closer.
    rows = re.findall(r"<tr>\s*<td><a [^>]*>([^<]+)</a></td>(.*?)</tr>", page.text, re.S)
    assert len(rows) == 2
    cells = {name: re.findall(r'class="num">([^<]+)<', rest) for name, rest in rows}
    assert ["2", "$10.00", "$20.00", "$10.00"] in cells.values()
    assert ["0", "$10.00", "$0.00", "-$10.00"] in cells.values()
    bad = client.get(
        "/console/settings/attribution/what-if",
        params={"program": brand.program_id, "since": "yesterday"},
    )
    assert bad.status_code == 422 and "since" in bad.text
