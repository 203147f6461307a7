"""A visitor reads the brand's pricing page, then asks for a demo in the form Accord hosts
framed in the brand's site: in Chromium, the tag sends the page view, gives the framed form
the browser's id, and once the form is sent the view is the person's history; a video the
person then watches is theirs at once."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from accord.demo.run import LocalServer
from accord.leads.forms import save_form
from accord.leads.service import contact_view, contacts_page
from accord.programs.service import update_program
from accord.server import AccordApp
from accord.settings import Settings
from tests.factories import free_port, make_brand


def _site(api_base: str, program_id: str, form_id: str) -> ThreadingHTTPServer:
    """The brand's own site: every page carries the tag; /demo frames the hosted form."""

    def page(path: str) -> bytes:
        frame = (f'<iframe src="{api_base}/f/{form_id}?embed=1" style="width:100%;height:600px">'
                 "</iframe>" if path.startswith("/demo") else "")  # fmt: skip
        title = "Pricing" if path.startswith("/pricing") else "Book a demo"
        return f"""<!doctype html><html><head><title>{title}</title>
<script>window.accord = window.accord || function () {{
  (accord.q = accord.q || []).push(arguments); }};</script>
<script async src="{api_base}/accord.js" data-program="{program_id}" data-leads></script>
</head><body><h1>{title}</h1>{frame}</body></html>""".encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = page(self.path)
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _eventually(check, seconds: float = 10):
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError("not within the time")
        time.sleep(0.1)


def test_a_visitors_page_views_become_theirs_when_they_send_a_framed_form(
    chromium, store, tmp_path
):
    brand = make_brand(store)
    fields = [{"name": "name", "required": True}, {"name": "email", "required": True}]
    form = save_form(store, brand.caller, {"name": "Book a demo", "activity": "demo_request",
                                           "fields": fields})  # fmt: skip
    port = free_port()
    api_base = f"http://127.0.0.1:{port}"
    site = _site(api_base, brand.program_id, form.id)
    site_base = f"http://127.0.0.1:{site.server_port}"
    update_program(store, brand.caller, brand.program_id,
                   {"default_landing_url": f"{site_base}/"})  # fmt: skip
    server = LocalServer(AccordApp(store, Settings(port=port, data_dir=tmp_path)), "127.0.0.1",
                         port)  # fmt: skip
    server.start()
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(f"{site_base}/pricing?utm_source=baidu&utm_term=mes+system")
        page.wait_for_function("typeof window.accord === 'function' && !window.accord.q")
        vid = page.evaluate("accord('visitorId')")
        assert len(vid) == 32
        assert {c["name"]: c["value"] for c in context.cookies(site_base)}["_accord_vid"] == vid

        page.goto(f"{site_base}/demo")

        def framed_src():
            src = page.evaluate("(document.querySelector('iframe') || {}).src || ''")
            return src if "vid=" in src else None

        frame_src = _eventually(framed_src)
        assert frame_src.endswith(f"vid={vid}")
        framed = page.frame_locator("iframe")
        framed.locator("input[name=name]").fill("Li Wei")
        framed.locator("input[name=email]").fill("li.wei@acme.example")
        framed.locator("button[type=submit]").click()
        framed.locator("[role=status]").wait_for()

        def person():
            rows = contacts_page(store, brand.caller, search="li.wei@acme.example").rows
            if not rows:
                return None
            view = contact_view(store, brand.caller, rows[0].id)
            return (
                view if {"page_view", "demo_request"} <= {a.type for a in view.activities} else None
            )

        view = _eventually(person)
        pricing = next(a for a in view.activities if a.subject == "Pricing")
        assert pricing.source == "baidu" and pricing.keyword == "mes system"

        page.evaluate("accord('event', 'video_watch', {video: 'line demo'})")
        _eventually(lambda: "video_watch" in {
            a.type for a in contact_view(store, brand.caller, view.id).activities})  # fmt: skip
    finally:
        context.close()
        server.stop()
        site.shutdown()
