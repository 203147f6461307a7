"""Creatives, code pools and creator briefs over the API, as an integrating engineer and an
attacker would call them: each left-out code and each bad field is named; a partner takes
one code however often it asks; a post is checked, refused approval while it misses a
requirement, and its fee paid once on approval."""

from __future__ import annotations

import base64
import io

from PIL import Image

from tests.factories import add_partner, click, convert


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def _png() -> str:
    out = io.BytesIO()
    Image.new("RGB", (300, 250), (10, 120, 60)).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


def test_pools_and_creatives(client, brand):
    partner = add_partner(brand)
    me, them = bearer(brand.api_key), bearer(partner.api_key)
    path = f"/api/v1/programs/{brand.program_id}"
    made = client.post(f"{path}/code-pools", headers=me, json={
        "name": "Autumn", "codes": ["AUTUMN-1", "autumn-1", "no spaces", "AUTUMN-2"]})  # fmt: skip
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["added"] == 2 and body["pool"]["left"] == 2
    assert [(r["line"], r["reason"]) for r in body["left_out"]] == [
        (2, "repeats line 1"), (3, "use 2-64 letters, digits, '-' or '_'")]  # fmt: skip
    pool = body["pool"]["id"]
    broken = client.post(f"/api/v1/code-pools/{pool}/codes", headers=me, json={"codes": ["A\nB"]})
    assert broken.status_code == 422 and broken.json()["error"]["field"] == "codes"
    first = client.post(f"/api/v1/code-pools/{pool}/take", headers=them).json()["code"]
    assert client.post(f"/api/v1/code-pools/{pool}/take", headers=them).json()["code"] == first
    assert client.post(f"/api/v1/code-pools/{pool}/take", headers=me).status_code == 403
    [seen] = client.get(f"{path}/code-pools", headers=them).json()
    assert seen["mine"] == first and seen["left"] == 1
    client.patch(f"/api/v1/code-pools/{pool}", headers=me, json={"active": False})
    assert client.get(f"{path}/code-pools", headers=them).json()[0]["mine"] == first  # kept

    banner = client.post(f"{path}/creatives", headers=me, json={
        "kind": "banner", "name": "Rectangle", "image_base64": _png()})  # fmt: skip
    assert banner.status_code == 201 and banner.json()["width"] == 300
    for wrong, field in (
        ({"kind": "banner", "name": "x", "image_base64": "not base64!"}, "image_base64"),
        ({"kind": "banner", "name": "x", "image_base64": base64.b64encode(b"GIF89a").decode()},
         "image"),
        ({"kind": "copy", "name": "x", "body": ""}, "body"),
        ({"kind": "copy", "name": "x", "body": "{link}", "landing_url": "javascript:alert(1)"},
         "landing_url"),
    ):  # fmt: skip
        refused = client.post(f"{path}/creatives", headers=me, json=wrong)
        assert refused.status_code == 422, (wrong, refused.text)
        assert refused.json()["error"]["field"] == field
    copy = client.post(f"{path}/creatives", headers=me, json={
        "kind": "copy", "name": "Post", "body": "Code {code} at {link}"}).json()  # fmt: skip
    used = client.post(f"/api/v1/creatives/{copy['id']}/use", headers=them).json()
    assert used["code"] == first and used["text"] == f"Code {first} at {used['link_url']}"
    assert client.post(f"/api/v1/creatives/{copy['id']}/use", headers=me).status_code == 403
    image = client.get(f"/creatives/{banner.json()['id']}.png")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    client.patch(f"/api/v1/creatives/{banner.json()['id']}", headers=me, json={"active": False})
    assert client.get(f"/creatives/{banner.json()['id']}.png").status_code == 404
    assert client.get("/creatives/..%2F..%2Fetc%2Fpasswd.png").status_code == 404


