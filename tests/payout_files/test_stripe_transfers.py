"""Stripe Connect transfers adapter: exact requests, minor units, idempotency, errors."""

from __future__ import annotations

from urllib.parse import parse_qsl

import httpx
import pytest

from accord.errors import InvalidInput
from accord.money import Money
from accord.payouts.providers import PayoutProvider, PayoutStatus, ProviderError
from accord.payouts.providers.stripe import StripeTransfers, stripe_amount
from tests.payout_files.support import BATCH_ID, Recorder, fixture, payout

KEY = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"
ACCT = "acct_1MTfjCQ9PRzxEwkZ"


def adapter(recorder: Recorder, **kwargs) -> StripeTransfers:
    return StripeTransfers(KEY, client=recorder.client(), **kwargs)


def echo(request: httpx.Request, **changes) -> httpx.Response:
    """Stripe's documented transfer object, carrying what the request asked for."""
    form = dict(parse_qsl(request.content.decode()))
    body = fixture("stripe_transfer.json")
    body.update(
        id=f"tr_for_{form['metadata[payout_id]']}",
        amount=int(form["amount"]),
        currency=form["currency"],
        destination=form["destination"],
        transfer_group=form["transfer_group"],
        description=form["description"],
    )
    body.update(changes)
    return httpx.Response(200, json=body)


def three_payouts():
    return [
        payout("pay_01", "12.50", stripe_account_id=ACCT, reference="Commissions November 2026"),
        payout("pay_02", "1500", "JPY", partner_id="prt_ken", name="Ken", stripe_account_id=ACCT),
        payout("pay_03", "2.340", "KWD", partner_id="prt_kw", name="Fahad", stripe_account_id=ACCT),
    ]


def test_a_transfer_is_posted_form_encoded_with_bearer_key_and_idempotency_key():
    recorder = Recorder([(200, fixture("stripe_transfer.json"))])
    adapter(recorder).send(BATCH_ID, three_payouts()[:1])
    (request,) = recorder.requests
    assert request.method == "POST"
    assert str(request.url) == "https://api.stripe.com/v1/transfers"
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.headers["Idempotency-Key"] == "pay_01"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Stripe-Version" not in request.headers
    assert parse_qsl(request.content.decode()) == [
        ("amount", "1250"),
        ("currency", "eur"),
        ("destination", ACCT),
        ("transfer_group", BATCH_ID),
        ("description", "Commissions November 2026"),
        ("metadata[payout_id]", "pay_01"),
        ("metadata[partner_id]", "prt_ana"),
    ]


def test_a_pinned_api_version_is_sent():
    recorder = Recorder([(200, fixture("stripe_transfer.json"))])
    adapter(recorder, api_version="2025-04-30.basil").send(BATCH_ID, three_payouts()[:1])
    assert recorder.requests[0].headers["Stripe-Version"] == "2025-04-30.basil"


def test_each_payout_becomes_a_paid_transfer_in_minor_units():
    recorder = Recorder([echo, echo, echo])
    results = adapter(recorder).send(BATCH_ID, three_payouts())
    sent = [dict(parse_qsl(r.content.decode())) for r in recorder.requests]
    assert [(f["amount"], f["currency"]) for f in sent] == [
        ("1250", "eur"),
        ("1500", "jpy"),
        ("2340", "kwd"),
    ]
    assert [r.headers["Idempotency-Key"] for r in recorder.requests] == [
        "pay_01",
        "pay_02",
        "pay_03",
    ]
    assert [(r.payout_id, r.reference, r.status) for r in results] == [
        ("pay_01", "tr_for_pay_01", PayoutStatus.PAID),
        ("pay_02", "tr_for_pay_02", PayoutStatus.PAID),
        ("pay_03", "tr_for_pay_03", PayoutStatus.PAID),
    ]


def test_sending_the_batch_again_reuses_the_same_idempotency_keys():
    recorder = Recorder([echo, echo, echo, echo, echo, echo])
    stripe = adapter(recorder)
    stripe.send(BATCH_ID, three_payouts())
    stripe.send(BATCH_ID, three_payouts())
    first, second = recorder.requests[:3], recorder.requests[3:]
    assert [r.headers["Idempotency-Key"] for r in first] == [
        r.headers["Idempotency-Key"] for r in second
    ]
    assert [r.content for r in first] == [r.content for r in second]


def test_a_replayed_answer_is_noted():
    def replayed(request: httpx.Request) -> httpx.Response:
        response = echo(request)
        response.headers["Idempotent-Replayed"] = "true"
        return response

    (result,) = adapter(Recorder([replayed])).send(BATCH_ID, three_payouts()[:1])
    assert result.status == PayoutStatus.PAID
    assert "earlier request" in result.message


