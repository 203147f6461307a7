"""Recruiting in Chromium, without the API, in English and Chinese: a program manager finds
creators in the directory by a facet and by "partners like your best ones", invites two of
them from their profiles; one opens the invitation mail (read from a real SMTP server on
localhost), answers the brand's question and is approved at once by the program's rule,
and the welcome mail arrives. The manager then adds a banner, copy, a pool of codes and a
brief; the creator takes a code, uses the copy with its own link and code, submits a post
that misses the ad disclosure and then one that passes, and the manager approves it."""

from __future__ import annotations

import re

import pytest
from PIL import Image

from accord.demo.run import LocalServer
from accord.ids import short_code
from accord.notices.service import send_due
from accord.partners import recruiting
from accord.partners.directory import ProfileIn, save_profile
from accord.partners.service import sign_up_partner
from accord.programs.service import update_program
from accord.server import AccordApp
from accord.settings import Settings
from accord.tenancy.model import Caller, OrganizationKind
from accord.tenancy.service import create_user
from tests.factories import add_partner, click, convert, events_settled, free_port, make_brand
from tests.web.conftest import unique_email

PASSWORD = "correct horse battery"
WORDS = {
    "en": {"china": "China", "invite": "Send the invitation", "accept": "Accept the invitation",
           "yes": "Yes", "same_type": "the same type: Douyin creator",
           "written": "The invitation was written", "sign_in": "Sign in",
           "add_creative": "Add the creative", "make_pool": "Make the pool",
           "publish_brief": "Publish the brief", "take": "Take a code", "use": "Use it",
           "submit": "Check and submit", "missed": "misses a requirement",
           "met": "meets every requirement", "approve": "Approve", "approved": "Approved:"},
    "zh_Hans": {"china": "中国", "invite": "发送邀请", "accept": "接受邀请", "yes": "是",
                "same_type": "类型相同\uff1a抖音创作者", "written": "邀请已写好",
                "sign_in": "登录", "add_creative": "添加素材", "make_pool": "创建优惠码池",
                "publish_brief": "发布内容需求", "take": "领取优惠码", "use": "使用",
                "submit": "检查并提交", "missed": "未满足某项要求", "met": "满足全部要求",
                "approve": "批准", "approved": "已通过"},
}  # fmt: skip


def _creator(store, name, kind, audience, language):
    email = unique_email("creator")
    made = sign_up_partner(store, name=name, email=email, password=PASSWORD, partner_type=kind,
                           country="CN")  # fmt: skip
    caller = Caller(made.partner.organization_id, OrganizationKind.PARTNER, made.partner.id)
    contact = f"hello-{short_code(6).lower()}@creators.example"
    save_profile(store, caller, ProfileIn(listed=True, countries=["CN"], languages=["zh"],
                                          verticals=["outdoor"], audience=audience,
                                          contact_email=contact))  # fmt: skip
    return made, email, contact


@pytest.fixture
def world(store, smtp):
    inbox, smtp_port = smtp
    tag = "zq" + short_code(6).lower()
    brand = make_brand(store)
    update_program(store, brand.caller, brand.program_id, {"listed": True})
    recruiting.set_questions(store, brand.caller, brand.program_id, [
        {"text": "Do you mark paid posts as ads?", "kind": "yes_no", "required": True},
    ])  # fmt: skip
    recruiting.add_rule(store, brand.caller, brand.program_id, name="Honest Chinese creators",
                        action="approve", conditions={"types": ["creators"], "countries": ["CN"],
                                                      "answers": {"q1": "yes"}})  # fmt: skip
    best = add_partner(brand, partner_type="creator_douyin", name=f"Best {tag}")
    save_profile(store, best.caller, ProfileIn(countries=["CN"], verticals=["outdoor"]))
    convert(brand, amount="400.00", click_id=click(brand, best))
    shan = _creator(store, f"Shan Ye {tag}", "creator_douyin", {"douyin": 60_000}, "zh_Hans")
    lu = _creator(store, f"Lu Guo {tag}", "creator_xiaohongshu", {"xiaohongshu": 9_000},
                  "zh_Hans")  # fmt: skip
    manager = unique_email("pm")
    create_user(store, brand.caller.organization_id, manager, PASSWORD)
    port = free_port()
    settings = Settings(smtp_host="127.0.0.1", smtp_port=smtp_port, smtp_starttls=False,
                        mail_from="Accord <mail@brand.example>",
                        public_url=f"http://127.0.0.1:{port}")  # fmt: skip
    server = LocalServer(AccordApp(store, settings), "127.0.0.1", port)
    server.start()
    try:
        yield tag, brand, manager, shan, lu, server.base_url, inbox, settings
    finally:
        server.stop()


