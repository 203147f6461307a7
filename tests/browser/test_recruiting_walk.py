"""Recruiting in Chromium, without the API, in English and Chinese: a program manager finds
creators in the directory by a facet and by "partners like your best ones", invites two of
them from their profiles; one opens the invitation mail (read from a real SMTP server on
localhost), answers the brand's question and is approved at once by the program's rule,
and the welcome mail arrives."""

from __future__ import annotations

import re

import pytest

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
           "written": "The invitation was written", "sign_in": "Sign in"},
    "zh_Hans": {"china": "中国", "invite": "发送邀请", "accept": "接受邀请", "yes": "是",
                "same_type": "类型相同\uff1a抖音创作者", "written": "邀请已写好",
                "sign_in": "登录"},
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
def test_a_brand_finds_invites_and_a_rule_approves(chromium, store, world, language):
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
    creator.close()

    # the manager sees the rule that decided
    page.goto(f"{base}/console/partners/{made.partner.id}?program={brand.program_id}")
    assert "Honest Chinese creators" in page.inner_text("main")
    context.close()
