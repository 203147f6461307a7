"""Contract terms through the API: versions with conditions, tiers, caps and bonuses;
acceptance; exchange rates; explain; what-if; per-item returns."""

from __future__ import annotations

from datetime import timedelta

from tests.api.support import Api, click_through, error_of, sale
from tests.factories import add_partner


def _contract(api: Api, brand, terms: dict, **more) -> dict:
    body = {"name": "Rich terms", **terms, **more}
    response = api.post(f"/programs/{brand.program_id}/contracts", body)
    assert response.status_code == 201, response.text
    return response.json()


def _sale(api: Api, brand, partner, amount="100.00", **fields) -> dict:
    _, click_id = click_through(api.client, partner.link_code)
    response = api.post(
        "/conversions", sale(brand.program_id, amount=amount, click_id=click_id, **fields)
    )
    assert response.status_code == 201, response.text
    return response.json()


def _commission(api: Api, conversion: dict) -> dict:
    [commission] = conversion["commissions"]
    return api.ok(f"/commissions/{commission['id']}")


def test_bad_terms_are_refused_naming_each_field(api, brand):
    response = api.post(
        f"/programs/{brand.program_id}/contracts",
        {
            "name": "Broken",
            "rules": [
                {"event_type": "sale", "percent": "120"},
                {
                    "event_type": "sale",
                    "percent": "5",
                    "when": {"order_min": "9", "order_max": "3"},
                },
            ],
            "caps": [{"measure": "conversions", "limit": "2.5"}],
        },
    )
    assert response.status_code == 422
    fields = {e["field"] for e in error_of(response, 422)["errors"]}
    assert "rules[0].percent" in fields
    assert "rules[1].when" in fields
    assert "caps[0]" in fields


def test_item_rules_and_a_country_condition_pay_through_the_api(api, brand):
    contract = _contract(
        api,
        brand,
        {
            "rules": [
                {
                    "event_type": "sale",
                    "basis": "item",
                    "percent": "20",
                    "when": {"categories": {"include": ["shoes"]}},
                },
                {"event_type": "sale", "percent": "10", "when": {"countries": {"include": ["DE"]}}},
                {"event_type": "sale", "percent": "2"},
            ]
        },
    )
    partner = add_partner(brand, contract_id=contract["id"])
    cart = [
        {"sku": "RUN-1", "category": "shoes", "quantity": 1, "price": "80.00"},
        {"sku": "SOCK-3", "category": "socks", "quantity": 2, "price": "10.00"},
    ]
    german = _commission(api, _sale(api, brand, partner, "100.00", items=cart, country="de"))
    assert german["amount"]["amount"] == "18.00"  # 20% of 80.00 + 10% of the 20.00 left
    other = _commission(api, _sale(api, brand, partner, "100.00", items=cart, country="US"))
    assert other["amount"]["amount"] == "16.40"  # 16.00 + 2% of 20.00

    explained = api.ok(f"/commissions/{german['id']}/explain")
    lines = explained["computed"]["lines"]
    assert [line["kind"] for line in lines] == ["item", "rest"]
    assert lines[0]["sku"] == "RUN-1"
    assert explained["consistent"] is True

    # Two socks come back: the item-level line is untouched, the rest shrinks.
    conversion_id = german["conversion_id"]
    returned = api.post(
        f"/conversions/{conversion_id}/reversals",
        {"reason_code": "returned", "items": [{"sku": "SOCK-3", "quantity": 2}]},
    )
    assert returned.status_code == 201, returned.text
    assert returned.json()["amount"]["amount"] == "20.00"
    after = api.ok(f"/commissions/{german['id']}")
    assert after["amount"]["amount"] == "17.60"  # 16.00 + 10% of 80.00 x 20/100

    too_many = api.post(
        f"/conversions/{conversion_id}/reversals",
        {"reason_code": "returned", "items": [{"sku": "RUN-1", "quantity": 2}]},
    )
    assert too_many.status_code == 422
    assert error_of(too_many, 422)["field"] == "items[0].quantity"


