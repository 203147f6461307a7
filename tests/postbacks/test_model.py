"""Postback rules: macros, signatures, the retry schedule and the address check."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from accord.errors import InvalidInput
from accord.money import Money
from accord.postbacks.model import (
    MACROS,
    MAX_ATTEMPTS,
    MAX_SPAN,
    PostbackEvent,
    PostbackEventType,
    SignatureError,
    attempt_offsets,
    check_destination,
    check_events,
    check_template,
    expand,
    format_secret,
    retry_at,
    sign,
    signed_headers,
    verify,
)

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def public(host: str) -> list[str]:
    return ["93.184.216.34"]


# macros -----------------------------------------------------------------------------------
def test_each_macro_is_replaced_by_its_url_encoded_value():
    url = expand(
        "https://p.example/pb?c={click_id}&s1={sub1}&o={order_id}&x={payout}",
        {"click_id": "clk_1", "sub1": "a b&c=d/é", "order_id": "#42?", "payout": "8.00"},
    )
    assert url == "https://p.example/pb?c=clk_1&s1=a%20b%26c%3Dd%2F%C3%A9&o=%2342%3F&x=8.00"
    assert parse_qs(urlsplit(url).query)["s1"] == ["a b&c=d/é"]


def test_a_macro_without_a_value_becomes_empty():
    assert expand("https://p.example/{sub2}?c={click_id}", {}) == "https://p.example/?c="


def test_a_template_with_unknown_macros_is_refused_naming_them():
    with pytest.raises(InvalidInput) as refused:
        check_template("https://p.example/pb?c={clickid}&t={txn}&s={sub1}")
    assert refused.value.field == "url"
    assert "{clickid}, {txn}" in refused.value.message
    assert "{sub1}" not in refused.value.message.split(";")[0]


@pytest.mark.parametrize(
    ("template", "says"),
    [
        ("ftp://p.example/{click_id}", "http(s)"),
        ("https://{sub1}.p.example/", "not in the host"),
        ("https://p.example/{click_id", "unmatched brace"),
        ("https://user:pw@p.example/", "user name"),
        ("https://p.example/a b", "spaces"),
        ("https://p.example:port/", "host and port"),
        ("", "required"),
    ],
)
def test_a_malformed_template_is_refused(template, says):
    with pytest.raises(InvalidInput) as refused:
        check_template(template)
    assert refused.value.field == "url" and says in refused.value.message


def test_every_known_macro_is_accepted():
    template = "https://p.example/pb?" + "&".join(f"{m}={{{m}}}" for m in MACROS)
    assert check_template(template) == template


def test_unknown_events_are_refused_and_none_means_all():
    assert check_events(None) == [e.value for e in PostbackEventType]
    assert check_events(["commission.paid", "commission.paid"]) == ["commission.paid"]
    with pytest.raises(InvalidInput, match="events: unknown events 'sale'"):
        check_events(["sale"])
    with pytest.raises(InvalidInput, match="events: name at least one"):
        check_events([])


def test_the_body_and_the_macros_tell_the_same_story():
    event = PostbackEvent(
        event=PostbackEventType.COMMISSION_APPROVED,
        commission_id="com_1",
        conversion_id="cnv_1",
        program_id="prg_1",
        order_id="1001",
        event_type="sale",
        amount=Money.of("129.9", "USD"),
        payout=Money(Decimal("12.99"), "USD"),
        status="approved",
        click_id="clk_1",
        subs=("s1", None, None, None, "s5"),
        occurred_at=NOW,
        converted_at=NOW - timedelta(days=31),
    )
    values = event.macros()
    assert values["amount"] == "129.90" and values["payout"] == "12.99"
    assert values["event"] == "commission.approved" and values["sub5"] == "s5"
    import json

    body = json.loads(event.body())
    assert body["event"] == "commission.approved" and body["commission_id"] == "com_1"
    assert body["amount"] == "129.90" and body["payout"] == "12.99" and body["currency"] == "USD"
    assert body["sub1"] == "s1" and body["sub2"] is None
    assert body["occurred_at"] == "2026-11-01T12:00:00+00:00"


# signatures -------------------------------------------------------------------------------
def test_the_signature_matches_one_computed_independently_with_hmac():
    key = bytes(range(32))
    secret = "whsec_" + base64.b64encode(key).decode()
    body = '{"event":"commission.paid","payout":"8.00"}'
    expected = base64.b64encode(
        hmac.new(key, f"pbd_1.1793534400.{body}".encode(), hashlib.sha256).digest()
    ).decode()
    assert sign(secret, "pbd_1", 1793534400, body) == "v1," + expected


def test_the_signature_matches_the_standard_webhooks_published_example():
    assert (
        sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            '{"test": 2432232314}',
        )
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_a_receiver_verifies_a_signed_request_and_refuses_a_tampered_one():
    secret = format_secret(b"\x07" * 32)
    assert secret.startswith("whsec_")
    body = '{"order_id":"1001"}'
    stamp = int(NOW.timestamp())
    headers = signed_headers(secret, "pbd_9", stamp, body)
    verify(secret, headers, body.encode(), NOW + timedelta(seconds=30))
    rotated = {**headers, "Webhook-Signature": "v1,bm9wZQ== " + headers["webhook-signature"]}
    verify(secret, rotated, body, NOW)  # any one of several signatures may match
    with pytest.raises(SignatureError, match="no signature"):
        verify(secret, headers, '{"order_id":"1002"}', NOW)
    with pytest.raises(SignatureError, match="no signature"):
        verify(format_secret(b"\x08" * 32), headers, body, NOW)
    with pytest.raises(SignatureError, match="timestamp"):
        verify(secret, headers, body, NOW + timedelta(minutes=6))
    with pytest.raises(SignatureError, match="headers"):
        verify(secret, {"webhook-id": "pbd_9"}, body, NOW)


# the retry schedule -----------------------------------------------------------------------
def test_the_last_attempt_is_within_72_hours_of_the_first():
    offsets = attempt_offsets()
    assert len(offsets) == MAX_ATTEMPTS
    assert offsets[:4] == [
        timedelta(0),
        timedelta(seconds=30),
        timedelta(minutes=2, seconds=30),
        timedelta(minutes=12, seconds=30),
    ]
    assert offsets == sorted(offsets)
    assert offsets[-1] <= timedelta(hours=72)
    assert offsets[-1] > timedelta(hours=48)  # the schedule really spans about three days


def test_following_the_schedule_ends_after_the_last_attempt():
    at, attempts = NOW, 0
    while True:
        attempts += 1
        nxt = retry_at(NOW, attempts, at)
        if nxt is None:
            break
        at = nxt
    assert attempts == MAX_ATTEMPTS
    assert at - NOW == attempt_offsets()[-1]


def test_a_late_worker_never_schedules_past_72_hours():
    late = NOW + timedelta(hours=60)
    assert retry_at(NOW, 7, late) == NOW + MAX_SPAN  # 24h later would be 84h
    assert retry_at(NOW, 3, NOW + MAX_SPAN) is None


# the address check ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "not public"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("::", "unspecified"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "link-local"),
        ("2002:a00:1::", "private"),  # 6to4 around 10.0.0.1
    ],
)
def test_a_host_that_resolves_to_a_non_public_address_is_refused(address, reason):
    with pytest.raises(InvalidInput) as refused:
        check_destination("https://partner.example/pb", lambda host: [address])
    assert refused.value.field == "url"
    assert f"a {reason} address" in refused.value.message


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/pb",
        "http://[::1]/pb",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]/pb",
        "http://[fe80::1]/pb",
    ],
)
def test_an_ip_address_in_the_url_is_checked_without_resolving(url):
    def never(host):
        raise AssertionError("an IP address needs no resolver")

    with pytest.raises(InvalidInput, match="public addresses only"):
        check_destination(url, never)


def test_a_public_address_is_accepted_through_a_fake_resolver():
    seen = []

    def resolver(host):
        seen.append(host)
        return ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]

    addresses = check_destination("https://partner.example:8443/pb?c={click_id}", resolver)
    assert [str(a) for a in addresses] == ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]
    assert seen == ["partner.example"]


def test_one_private_address_among_public_ones_is_enough_to_refuse():
    with pytest.raises(InvalidInput, match=r"10\.0\.0\.7, a private address"):
        check_destination("https://p.example/", lambda host: ["93.184.216.34", "10.0.0.7"])


def test_a_host_that_does_not_resolve_is_refused():
    def nxdomain(host):
        raise OSError("Name or service not known")

    with pytest.raises(InvalidInput, match="does not resolve"):
        check_destination("https://nowhere.invalid/", nxdomain)
    with pytest.raises(InvalidInput, match="does not resolve"):
        check_destination("https://nowhere.invalid/", lambda host: [])
