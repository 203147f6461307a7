"""The directory over the API, as an integrating engineer and an attacker would call it: a
partner writes its profile, a brand searches and reads suggestions, partner types are
listed and a brand adds its own; bad input is refused naming the field."""

from __future__ import annotations

from accord.ids import short_code
from tests.factories import add_partner, click, convert, make_brand


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def test_profile_search_and_suggestions(client, brand):
    tag = "zq" + short_code(6).lower()
    other = make_brand(brand.store)
    listed = add_partner(other, partner_type="creator_bilibili", name=f"Camp Lab {tag}")
    body = {
        "listed": True, "headline": f"Gear teardowns {tag}", "countries": ["cn"],
        "languages": ["zh"], "verticals": ["outdoor", "electronics"],
        "audience": {"bilibili": 320000}, "social": {"bilibili": "camplab"},
    }  # fmt: skip
    saved = client.put("/api/v1/profile", json=body, headers=bearer(listed.api_key))
    assert saved.status_code == 200, saved.text
    assert saved.json()["countries"] == ["CN"] and saved.json()["listed"] is True
    mine = client.get("/api/v1/profile", headers=bearer(listed.api_key)).json()
    assert mine["audience"] == {"bilibili": 320000} and mine["partner_type"] == "creator_bilibili"

    for wrong, field in (
        ({"countries": ["XX"]}, "countries"),
        ({"audience": {"bilibili": -1}}, "audience.bilibili"),
        ({"partner_type": "creators"}, "partner_type"),
        ({"contact_email": "nobody"}, "contact_email"),
    ):
        refused = client.put("/api/v1/profile", json={**body, **wrong},
                             headers=bearer(listed.api_key))  # fmt: skip
        assert refused.status_code == 422, (wrong, refused.text)
        assert refused.json()["error"]["field"] == field
    too_many = client.put("/api/v1/profile", json={**body, "countries": ["CN"] * 31},
                          headers=bearer(listed.api_key))  # fmt: skip
    assert too_many.status_code == 422
    as_brand = client.put("/api/v1/profile", json=body, headers=bearer(brand.api_key))
    assert as_brand.status_code == 403

    found = client.get("/api/v1/directory", params={"q": tag, "type": "creators"},
                       headers=bearer(brand.api_key)).json()  # fmt: skip
    assert found["total"] == 1 and found["rows"][0]["partner_id"] == listed.id
    assert found["rows"][0]["group"] == "creators" and found["rows"][0]["status"] is None
    assert {"value": "outdoor", "count": 1} in found["facets"]["vertical"]
    bad = client.get("/api/v1/directory", params={"audience": "huge"},
                     headers=bearer(brand.api_key))  # fmt: skip
    assert bad.status_code == 422
    as_partner = client.get("/api/v1/directory", headers=bearer(listed.api_key))
    assert as_partner.status_code == 403
    profile = client.get(f"/api/v1/directory/{listed.id}", headers=bearer(brand.api_key))
    assert profile.status_code == 200 and profile.json()["social"] == {"bilibili": "camplab"}

    best = add_partner(brand, partner_type="creator_bilibili", name=f"Best {tag}")
    convert(brand, amount="300.00", click_id=click(brand, best))
    suggested = client.get(f"/api/v1/programs/{brand.program_id}/directory/suggestions",
                           params={"limit": 50}, headers=bearer(brand.api_key))  # fmt: skip
    assert suggested.status_code == 200
    ours = [s for s in suggested.json() if s["partner"]["partner_id"] == listed.id]
    assert ours and ours[0]["like"] == f"Best {tag}"
    assert {"kind": "type", "value": "creator_bilibili"} in ours[0]["reasons"]
    stranger = client.get(f"/api/v1/programs/{brand.program_id}/directory/suggestions",
                          headers=bearer(other.api_key))  # fmt: skip
    assert stranger.status_code == 404


