"""The performance pages: the console's report (English and Chinese, sorting both ways,
downloads that parse) and the portal's, where a partner sees only its own rows.

The program (USD; 10% on sales from new customers), today Sun 1 Nov 2026:
A ("content"): 3 clicks with sub-id "spring", a sale of 200.00 from a new customer in
Germany on a phone (20.00); B ("coupon"): 1 click, a sale of 80.00 from the US on a tablet
(8.00), code SAVE10.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import pytest

from accord.partners import taxonomy
from accord.tenancy.service import authenticate, create_user
from accord.tracking.model import new_click_id
from accord.tracking.service import click_row, link_target, record_clicks
from tests.factories import add_partner, convert
from tests.web.conftest import PASSWORD, sign_in, unique_email

ZH = {"accord_lang": "zh_Hans"}


def clicks(brand, partner, count, sub1=None) -> str:
    with brand.store.read() as session:
        target = link_target(session, partner.link_code)
    rows = [click_row(target, new_click_id(), brand.store.clock.now(), "203.0.113.7", "pytest",
                      None, subs={"sub1": sub1}) for _ in range(count)]  # fmt: skip
    record_clicks(brand.store, rows)
    return rows[0]["id"]


@pytest.fixture
def program(client, manager):
    brand, user = manager
    a, b = add_partner(brand), add_partner(brand, partner_type="coupon")
    convert(brand, amount="200.00", click_id=clicks(brand, a, 3, "spring"),
            customer_status="new", country="DE", device_type="mobile")  # fmt: skip
    convert(brand, amount="80.00", click_id=clicks(brand, b, 1), customer_status="new",
            country="US", device_type="tablet", promo_code="SAVE10")  # fmt: skip
    sign_in(client, user.email)
    return brand, a, b


#: Names and product words a Chinese page may show as they are: file formats, the product,
#: the test program's and partners' names, a sub-id and the currency's code.
ALLOWED_IN_CHINESE = {"CSV", "Excel", "JSON", "Accord", "Test", "program", "Partner", "spring",
                      "USD"}  # fmt: skip
#: and platforms' own names in the Chinese names of partner types (YouTube 创作者)
ALLOWED_IN_CHINESE |= {w for k in taxonomy.KINDS for w in re.findall(r"[A-Za-z]{3,}", k.zh)}


def english_words(html: str) -> set[str]:
    """Latin words of three letters or more that a reader sees in the page's main part."""
    main = html[html.index("<main") :]
    main = re.sub(r"<script.*?</script>|<style.*?</style>", " ", main, flags=re.S)
    visible = re.sub(r"<[^>]+>|Partner \w{4}", " ", main)  # the test partners' names
    return set(re.findall(r"[A-Za-z]{3,}", visible))


def page(client, brand, cookies=None, **params):
    query = {"program": brand.program_id, **params}
    for name, value in (cookies or {"accord_lang": "en"}).items():
        client.cookies.set(name, value)
    answer = client.get("/console/reports", params=query)
    assert answer.status_code == 200, answer.text
    return answer.text


def test_the_report_by_partner_links_names_and_adds_up(client, program):
    brand, a, b = program
    html = page(client, brand)
    assert f'href="/console/partners/{a.id}?program={brand.program_id}"' in html
    assert "$200.00" in html and "$280.00" in html  # A's revenue, and the totals row
    assert "10.00\u00d7" in html  # A's ROAS: 200 / 20
    assert 'id="perf-chart-data"' in html and '"kind": "bar"' in html
    assert html.index(a.id) < html.index(b.id)  # most commissions first


def test_headers_sort_both_ways(client, program):
    brand, a, b = program
    html = page(client, brand, sort="-roas")  # B: 80 / 8 = 10.00, A: 200 / 20 = 10.00: ties by name
    assert 'aria-sort="descending"' in html and "sort=roas" in html
    asc = page(client, brand, sort="clicks")
    assert asc.index(b.id) < asc.index(a.id)  # 1 click before 3
    assert 'aria-sort="ascending"' in asc and "sort=-clicks" in asc


