"""A shopper clicks a partner's link, lands on the brand's site, and buys: the tag tells."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from accord.demo.run import LocalServer
from accord.programs.service import update_program
from accord.server import AccordApp
from accord.settings import Settings
from accord.tracking.service import create_link
from tests.factories import add_partner, free_port, make_brand


def _shop(api_base: str, program_id: str) -> ThreadingHTTPServer:
    """The brand's own site: every page carries the tag."""
    page = f"""<!doctype html><html><head><title>Shop</title>
<script>window.accord = window.accord || function () {{
  (accord.q = accord.q || []).push(arguments); }};</script>
<script async src="{api_base}/accord.js" data-program="{program_id}"></script>
</head><body><h1>Lumen Outdoor</h1></body></html>""".encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _conversions(api_base: str, key: str) -> list[dict]:
    return httpx.get(
        f"{api_base}/api/v1/conversions", headers={"authorization": f"Bearer {key}"}
    ).json()["data"]


def _wait_for(api_base: str, key: str, count: int) -> list[dict]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = _conversions(api_base, key)
        if len(found) >= count:
            return found
        time.sleep(0.1)
    raise AssertionError(f"expected {count} conversions, found {_conversions(api_base, key)}")


def test_the_tag_keeps_the_click_and_reports_sales_from_the_brands_site(chromium, store, tmp_path):
    brand = make_brand(store)
    partner = add_partner(brand)
    port = free_port()
    api_base = f"http://127.0.0.1:{port}"
    shop = _shop(api_base, brand.program_id)
    shop_base = f"http://127.0.0.1:{shop.server_port}"
    update_program(
        store,
        brand.caller,
        brand.program_id,
        {"default_landing_url": f"{shop_base}/", "browser_events": "held"},
    )
    link = create_link(
        store,
        brand.caller,
        brand.program_id,
        partner_id=partner.id,
        destination_url=f"{shop_base}/spring",
    )
    server = LocalServer(
        AccordApp(store, Settings(port=port, data_dir=tmp_path)), "127.0.0.1", port
    )
    server.start()
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(f"{api_base}/c/{link.code}?utm_source=blog")
        assert page.url.startswith(f"{shop_base}/spring?utm_source=blog&accord_click=clk_")
        page.wait_for_function("typeof window.accord === 'function' && !window.accord.q")
        click_id = page.evaluate("accord('clickId')")
        assert click_id and click_id in page.url
        cookies = {c["name"]: c for c in context.cookies(shop_base)}
        assert cookies["_accord_click"]["value"] == click_id
        assert cookies["_accord_click"]["expires"] > time.time() + 29 * 86400

        page.evaluate(
            "accord('track', 'sale', {order_id: 'WEB-1', amount: '120.00', currency: 'USD'})"
        )
        (first,) = _wait_for(api_base, brand.api_key, 1)
        assert first["partner_id"] == partner.id and first["click_id"] == click_id

        # A later visit without the click in the URL: the cookie remembers it.
        page.goto(f"{shop_base}/checkout")
        page.wait_for_function("typeof window.accord === 'function' && !window.accord.q")
        page.evaluate(
            "accord('track', 'sale', {order_id: 'WEB-2', amount: '30.00', currency: 'USD'})"
        )
        found = _wait_for(api_base, brand.api_key, 2)
        second = next(c for c in found if c["order_id"] == "WEB-2")
        assert second["partner_id"] == partner.id
        assert second["commissions"][0]["amount"]["amount"] == "3.00"
    finally:
        context.close()
        server.stop()
        shop.shutdown()
