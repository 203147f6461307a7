"""The content library as readers and a marketer meet it: a white paper behind a form is
read, asked for, and downloaded through the reader's own link, each step an activity of the
same person; a free item downloads for anyone; a share link credits the sharer and brings
people counted as from a share; files that are not what they claim, too large, other
brands' items and unpublished pages are refused."""

from __future__ import annotations

import warnings

import pytest

from accord.errors import InvalidInput, NotFound
from accord.leads import content as library
from accord.leads.forms import save_form
from accord.leads.service import contact_view, contacts_page
from accord.server import AccordApp
from accord.settings import Settings
from tests.factories import make_brand

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

PDF = b"%PDF-1.4\n% a white paper\n%%EOF\n"


def _client(store):
    return TestClient(AccordApp(store, Settings()), raise_server_exceptions=False,
                      follow_redirects=False)  # fmt: skip


@pytest.fixture
def paper(store):
    brand = make_brand(store)
    form = save_form(store, brand.caller, {
        "name": "Get the white paper", "activity": "download",
        "fields": [{"name": "name", "required": True}, {"name": "email", "required": True}],
        "consents": [{"purpose": "marketing", "text": "Send me news"}]})  # fmt: skip
    item = library.save_content(store, brand.caller, {
        "kind": "white_paper", "title": "Data platforms in pharma", "tags": "GMP, audit",
        "summary": "What auditors ask for", "form_id": form.id, "published": True})  # fmt: skip
    library.put_file(store, brand.caller, item.id, "paper.pdf", "application/pdf", PDF)
    return brand, item


def test_a_gated_white_paper_is_read_asked_for_and_downloaded_by_one_person(store, paper):
    brand, item = paper
    with _client(store) as reader:
        page = reader.get(f"/content/{item.id}?utm_source=linkedin&utm_campaign=gmp")
        assert page.status_code == 200 and "Data platforms in pharma" in page.text
        vid = reader.cookies.get("_accord_vid")
        assert vid and len(vid) == 32
        assert reader.get(f"/content/{item.id}/file").status_code == 403  # the form first
        refused = reader.post(f"/content/{item.id}", data={"name": "Li", "email": "not mail"})
        assert refused.status_code == 422 and 'aria-invalid="true"' in refused.text
        sent = reader.post(f"/content/{item.id}", data={
            "name": "Li Wei", "email": "li@acme.example", "consent.marketing": "yes"})  # fmt: skip
        assert sent.status_code == 200
        link = sent.text.split(f'href="/content/{item.id}/file?t=')[1].split('"')[0]
        got = reader.get(f"/content/{item.id}/file?t={link}")
        assert got.status_code == 200 and got.content == PDF
        assert got.headers["content-type"] == "application/pdf"
        assert "attachment" in got.headers["content-disposition"]
        assert reader.get(f"/content/{item.id}/file?t={'0' * 32}").status_code == 403
    [row] = contacts_page(store, brand.caller, search="li@acme.example").rows
    view = contact_view(store, brand.caller, row.id)
    kinds = sorted(a.type for a in view.activities)
    assert kinds == ["content_view", "download", "download"]  # the form's, and the file's
    read = next(a for a in view.activities if a.type == "content_view")
    assert read.subject == "Data platforms in pharma" and read.source == "linkedin"
    asked = next(a for a in view.activities if a.type == "download" and "form" in (a.data or {}))
    assert asked.subject == "Data platforms in pharma"
    assert view.consents["marketing"]["granted"] is True
    counted = library.content_of(store, brand.caller, item.id)
    assert (counted.views, counted.downloads) == (1, 1)


def test_a_share_link_credits_the_sharer_and_brings_people_from_a_share(store, paper):
    brand, item = paper
    with _client(store) as sharer:
        sharer.get(f"/content/{item.id}")
        sharer.post(f"/content/{item.id}", data={"name": "Li", "email": "li@share.example"})
        made = sharer.post(f"/content/{item.id}/share")
        vid = sharer.cookies.get("_accord_vid")
        assert f"/content/{item.id}?s={vid}" in made.text
    with _client(store) as friend:
        friend.get(f"/content/{item.id}?s={vid}")
        friend.post(f"/content/{item.id}", data={"name": "Wang", "email": "wang@share.example"})
    [li] = contacts_page(store, brand.caller, search="li@share.example").rows
    assert "share" in {a.type for a in contact_view(store, brand.caller, li.id).activities}
    [wang] = contacts_page(store, brand.caller, search="wang@share.example").rows
    came = next(a for a in contact_view(store, brand.caller, wang.id).activities
                if a.type == "content_view")  # fmt: skip
    assert came.source == "share"
    assert library.content_of(store, brand.caller, item.id).shares == 1


def test_a_free_item_downloads_for_anyone_and_drafts_are_not_shown(store):
    brand = make_brand(store)
    free = library.save_content(store, brand.caller, {
        "kind": "deck", "title": "Line overview", "published": True})  # fmt: skip
    library.put_file(store, brand.caller, free.id, "deck.pdf", "application/pdf", PDF)
    draft = library.save_content(store, brand.caller, {"kind": "article", "title": "Soon"})
    with _client(store) as anyone:
        assert anyone.get(f"/content/{free.id}/file").content == PDF
        assert anyone.get(f"/content/{draft.id}").status_code == 404
        assert anyone.get("/content/cnt_nothing").status_code == 404
        zh = anyone.get("/content/cnt_nothing", headers={"accept-language": "zh-CN"})
        assert "\u6b64\u9875\u9762\u4e0d\u53ef\u7528" in zh.text  # 此页面不可用


def test_bad_files_and_other_brands_are_refused(store, paper):
    brand, item = paper
    for name, media, data, message in [
        ("x.pdf", "application/pdf", b"MZ not a pdf", "is not a PDF"),
        ("x.exe", "application/x-msdownload", b"MZ", "upload a PDF"),
        ("x.pdf", "application/pdf", b"", "is empty"),
        ("x.pdf", "application/pdf", b"%PDF-" + b"0" * library.MAX_FILE, "at most 20 MiB"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            library.put_file(store, brand.caller, item.id, name, media, data)
        assert refused.value.field == "file" and message in refused.value.message
    other = make_brand(store)
    with pytest.raises(NotFound):
        library.content_of(store, other.caller, item.id)
    with pytest.raises(InvalidInput) as theirs:  # another brand's form cannot gate mine
        library.save_content(store, other.caller, {"kind": "article", "title": "X",
                                                   "form_id": item.form_id})  # fmt: skip
    assert theirs.value.field == "form_id"
    with pytest.raises(InvalidInput) as bad_tag:
        library.save_content(store, brand.caller, {"kind": "article", "title": "X",
                                                   "tags": ["<script>"]})  # fmt: skip
    assert bad_tag.value.field == "tags"
    assert library.library(store, brand.caller, tag="GMP")[0].id == item.id
    assert library.library(store, brand.caller, tag="nothing") == []
