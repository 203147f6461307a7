"""PayPal Payouts adapter: the exact requests it sends and how it reads PayPal's answers."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qsl

import httpx
import pytest

from accord.errors import InvalidInput
from accord.money import Money
from accord.payouts.providers import PayoutProvider, PayoutStatus, ProviderError
from accord.payouts.providers.paypal import (
    ITEM_STATUSES,
    LIVE_URL,
    SANDBOX_URL,
    PayPalPayouts,
    item_status,
    paypal_value,
)
from tests.payout_files.support import BATCH_ID, Recorder, fixture, payout

TOKEN = fixture("paypal_token.json")["access_token"]


class Ticker:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def adapter(recorder: Recorder, **kwargs) -> PayPalPayouts:
    return PayPalPayouts("client-id", "s3cret", client=recorder.client(), **kwargs)


def two_payouts():
    return [
        payout("pay_01", "1250", "USD", paypal_email="ana@example.com", reference="Nov 2026"),
        payout("pay_02", "1500", "JPY", partner_id="prt_ken", name="Ken", paypal_email="k@x.jp"),
    ]


def test_the_token_request_uses_basic_auth_and_client_credentials():
    recorder = Recorder([(200, fixture("paypal_token.json"))])
    assert adapter(recorder).access_token() == TOKEN
    (request,) = recorder.requests
    assert request.method == "POST"
    assert str(request.url) == "https://api-m.sandbox.paypal.com/v1/oauth2/token"
    expected = base64.b64encode(b"client-id:s3cret").decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.headers["Accept"] == "application/json"
    assert parse_qsl(request.content.decode()) == [("grant_type", "client_credentials")]


def test_a_batch_is_created_with_our_batch_id_and_one_item_per_payout():
    recorder = Recorder(
        [(200, fixture("paypal_token.json")), (201, fixture("paypal_create_batch.json"))]
    )
    results = adapter(recorder).send(BATCH_ID, two_payouts())

    request = recorder.requests[1]
    assert request.method == "POST"
    assert str(request.url) == f"{SANDBOX_URL}/v1/payments/payouts"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["PayPal-Request-Id"] == BATCH_ID
    assert json.loads(request.content) == {
        "sender_batch_header": {
            "sender_batch_id": BATCH_ID,
            "email_subject": "You have a payout",
            "email_message": "You received a payout from our partner program.",
        },
        "items": [
            {
                "recipient_type": "EMAIL",
                "amount": {"value": "1250.00", "currency": "USD"},
                "receiver": "ana@example.com",
                "note": "Nov 2026",
                "sender_item_id": "pay_01",
            },
            {
                "recipient_type": "EMAIL",
                "amount": {"value": "1500", "currency": "JPY"},
                "receiver": "k@x.jp",
                "note": "Payout pay_02",
                "sender_item_id": "pay_02",
            },
        ],
    }
    assert [(r.payout_id, r.reference, r.status, r.provider_status) for r in results] == [
        ("pay_01", "5UXD2E8A7EBQJ", PayoutStatus.SENT, "PENDING"),
        ("pay_02", "5UXD2E8A7EBQJ", PayoutStatus.SENT, "PENDING"),
    ]


def test_a_denied_batch_fails_every_payout():
    denied = fixture("paypal_create_batch.json")
    denied["batch_header"]["batch_status"] = "DENIED"
    recorder = Recorder([(200, fixture("paypal_token.json")), (201, denied)])
    results = adapter(recorder).send(BATCH_ID, two_payouts())
    assert {r.status for r in results} == {PayoutStatus.FAILED}


def test_live_mode_talks_to_the_live_api():
    recorder = Recorder(
        [(200, fixture("paypal_token.json")), (201, fixture("paypal_create_batch.json"))]
    )
    adapter(recorder, live=True).send(BATCH_ID, two_payouts())
    assert [str(r.url) for r in recorder.requests] == [
        "https://api-m.paypal.com/v1/oauth2/token",
        "https://api-m.paypal.com/v1/payments/payouts",
    ]
    assert LIVE_URL == "https://api-m.paypal.com"


def test_the_token_is_reused_until_it_nearly_expires():
    ticker = Ticker()
    token = fixture("paypal_token.json")  # expires_in 31668 seconds
    created = fixture("paypal_create_batch.json")
    recorder = Recorder(
        [(200, token), (201, created), (201, created), (200, token), (201, created)]
    )
    paypal = adapter(recorder, monotonic=ticker)
    paypal.send(BATCH_ID, two_payouts())
    ticker.now += 31668 - 61
    paypal.send(BATCH_ID, two_payouts())
    ticker.now += 2
    paypal.send(BATCH_ID, two_payouts())
    paths = [r.url.path for r in recorder.requests]
    assert paths == [
        "/v1/oauth2/token",
        "/v1/payments/payouts",
        "/v1/payments/payouts",
        "/v1/oauth2/token",
        "/v1/payments/payouts",
    ]


def test_a_rejected_token_is_renewed_once_and_the_call_repeated():
    recorder = Recorder(
        [
            (200, fixture("paypal_token.json")),
            (401, fixture("paypal_oauth_error.json")),
            (200, {**fixture("paypal_token.json"), "access_token": "fresh"}),
            (201, fixture("paypal_create_batch.json")),
        ]
    )
    adapter(recorder).send(BATCH_ID, two_payouts())
    assert recorder.requests[-1].headers["Authorization"] == "Bearer fresh"
    assert json.loads(recorder.requests[-1].content) == json.loads(recorder.requests[1].content)


def test_bad_credentials_raise_a_clear_error():
    recorder = Recorder([(401, fixture("paypal_oauth_error.json"))])
    with pytest.raises(ProviderError) as failed:
        adapter(recorder).send(BATCH_ID, two_payouts())
    assert failed.value.http_status == 401
    assert failed.value.error_code == "invalid_client"
    assert "Client Authentication failed" in failed.value.message
    assert failed.value.as_dict()["code"] == "provider_error"


def test_a_422_names_the_error_the_field_and_the_issue():
    recorder = Recorder(
        [(200, fixture("paypal_token.json")), (422, fixture("paypal_error_422.json"))]
    )
    batch = [payout("pay_01", "1.5", "KWD", paypal_email="ana@example.com")]
    with pytest.raises(ProviderError) as failed:
        adapter(recorder).send(BATCH_ID, batch)
    error = failed.value
    assert error.provider == "paypal"
    assert error.http_status == 422
    assert error.error_code == "UNPROCESSABLE_ENTITY"
    assert error.field == "/items/0/amount/currency"
    assert error.message == (
        "PayPal refused the request (422 UNPROCESSABLE_ENTITY): The requested action could not "
        "be performed, semantically incorrect, or failed business validation.; "
        "/items/0/amount/currency: CURRENCY_NOT_SUPPORTED (Currency code is not supported for "
        "payouts.) [debug_id 90957fca61718]"
    )
    assert json.loads(recorder.requests[1].content)["items"][0]["amount"] == {
        "value": "1.500",
        "currency": "KWD",
    }


def test_a_batch_id_used_before_is_reported_as_such():
    recorder = Recorder(
        [(200, fixture("paypal_token.json")), (400, fixture("paypal_error_duplicate_batch.json"))]
    )
    with pytest.raises(ProviderError, match="sender_batch_id already exists") as failed:
        adapter(recorder).send(BATCH_ID, two_payouts())
    assert failed.value.error_code == "USER_BUSINESS_ERROR"


def test_an_error_page_that_is_not_json_still_gives_a_message():
    recorder = Recorder([lambda request: httpx.Response(503, text="<html>down</html>")])
    with pytest.raises(ProviderError, match=r"\(503 HTTP_503\): Service Unavailable"):
        adapter(recorder).access_token()


def test_an_unreachable_paypal_says_a_retry_is_safe():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    recorder = Recorder([refuse])
    with pytest.raises(ProviderError, match="sending the same batch id again is safe"):
        adapter(recorder).send(BATCH_ID, two_payouts())


def test_a_payee_without_a_paypal_email_is_refused_before_anything_is_sent():
    recorder = Recorder([])
    batch = [two_payouts()[0], payout("pay_09", "5", "USD", partner_id="prt_iban", iban="x")]
    with pytest.raises(InvalidInput) as refused:
        adapter(recorder).send(BATCH_ID, batch)
    assert refused.value.field == "instructions[1].payee.paypal_email"
    assert "'pay_09'" in refused.value.message and "'prt_iban'" in refused.value.message
    assert recorder.requests == []


def test_an_empty_or_repeated_batch_is_refused():
    paypal = adapter(Recorder([]))
    with pytest.raises(InvalidInput, match="at least one"):
        paypal.send(BATCH_ID, [])
    twice = [two_payouts()[0], two_payouts()[0]]
    with pytest.raises(InvalidInput, match="appears twice"):
        paypal.send(BATCH_ID, twice)


@pytest.mark.parametrize(
    ("amount", "currency", "value"),
    [
        ("12.5", "USD", "12.50"),
        ("1500", "JPY", "1500"),
        ("100", "HUF", "100"),
        ("100", "TWD", "100"),
        ("19.99", "EUR", "19.99"),
    ],
)
def test_amounts_use_paypals_decimals(amount, currency, value):
    assert paypal_value(Money.of(amount, currency)) == value


def test_fractional_huf_is_refused_because_paypal_takes_whole_forints():
    with pytest.raises(InvalidInput, match="whole HUF"):
        paypal_value(Money.of("100.50", "HUF"))


def test_batch_results_map_each_item_to_our_payout_and_status():
    recorder = Recorder(
        [(200, fixture("paypal_token.json")), (200, fixture("paypal_batch_details.json"))]
    )
    results = adapter(recorder).batch_results("5UXD2E8A7EBQJ")
    request = recorder.requests[1]
    assert request.method == "GET"
    assert request.url.path == "/v1/payments/payouts/5UXD2E8A7EBQJ"
    assert dict(request.url.params) == {"page": "1", "page_size": "1000", "total_required": "true"}
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert [(r.payout_id, r.reference, r.status, r.provider_status) for r in results] == [
        ("pay_01", "8AELMXH8UB2P8", PayoutStatus.PAID, "SUCCESS"),
        ("pay_02", "EY3RNXM3SDPWU", PayoutStatus.SENT, "UNCLAIMED"),
        ("pay_03", "C9K5LFQ3E8P7W", PayoutStatus.RETURNED, "RETURNED"),
        ("pay_04", "SRNMEKARD9R3J", PayoutStatus.FAILED, "BLOCKED"),
    ]
    assert results[1].message.startswith("RECEIVER_UNREGISTERED: The recipient for this payout")
    assert results[0].message == ""


def test_batch_results_read_every_page():
    details = fixture("paypal_batch_details.json")
    first = {**details, "total_pages": 2, "items": details["items"][:2]}
    second = {**details, "total_pages": 2, "items": details["items"][2:]}
    recorder = Recorder([(200, fixture("paypal_token.json")), (200, first), (200, second)])
    results = adapter(recorder).batch_results("5UXD2E8A7EBQJ", page_size=2)
    assert [r.payout_id for r in results] == ["pay_01", "pay_02", "pay_03", "pay_04"]
    assert [r.url.params["page"] for r in recorder.requests[1:]] == ["1", "2"]


@pytest.mark.parametrize(
    ("paypal", "ours"),
    [
        ("SUCCESS", "paid"),
        ("PENDING", "sent"),
        ("UNCLAIMED", "sent"),
        ("ONHOLD", "sent"),
        ("FAILED", "failed"),
        ("BLOCKED", "failed"),
        ("DENIED", "failed"),
        ("RETURNED", "returned"),
        ("REFUNDED", "returned"),
        ("REVERSED", "returned"),
        ("SOMETHING_NEW", "sent"),
    ],
)
def test_paypal_item_statuses_map_to_ours(paypal, ours):
    assert item_status(paypal) == PayoutStatus(ours)


def test_every_documented_item_status_is_mapped():
    documented = {"SUCCESS", "FAILED", "PENDING", "UNCLAIMED", "RETURNED", "ONHOLD", "BLOCKED"}
    documented |= {"REFUNDED", "REVERSED"}
    assert documented <= ITEM_STATUSES.keys()


def test_the_adapter_is_a_payout_provider():
    provider: PayoutProvider = adapter(Recorder([]))
    assert provider.name == "paypal"