def test_a_reversed_transfer_is_returned():
    recorder = Recorder([lambda request: echo(request, reversed=True, amount_reversed=1250)])
    (result,) = adapter(recorder).send(BATCH_ID, three_payouts()[:1])
    assert (result.status, result.provider_status) == (PayoutStatus.RETURNED, "reversed")


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("12.50", "EUR", 1250),
        ("0.01", "USD", 1),
        ("1500", "JPY", 1500),
        ("5", "KRW", 5),
        ("2.340", "KWD", 2340),
        ("10", "BHD", 10000),
        ("5", "ISK", 500),
        ("1000", "MGA", 1000),
    ],
)
def test_amounts_are_in_stripes_minor_units(amount, currency, minor):
    assert stripe_amount(Money.of(amount, currency)) == minor


def test_a_three_decimal_amount_must_end_in_zero_for_stripe():
    with pytest.raises(InvalidInput, match=r"steps of 0\.010"):
        stripe_amount(Money.of("2.345", "KWD"))


def test_a_fraction_of_a_zero_decimal_currency_is_refused():
    with pytest.raises(InvalidInput, match="takes 0 decimals for MGA"):
        stripe_amount(Money.of("10.50", "MGA"))


def test_a_payee_without_a_connected_account_is_refused_before_any_transfer():
    recorder = Recorder([])
    batch = [*three_payouts()[:1], payout("pay_05", "5", partner_id="prt_no", iban="DE89")]
    with pytest.raises(InvalidInput) as refused:
        adapter(recorder).send(BATCH_ID, batch)
    assert refused.value.field == "instructions[1].payee.stripe_account_id"
    assert "'pay_05'" in refused.value.message and "'prt_no'" in refused.value.message
    assert recorder.requests == []


def test_an_amount_stripe_cannot_carry_is_refused_before_any_transfer():
    recorder = Recorder([])
    batch = [*three_payouts()[:1], payout("pay_06", "1.005", "KWD", stripe_account_id=ACCT)]
    with pytest.raises(InvalidInput) as refused:
        adapter(recorder).send(BATCH_ID, batch)
    assert refused.value.field == "instructions[1].amount"
    assert recorder.requests == []


def test_stripes_error_becomes_a_clear_exception_naming_code_and_param():
    recorder = Recorder([(400, fixture("stripe_error_no_destination.json"))])
    with pytest.raises(ProviderError) as failed:
        adapter(recorder).transfer(BATCH_ID, three_payouts()[0])
    error = failed.value
    assert error.provider == "stripe"
    assert error.http_status == 400
    assert error.error_code == "resource_missing"
    assert error.error_type == "invalid_request_error"
    assert error.field == "destination"
    assert error.message == (
        "Stripe refused payout 'pay_01' (400 invalid_request_error/resource_missing): "
        "No such destination: 'acct_1Gone000000000' [param destination]"
    )


def test_one_refused_transfer_fails_that_payout_and_the_rest_go_on():
    recorder = Recorder([echo, (400, fixture("stripe_error_balance_insufficient.json")), echo])
    results = adapter(recorder).send(BATCH_ID, three_payouts())
    assert [(r.payout_id, r.status) for r in results] == [
        ("pay_01", PayoutStatus.PAID),
        ("pay_02", PayoutStatus.FAILED),
        ("pay_03", PayoutStatus.PAID),
    ]
    assert results[1].provider_status == "balance_insufficient"
    assert "insufficient available funds" in results[1].message
    assert results[1].reference == ""


def test_a_wrong_key_stops_the_batch_and_keeps_the_transfers_already_made():
    recorder = Recorder([echo, (401, fixture("stripe_error_auth.json"))])
    with pytest.raises(ProviderError) as failed:
        adapter(recorder).send(BATCH_ID, three_payouts())
    assert failed.value.http_status == 401
    assert "Invalid API Key provided" in failed.value.message
    assert [(r.payout_id, r.status) for r in failed.value.results] == [
        ("pay_01", PayoutStatus.PAID)
    ]
    assert len(recorder.requests) == 2


def test_a_key_reused_with_other_parameters_stops_the_batch():
    recorder = Recorder([(400, fixture("stripe_error_idempotency.json"))])
    with pytest.raises(ProviderError) as failed:
        adapter(recorder).send(BATCH_ID, three_payouts())
    assert failed.value.error_type == "idempotency_error"
    assert "same parameters" in failed.value.message
    assert failed.value.results == []


def test_an_answer_for_a_different_transfer_is_not_taken_as_payment():
    recorder = Recorder([lambda request: echo(request, amount=999)])
    with pytest.raises(ProviderError, match="not what was sent"):
        adapter(recorder).send(BATCH_ID, three_payouts()[:1])


def test_an_unreachable_stripe_says_a_retry_is_safe():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(ProviderError, match="sending it again is safe") as failed:
        adapter(Recorder([refuse])).send(BATCH_ID, three_payouts()[:1])
    assert failed.value.http_status is None


def test_the_adapter_is_a_payout_provider():
    provider: PayoutProvider = adapter(Recorder([]))
    assert provider.name == "stripe"
