"""The README's "API in five requests", done over HTTP from a fresh brand key."""

from __future__ import annotations

from accord.tenancy.model import OrganizationKind
from accord.tenancy.service import create_organization
from tests.api.support import Api, click_through, error_of


def test_the_five_requests_of_the_readme_set_up_a_program_that_pays(client, store):
    org = create_organization(store, OrganizationKind.BRAND, "Walkthrough Outdoor")
    api = Api(client, org.api_key)

    program = api.post(
        "/programs",
        {"name": "Spring", "currency": "USD", "default_landing_url": "https://shop.example/"},
    )
    assert program.status_code == 201, program.text
    program_id = program.json()["id"]
    assert program.json()["payout_threshold"] == {"amount": "0.00", "currency": "USD"}

    contract = api.post(
        f"/programs/{program_id}/contracts",
        {"name": "Standard", "is_default": True, "rules": [{"event_type": "sale", "percent": "8"}]},
    )
    assert contract.status_code == 201, contract.text

    partner = api.post(
        "/partners", {"program_id": program_id, "name": "Trail Journal", "partner_type": "content"}
    )
    assert partner.status_code == 201, partner.text
    assert partner.json()["api_key"].startswith("acc_")
    assert partner.json()["enrollment_status"] == "approved"
    partner_id = partner.json()["id"]

    link = api.post("/links", {"program_id": program_id, "partner_id": partner_id})
    assert link.status_code == 201, link.text

    redirect, click_id = click_through(client, link.json()["code"])
    assert redirect.headers["location"].startswith("https://shop.example/?accord_click=clk_")

    conversion = api.post(
        "/conversions",
        {
            "program_id": program_id,
            "order_id": "1001",
            "amount": "129.90",
            "currency": "USD",
            "click_id": click_id,
        },
    )
    assert conversion.status_code == 201, conversion.text
    assert conversion.json()["partner_id"] == partner_id
    assert conversion.json()["commissions"][0]["amount"]["amount"] == "10.39"  # 8% of 129.90

    partner_api = Api(client, partner.json()["api_key"])
    [seen] = partner_api.all("/commissions")
    assert seen["amount"]["amount"] == "10.39"


def test_a_program_with_an_unknown_currency_is_422_on_currency(client, store):
    org = create_organization(store, OrganizationKind.BRAND, "Typo Brand")
    api = Api(client, org.api_key)

    response = api.post(
        "/programs",
        {"name": "Spring", "currency": "USX", "default_landing_url": "https://shop.example/"},
    )

    assert error_of(response, 422)["field"] == "currency"


def test_a_contract_rule_without_percent_or_fixed_is_refused_naming_rules(api, brand):
    response = api.post(
        f"/programs/{brand.program_id}/contracts",
        {"name": "Empty", "rules": [{"event_type": "sale"}]},
    )

    error = error_of(response, 422)
    assert error["field"].startswith("rules")