def test_a_partner_day_cap_records_over_cap_commissions(api, brand):
    contract = _contract(
        api,
        brand,
        {
            "rules": [{"event_type": "sale", "percent": "10"}],
            "caps": [{"scope": "partner", "period": "day", "measure": "commission", "limit": "15"}],
        },
    )
    partner = add_partner(brand, contract_id=contract["id"])
    amounts = [_commission(api, _sale(api, brand, partner))["amount"]["amount"] for _ in range(3)]
    assert amounts == ["10.00", "5.00", "0.00"]
    statuses = [c["status"] for c in api.all("/commissions", partner_id=partner.id)]
    assert sorted(statuses) == ["over_cap", "pending", "pending"]
    summary = api.ok(f"/programs/{brand.program_id}/summary")
    assert summary["ledger_balanced"] is True


def test_a_bonus_and_a_retroactive_tier_top_up(api, brand):
    contract = _contract(
        api,
        brand,
        {
            "rules": [
                {
                    "event_type": "sale",
                    "percent": "5",
                    "tiers": {
                        "metric": "conversions",
                        "mode": "retroactive",
                        "steps": [{"from": "3", "percent": "8"}],
                    },
                }
            ],
            "bonuses": [{"name": "Three in a month", "threshold": "3", "amount": "25.00"}],
        },
    )
    partner = add_partner(brand, contract_id=contract["id"])
    for _ in range(3):
        _sale(api, brand, partner)
    rows = api.all("/commissions", partner_id=partner.id)
    by_kind = sorted((c["kind"], c["amount"]["amount"]) for c in rows)
    # Every sale of the month at 8% once the third arrived, and the bonus once.
    assert by_kind == [
        ("bonus", "25.00"),
        ("conversion", "8.00"),
        ("conversion", "8.00"),
        ("conversion", "8.00"),
    ]
    first = min((c for c in rows if c["kind"] == "conversion"), key=lambda c: c["occurred_at"])
    detail = api.ok(f"/commissions/{first['id']}")
    assert [a["reason_code"] for a in detail["adjustments"]] == ["tier_retroactive"]
    assert api.ok(f"/programs/{brand.program_id}/summary")["ledger_balanced"] is True


def test_a_conversion_in_another_currency_uses_the_rate_in_force(api, brand):
    partner = add_partner(brand)
    _, click_id = click_through(api.client, partner.link_code)
    body = sale(brand.program_id, amount="100.00", click_id=click_id, currency="EUR")
    refused = api.post("/conversions", body)
    assert refused.status_code == 422
    assert error_of(refused, 422)["field"] == "currency"
    message = error_of(refused, 422)["message"]
    assert "Settings, Exchange rates" in message and "EUR to USD" in message

    earlier = (brand.store.clock.now() - timedelta(days=1)).isoformat()
    rate = api.post(
        "/exchange-rates",
        {"base": "EUR", "quote": "USD", "rate": "1.25", "effective_from": earlier},
    )
    assert rate.status_code == 201, rate.text
    bad = api.post("/exchange-rates", {"base": "EUR", "quote": "USD", "rate": "-1"})
    assert bad.status_code == 422 and error_of(bad, 422)["field"] == "rate"

    body["order_id"] = body["order_id"] + "-2"
    created = api.post("/conversions", body)
    assert created.status_code == 201, created.text
    commission = _commission(api, created.json())
    # 100.00 EUR x 1.25 = 125.00 USD; a new customer earns 10%
    assert commission["amount"] == {"amount": "12.50", "currency": "USD"}
    assert commission["explanation"]["exchange"]["rate"] == "1.25"  # fmt: skip


