"""The console's setup pages: settings, API keys, rejected events, contracts and their
versions, links and promo codes."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest

from accord.partners.service import partner_names
from accord.programs.service import load_program
from accord.tenancy.service import authenticate, create_user
from tests.factories import add_partner, make_brand
from tests.web.conftest import PASSWORD, csrf_of, sign_in, unique_email

FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def signed_in(client, store):
    brand = make_brand(store)
    email = unique_email("pm")
    create_user(store, brand.caller.organization_id, email, PASSWORD)
    sign_in(client, email)
    return brand


def settings_form(page_html: str, **changes) -> str:
    fields = dict(
        re.findall(r'<input name="([a-z_]+)"[^>]*?value="([^"]*)"', page_html)
    )  # the values as shown
    fields.update(csrf=csrf_of(page_html), lock_policy="after_event", payout_schedule="manual")
    fields.update(changes)
    return urlencode(fields)


def test_settings_are_changed_from_the_console_and_bad_values_are_named(client, store, signed_in):
    brand = signed_in
    page = client.get(f"/console/settings?program={brand.program_id}")
    assert page.status_code == 200 and 'value="USD" disabled' in page.text
    body = settings_form(
        page.text,
        program=brand.program_id,
        attribution_window_days="45",
        permitted_domains="shop.brand.example\n.brand.example",
        listed="on",
        description="Outdoor gear, 8% on every sale.",
    )
    saved = client.post("/console/settings", content=body, headers=FORM)
    assert saved.status_code == 303
    with store.read() as session:
        program = load_program(session, brand.caller, brand.program_id)
        assert program.attribution_window_days == 45
        assert program.permitted_domains == ["shop.brand.example", ".brand.example"]
        assert program.listed and program.description == "Outdoor gear, 8% on every sale."
    bad = client.post(
        "/console/settings",
        content=settings_form(page.text, program=brand.program_id, locking_days="lots"),
        headers=FORM,
    )
    assert bad.status_code == 422 and "locking_days" in bad.text and "whole number" in bad.text
    wide = client.post(
        "/console/settings",
        content=settings_form(page.text, program=brand.program_id, attribution_window_days="900"),
        headers=FORM,
    )
    assert wide.status_code == 422 and "between 1 and 365" in wide.text


def test_an_api_key_is_shown_once_works_and_is_revoked(client, store, signed_in):
    page = client.get("/console/api-keys")
    made = client.post(
        "/console/api-keys",
        content=urlencode(
            {"csrf": csrf_of(page.text), "name": "shop backend", "scope:conversions:write": "1"}
        ),
        headers=FORM,
    )
    token = re.search(r'<code id="new-key">([^<]+)</code>', made.text).group(1)
    caller = authenticate(store, token)
    assert caller.organization_id == signed_in.caller.organization_id
    assert caller.scopes == {"conversions:write"}
    assert "<li>Conversions: change</li>" in made.text  # in words, not the raw code
    again = client.get("/console/api-keys")
    assert token not in again.text and "shop backend" in again.text
    key_id = token.split("_")[1]
    client.post(
        f"/console/api-keys/{key_id}/revoke",
        content=urlencode({"csrf": csrf_of(again.text)}),
        headers=FORM,
    )
    from accord.errors import Unauthenticated

    with pytest.raises(Unauthenticated):
        authenticate(store, token)


def test_a_refused_conversion_is_on_the_rejected_events_page(client, signed_in):
    brand = signed_in
    empty = client.get("/console/rejected")
    assert "Nothing was rejected" in empty.text
    refused = client.post(
        "/api/v1/conversions",
        headers={"authorization": f"Bearer {brand.api_key}"},
        json={
            "program_id": brand.program_id,
            "order_id": "BAD-1",
            "amount": "10",
            "currency": "XYZ",
        },
    )
    assert refused.status_code == 422
    page = client.get("/console/rejected")
    assert "BAD-1" in page.text and "currency" in page.text


def test_a_new_contract_version_is_saved_from_the_console(client, store, signed_in):
    brand = signed_in
    page = client.get(f"/console/contracts?program={brand.program_id}")
    assert page.status_code == 200 and "Version 1" in page.text
    terms = {"rules": [{"event_type": "sale", "percent": "12", "name": "raised"}]}
    body = {
        "csrf": csrf_of(page.text),
        "program": brand.program_id,
        "terms": json.dumps(terms),
        "requires_acceptance": "on",
        "note": "Twelve percent from now on.",
    }
    saved = client.post(
        f"/console/contracts/{brand.contract_id}/versions", content=urlencode(body), headers=FORM
    )
    assert saved.status_code == 303
    after = client.get(saved.headers["location"])
    assert "Version 2" in after.text and "needs acceptance" in after.text
    broken = client.post(
        f"/console/contracts/{brand.contract_id}/versions",
        content=urlencode({**body, "terms": "{rules: oops"}),
        headers=FORM,
    )
    assert broken.status_code == 422 and "is not valid JSON" in broken.text
    wrong = client.post(
        f"/console/contracts/{brand.contract_id}/versions",
        content=urlencode({**body, "terms": json.dumps({"rules": [{"percent": "5"}]})}),
        headers=FORM,
    )
    assert wrong.status_code == 422 and "event_type" in wrong.text


def test_promo_codes_are_given_to_partners_and_links_are_listed(client, store, signed_in):
    brand = signed_in
    partner = add_partner(brand)
    page = client.get(f"/console/links?program={brand.program_id}")
    assert f"/c/{partner.link_code}" in page.text
    made = client.post(
        "/console/promo-codes",
        content=urlencode(
            {
                "csrf": csrf_of(page.text),
                "program": brand.program_id,
                "code": "trail10",
                "partner_id": partner.id,
            }
        ),
        headers=FORM,
    )
    assert made.status_code == 303 and made.headers["location"].endswith("made=TRAIL10")
    assert "TRAIL10" in client.get(f"/console/links?program={brand.program_id}&q=trail").text
    taken = client.post(
        "/console/promo-codes",
        content=urlencode(
            {
                "csrf": csrf_of(page.text),
                "program": brand.program_id,
                "code": "TRAIL10",
                "partner_id": partner.id,
            }
        ),
        headers=FORM,
    )
    assert taken.status_code == 409 and "already exists" in taken.text


def test_links_and_codes_are_found_by_code_or_by_the_partners_name(client, store, signed_in):
    brand = signed_in
    wanted, other = add_partner(brand), add_partner(brand)
    page = client.get(f"/console/links?program={brand.program_id}")
    fields = {"csrf": csrf_of(page.text), "program": brand.program_id, "code": "HIKE5"}
    fields["partner_id"] = wanted.id
    client.post("/console/promo-codes", content=urlencode(fields), headers=FORM)
    name = partner_names(store, brand.caller, {wanted.id})[wanted.id]
    by_name = client.get(f"/console/links?program={brand.program_id}&q={name}").text
    assert f"/c/{wanted.link_code}" in by_name and "HIKE5" in by_name
    assert f"/c/{other.link_code}" not in by_name
    by_code = client.get(f"/console/links?program={brand.program_id}&q={other.link_code}").text
    assert f"/c/{other.link_code}" in by_code and f"/c/{wanted.link_code}" not in by_code
    csv = client.get(f"/console/links.csv?program={brand.program_id}&q={name}").text
    assert wanted.link_code in csv and name in csv and other.link_code not in csv


def test_setup_pages_are_closed_to_partners(client, store):
    brand = make_brand(store)
    partner = add_partner(brand)
    email = unique_email("partner")
    create_user(store, authenticate(store, partner.api_key).organization_id, email, PASSWORD)
    sign_in(client, email)
    for path in ("/console/settings", "/console/api-keys", "/console/rejected",
                 "/console/contracts", "/console/links"):  # fmt: skip
        assert client.get(path).status_code == 403, path


def test_partners_and_conversions_export_as_csv_and_excel(client, store, signed_in):
    from tests.factories import click, convert

    brand = signed_in
    partner = add_partner(brand)
    convert(brand, order_id="=HYPERLINK(1)", amount="42.50", click_id=click(brand, partner))
    csv = client.get(f"/console/conversions.csv?program={brand.program_id}")
    header, row = csv.text.splitlines()[:2]
    assert header.startswith("conversion_id,order_id,event_type,status,amount")
    assert "'=HYPERLINK(1)" in row and "42.50" in row  # no formula runs in a spreadsheet
    for path in ("conversions", "partners"):
        book = client.get(f"/console/{path}.xlsx?program={brand.program_id}")
        assert book.status_code == 200 and book.content[:2] == b"PK", path
    assert client.get(f"/console/partners.pdf?program={brand.program_id}").status_code == 404


def test_payouts_links_and_rejected_events_export(client, store):
    from accord.commissions.service import approve
    from accord.payouts.service import run_batch
    from tests.web.test_commission_pages import _locked_commission  # an 8.00 commission

    brand, email, _ = _locked_commission(store)
    sign_in(client, email)
    approve(store, brand.caller, brand.program_id)
    run_batch(store, brand.caller, brand.program_id)
    payouts = client.get(f"/console/payouts.csv?program={brand.program_id}").text.splitlines()
    assert payouts[0].startswith("payout_id,batch_id,partner,amount,currency")
    assert len(payouts) == 2 and ",8.00,USD," in payouts[1]
    links = client.get(f"/console/links.xlsx?program={brand.program_id}")
    assert links.status_code == 200 and links.content[:2] == b"PK"
    client.post(
        "/api/v1/conversions",
        headers={"authorization": f"Bearer {brand.api_key}"},
        json={"program_id": brand.program_id, "order_id": "R-1", "amount": "1", "currency": "??"},
    )
    rejected = client.get("/console/rejected.csv").text.splitlines()
    assert rejected[0] == "id,at,kind,error_code,field,message,request"
    assert any("R-1" in line for line in rejected[1:])
