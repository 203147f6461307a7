"""Links, promo codes and program set-up over the API: what is accepted and what is refused."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from tests.api.support import click_through, error_of, sale
from tests.factories import add_partner


def _link(api, brand, partner, **fields):
    return api.post("/links", {"program_id": brand.program_id, "partner_id": partner.id, **fields})


@pytest.mark.parametrize(
    "destination", ["javascript:alert(1)", "ftp://files.example/", "//evil.example/", "https://"]
)
def test_a_link_destination_that_is_not_an_http_url_is_422(api, brand, destination):
    partner = add_partner(brand)

    error = error_of(_link(api, brand, partner, destination_url=destination), 422)

    assert error["field"] == "destination_url"


def test_a_link_may_only_lead_to_the_programs_own_sites(api, brand, store):
    from accord.programs.service import update_program

    partner = add_partner(brand)
    error = error_of(_link(api, brand, partner, destination_url="https://evil.example/x"), 422)
    assert error["field"] == "destination_url"
    assert "'evil.example' is not one of the program's sites (brand.example)" in error["message"]
    update_program(store, brand.caller, brand.program_id, {"permitted_domains": [".shop.example"]})
    allowed = _link(api, brand, partner, destination_url="https://www.shop.example/spring")
    assert allowed.status_code == 201, allowed.text


def test_a_link_to_a_non_ascii_page_redirects_to_its_percent_encoded_address(api, brand):
    partner = add_partner(brand)
    created = _link(api, brand, partner, destination_url="https://brand.example/日本/靴?颜色=红")
    assert created.status_code == 201, created.text

    response = api.client.get(f"/c/{created.json()['code']}")

    assert response.status_code == 302
    location = response.headers["location"]
    assert location.isascii(), location
    parts = urlsplit(location)
    assert unquote(parts.path) == "/日本/靴"
    query = parse_qs(parts.query)
    assert query["颜色"] == ["红"]
    assert query["accord_click"][0].startswith("clk_")


@pytest.mark.parametrize(
    "destination", ["https://shop.example/spring sale", "https://shop.example/\r\nSet-Cookie: a=1"]
)
def test_a_destination_with_whitespace_is_refused_or_redirected_to_a_valid_url(
    api, brand, destination
):
    partner = add_partner(brand)

    created = _link(api, brand, partner, destination_url=destination)

    if created.status_code == 422:
        assert created.json()["error"]["field"] == "destination_url"
        return
    assert created.status_code == 201, created.text
    location = api.client.get(f"/c/{created.json()['code']}").headers["location"]
    assert not any(c.isspace() for c in location), repr(location)


def test_a_vanity_code_that_is_taken_is_409(api, brand):
    partner = add_partner(brand)

    response = _link(api, brand, partner, code=partner.link_code)

    error = error_of(response, 409)
    assert partner.link_code in error["message"]


@pytest.mark.parametrize("code", ["a", "-starts-with-dash", "has space", "x" * 65])
def test_a_malformed_vanity_code_is_422_on_code(api, brand, code):
    partner = add_partner(brand)

    assert error_of(_link(api, brand, partner, code=code), 422)["field"] == "code"


def test_a_vanity_code_works_as_a_tracking_link(api, brand):
    partner = add_partner(brand)
    created = _link(api, brand, partner, code="spring-boots-2026")
    assert created.status_code == 201, created.text

    _, click_id = click_through(api.client, "spring-boots-2026")

    converted = api.post("/conversions", sale(brand.program_id, click_id=click_id))
    assert converted.json()["partner_id"] == partner.id


def test_a_brand_link_without_a_partner_is_422_on_partner_id(api, brand):
    response = api.post("/links", {"program_id": brand.program_id})

    assert error_of(response, 422)["field"] == "partner_id"


def test_a_promo_code_used_without_a_click_credits_its_partner(api, brand):
    partner = add_partner(brand, partner_type="coupon")
    created = api.post(
        "/promo-codes", {"program_id": brand.program_id, "partner_id": partner.id, "code": "Save10"}
    )
    assert created.status_code == 201, created.text
    assert created.json()["code"] == "SAVE10"

    response = api.post("/conversions", sale(brand.program_id, promo_code="save10"))

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["partner_id"] == partner.id
    assert body["attribution_reason"] == "promo_code"
    assert body["promo_code"] == "SAVE10"
    assert body["commissions"][0]["amount"]["amount"] == "10.00"


def test_a_promo_code_taken_in_the_program_is_409(api, brand):
    first, second = add_partner(brand), add_partner(brand)
    api.post(
        "/promo-codes", {"program_id": brand.program_id, "partner_id": first.id, "code": "TAKEN"}
    )

    response = api.post(
        "/promo-codes", {"program_id": brand.program_id, "partner_id": second.id, "code": "taken"}
    )

    assert error_of(response, 409)["code"] == "conflict"


def test_a_click_beats_a_promo_code_of_another_partner(api, brand):
    clicker, coupon = add_partner(brand), add_partner(brand, partner_type="coupon")
    api.post(
        "/promo-codes", {"program_id": brand.program_id, "partner_id": coupon.id, "code": "DEAL5"}
    )
    _, click_id = click_through(api.client, clicker.link_code)

    response = api.post(
        "/conversions", sale(brand.program_id, click_id=click_id, promo_code="DEAL5")
    )

    assert response.json()["partner_id"] == clicker.id
    assert response.json()["attribution_reason"] == "last_click_in_window"


def test_a_returning_customer_earns_the_returning_rate(api, brand):
    partner = add_partner(brand)
    for expected_status, expected_commission in (("new", "10.00"), ("returning", "5.00")):
        _, click_id = click_through(api.client, partner.link_code)
        body = sale(brand.program_id, click_id=click_id, customer_id="cust-42")

        response = api.post("/conversions", body).json()

        assert response["customer_status"] == expected_status
        assert response["commissions"][0]["amount"]["amount"] == expected_commission


def test_a_negative_payout_threshold_is_422_on_payout_threshold(api):
    response = api.post(
        "/programs",
        {
            "name": "Negative",
            "currency": "USD",
            "default_landing_url": "https://shop.example/",
            "payout_threshold": "-5.00",
        },
    )

    assert error_of(response, 422)["field"] == "payout_threshold"


def test_a_conversion_status_filter_outside_the_known_statuses_is_422(api, brand):
    api.post("/conversions", sale(brand.program_id))

    response = api.get("/conversions", program_id=brand.program_id, status="atributed")

    assert error_of(response, 422)["field"] == "status"


def test_contract_rule_errors_name_the_field_the_same_way(api, brand):
    path = f"/programs/{brand.program_id}/contracts"
    out_of_range = api.post(
        path, {"name": "A", "rules": [{"event_type": "sale", "percent": "150"}]}
    )
    not_a_number = api.post(
        path, {"name": "B", "rules": [{"event_type": "sale", "percent": "NaN"}]}
    )

    assert error_of(out_of_range, 422)["field"] == error_of(not_a_number, 422)["field"]