def test_partner_types_and_a_brands_own(client, brand):
    types = client.get("/api/v1/partner-types", headers=bearer(brand.api_key)).json()
    codes = [t["code"] for g in types["groups"] for t in g["types"]]
    assert 60 <= len(codes) <= 80 and len(set(codes)) == len(codes)
    assert all(t["name_zh"] for g in types["groups"] for t in g["types"])
    assert {g["code"] for g in types["goals"]} >= {"clear_stock", "brand_story", "new_customers"}
    code = "swap_" + short_code(4).lower()
    made = client.post("/api/v1/partner-types", headers=bearer(brand.api_key),
                       json={"code": code, "group": "brand_to_brand", "name_en": "Swap shop",
                             "name_zh": "换物店"})  # fmt: skip
    assert made.status_code == 201 and made.json()["own"] is True
    twice = {"code": code, "group": "brand_to_brand", "name_en": "Again"}
    again = client.post("/api/v1/partner-types", headers=bearer(brand.api_key), json=twice)
    assert again.status_code == 409
    for wrong, field in (({"code": "Bad Code"}, "code"), ({"group": "weapons"}, "group"),
                         ({"code": "creators"}, "code")):  # fmt: skip
        refused = client.post("/api/v1/partner-types", headers=bearer(brand.api_key),
                              json={"code": "fine_one", "group": "search", "name_en": "X",
                                    **wrong})  # fmt: skip
        assert refused.status_code == 422 and refused.json()["error"]["field"] == field
    mine = client.get("/api/v1/partner-types", headers=bearer(brand.api_key)).json()
    b2b = next(g for g in mine["groups"] if g["code"] == "brand_to_brand")
    assert any(t["code"] == code and t["own"] for t in b2b["types"])
    other = make_brand(brand.store)
    theirs = client.get("/api/v1/partner-types", headers=bearer(other.api_key)).json()
    assert code not in [t["code"] for g in theirs["groups"] for t in g["types"]]


def test_moving_partners_from_impact_over_the_api(client, brand):
    from pathlib import Path

    text = Path(__file__).parent.parent / "fixtures" / "platforms" / "impact_partners.csv"
    url = f"/api/v1/programs/{brand.program_id}/partner-imports"
    headers = {**bearer(brand.api_key), "content-type": "text/csv"}
    answer = client.post(url, content=text.read_bytes(), headers=headers,
                         params={"partner_type": "review_site"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["platform"] == "impact"
    assert body["counts"] == {"created": 5, "rejected": 1, "duplicate": 1}
    rejected = next(r for r in body["rows"] if r["status"] == "rejected")
    assert rejected["row"] == 7 and rejected["field"] == "status"
    again = client.post(url, content=text.read_bytes(), headers=headers).json()
    assert again["counts"].get("created", 0) == 0
    wrong = client.post(url, content=b"colour,size\nred,9\n", headers=headers)
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "file"
    other = make_brand(brand.store)
    theirs = {**bearer(other.api_key), "content-type": "text/csv"}
    stranger = client.post(url, content=text.read_bytes(), headers=theirs)
    assert stranger.status_code == 404


def test_moving_past_conversions_from_impact_over_the_api(client, brand):
    from pathlib import Path

    files = Path(__file__).parent.parent / "fixtures" / "platforms"
    headers = {**bearer(brand.api_key), "content-type": "text/csv"}
    base = f"/api/v1/programs/{brand.program_id}"
    moved = client.post(f"{base}/partner-imports", headers=headers,
                        content=(files / "impact_partners.csv").read_bytes())  # fmt: skip
    assert moved.status_code == 200, moved.text
    url = f"{base}/history-imports"
    answer = client.post(url, content=(files / "impact_actions.csv").read_bytes(),
                         headers=headers)  # fmt: skip
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["platform"], body["counts"]) == ("impact", {"created": 5, "rejected": 4})
    owed = [r for r in body["rows"] if r["commission_id"]]
    assert [r["row"] for r in owed] == [3, 4]  # pending and approved, not yet cleared
    shown = client.get(f"/api/v1/commissions/{owed[0]['commission_id']}",
                       headers=bearer(brand.api_key)).json()  # fmt: skip
    assert (shown["kind"], shown["amount"]["amount"]) == ("imported", "8.00")
    stranger = make_brand(brand.store)
    theirs = {**bearer(stranger.api_key), "content-type": "text/csv"}
    refused = client.post(url, content=b"Action Id,Partner Id,Payout\n1,2,3\n", headers=theirs)
    assert refused.status_code == 404
    wrong = client.post(url, content=b"colour,size\nred,9\n", headers=headers)
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "file"
