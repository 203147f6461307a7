"""The performance report over the API: a page with totals, files of the whole report,
validation naming the field, and each key seeing what it may.

The program (USD; 10% on sales from new customers, 5% from returning ones), 1 Nov 2026:
A: 3 clicks, sale 200.00 new from US on mobile (20.00);
B: 1 click, sale 80.00 returning from DE on desktop (4.00);
nobody: sale 40.00 new from US (no commission).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile

from tests.api.support import Api
from tests.factories import add_partner, convert, make_brand
from tests.reports.builders import clicks_at


def world(store):
    brand = make_brand(store)
    a, b = add_partner(brand), add_partner(brand, partner_type="coupon")
    first = clicks_at(brand, a, 3)
    convert(brand, amount="200.00", click_id=first, customer_status="new", country="US",
            device_type="mobile")  # fmt: skip
    other = clicks_at(brand, b, 1)
    convert(brand, amount="80.00", click_id=other, customer_status="returning", country="DE",
            device_type="desktop")  # fmt: skip
    convert(brand, amount="40.00", customer_status="new", country="US")
    return brand, a, b


def path(brand, suffix: str = "") -> str:
    return f"/programs/{brand.program_id}/reports/performance{suffix}"


def test_a_page_of_rows_with_the_totals_of_all(client, store):
    brand, a, b = world(store)
    api = Api(client, brand.api_key)
    body = api.ok(path(brand), sort="-revenue", limit=1)
    assert (body["total"], body["currency"], body["limit"]) == (2, "USD", 1)
    [row] = body["rows"]
    assert (row["partner_id"], row["clicks"], row["revenue"], row["commissions"]) == (
        a.id, 3, "200.00", "20.00"
    )  # fmt: skip
    assert (row["epc"], row["roas"], row["aov"]) == ("6.6667", "10.0000", "200.00")  # 20/3
    totals = body["totals"]  # A and B: the unattributed sale is no partner's row
    assert (totals["clicks"], totals["conversions"], totals["revenue"]) == (4, 2, "280.00")
    second = api.ok(path(brand), sort="-revenue", limit=1, offset=1)["rows"]
    assert [r["partner_id"] for r in second] == [b.id]


def test_by_country_and_month_clicks_are_none(client, store):
    brand, _, _ = world(store)
    api = Api(client, brand.api_key)
    body = api.ok(path(brand), group_by="country", grain="month", sort="-conversions")
    rows = [(r["bucket"], r["country"], r["conversions"], r["clicks"]) for r in body["rows"]]
    assert rows == [("2026-11-01", "US", 2, None), ("2026-11-01", "DE", 1, None)]
    assert body["totals"]["revenue"] == "320.00"  # 200 + 80 + 40
    assert body["rows"][0]["new_conversions"] == 2 and body["rows"][0]["new_revenue"] == "240.00"


def test_files_hold_the_whole_report(client, store):
    brand, a, b = world(store)
    api = Api(client, brand.api_key)
    text = api.get(path(brand, ".csv"), group_by="device", sort="device")
    assert text.status_code == 200 and text.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text.text)))
    assert [(r["device"], r["revenue"]) for r in rows] == [
        ("desktop", "80.00"), ("mobile", "200.00"), ("", "40.00")
    ]  # fmt: skip
    data = json.loads(api.get(path(brand, ".json"), limit=1).text)
    assert {r["partner_id"] for r in data} == {a.id, b.id}
    book = zipfile.ZipFile(io.BytesIO(api.get(path(brand, ".xlsx")).content))
    sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert sheet.count("<row ") == 3  # the header and two partners
    assert "partner_name" in book.read("xl/sharedStrings.xml").decode()


def test_bad_parameters_are_422_naming_the_field(client, store):
    brand, _, _ = world(store)
    api = Api(client, brand.api_key)
    for params, field in (
        ({"group_by": "city"}, "group_by"),
        ({"sort": "-fees"}, "sort"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-12-01", "until": "2026-11-01"}, "until"),
        ({"limit": 0}, "limit"),
        ({"country": "USA"}, "country"),
        ({"device": "phone"}, "device"),
    ):
        answer = api.get(path(brand), **params)
        assert answer.status_code == 422, (params, answer.text)
        assert field in answer.text, (params, answer.text)


def test_a_partner_key_sees_its_own_rows_and_another_brand_nothing(client, store):
    brand, a, b = world(store)
    mine = Api(client, b.api_key).ok(path(brand), partner_id=a.id)
    assert [r["partner_id"] for r in mine["rows"]] == [b.id]
    assert mine["totals"]["revenue"] == "80.00"
    other = make_brand(store)
    assert Api(client, other.api_key).get(path(brand)).status_code == 404
    assert Api(client, other.api_key).get(path(brand, ".csv")).status_code == 404