@pytest.mark.parametrize("language", ["en", "zh_Hans"])
def test_a_brand_finds_invites_and_a_rule_approves(chromium, store, world, language, tmp_path):
    tag, brand, manager, shan, lu, base, inbox, settings = world
    w = WORDS[language]
    context = chromium.new_context(locale="zh-CN" if language == "zh_Hans" else "en-US",
                                   viewport={"width": 1280, "height": 900})  # fmt: skip
    context.add_cookies([{"name": "accord_lang", "value": language, "url": base}])
    page = context.new_page()
    page.goto(f"{base}/console/login")
    page.fill("input[name=email]", manager)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(re.compile(r"/console$"))

    # the directory: words, then a facet
    page.goto(f"{base}/console/directory?program={brand.program_id}")
    page.fill("input[name=q]", tag)
    page.press("input[name=q]", "Enter")
    page.locator("aside.facets").get_by_role("link", name=w["china"], exact=True).click()
    found = page.inner_text("main")
    assert f"Shan Ye {tag}" in found and f"Lu Guo {tag}" in found

    # partners like the best one, with why
    page.goto(f"{base}/console/directory/suggestions?program={brand.program_id}")
    card = page.locator("article", has_text=f"Shan Ye {tag}")
    assert w["same_type"] in card.inner_text()

    # invite both from their profiles
    for made, _, _ in (shan, lu):
        page.goto(f"{base}/console/directory/{made.partner.id}?program={brand.program_id}")
        page.fill("textarea[name=message]", "We would love your trail videos.")
        page.get_by_role("button", name=w["invite"]).click()
        assert w["written"] in page.get_by_role("status").inner_text()
    page.goto(f"{base}/console/invitations?program={brand.program_id}")
    sent = page.inner_text("main")
    assert f"Shan Ye {tag}" in sent and f"Lu Guo {tag}" in sent  # by name, not by id
    send_due(store, settings, organization_id=brand.caller.organization_id)
    made, login, contact = shan
    [mail] = inbox.wait_for(contact)
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "We would love your trail videos." in text
    assert "邀请" in mail["Subject"]  # a partner in China is written to in Chinese
    link = re.search(r"http://127\.0\.0\.1:\d+/portal/invitations/\S+", text).group(0)
    assert inbox.wait_for(lu[2])  # the other invitation arrived too

    # the creator opens it, signs in, answers and is approved at once by the rule
    creator = chromium.new_context(locale="zh-CN" if language == "zh_Hans" else "en-US")
    creator.add_cookies([{"name": "accord_lang", "value": language, "url": base}])
    them = creator.new_page()
    them.goto(link)
    them.locator("main").get_by_role("link", name=w["sign_in"], exact=True).click()
    them.fill("input[name=email]", login)
    them.fill("input[name=password]", PASSWORD)
    them.press("input[name=password]", "Enter")
    them.wait_for_url(re.compile(r"/portal/invitations/"))
    them.get_by_label(w["yes"], exact=True).check()
    them.get_by_role("button", name=w["accept"]).click()
    them.wait_for_url(re.compile(r"applied=approved"))
    # the approval's notices are written by the event's subscriber, here or in another worker
    events_settled(store, brand.caller.organization_id)
    send_due(store, settings, organization_id=brand.caller.organization_id)
    welcome = list(inbox.wait_for(login))
    subjects = " ".join(str(m["Subject"]) for m in welcome)
    assert "Welcome" in subjects or "欢迎" in subjects

    # the manager gives creators a banner, copy, a pool of codes and a brief
    page.goto(f"{base}/console/creatives?program={brand.program_id}")
    banner = tmp_path / "banner.png"
    Image.new("RGB", (300, 250), (20, 90, 60)).save(banner, "PNG")
    page.fill("form[action='/console/creatives'] input[name=name]", "Rectangle")
    page.set_input_files("input[name=image]", str(banner))
    page.get_by_role("button", name=w["add_creative"]).click()
    page.locator("input[name=kind][value=copy]").check()
    page.fill("form[action='/console/creatives'] input[name=name]", "Post text")
    page.fill("form[action='/console/creatives'] textarea[name=body]", "Trails: {code} at {link}")
    page.get_by_role("button", name=w["add_creative"]).click()
    page.fill("form[action='/console/code-pools'] input[name=name]", f"Codes {tag}")
    codes = [f"{tag.upper()}-{n}" for n in range(3)]
    page.fill("form[action='/console/code-pools'] textarea[name=codes]", "\n".join(codes))
    page.get_by_role("button", name=w["make_pool"]).click()
    page.goto(f"{base}/console/briefs?program={brand.program_id}")
    page.fill("input[name=title]", "Trail video")
    page.fill("input[name=keywords]", "trail")
    page.fill("input[name=hashtags]", "#TrailRun")
    page.fill("input[name=fee]", "120.00")
    page.get_by_role("button", name=w["publish_brief"]).click()
    page.wait_for_url(re.compile(r"/console/briefs/brf_"))
    brief_url = page.url.split("?")[0]

    # the creator takes a code and uses the copy with its link and code
    them.goto(f"{base}/portal/creatives?program={brand.program_id}")
    them.get_by_role("button", name=w["take"]).click()
    taken = them.locator("#pools code").inner_text()
    assert taken in codes
    copy = them.locator("article.creative", has_text="Post text")
    copy.get_by_role("button", name=w["use"]).click()
    filled = them.locator("#used textarea").input_value()
    assert re.fullmatch(rf"Trails: {taken} at {re.escape(base)}/c/\w+", filled), filled
    assert them.locator("img[alt=Rectangle]").evaluate("i => i.naturalWidth") == 300

    # a post that misses the disclosure, then one that passes
    them.goto(brief_url.replace("/console/", "/portal/"))
    them.fill("textarea[name=text]", "New trail shoes #TrailRun")
    them.get_by_role("button", name=w["submit"]).click()
    assert w["missed"] in them.get_by_role("status").inner_text()
    assert them.locator("li.missing").count() == 1
    them.fill("textarea[name=text]", "#ad New trail shoes #TrailRun")
    them.get_by_role("button", name=w["submit"]).click()
    assert w["met"] in them.get_by_role("status").inner_text()
    creator.close()

    # the manager approves the post that passes; its fee becomes a commission
    page.goto(brief_url)
    page.get_by_role("button", name=w["approve"]).click()
    assert w["approved"] in page.get_by_role("status").inner_text()
    assert page.locator("a[href^='/console/commissions/com_']").count() == 1

    # the manager sees the rule that decided
    page.goto(f"{base}/console/partners/{made.partner.id}?program={brand.program_id}")
    assert "Honest Chinese creators" in page.inner_text("main")
    context.close()
