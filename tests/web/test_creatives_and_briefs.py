"""Creatives, code pools and creator briefs in the console and the portal: a manager adds a
banner, copy and a pool; a creator takes a code, uses the copy, and submits a post that
misses a requirement, then one that passes and is approved (its fee paid once)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from urllib.parse import urlencode

from PIL import Image

from accord.engage import briefs as br
from accord.engage import pools as pl
from accord.partners.service import create_partner
from accord.reports.service import program_summary
from accord.tenancy.service import authenticate
from tests.web.conftest import csrf_of, sign_in, unique_email

FORM = {"content-type": "application/x-www-form-urlencoded"}


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (468, 60), (30, 90, 200)).save(out, "PNG")
    return out.getvalue()


def _post(client, path, page_html, **fields):
    return client.post(path, headers=FORM, content=urlencode({"csrf": csrf_of(page_html),
                                                             **fields}))  # fmt: skip


def test_creatives_codes_and_a_brief_from_console_to_portal(store, client, manager):
    brand, user = manager
    email = unique_email("creator")
    creator = create_partner(store, brand.caller, brand.program_id, name="Trail Mei", country="CN",
                   partner_type="creator_douyin", email=email, with_login=True)  # fmt: skip
    assert sign_in(client, user.email).status_code == 303
    page = client.get(f"/console/creatives?program={brand.program_id}")
    assert "No creative yet." in page.text and "No pool yet." in page.text
    token = csrf_of(page.text)

    banner = client.post("/console/creatives", data={
        "csrf": token, "program": brand.program_id, "kind": "banner", "name": "Leaderboard"},
        files={"image": ("b.png", _png(), "image/png")})  # fmt: skip
    assert banner.status_code == 303
    not_image = client.post("/console/creatives", data={
        "csrf": token, "program": brand.program_id, "kind": "banner", "name": "Broken"},
        files={"image": ("b.png", b"%PDF-1.4 not an image", "image/png")})  # fmt: skip
    assert not_image.status_code == 422 and "PNG, JPEG, GIF or WebP" in not_image.text
    assert 'value="Broken"' in not_image.text  # what was typed is kept
    copy = client.post("/console/creatives", data={
        "csrf": token, "program": brand.program_id, "kind": "copy", "name": "Post text",
        "body": "Autumn trails: {code} takes 15% off at {link}"})  # fmt: skip
    assert copy.status_code == 303
    pool = _post(client, "/console/code-pools", page.text, program=brand.program_id,
                 name="Autumn codes", description="15% off",
                 codes="AUT-1\nAUT-2\nAUT-1\n")  # fmt: skip
    assert pool.status_code == 200
    assert "2 codes added" in pool.text and "repeats line 1" in pool.text
    listed = client.get(f"/console/creatives?program={brand.program_id}").text
    [image] = re.findall(r'src="(http://testserver/creatives/crv_\w+\.png)"', listed)
    public = client.get(image.removeprefix("http://testserver"), cookies={})
    assert public.status_code == 200 and public.headers["content-type"] == "image/png"
    assert public.headers["x-content-type-options"] == "nosniff"
    assert client.get(image.removeprefix("http://testserver")[:-3] + "gif").status_code == 404

    briefs = client.get(f"/console/briefs?program={brand.program_id}")
    made = _post(client, "/console/briefs", briefs.text, program=brand.program_id,
                 title="Autumn trail video", keywords="trail shoes", hashtags="#TrailRun",
                 disclosure="#ad, 广告", forbidden="cheap", fee="120.00",
                 due_on="2030-10-20")  # fmt: skip
    assert made.status_code == 303
    brief_path = made.headers["location"].split("?")[0]
    bad = _post(client, "/console/briefs", briefs.text, program=brand.program_id, title="X",
                keywords="cheap", forbidden="Cheap")  # fmt: skip
    assert bad.status_code == 422 and "both required and forbidden" in bad.text

    # the creator, in the portal
    client.cookies.clear()
    assert sign_in(client, email, creator.password).status_code == 303
    mine = client.get(f"/portal/creatives?program={brand.program_id}")
    assert "Leaderboard" in mine.text and "Autumn codes" in mine.text
    taken = _post(client, f"/portal/code-pools/{_pool_id(mine.text)}/take", mine.text,
                  program=brand.program_id)  # fmt: skip
    assert taken.status_code == 303
    after = client.get(taken.headers["location"]).text
    code = re.search(r"Your code is (AUT-\d)", after).group(1)
    used = _post(client, f"/portal/creatives/{_creative_id(mine.text, 'Post text')}/use",
                 mine.text, program=brand.program_id)  # fmt: skip
    text = re.search(r"<textarea readonly[^>]*>([^<]*)</textarea>", used.text).group(1)
    assert re.fullmatch(rf"Autumn trails: {code} takes 15% off at http://testserver/c/\w+", text)

    briefs_page = client.get(f"/portal/briefs?program={brand.program_id}").text
    assert "Autumn trail video" in briefs_page and "Not submitted" in briefs_page
    brief_page = client.get(brief_path.replace("/console/", "/portal/"))
    sent = _post(client, brief_path.replace("/console/", "/portal/"), brief_page.text,
                 url="https://v.douyin.com/x1", text="New trail shoes! #TrailRun")  # fmt: skip
    shown = client.get(sent.headers["location"]).text
    assert "misses a requirement" in shown and 'class="missing"' in shown
    empty = _post(client, brief_path.replace("/console/", "/portal/"), brief_page.text, text="")
    assert empty.status_code == 422 and "Paste the post" in empty.text

    # the manager cannot approve the failing post; rejects it; the creator fixes it
    client.cookies.clear()
    assert sign_in(client, user.email).status_code == 303
    review = client.get(brief_path).text
    assert "It misses a requirement: it can only be rejected." in review
    first = re.search(r'action="(/console/brief-submissions/\w+)"', review).group(1)
    forced = _post(client, first, review, brief=brief_path.split("/")[-1], decision="approve")
    assert forced.status_code == 409
    rejected = _post(client, first, review, brief=brief_path.split("/")[-1],
                     decision="reject", note="Say it is an ad")  # fmt: skip
    assert rejected.status_code == 303

    client.cookies.clear()
    assert sign_in(client, email, creator.password).status_code == 303
    brief_page = client.get(brief_path.replace("/console/", "/portal/"))
    assert "Say it is an ad" in brief_page.text
    portal_brief = brief_path.replace("/console/", "/portal/")
    fixed = _post(client, portal_brief, brief_page.text, url="https://v.douyin.com/x1",
                  text="广告 New trail shoes! #TrailRun")  # fmt: skip
    assert "meets every requirement" in client.get(fixed.headers["location"]).text

    client.cookies.clear()
    assert sign_in(client, user.email).status_code == 303
    review = client.get(brief_path).text
    second = re.search(r'action="(/console/brief-submissions/\w+)"', review).group(1)
    approved = _post(client, second, review, brief=brief_path.split("/")[-1], decision="approve")
    assert approved.status_code == 303
    done = client.get(approved.headers["location"]).text
    assert "The fee&#39;s commission" in done or "The fee's commission" in done
    _, rows = br.brief_of(store, brand.caller, brief_path.split("/")[-1])
    assert sorted(r.status for r in rows) == ["approved", "rejected"]
    summary = program_summary(store, brand.caller, brand.program_id)
    assert summary.ledger_balanced


def _pool_id(html: str) -> str:
    return re.search(r'action="/portal/code-pools/(\w+)/take"', html).group(1)


def _creative_id(html: str, name: str) -> str:
    for block in html.split('<article class="creative">')[1:]:
        if name in block:
            return re.search(r'action="/portal/creatives/(\w+)/use"', block).group(1)
    raise AssertionError(name)


def test_the_pages_speak_chinese(store, client, manager):
    brand, user = manager
    client.cookies.set("accord_lang", "zh_Hans")
    assert sign_in(client, user.email).status_code == 303
    for path in ("/console/creatives", "/console/briefs"):
        html = client.get(f"{path}?program={brand.program_id}").text
        assert "No creative yet." not in html and "No brief yet." not in html
        assert re.search(r"[\u4e00-\u9fff]", html)


def test_the_calendar_in_the_console_and_the_portal(store, client, manager):
    from datetime import timedelta

    from accord.engage import pools
    from accord.programs.promotions import add_promotion

    brand, user = manager
    email = unique_email("partner")
    partner = create_partner(store, brand.caller, brand.program_id, name="Deal Den",
                             partner_type="coupon", email=email, with_login=True)  # fmt: skip
    now = store.clock.now()
    day = add_promotion(store, brand.caller, brand.program_id, "Lumen day",
                        now + timedelta(days=5), now + timedelta(days=6))  # fmt: skip
    pools.create_pool(store, brand.caller, brand.program_id, name="Lumen day codes",
                      codes="LD-1\nLD-2", promotion=day.id)  # fmt: skip
    client.cookies.set("accord_lang", "zh_Hans")
    assert sign_in(client, user.email).status_code == 303
    page = client.get(f"/console/calendar?program={brand.program_id}").text
    assert "Lumen day codes" in page and "5 天后开始" in page and "双十一" in page
    form = client.get(f"/console/creatives?program={brand.program_id}").text
    assert f'value="{day.id}"' in form  # the promotion can be chosen for a creative
    client.cookies.clear()
    client.cookies.set("accord_lang", "en")
    assert sign_in(client, email, partner.password).status_code == 303
    mine = client.get(f"/portal/calendar?program={brand.program_id}").text
    assert "Lumen day codes" in mine and "Take a code" in mine and "In 5 days" in mine


def test_bounties_from_the_console_to_the_portal_and_back(store, client, manager):
    brand, user = manager
    email = unique_email("writer")
    writer = create_partner(store, brand.caller, brand.program_id, name="Trail Notes",
                            partner_type="content", email=email, with_login=True)  # fmt: skip
    today = store.clock.now().date()
    assert sign_in(client, user.email).status_code == 303
    page = client.get(f"/console/bounties?program={brand.program_id}")
    assert "No bounty yet." in page.text
    for fields in (
        {"title": "Three sales", "kind": "sales", "target": "3", "reward": "30.00"},
        {"title": "Review the tent", "kind": "content", "target": "", "reward": "40.00"},
    ):
        last = str(today + timedelta(days=13))
        made = _post(client, "/console/bounties", page.text, program=brand.program_id,
                     starts_on=str(today), ends_on=last, **fields)  # fmt: skip
        assert made.status_code == 303, made.text
    bad = _post(client, "/console/bounties", page.text, program=brand.program_id, title="X",
                kind="sales", target="many", reward="5", starts_on=str(today),
                ends_on=str(today))  # fmt: skip
    assert bad.status_code == 422 and "whole number of sales" in bad.text

    client.cookies.clear()
    assert sign_in(client, email, writer.password).status_code == 303
    mine = client.get(f"/portal/bounties?program={brand.program_id}")
    assert "Three sales" in mine.text and "0 / 3" in mine.text and "Review the tent" in mine.text
    bounty_id = re.search(r'action="/portal/bounties/(\w+)"', mine.text).group(1)
    sent = _post(client, f"/portal/bounties/{bounty_id}", mine.text, program=brand.program_id,
                 url="https://notes.example/tent")  # fmt: skip
    assert sent.status_code == 303
    assert "Sent: the brand will approve it" in client.get(sent.headers["location"]).text

    client.cookies.clear()
    assert sign_in(client, user.email).status_code == 303
    review = client.get(f"/console/bounties?program={brand.program_id}").text
    assert "https://notes.example/tent" in review
    decide = re.search(r'action="(/console/bounties/\w+/claims/\w+)"', review).group(1)
    done = _post(client, decide, review, program=brand.program_id, decision="approve")
    assert done.status_code == 303
    assert "Reward paid" in client.get(done.headers["location"]).text


def test_a_product_feed_uploaded_in_the_console_is_downloaded_in_the_portal(store, client,
                                                                            manager):  # fmt: skip
    brand, user = manager
    email = unique_email("shop")
    partner = create_partner(store, brand.caller, brand.program_id, name="Deal Den",
                             partner_type="coupon", email=email, with_login=True)  # fmt: skip
    assert sign_in(client, user.email).status_code == 303
    page = client.get(f"/console/creatives?program={brand.program_id}").text
    assert "No product feed yet." in page
    feed = ("sku,title,price,url\nT-1,Ridge 2 tent,249.00,https://brand.example/p/ridge-2\n"
            "T-2,Stakes,cheap,https://brand.example/p/stakes\n")  # fmt: skip
    loaded = client.post("/console/product-feed", data={"csrf": csrf_of(page),
                         "program": brand.program_id},
                         files={"file": ("feed.csv", feed.encode(), "text/csv")})  # fmt: skip
    assert loaded.status_code == 200
    assert "1 product loaded" in loaded.text and "1 line left out" in loaded.text
    assert "give the price as an amount" in loaded.text
    bad = client.post("/console/product-feed", data={"csrf": csrf_of(page),
                      "program": brand.program_id},
                      files={"file": ("feed.csv", b"\xff\xfe", "text/csv")})  # fmt: skip
    assert bad.status_code == 422 and "UTF-8 CSV" in bad.text

    client.cookies.clear()
    assert sign_in(client, email, partner.password).status_code == 303
    mine = client.get(f"/portal/creatives?program={brand.program_id}").text
    assert "1 product in the feed" in mine
    got = client.get(f"/portal/product-feed.xml?program={brand.program_id}")
    assert got.status_code == 200 and "<g:id>T-1</g:id>" in got.text
    assert "/c/" in got.text and "ridge-2" in got.text
    assert client.get(f"/portal/product-feed.pdf?program={brand.program_id}").status_code == 422


def test_a_fee_commission_says_which_brief_paid_it(store, client, manager):
    brand, user = manager
    email = unique_email("creator")
    creator = create_partner(store, brand.caller, brand.program_id, name="Trail Mei",
                             partner_type="content", email=email, with_login=True)  # fmt: skip
    from accord.tenancy.service import authenticate

    partner = authenticate(store, creator.api_key)
    brief = br.create_brief(store, brand.caller, brand.program_id,
                            br.BriefIn(title="Tent video", fee="60.00"))  # fmt: skip
    post = br.submit(store, partner, brief.id, url="https://v.example/1", text="my video")
    paid = br.decide(store, brand.caller, post.id, approve=True)
    client.cookies.set("accord_lang", "zh_Hans")
    assert sign_in(client, user.email).status_code == 303
    page = client.get(f"/console/commissions/{paid.commission_id}")
    assert page.status_code == 200 and "Tent video" in page.text
    assert "创作者内容需求中通过审核的内容的费用" in page.text
    listed = client.get(f"/console/commissions?program={brand.program_id}").text
    assert "创作费用" in listed  # the kind in words, not the code
    client.cookies.clear()
    client.cookies.set("accord_lang", "en")
    assert sign_in(client, email, creator.password).status_code == 303
    mine = client.get(f"/portal/commissions/{paid.commission_id}")
    assert mine.status_code == 200 and "The fee of a post approved" in mine.text
    listed = client.get(f"/portal/commissions?program={brand.program_id}").text
    assert "60.00" in listed


def test_the_taken_codes_file_defuses_a_partners_name_written_as_a_formula(store, client, manager):
    """A partner names itself as a spreadsheet formula and takes a code: the manager's file
    of taken codes shows the name as text."""
    brand, user = manager
    partner = create_partner(store, brand.caller, brand.program_id, name="=1+2 Sneaky",
                             country="CN", partner_type="creator_douyin",
                             email=unique_email("sneaky"), with_login=True)  # fmt: skip
    pool, _ = pl.create_pool(store, brand.caller, brand.program_id, name="Winter", codes="WIN-1")
    assert pl.take_code(store, authenticate(store, partner.api_key), pool.id) == "WIN-1"
    assert sign_in(client, user.email).status_code == 303
    got = client.get(f"/console/code-pools/{pool.id}/taken.csv")
    assert got.status_code == 200
    [_, row] = list(csv.reader(io.StringIO(got.text)))
    assert row[:3] == ["WIN-1", partner.partner.id, "'=1+2 Sneaky"]
