"""The growth quality and partner mix pages, in English and Chinese.

The program: a coupon partner with a 100.00 sale from a returning customer on 5 Oct 2026
and 100.00 + 300.00 from returning customers on 1 Nov 2026 (双十一 season): revenue 100.00
then 400.00, +300.00 (+400.00 on promotion days, -100.00 on steady ones), all from returning
customers, one partner.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.factories import add_partner, click, convert
from tests.web.conftest import csrf_of, sign_in

NOVEMBER = (
    "current_since=2026-11-01&current_until=2026-11-01"
    "&previous_since=2026-10-05&previous_until=2026-10-05"
)


def narrow_program(brand):
    coupon = add_partner(brand, partner_type="coupon")
    now = brand.store.clock.now()
    brand.store.clock.set(datetime(2026, 10, 5, 9, tzinfo=UTC))
    convert(brand, amount="100.00", click_id=click(brand, coupon), customer_status="returning")
    brand.store.clock.set(now)
    for amount in ("100.00", "300.00"):
        convert(brand, amount=amount, click_id=click(brand, coupon), customer_status="returning")
    return coupon


def test_growth_page_says_narrow_and_promotion_bound_in_both_languages(client, manager):
    brand, user = manager
    narrow_program(brand)
    sign_in(client, user.email)
    url = f"/console/reports/growth?program={brand.program_id}&{NOVEMBER}"
    page = client.get(url)
    assert page.status_code == 200, page.text
    text = page.text
    assert "Growth is narrow and promotion-bound: revenue rose by $300.00 (300.0%)" in text
    assert 'id="waterfall-data"' in text and "b2b_referral" not in text
    assert f"/console/reports?program={brand.program_id}&amp;since=2026-11-01" in text
    client.cookies.set("accord_lang", "zh_Hans")
    chinese = client.get(url).text
    assert "增长面窄且依赖促销\uff1a收入增长 US$300.00\uff08300.0%\uff09" in chinese
    assert "How growth is judged" not in chinese and "如何评估增长" in chinese
    # 5 Oct counted as a promotion day too: the steady days no longer fall
    extra = client.get(f"{url}&promotions=2026-10-05:2026-10-05").text
    assert "平常日带来 US$0.00" in extra
    for preset in ("month", "30days", "1111"):
        assert client.get(f"{url}&preset={preset}").status_code == 200
    bad = client.get(
        f"/console/reports/growth?program={brand.program_id}&current_since=x"
        "&current_until=y&previous_since=2026-01-01&previous_until=2026-01-02"
    )
    assert bad.status_code == 422


def test_growth_page_without_revenue_says_so(client, manager):
    brand, user = manager
    sign_in(client, user.email)
    page = client.get(f"/console/reports/growth?program={brand.program_id}")
    assert page.status_code == 200
    assert "No revenue in either period" in page.text


def test_mix_page_with_a_test_defined_from_the_form(client, manager):
    brand, user = manager
    coupon = narrow_program(brand)
    sign_in(client, user.email)
    url = f"/console/reports/mix?program={brand.program_id}"
    page = client.get(url)
    assert page.status_code == 200, page.text
    assert "Types the program lacks" in page.text and "No test yet" in page.text
    form = {
        "csrf": csrf_of(page.text),
        "program": brand.program_id,
        "name": "Coupon off",
        "design": "switched_off",
        "scope_kind": "partner",
        "partner": coupon.id,
        "partner_type": "coupon",
        "since": "2026-10-10",
        "until": "2026-10-19",
    }
    made = client.post(f"/console/programs/{brand.program_id}/holdouts", data=form)
    assert made.status_code == 303
    page = client.get(url).text
    assert "Coupon off" in page and "Too small a sample" in page
    client.cookies.set("accord_lang", "zh_Hans")
    chinese = client.get(url).text
    assert "样本太小" in chinese and "优惠券" in chinese
    assert not re.search(r">\s*(coupon|b2b_referral|starting)\s*<", chinese)
    traffic = {**form, "design": "traffic", "name": "Half held", "share": "50%"}
    tests = f"/console/programs/{brand.program_id}/holdouts"
    assert client.post(tests, data=traffic).status_code == 303
    assert (
        client.post(
            f"/console/programs/{brand.program_id}/holdouts", data={**form, "design": "dice"}
        ).status_code
        == 422
    )