def test_labels_are_words_in_english_and_chinese(client, program):
    brand, _, _ = program
    english = page(client, brand, by="country")
    assert "Germany" in english and "United States" in english and ">DE<" not in english
    chinese = page(client, brand, ZH, by="country")
    assert "德国" in chinese and "美国" in chinese
    devices = page(client, brand, ZH, by="device", grain="day")
    assert "平板电脑" in devices or "平板" in devices
    types = page(client, brand, by="partner_type")
    assert "Coupon site" in types and "Content site or blog" in types
    for html in (chinese, devices, page(client, brand, ZH), page(client, brand, ZH, by="sub_id")):
        assert english_words(html) <= ALLOWED_IN_CHINESE, english_words(html) - ALLOWED_IN_CHINESE


def test_by_day_draws_a_line_and_an_empty_period_says_so(client, program):
    brand, _, _ = program
    html = page(client, brand, by="", grain="day")
    assert '"kind": "line"' in html and "Total" in html
    empty = page(client, brand, period="custom", since="2026-01-01", until="2026-01-31")
    assert "Nothing to show yet" in empty and "perf-chart" not in empty


def test_bad_choices_name_the_field(client, program):
    brand, _, _ = program
    answer = client.get("/console/reports", params={"program": brand.program_id, "country": "USA"})
    assert answer.status_code == 422 and "country" in answer.text
    answer = client.get("/console/reports", params={"program": brand.program_id, "sort": "fees"})
    assert answer.status_code == 422 and "sort" in answer.text


def test_downloads_hold_the_whole_report_and_parse(client, program):
    brand, _, _ = program
    query = {"program": brand.program_id, "by": "country", "sort": "country"}
    text = client.get("/console/reports/performance.csv", params=query)
    assert text.status_code == 200
    rows = list(csv.DictReader(io.StringIO(text.text)))
    assert [(r["country"], r["revenue"], r["clicks"]) for r in rows] == [
        ("DE", "200.00", ""), ("US", "80.00", "")
    ]  # fmt: skip
    data = json.loads(client.get("/console/reports/performance.json", params=query).text)
    assert [r["commissions"] for r in data] == ["20.00", "8.00"]
    book = client.get("/console/reports/performance.xlsx", params=query).content
    assert zipfile.ZipFile(io.BytesIO(book)).read("xl/worksheets/sheet1.xml").count(b"<row ") == 3


def test_a_partner_sees_only_its_own_rows_in_the_portal(client, program, store):
    brand, a, _ = program
    email = unique_email("partner")
    create_user(store, authenticate(store, a.api_key).organization_id, email, PASSWORD)
    client.cookies.clear()
    sign_in(client, email)
    html = client.get("/portal/reports", params={"program": brand.program_id}).text
    assert 'href="/portal/reports?program=' in html  # the portal's nav
    assert "$200.00" in html and "$80.00" not in html and '"kind": "line"' in html
    subs = client.get("/portal/reports", params={"program": brand.program_id, "by": "sub_id"})
    assert "spring" in subs.text and "No sub-id" not in subs.text
    client.cookies.set("accord_lang", "zh_Hans")
    zh = client.get("/portal/reports", params={"program": brand.program_id, "by": "country"}).text
    assert english_words(zh) <= ALLOWED_IN_CHINESE, english_words(zh) - ALLOWED_IN_CHINESE
    client.cookies.set("accord_lang", "en")
    assert "德国" in zh and "美国" not in zh
    text = client.get("/portal/reports.csv", params={"program": brand.program_id, "by": "country"})
    rows = list(csv.DictReader(io.StringIO(text.text)))
    assert [(r["country"], r["revenue"]) for r in rows] == [("DE", "200.00")]
    refused = client.get("/portal/reports", params={"program": brand.program_id, "by": "partner"})
    assert refused.status_code == 422


def test_the_line_has_a_point_for_every_day_of_the_period(client, program):
    brand, _, _ = program
    html = page(client, brand, by="", grain="day", period="7d")  # 26 Oct to 1 Nov
    data = json.loads(re.search(r'id="perf-chart-data">(.*?)</script>', html, re.S).group(1))
    assert data["keys"][0] == "2026-10-26" and data["keys"][-1] == "2026-11-01"
    assert data["conversions"] == [0, 0, 0, 0, 0, 0, 2]  # both sales today
    assert data["revenue"][-1] == "280.00"
