"""POST /api/v1/conversions: recording, idempotency, validation and rejected events."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.support import Api, click_through, error_of, sale
from tests.factories import add_partner, make_brand


def _rejected(api: Api) -> dict[str, dict]:
    return {row["id"]: row for row in api.all("/rejected-events")}


def test_a_new_conversion_is_201_with_commission_amounts_as_decimal_strings(api, brand):
    partner = add_partner(brand)
    _, click_id = click_through(api.client, partner.link_code)

    response = api.post(
        "/conversions", sale(brand.program_id, order_id="1001", amount="129.90", click_id=click_id)
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"].startswith("cnv_")
    assert body["duplicate"] is False
    assert body["order_id"] == "1001"
    assert body["event_type"] == "sale"
    assert body["amount"] == {"amount": "129.90", "currency": "USD"}
    assert body["reversed_amount"] == {"amount": "0.00", "currency": "USD"}
    [commission] = body["commissions"]
    assert commission["id"].startswith("com_")
    assert commission["amount"] == {"amount": "12.99", "currency": "USD"}
    assert isinstance(commission["amount"]["amount"], str)
    fetched = api.ok(f"/commissions/{commission['id']}")
    assert fetched["conversion_id"] == body["id"]
    assert fetched["amount"] == fetched["original_amount"] == commission["amount"]
    assert api.ok(f"/conversions/{body['id']}")["commissions"] == body["commissions"]


def test_a_retry_with_the_same_body_is_200_duplicate_and_counted_once(api, brand):
    partner = add_partner(brand)
    _, click_id = click_through(api.client, partner.link_code)
    body = sale(brand.program_id, order_id="A-1", amount="80.00", click_id=click_id)

    first = api.post("/conversions", body)
    again = api.post("/conversions", body)

    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert again.json()["duplicate"] is True
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["commissions"] == first.json()["commissions"]
    summary = api.summary(brand.program_id)
    assert summary["conversions"] == 1
    assert summary["commissions"] == "8.00"
    assert summary["commissions_by_status"] == {"pending": "8.00"}
    assert len(api.all("/commissions", program_id=brand.program_id)) == 1
    assert summary["ledger_balanced"] is True


def test_the_same_order_id_with_a_changed_amount_is_409_naming_amount(api, brand):
    first = api.post("/conversions", sale(brand.program_id, order_id="A-2", amount="100.00"))
    assert first.status_code == 201, first.text

    response = api.post("/conversions", sale(brand.program_id, order_id="A-2", amount="120.00"))

    error = error_of(response, 409)
    assert error["code"] == "idempotency_conflict"
    assert error["field"] == "amount"
    assert "A-2" in error["message"]
    kept = api.ok(f"/conversions/{first.json()['id']}")
    assert kept["amount"]["amount"] == "100.00"
    assert api.summary(brand.program_id)["revenue"] == "100.00"


def test_the_same_order_id_for_another_event_type_is_a_separate_conversion(api, brand):
    sale_response = api.post("/conversions", sale(brand.program_id, order_id="A-3"))
    lead_response = api.post(
        "/conversions", sale(brand.program_id, order_id="A-3", event_type="lead")
    )

    assert sale_response.status_code == 201, sale_response.text
    assert lead_response.status_code == 201, lead_response.text
    assert lead_response.json()["id"] != sale_response.json()["id"]


def test_an_unknown_field_is_422_naming_it(api, brand):
    response = api.post("/conversions", sale(brand.program_id, coupon_code="SAVE10"))

    error = error_of(response, 422)
    assert error["code"] == "invalid_input"
    assert error["field"] == "coupon_code"
    assert "not a known field" in error["message"]


def test_a_missing_required_field_is_422_naming_it(api, brand):
    body = sale(brand.program_id)
    del body["order_id"]

    error = error_of(api.post("/conversions", body), 422)

    assert error["field"] == "order_id"
    assert "required" in error["message"]


def test_a_currency_other_than_the_programs_is_422_on_currency(api, brand):
    response = api.post("/conversions", {**sale(brand.program_id), "currency": "EUR"})

    error = error_of(response, 422)
    assert error["field"] == "currency"
    assert "EUR" in error["message"] and "USD" in error["message"]
    assert api.summary(brand.program_id)["conversions"] == 0


def test_a_lower_case_currency_code_is_accepted(api, brand):
    response = api.post("/conversions", {**sale(brand.program_id), "currency": "usd"})

    assert response.status_code == 201, response.text
    assert response.json()["amount"]["currency"] == "USD"


def test_an_unknown_currency_code_is_422_on_currency_and_kept_as_rejected(api, brand):
    response = api.post("/conversions", {**sale(brand.program_id), "currency": "ZZZ"})

    error = error_of(response, 422)
    assert error["field"] == "currency"
    assert error.get("rejected_event_id"), "a refused conversion must be kept"
    assert error["rejected_event_id"] in _rejected(api)


@pytest.mark.parametrize(
    ("number", "amount", "commission"),
    [(19.99, "19.99", "2.00"), (0.1, "0.10", "0.01"), (234567.89, "234567.89", "23456.79")],
)
def test_a_json_number_amount_is_accepted_exactly(api, brand, number, amount, commission):
    partner = add_partner(brand)
    _, click_id = click_through(api.client, partner.link_code)

    response = api.post("/conversions", sale(brand.program_id, amount=number, click_id=click_id))

    assert response.status_code == 201, response.text
    assert response.json()["amount"]["amount"] == amount
    assert response.json()["commissions"][0]["amount"]["amount"] == commission
    assert api.summary(brand.program_id)["revenue"] == amount


def test_a_retry_of_a_json_number_amount_is_a_duplicate(api, brand):
    body = sale(brand.program_id, amount=19.99)

    first = api.post("/conversions", body)
    again = api.post("/conversions", {**body, "amount": "19.99"})

    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert again.json()["duplicate"] is True


def test_a_retry_writing_the_same_amount_with_another_scale_is_a_duplicate(api, brand):
    # "20", 20.0 and "20.00" are the same money; a retry that formats it differently
    # must not be mistaken for a changed order
    first = api.post("/conversions", sale(brand.program_id, order_id="A-4", amount="20.00"))
    again = api.post("/conversions", sale(brand.program_id, order_id="A-4", amount="20"))

    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert again.json()["duplicate"] is True


@pytest.mark.parametrize("amount", ["1e30", "99999999999999999999"])
def test_an_amount_too_large_to_store_is_422_on_amount_not_500(api, brand, amount):
    response = api.post("/conversions", sale(brand.program_id, amount=amount))

    error = error_of(response, 422)
    assert error["field"] == "amount"
    assert error.get("rejected_event_id"), "a refused conversion must be kept"


@pytest.mark.parametrize("amount", ["-1.00", "NaN", "Infinity", "ten", True])
def test_an_amount_that_is_not_a_non_negative_number_is_422_on_amount(api, brand, amount):
    error = error_of(api.post("/conversions", sale(brand.program_id, amount=amount)), 422)

    assert error["field"] == "amount"


def test_no_api_key_is_401_json_and_records_nothing(client, brand):
    response = Api(client, None).post("/conversions", sale(brand.program_id))

    error = error_of(response, 401)
    assert error["code"] == "unauthenticated"
    assert "Authorization: Bearer" in error["message"]
    assert Api(client, brand.api_key).summary(brand.program_id)["conversions"] == 0


@pytest.mark.parametrize(
    "key", ["nonsense", "acc_", "acc_000000000000_wrongsecret", "Basic dXNlcjpwYXNz"]
)
def test_a_bad_api_key_is_401(client, brand, key):
    error = error_of(Api(client, key).post("/conversions", sale(brand.program_id)), 401)

    assert error["code"] == "unauthenticated"


def test_a_wrong_secret_for_a_real_key_id_is_401(client, brand):
    key_id = brand.api_key.split("_")[1]

    response = Api(client, f"acc_{key_id}_not-the-secret").get("/programs")

    assert error_of(response, 401)["code"] == "unauthenticated"


def test_an_unknown_program_is_404_on_program_id(api, brand):
    error = error_of(api.post("/conversions", sale("prg_01NOSUCHPROGRAM000000000000")), 404)

    assert error["code"] == "not_found"
    assert error["field"] == "program_id"


def test_another_brands_program_is_404_on_program_id(api, store):
    other = make_brand(store)

    error = error_of(api.post("/conversions", sale(other.program_id)), 404)

    assert error["field"] == "program_id"
    assert Api(api.client, other.api_key).summary(other.program_id)["conversions"] == 0


@pytest.mark.parametrize(
    "raw", [b'{"program_id": "prg_x", "order_id": ', b"not json at all", b"{'single': 1}"]
)
def test_malformed_json_is_422_on_the_body(api, raw):
    error = error_of(api.post_raw("/conversions", raw), 422)

    assert error["code"] == "invalid_input"
    assert error["field"] == "body"
    assert "JSON" in error["message"]


def test_a_body_that_is_not_an_object_is_422(api):
    error = error_of(api.post("/conversions", [1, 2, 3]), 422)

    assert error["field"] == "body"


def test_occurred_at_without_a_timezone_is_422_on_occurred_at(api, brand):
    body = sale(brand.program_id, occurred_at="2026-11-01T10:00:00")

    error = error_of(api.post("/conversions", body), 422)

    assert error["field"] == "occurred_at"
    assert "timezone" in error["message"]


def test_occurred_at_in_the_future_is_422_on_occurred_at(api, brand, clock):
    later = (clock.now() + timedelta(hours=1)).isoformat()

    error = error_of(api.post("/conversions", sale(brand.program_id, occurred_at=later)), 422)

    assert error["field"] == "occurred_at"


def test_occurred_at_with_an_offset_is_stored_in_utc(api, brand):
    body = sale(brand.program_id, occurred_at="2026-11-01T18:30:00+08:00")

    response = api.post("/conversions", body)

    assert response.status_code == 201, response.text
    assert response.json()["occurred_at"] == "2026-11-01T10:30:00Z"
    assert api.ok(f"/conversions/{response.json()['id']}")["occurred_at"] == "2026-11-01T10:30:00Z"


def test_a_retry_writing_the_same_instant_in_utc_is_a_duplicate(api, brand):
    first = api.post(
        "/conversions",
        sale(brand.program_id, order_id="T-1", occurred_at="2026-11-01T18:30:00+08:00"),
    )
    again = api.post(
        "/conversions", sale(brand.program_id, order_id="T-1", occurred_at="2026-11-01T10:30:00Z")
    )

    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]


def test_an_unknown_event_type_is_422_on_event_type(api, brand):
    error = error_of(api.post("/conversions", sale(brand.program_id, event_type="purchase")), 422)

    assert error["field"] == "event_type"


def test_an_unknown_click_id_leaves_the_conversion_unattributed_with_the_reason(api, brand):
    response = api.post("/conversions", sale(brand.program_id, click_id="clk_NOTACLICK"))

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "unattributed"
    assert body["partner_id"] is None
    assert body["attribution_reason"] == "unknown_click_id"
    assert body["commissions"] == []


def test_every_refused_conversion_is_kept_with_its_reason_and_payload(api, brand, store):
    other = make_brand(store)
    api.post("/conversions", sale(brand.program_id, order_id="R-0", amount="10.00"))
    refusals = {
        "R-1": (sale(brand.program_id, order_id="R-1", bogus=1), 422, "bogus"),
        "R-2": ({**sale(brand.program_id, order_id="R-2"), "currency": "EUR"}, 422, "currency"),
        "R-3": (sale(other.program_id, order_id="R-3"), 404, "program_id"),
        "R-4": (
            sale(brand.program_id, order_id="R-4", occurred_at="2026-11-01T10:00"),
            422,
            "occurred_at",
        ),
        "R-0": (sale(brand.program_id, order_id="R-0", amount="11.00"), 409, "amount"),
        "R-5": (sale(brand.program_id, order_id="R-5", amount="-3"), 422, "amount"),
    }
    seen = {}
    for order_id, (body, status, field) in refusals.items():
        error = error_of(api.post("/conversions", body), status)
        assert error["field"] == field, (order_id, error)
        assert error["rejected_event_id"].startswith("rej_"), (order_id, error)
        seen[order_id] = error

    kept = _rejected(api)
    for order_id, error in seen.items():
        row = kept[error["rejected_event_id"]]
        assert row["kind"] == "conversion"
        assert row["error_code"] == error["code"]
        assert row["field"] == error["field"]
        assert row["message"] == error["message"]
        assert order_id in row["payload"]
    assert not _rejected(Api(api.client, other.api_key)), "rejected events leak across brands"


def test_malformed_json_is_kept_verbatim_as_a_rejected_event(api):
    raw = b'{"program_id": "prg_x", "order_id": "R-9", '

    error = error_of(api.post_raw("/conversions", raw), 422)

    row = _rejected(api)[error["rejected_event_id"]]
    assert row["payload"] == raw.decode()
    assert row["field"] == "body"


def test_a_request_without_a_valid_key_is_not_kept(client, brand):
    error = error_of(Api(client, "acc_x_y").post("/conversions", sale(brand.program_id)), 401)

    assert "rejected_event_id" not in error
    assert _rejected(Api(client, brand.api_key)) == {}