def test_a_version_that_needs_acceptance_applies_once_the_partner_accepts(api, brand):
    partner = add_partner(brand)
    version = api.post(
        f"/contracts/{brand.contract_id}/versions",
        {"rules": [{"event_type": "sale", "percent": "20"}], "requires_acceptance": True},
    )
    assert version.status_code == 201, version.text
    version_id = version.json()["id"]
    before = _commission(api, _sale(api, brand, partner))
    assert before["amount"]["amount"] == "10.00"  # still version 1: 10% for a new customer

    as_partner = Api(api.client, partner.api_key)
    accepted = as_partner.post(f"/contract-versions/{version_id}/accept")
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["partner_id"] == partner.id
    again = as_partner.post(f"/contract-versions/{version_id}/accept")
    assert again.json()["id"] == accepted.json()["id"]

    after = _commission(api, _sale(api, brand, partner))
    assert after["amount"]["amount"] == "20.00"
    assert before["contract_version_id"] != after["contract_version_id"]
    [row] = api.ok(f"/contract-versions/{version_id}/acceptances")
    assert row["partner_id"] == partner.id
    assert as_partner.get(f"/contract-versions/{version_id}/acceptances").status_code == 403


def test_what_if_compares_draft_terms_with_what_was_earned(api, brand):
    partner = add_partner(brand)
    for _ in range(2):
        _sale(api, brand, partner, "200.00")
    now = brand.store.clock.now()
    result = api.post(
        "/what-if",
        {
            "program_id": brand.program_id,
            "rules": [{"event_type": "sale", "percent": "15"}],
            "since": (now - timedelta(days=1)).isoformat(),
            "until": (now + timedelta(minutes=1)).isoformat(),
        },
    )
    assert result.status_code == 200, result.text
    body = result.json()
    [row] = body["partners"]
    assert row["partner_id"] == partner.id
    assert row["actual"] == "40.00"  # 10% new customer... twice
    assert row["draft"] == "60.00"
    assert body["difference"] == "20.00"


def test_click_rules_pay_each_days_unique_clicks_once(api, brand):
    contract = _contract(
        api,
        brand,
        {
            "rules": [
                {"event_type": "click", "fixed": "0.05"},
                {"event_type": "sale", "percent": "5"},
            ]
        },
    )
    partner = add_partner(brand, contract_id=contract["id"])
    for _ in range(3):
        click_through(api.client, partner.link_code)  # one shopper: the repeats are duplicates
    for n in range(4):
        api.client.get(
            f"/c/{partner.link_code}", headers={"user-agent": f"shopper {n}"}
        )  # four more shoppers (different user agents), unique clicks
    assert api.post("/schedule/run").json()[0]["click_commissions"] == 0  # the day is not over
    brand.store.clock.advance(timedelta(days=1))
    [run] = api.post("/schedule/run").json()
    assert run["click_commissions"] == 1
    [paid] = [c for c in api.all("/commissions", partner_id=partner.id) if c["kind"] == "clicks"]
    explained = api.ok(f"/commissions/{paid['id']}/explain")["computed"]
    unique = explained["unique_clicks"]
    assert unique >= 4
    assert paid["amount"]["amount"] == f"{unique * 0.05:.2f}"
    assert api.post("/schedule/run").json()[0]["click_commissions"] == 0  # once per day


def test_modifications_upload_reverses_by_order_id_amount_and_items(api, brand):
    partner = add_partner(brand)
    cart = [{"sku": "TV-55", "quantity": 2, "price": "100.00"}]
    first = _sale(api, brand, partner, "200.00", items=cart)
    second = _sale(api, brand, partner, "80.00")
    lines = [
        "order_id,amount,items,reason_code,idempotency_key",
        f"{first['order_id']},,TV-55:1,returned,rma-1",
        f"{second['order_id']},30.00,,order_error,",
        "NO-SUCH-ORDER,,,returned,",
        f"{second['order_id']},,,not_a_reason,",
    ]
    csv = "\n".join(lines) + "\n"
    url = f"/api/v1/reversals/import?program_id={brand.program_id}"
    headers = {**api.headers, "content-type": "text/csv"}
    result = api.client.post(url, content=csv, headers=headers).json()
    assert [r["status"] for r in result["rows"]] == ["reversed", "reversed", "rejected", "rejected"]
    assert result["rows"][0]["commission_change"] == "-10.00"  # half the cart: 10% of 100.00
    assert result["rows"][2]["error"]["field"] == "order_id"
    assert result["rows"][3]["error"]["field"] == "reason_code"
    again = api.client.post(url, content=csv, headers=headers).json()
    assert again["rows"][0]["status"] == "duplicate"  # the idempotency key holds
