"""The postbacks API over HTTP: partners register, list, disable and inspect deliveries."""

from __future__ import annotations

from tests.api.support import Api, error_of, sale
from tests.factories import add_partner, click, events_settled, make_brand

PUBLIC_URL = "https://93.184.216.34/pb?click={click_id}&payout={payout}"


def test_a_partner_registers_a_postback_and_sees_the_secret_once(client, store):
    brand = make_brand(store)
    partner = Api(client, add_partner(brand).api_key)
    created = partner.post(
        "/postbacks", {"url": PUBLIC_URL, "program_id": brand.program_id, "events": None}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["url"] == PUBLIC_URL
    assert body["program_id"] == brand.program_id and body["active"] is True
    assert "commission.paid" in body["events"]
    [listed] = partner.ok("/postbacks")
    assert listed["id"] == body["id"] and "secret" not in listed

    assert partner.delete(f"/postbacks/{body['id']}").status_code == 204
    assert partner.ok("/postbacks")[0]["active"] is False


def test_refused_postbacks_name_the_field(client, store):
    brand = make_brand(store)
    partner = Api(client, add_partner(brand).api_key)
    unknown = error_of(partner.post("/postbacks", {"url": "https://93.184.216.34/{txn_id}"}), 422)
    assert unknown["field"] == "url" and "{txn_id}" in unknown["message"]
    for url in ("http://127.0.0.1:9/pb", "http://localhost/pb", "http://[::1]/pb"):
        private = error_of(partner.post("/postbacks", {"url": url}), 422)
        assert private["field"] == "url" and "public addresses only" in private["message"]
    events = error_of(partner.post("/postbacks", {"url": PUBLIC_URL, "events": ["sale"]}), 422)
    assert events["field"] == "events"
    extra = error_of(partner.post("/postbacks", {"url": PUBLIC_URL, "secret": "x"}), 422)
    assert extra["field"] == "secret"


def test_a_brand_key_is_refused_and_partners_see_only_their_own(client, store):
    brand = make_brand(store)
    brand_api = Api(client, brand.api_key)
    assert error_of(brand_api.post("/postbacks", {"url": PUBLIC_URL}), 403)["code"] == "forbidden"
    owner = Api(client, add_partner(brand).api_key)
    stranger = Api(client, add_partner(brand).api_key)
    endpoint = owner.post("/postbacks", {"url": PUBLIC_URL}).json()
    assert stranger.ok("/postbacks") == []
    assert error_of(stranger.get(f"/postbacks/{endpoint['id']}/deliveries"), 404)
    assert error_of(stranger.delete(f"/postbacks/{endpoint['id']}"), 404)["field"] == "postback_id"


def test_a_partner_reads_the_deliveries_of_its_endpoint(client, store):
    brand = make_brand(store)
    member = add_partner(brand)
    partner = Api(client, member.api_key)
    endpoint = partner.post("/postbacks", {"url": PUBLIC_URL}).json()
    click_id = click(brand, member)
    shop = Api(client, brand.api_key)
    converted = shop.post("/conversions", sale(brand.program_id, amount="50.00", click_id=click_id))
    assert converted.status_code in (200, 201), converted.text
    events_settled(store, brand.caller.organization_id)  # the queue enqueues the postback

    page = partner.ok(f"/postbacks/{endpoint['id']}/deliveries")
    [delivery] = page["data"]
    assert delivery["status"] == "pending" and delivery["attempts"] == 0
    assert delivery["event"] == "conversion.attributed"
    assert delivery["url"] == f"https://93.184.216.34/pb?click={click_id}&payout=5.00"
    assert delivery["body"]["payout"] == "5.00" and delivery["body"]["click_id"] == click_id
    assert partner.ok(f"/postbacks/{endpoint['id']}/deliveries", status="delivered")["data"] == []
    wrong = error_of(partner.get(f"/postbacks/{endpoint['id']}/deliveries", status="sent"), 422)
    assert wrong["field"] == "status"


def test_a_retried_registration_with_an_idempotency_key_returns_the_same_endpoint(client, store):
    brand = make_brand(store)
    partner = Api(client, add_partner(brand).api_key)

    def register(url: str, key: str):
        headers = {**partner.headers, "Idempotency-Key": key}
        return client.post("/api/v1/postbacks", json={"url": url}, headers=headers)

    first = register(PUBLIC_URL, "setup-1")
    again = register(PUBLIC_URL, "setup-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["secret"] == first.json()["secret"]
    assert len(partner.ok("/postbacks")) == 1
    changed = register(PUBLIC_URL + "&x=1", "setup-1")
    assert error_of(changed, 409)["field"] == "idempotency_key"
    assert register(PUBLIC_URL, "setup-2").json()["id"] != first.json()["id"]
