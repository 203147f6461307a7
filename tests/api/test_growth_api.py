"""The growth, mix and diagnostics reports and incrementality tests over the API.

A coupon partner: 100.00 from a returning customer on 5 Oct 2026, 100.00 and 300.00 from
returning customers on 1 Nov 2026 (a promotion day; 5 Oct is not): +300.00 in all, made of
+400.00 on promotion days and -100.00 on steady days (400 / 300 = 133.33% of the change):
narrow and promotion-bound.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tests.factories import add_partner, click, convert


def auth(brand) -> dict[str, str]:
    return {"Authorization": f"Bearer {brand.api_key}"}


def seed(brand):
    coupon = add_partner(brand, partner_type="coupon")
    now = brand.store.clock.now()
    brand.store.clock.set(datetime(2026, 10, 5, 9, tzinfo=UTC))
    convert(brand, amount="100.00", click_id=click(brand, coupon), customer_status="returning")
    brand.store.clock.set(now)
    for amount in ("100.00", "300.00"):
        convert(brand, amount=amount, click_id=click(brand, coupon), customer_status="returning")
    return coupon


def test_growth_report(client, brand):
    seed(brand)
    url = f"/api/v1/programs/{brand.program_id}/reports/growth"
    query = {
        "current_since": "2026-11-01",
        "current_until": "2026-11-01",
        "previous_since": "2026-10-05",
        "previous_until": "2026-10-05",
    }
    body = client.get(url, params=query, headers=auth(brand)).json()
    assert body["change"] == {"amount": "300.00", "currency": "USD"}
    assert body["verdict"] == "narrow_promotion"
    assert body["promotion_share"] == "1.3333"
    days = {p["key"]: p["change"]["amount"] for p in body["days"]}
    assert days == {"promotion": "400.00", "steady": "-100.00"}
    assert body["sentences"][0]["text"].startswith(
        "Growth is narrow and promotion-bound: revenue rose by 300.00 USD (300.0%)"
    )
    assert body["sentences"][0]["link"].startswith("/console/reports?program=")
    assert client.get(url, params={"preset": "1111"}, headers=auth(brand)).status_code == 200
    # 5 Oct made a promotion day too: previous promotion 100.00, current 400.00
    extra = {**query, "promotion": ["2026-10-04:2026-10-06"]}
    body = client.get(url, params=extra, headers=auth(brand)).json()
    days = {p["key"]: p["change"]["amount"] for p in body["days"]}
    assert days == {"promotion": "300.00", "steady": "0.00"}
    wrong = client.get(url, params={**query, "promotion": "2026-10-06"}, headers=auth(brand))
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "promotion"
    half = client.get(url, params={"current_since": "2026-11-01"}, headers=auth(brand))
    assert half.status_code == 422 and half.json()["error"]["field"] == "current_since"
    bad = client.get(url, params={**query, "previous_until": "2026-11-30"}, headers=auth(brand))
    assert bad.status_code == 422


def test_mix_and_diagnostics(client, brand):
    seed(brand)
    base = f"/api/v1/programs/{brand.program_id}/reports"
    mix = client.get(f"{base}/mix", headers=auth(brand)).json()
    assert mix["stage"] == mix["inferred_stage"] == "starting"
    assert "content_and_reviews" in mix["lacking"] and "coupons_and_deals" not in mix["lacking"]
    coupon = next(r for r in mix["rows"] if r["partner_type"] == "coupons_and_deals")
    # the last 90 days to 1 Nov hold all three sales: 500.00, all of it coupon's
    assert coupon["revenue"]["amount"] == "500.00" and coupon["share"] == "1.0000"
    grown = client.get(f"{base}/mix", params={"stage": "mature"}, headers=auth(brand)).json()
    assert "business_partners" in grown["lacking"]
    diag = client.get(f"{base}/diagnostics", headers=auth(brand)).json()
    # 5% of the 1 Nov returning sales: 20.00 (the 5 Oct sale predates the contract and
    # earned nothing); lifetime value 500.00 - 20.00
    assert diag["program"]["lifetime_value"]["amount"] == "480.00"
    assert diag["program"]["engagement_rate"] == "1.0000"
    assert diag["program"]["new_customer_share"] == "0.0000"
    assert (
        client.get(f"{base}/mix", params={"stage": "old"}, headers=auth(brand)).status_code == 422
    )


def test_holdout_lifecycle(client, brand):
    coupon = seed(brand)
    base = f"/api/v1/programs/{brand.program_id}/holdouts"
    made = client.post(
        base,
        json={
            "name": "Coupon held out",
            "design": "traffic",
            "scope_kind": "partner",
            "scope": coupon.id,
            "since": "2026-10-01",
            "until": "2026-11-01",
            "share": "0.5",
        },
        headers=auth(brand),
    )
    assert made.status_code == 201, made.text
    test_id = made.json()["id"]
    waiting = client.get(f"{base}/{test_id}/result", headers=auth(brand)).json()
    assert waiting["ready"] is False
    counts = {
        "held": {"visitors": 1000, "conversions": 150},
        "exposed": {"visitors": 1000, "conversions": 200},
    }
    assert (
        client.put(f"{base}/{test_id}/counts", json=counts, headers=auth(brand)).status_code == 200
    )
    result = client.get(f"{base}/{test_id}/result", headers=auth(brand)).json()
    # 200/1000 against 150/1000: z 2.94245, p 0.0032563; 50 more conversions, at the
    # coupon's average order in the period (3 sales, 500.00: 166.666...) = 8333.33
    assert result["z"] == "2.94245" and result["p_value"] == "0.00325627"
    assert result["incremental_conversions"] == "50"
    assert result["incremental_revenue"] == {"amount": "8333.33", "currency": "USD"}
    assert result["too_small"] is False and result["warning"] is None
    assert [t["id"] for t in client.get(base, headers=auth(brand)).json()] == [test_id]
    assert client.delete(f"{base}/{test_id}", headers=auth(brand)).status_code == 204
    assert client.get(f"{base}/{test_id}", headers=auth(brand)).status_code == 404
    wrong = client.post(
        base,
        json={
            "name": "x",
            "design": "traffic",
            "scope_kind": "partner",
            "scope": coupon.id,
            "since": "2026-10-01",
            "until": "2026-11-01",
        },
        headers=auth(brand),
    )
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "share"
