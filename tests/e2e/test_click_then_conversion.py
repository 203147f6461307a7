"""A conversion that arrives while its click is still buffered at the edge is attributed."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from accord.demo.run import LocalServer
from accord.server import AccordApp
from accord.settings import Settings
from tests.factories import add_partner, free_port, make_brand


def test_a_conversion_finds_a_click_the_edge_has_not_written_yet(store):
    brand = make_brand(store)
    partner = add_partner(brand)
    port = free_port()
    # Clicks would wait ten seconds for their batch: the conversion must not (the client
    # gives up after 8 s: slack for a loaded machine, still short of the batch).
    settings = Settings(port=port, click_flush_interval_ms=10_000)
    app = AccordApp(store, settings)
    server = LocalServer(app, "127.0.0.1", port)
    server.start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=8) as http:
            redirect = http.get(f"/c/{partner.link_code}")
            assert redirect.status_code == 302
            click_id = parse_qs(urlsplit(redirect.headers["location"]).query)["accord_click"][0]
            assert app.recorder.waiting == 1  # answered, not yet written

            response = http.post(
                "/api/v1/conversions",
                headers={"authorization": f"Bearer {brand.api_key}"},
                json={
                    "program_id": brand.program_id,
                    "order_id": "buffered-1",
                    "amount": "40.00",
                    "currency": "USD",
                    "click_id": click_id,
                },
            )
    finally:
        server.stop()
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["partner_id"] == partner.id
    assert body["attribution_reason"] == "last_click_in_window"
    assert body["commissions"][0]["amount"] == {"amount": "4.00", "currency": "USD"}
