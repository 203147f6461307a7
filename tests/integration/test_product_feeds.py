"""Product feeds: a brand loads a CSV (each unusable row named), partners download it as
CSV or XML with their own link to every product, and a feed loaded again replaces it."""

from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest

from accord.engage import feeds
from accord.errors import Conflict, InvalidInput
from accord.tracking.service import target_of
from tests.factories import add_partner, make_brand

FEED = (
    "SKU,Title,Price,URL,Image URL,Category,Availability,Description\n"
    "T-1,Ridge 2 tent,249.00,https://brand.example/p/ridge-2,https://cdn.example/r.jpg,Tents,"
    "in stock,Two-person tent\n"
    'T-2,=HYPERLINK("x"),19.90,https://brand.example/p/stakes,,Parts,out of stock,\n'
    "T-3,Bad price,cheap,https://brand.example/p/x,,,,\n"
    "T-4,Elsewhere,10.00,https://evil.example/p,,,,\n"
    "T-1,Again,1.00,https://brand.example/p/again,,,,\n"
    "T-5,Yen,1200 JPY,https://brand.example/p/yen,,,,\n"
)


def test_a_feed_loads_and_partners_get_their_own_links(store):
    brand = make_brand(store)
    partner, other = add_partner(brand), add_partner(brand)
    result = feeds.load_feed(store, brand.caller, brand.program_id, FEED)
    assert result.loaded == 3
    assert {(r["line"], r["field"]) for r in result.left_out} == {
        (4, "price"), (5, "url"), (6, "sku")}  # fmt: skip
    body, media = feeds.partner_feed(store, partner.caller, brand.program_id,
                                     "https://t.example", "csv")  # fmt: skip
    assert media.startswith("text/csv")
    rows = {r["sku"]: r for r in csv.DictReader(io.StringIO(body))}
    assert set(rows) == {"T-1", "T-2", "T-5"}
    assert rows["T-2"]["title"].startswith("'=")  # no formula for a spreadsheet to run
    assert rows["T-5"]["currency"] == "JPY" and rows["T-5"]["price"] == "1200"
    link = urlsplit(rows["T-1"]["link"])
    assert parse_qs(link.query)["url"] == ["https://brand.example/p/ridge-2"]
    target = target_of(store, link.path.rsplit("/", 1)[-1])
    assert target.partner_id == partner.id  # the partner's own link
    theirs, _ = feeds.partner_feed(store, other.caller, brand.program_id, "https://t.example",
                                   "csv")  # fmt: skip
    assert rows["T-1"]["link"] not in theirs

    xml, media = feeds.partner_feed(store, partner.caller, brand.program_id,
                                    "https://t.example", "xml")  # fmt: skip
    assert media.startswith("application/xml")
    ns = {"g": "http://base.google.com/ns/1.0"}
    items = ElementTree.fromstring(xml).findall("./channel/item")
    assert [i.find("g:id", ns).text for i in items] == ["T-1", "T-2", "T-5"]
    assert items[0].find("g:price", ns).text == "249.00 USD"
    assert items[1].find("g:availability", ns).text == "out_of_stock"

    lamp = "sku,title,price,url\nT-9,Lamp,5,https://brand.example/p/lamp\n"
    again = feeds.load_feed(store, brand.caller, brand.program_id, lamp)
    assert (again.loaded, again.removed) == (1, 3)
    assert [p.sku for p in feeds.products(store, brand.caller, brand.program_id)] == ["T-9"]


def test_a_feed_without_its_columns_or_for_a_partner_not_approved_is_refused(store):
    brand = make_brand(store)
    with pytest.raises(InvalidInput, match="lacks price, url"):
        feeds.load_feed(store, brand.caller, brand.program_id, "sku,title\nA,B\n")
    waiting = add_partner(brand, approved=False)
    with pytest.raises(Conflict):
        feeds.partner_feed(store, waiting.caller, brand.program_id, "https://t", "csv")