def test_a_brief_from_post_to_paid_fee(client, brand):
    creator, other = add_partner(brand), add_partner(brand)
    me, them = bearer(brand.api_key), bearer(creator.api_key)
    made = client.post(f"/api/v1/programs/{brand.program_id}/briefs", headers=me, json={
        "title": "Trail video", "keywords": ["trail"], "hashtags": ["#TrailRun"],
        "disclosure": ["#ad", "广告"], "forbidden": ["cheap"], "fee": "80.00"})  # fmt: skip
    assert made.status_code == 201, made.text
    brief = made.json()
    assert brief["hashtags"] == ["#TrailRun"] and brief["fee"] == "80.00"
    refused = client.post(f"/api/v1/programs/{brand.program_id}/briefs", headers=me,
                          json={"title": "x", "fee": "-5"})  # fmt: skip
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "fee"

    post = client.post(f"/api/v1/briefs/{brief['id']}/submissions", headers=them,
                       json={"text": "trail day #TrailRun, so cheap"}).json()  # fmt: skip
    assert post["passes"] is False
    assert {c["kind"]: c["met"] for c in post["checks"]} == {
        "keyword": True, "hashtag": True, "disclosure": False, "forbidden": False}  # fmt: skip
    decide = f"/api/v1/brief-submissions/{post['id']}/decision"
    assert client.post(decide, headers=me, json={"approve": True}).status_code == 409
    assert client.post(decide, headers=me, json={"approve": False, "note": "fix"}).json()[
        "status"] == "rejected"  # fmt: skip
    good = client.post(f"/api/v1/briefs/{brief['id']}/submissions", headers=them,
                       json={"text": "#ad trail day #TrailRun"}).json()  # fmt: skip
    assert good["passes"] is True
    approved = client.post(f"/api/v1/brief-submissions/{good['id']}/decision", headers=me,
                           json={"approve": True}).json()  # fmt: skip
    commission = client.get(f"/api/v1/commissions/{approved['commission_id']}", headers=them)
    assert commission.status_code == 200, commission.text
    assert commission.json()["amount"] == {"amount": "80.00", "currency": "USD"}
    # the other partner sees the brief but not the creator's posts
    seen = client.get(f"/api/v1/briefs/{brief['id']}", headers=bearer(other.api_key)).json()
    assert seen["submissions"] == []
    mine = client.get(f"/api/v1/programs/{brand.program_id}/briefs", headers=them).json()
    assert [b["mine"] for b in mine] == ["approved"]
    listed = client.get(f"/api/v1/programs/{brand.program_id}/briefs", headers=me).json()
    assert (listed[0]["submissions"], listed[0]["approved"]) == (2, 1)


def test_bounties_over_the_api(client, brand):
    from datetime import timedelta

    writer = add_partner(brand)
    me, them = bearer(brand.api_key), bearer(writer.api_key)
    now = brand.store.clock.now()
    period = {"starts_at": (now - timedelta(days=1)).isoformat(),
              "ends_at": (now + timedelta(days=9)).isoformat()}  # fmt: skip
    path = f"/api/v1/programs/{brand.program_id}/bounties"
    revenue = client.post(path, headers=me, json={
        "title": "500 in ten days", "kind": "revenue", "target": "500.00", "reward": "25.00",
        **period})  # fmt: skip
    assert revenue.status_code == 201, revenue.text
    assert revenue.json()["target"] == "500.00"
    content = client.post(path, headers=me, json={
        "title": "A review", "kind": "content", "reward": "30.00", **period}).json()  # fmt: skip
    for wrong, field in (({"kind": "sales", "target": "lots"}, "target"),
                         ({"kind": "sales", "target": "3", "reward": "-1"}, "reward")):  # fmt: skip
        refused = client.post(path, headers=me, json={"title": "x", "reward": "5", **period,
                                                      **wrong})  # fmt: skip
        assert refused.status_code == 422 and refused.json()["error"]["field"] == field
    convert(brand, amount="120.00", click_id=click(brand, writer))
    mine = {b["bounty"]["title"]: b["progress"][0] for b in client.get(path, headers=them).json()}
    assert mine["500 in ten days"]["value"] == "120.00" and mine["500 in ten days"]["share"] == 0.24
    sent = client.post(f"/api/v1/bounties/{content['id']}/content", headers=them,
                       json={"url": "https://review.example/a"})  # fmt: skip
    assert sent.status_code == 201 and sent.json()["status"] == "submitted"
    decided = client.post(
        f"/api/v1/bounties/{content['id']}/claims/{writer.id}/decision", headers=me,
        json={"approve": True})  # fmt: skip
    assert decided.json()["paid"] is True
    again = client.post(f"/api/v1/bounties/{content['id']}/content", headers=them,
                        json={"url": "https://review.example/b"})  # fmt: skip
    assert again.status_code == 409
