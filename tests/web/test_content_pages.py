"""The content library in the console, as a marketer does it without the API: a white paper
added behind a form, its PDF uploaded (a file that is not one refused), published, its page
and QR code; the list in Chinese."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from accord.leads.forms import save_form
from tests.web.conftest import csrf_of, sign_in

PDF = b"%PDF-1.4\n% white paper\n%%EOF\n"


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_marketer_publishes_a_gated_white_paper(client, manager):
    brand, user = manager
    form = save_form(brand.store, brand.caller, {
        "name": "Get the paper", "fields": [{"name": "email", "required": True}]})  # fmt: skip
    sign_in(client, user.email)
    page = client.get("/console/content")
    assert page.status_code == 200 and "Nothing here yet." in page.text
    csrf = csrf_of(page.text)
    fields = {"csrf": csrf, "kind": "white_paper", "title": "Data platforms in pharma",
              "summary": "What auditors ask for", "tags": "GMP, audit", "form_id": form.id,
              "url": "not a link", "published": "yes"}  # fmt: skip
    refused = client.post(
        "/console/content",
        content=urlencode(fields),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert refused.status_code == 422 and "https://" in _text(refused.text)
    assert "Data platforms in pharma" in refused.text  # kept as typed
    saved = client.post(
        "/console/content",
        content=urlencode(fields | {"url": ""}),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert saved.status_code == 303
    path = saved.headers["location"].split("?")[0]
    item_id = path.rsplit("/", 1)[1]
    bad = client.post(
        f"{path}/file",
        data={"csrf": csrf},
        files={"file": ("paper.pdf", b"MZ nothing", "application/pdf")},
    )
    assert bad.status_code == 422 and "is not a PDF" in bad.text
    good = client.post(
        f"{path}/file", data={"csrf": csrf}, files={"file": ("paper.pdf", PDF, "application/pdf")}
    )
    assert good.status_code == 303
    shown = _text(client.get(f"{path}?saved=file").text)
    assert "The file is uploaded." in shown and "paper.pdf" in shown
    assert f"/content/{item_id}" in shown
    code = client.get(f"{path}/qr.png")
    assert code.status_code == 200 and code.content.startswith(b"\x89PNG")
    public = client.get(f"/content/{item_id}")
    assert "Tell us who you are" in public.text and 'name="email"' in public.text
    client.cookies.set("accord_lang", "zh_Hans")
    zh = _text(client.get("/console/content").text)
    assert "内容库" in zh and "白皮书" in zh and "需填表" in zh
    assert "Content library" not in zh and "White paper" not in zh
