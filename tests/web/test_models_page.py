"""The console's attribution models page: every model side by side per partner or partner
type, the chart, a sentence per partner, both languages, and the empty state."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

from tests.factories import add_partner, click, convert
from tests.web.conftest import sign_in

URL = "/console/reports/models"


def _journeys(store, brand):
    """ORD-1: customer 1 clicks content partner A and buys -> (A); a day later customer 1
    clicks coupon partner B and buys -> (A, B); customer 2 clicks B and buys -> (B).
    By hand: last click A 1, B 2; Markov (order 1) 1.5 each (see test_models_insight)."""
    a = add_partner(brand, partner_type="content")
    b = add_partner(brand, partner_type="b2b_referral")
    convert(brand, "ORD-1", customer_id="cust-1", click_id=click(brand, a))
    store.clock.advance(timedelta(days=1))
    convert(brand, "ORD-2", customer_id="cust-1", click_id=click(brand, b))
    convert(brand, "ORD-3", customer_id="cust-2", click_id=click(brand, b))
    return a, b


def _signed_in(client, store, manager, journeys=True):
    """The manager signed in after the journeys (a day on the clock) were made."""
    brand, user = manager
    made = _journeys(store, brand) if journeys else None
    sign_in(client, user.email)
    return brand, made


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_the_page_compares_every_model_per_partner(client, store, manager):
    brand, _ = _signed_in(client, store, manager)
    page = client.get(f"{URL}?program={brand.program_id}")
    assert page.status_code == 200, page.text
    text = _text(page.text)
    for column in ("Last click", "First click", "Linear", "Position-based", "Time decay",
                   "Markov", "Shapley", "Ordered Shapley", "Role"):  # fmt: skip
        assert column in text, column
    assert 'aria-current="page">Attribution models' in page.text
    assert "What the models mean" in text
    assert "Introducer" in text and "Closer" in text
    # A: last click 1, Markov 1.5 -> 50% more; B: 2 -> 1.5, 25% less
    assert "introduces customers: 50.0% of its touches are first touches; Markov" in text
    assert "Markov credits it 50.0% more than last click." in text
    assert "Markov credits it 25.0% less than last click." in text
    assert "B2B referral" in text and "b2b_referral" not in text
    chart = json.loads(re.search(r'id="models-data">(.*?)</script>', page.text, re.S).group(1))
    assert chart["values"]["markov"] == [1.5, 1.5]
    assert sorted(chart["values"]["last_touch"]) == [1, 2]
    assert "ordered_shapley" not in chart["models"]


def test_partner_types_and_order_are_chosen_on_the_page(client, store, manager):
    brand, _ = _signed_in(client, store, manager)
    page = client.get(f"{URL}?program={brand.program_id}&by=partner_type&order=3")
    assert page.status_code == 200
    text = _text(page.text)
    assert "(order 3)" in text
    assert "Content site or blog introduces customers" in text
    assert '<option value="3" selected>' in page.text
    chart = json.loads(re.search(r'id="models-data">(.*?)</script>', page.text, re.S).group(1))
    assert sorted(chart["names"]) == ["B2B referral", "Content site or blog"]
    bad = client.get(f"{URL}?program={brand.program_id}&order=9")
    assert bad.status_code == 422 and "order" in bad.text


def test_the_page_speaks_chinese(client, store, manager):
    brand, _ = _signed_in(client, store, manager)
    client.cookies.set("accord_lang", "zh_Hans")
    page = client.get(f"{URL}?program={brand.program_id}")
    assert page.status_code == 200
    text = _text(page.text)
    for words in (
        "归因模型",
        "末次点击",
        "马尔可夫链",
        "沙普利值",
        "引入者",
        "成交者",
        "各模型的含义",
    ):
        assert words in text, words
    assert "负责引入顾客" in text
    assert "Last click" not in text and "introduces" not in text


def test_a_program_without_multi_touch_journeys_says_so(client, store, manager):
    brand, _ = _signed_in(client, store, manager, journeys=False)
    partner = add_partner(brand)
    convert(brand, "ORD-1", click_id=click(brand, partner))
    page = client.get(f"{URL}?program={brand.program_id}")
    assert page.status_code == 200
    text = _text(page.text)
    assert "No journey with more than one partner touch yet" in text
    assert "1 conversions in this period had a single touch" in text
    assert "models-data" not in page.text


def test_the_table_is_exported(client, store, manager):
    brand, (_, b) = _signed_in(client, store, manager)
    csv = client.get(f"/console/reports/models.csv?program={brand.program_id}")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    header, *rows = csv.text.splitlines()
    assert header.startswith("key,name,partner_type,last_touch_conversions")
    assert any(r.startswith(b.id) and ",2.0000," in r for r in rows)
    xlsx = client.get(f"/console/reports/models.xlsx?program={brand.program_id}")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_another_brands_program_is_not_shown(client, store, manager):
    brand, _ = _signed_in(client, store, manager)
    from tests.factories import make_brand

    other = make_brand(store)
    page = client.get(f"{URL}?program={other.program_id}")
    # the visitor's own program is shown instead
    assert page.status_code == 200
    assert f'name="program" value="{brand.program_id}"' in page.text
    assert f'name="program" value="{other.program_id}"' not in page.text
