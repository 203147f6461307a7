"""A real partner server on 127.0.0.1 receives Accord's postbacks: signed, with the macros
filled in, retried after a 500, and never sent twice once delivered."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from typer.testing import CliRunner

from accord.cli import app as cli_app
from accord.postbacks.model import verify
from accord.postbacks.service import Outgoing
from accord.postbacks.worker import HttpSender, http_client, run
from accord.settings import get_settings
from tests.api.support import Api, sale
from tests.factories import add_partner, events_settled, make_brand
from tests.postbacks.support import click_with_subs
from tests.receivers import Receiver, running

PartnerServer = Receiver


@pytest.fixture
def partner_server() -> Iterator[PartnerServer]:
    with running(500) as server:
        yield server


@pytest.fixture
def cli_env(store, monkeypatch) -> Iterator[None]:
    """`accord` commands run against the test's database, postbacks to 127.0.0.1 allowed."""
    monkeypatch.setenv("ACCORD_DATABASE_URL", store.engine.url.render_as_string(False))
    monkeypatch.setenv("ACCORD_POSTBACK_ALLOW_PRIVATE", "true")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_a_partner_server_gets_a_signed_postback_retried_after_a_500_and_only_once(
    store, clock, local_client, partner_server, cli_env
):
    # The clock starts an hour ago so that the CLI worker, on the real clock, finds the retry due.
    clock.set(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1))
    started = clock.now()
    brand = make_brand(store)
    member = add_partner(brand)
    partner = Api(local_client, member.api_key)
    template = (
        f"http://127.0.0.1:{partner_server.port}/pb?click={{click_id}}&s1={{sub1}}"
        "&s3={sub3}&payout={payout}&amount={amount}&cur={currency}&event={event}"
        "&order={order_id}&status={status}"
    )
    registered = partner.post("/postbacks", {"url": template})
    assert registered.status_code == 201, registered.text
    endpoint = registered.json()

    click_id = click_with_subs(brand, member, sub1="fb ads&q=1", sub3="渠道/7")
    shop = Api(local_client, brand.api_key)
    converted = shop.post(
        "/conversions", sale(brand.program_id, order_id="ORD 7", amount="80.00", click_id=click_id)
    )
    assert converted.status_code in (200, 201), converted.text
    events_settled(store, brand.caller.organization_id)  # the queue enqueues the postback

    # first attempt, in this process: the partner's server answers 500
    with http_client() as client:
        first = run(store, HttpSender(client), once=True, allow_private=True)
    assert (first.delivered, first.retrying) == (0, 1)
    [delivery] = partner.ok(f"/postbacks/{endpoint['id']}/deliveries")["data"]
    assert (delivery["status"], delivery["attempts"]) == ("pending", 1)
    assert delivery["last_status_code"] == 500

    # the retry, by the command-line worker on the real clock
    result = CliRunner().invoke(cli_app, ["postbacks", "deliver", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 delivered" in result.output
    retried_at = datetime.now(UTC)

    # later passes, in this process and from the CLI, send nothing more
    clock.advance(timedelta(days=1))
    with http_client() as client:
        assert run(store, HttpSender(client), once=True, allow_private=True).attempted == 0
    assert "0 delivered" in CliRunner().invoke(cli_app, ["postbacks", "deliver", "--once"]).output
    [delivery] = partner.ok(f"/postbacks/{endpoint['id']}/deliveries")["data"]
    assert (delivery["status"], delivery["attempts"]) == ("delivered", 2)
    assert delivery["last_status_code"] == 200

    assert len(partner_server.received) == 2
    for (path, headers, body), when in zip(
        partner_server.received, (started, retried_at), strict=True
    ):
        assert headers["webhook-id"] == delivery["id"]
        verify(endpoint["secret"], headers, body, when)
        assert json.loads(body) == delivery["body"]
        query = {k: v[0] for k, v in parse_qs(urlsplit(path).query, keep_blank_values=True).items()}
        assert query == {
            "click": click_id,
            "s1": "fb ads&q=1",
            "s3": "渠道/7",
            "payout": "8.00",
            "amount": "80.00",
            "cur": "USD",
            "event": "conversion.attributed",
            "order": "ORD 7",
            "status": "pending",
        }
    assert partner_server.received[0][1]["webhook-timestamp"] == str(int(started.timestamp()))


def test_the_sender_connects_to_the_checked_address_not_a_fresh_dns_answer(partner_server):
    """The host name is kept for the Host header while the connection goes to the address
    that passed the check, so DNS cannot be switched between the check and the request."""
    partner_server.answers = [204]
    outgoing = Outgoing(
        url=f"http://partner.invalid:{partner_server.port}/pb?c=1",
        body='{"ok":true}',
        headers={"webhook-id": "pbd_x", "content-type": "application/json"},
        addresses=(ipaddress.ip_address("127.0.0.1"),),
    )
    with http_client() as client:
        assert HttpSender(client)(outgoing) == 204
    [(path, headers, body)] = partner_server.received
    assert path == "/pb?c=1" and body == b'{"ok":true}'
    assert headers["host"] == f"partner.invalid:{partner_server.port}"
    assert headers["webhook-id"] == "pbd_x"
    assert headers["user-agent"].startswith("Accord-Postbacks/")
