"""A program manager's whole job in Chromium, without the API, in English and in Chinese:
choose a new password by the mail that arrives (a real SMTP server on localhost), approve
an applicant onto the coupon contract, build a contract version in the form and preview a
sample order, run a what-if of it, lock and approve commissions early, preview a payout
batch and send it through PayPal (a recorded test double of its API), and handle a
partner's inquiry."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from accord.contracts.service import RuleSpec, create_contract, set_contract_types
from accord.demo.run import LocalServer
from accord.inquiries.service import open_inquiry
from accord.notices.service import send_due
from accord.partners.service import apply_to_program, set_payout_method, sign_up_partner
from accord.partners.tables import Enrollment
from accord.payouts.providers.paypal import PayPalPayouts
from accord.programs.service import update_program
from accord.server import AccordApp
from accord.settings import Settings
from accord.tenancy.model import Caller, OrganizationKind
from accord.tenancy.service import create_user
from tests.factories import add_partner, click, convert, free_port, make_brand
from tests.web.conftest import unique_email
from tests.web.test_payout_batch_page import paypal_double

OLD, NEW = "correct horse battery", "a much longer passphrase"
#: The words the walk looks for, in each language.
WORDS = {
    "en": {"forgot": "Forgot your password?", "send_link": "Send me a link",
           "save_password": "Save the new password", "saved": "Your new password is saved",
           "approve": "Approve", "build": "in a form", "preview": "Preview the commission",
           "save_version": "Save the new version", "whatif": "Run the what-if",
           "whatif_done": "What the draft would have paid", "lock": "Lock 1 selected now",
           "approve_sel": "Approve 1 selected", "approved": "Approved 1 commission",
           "preview_batch": "Preview the next batch", "pay": "Pay 1 partner",
           "send_money": "Send the money", "send_paypal": "Send 1 payout through PayPal",
           "sent": "1 payout was sent through PayPal.", "accept": "Accept and credit",
           "accepted": "The inquiry was accepted"},
    "zh_Hans": {"forgot": "忘记密码\uff1f", "send_link": "发送链接", "save_password": "保存新密码",
                "saved": "新密码已保存", "approve": "批准", "build": "用表单编写",
                "preview": "试算佣金", "save_version": "保存新版本", "whatif": "运行试算",
                "whatif_done": "草案条款下应付的佣金", "lock": "立即锁定所选 1 项",
                "approve_sel": "批准所选 1 项", "approved": "已批准 1 笔佣金",
                "preview_batch": "预览下一批结算", "pay": "向 1 位合作伙伴付款",
                "send_money": "发送款项", "send_paypal": "通过 PayPal 发送 1 笔付款",
                "sent": "已通过 PayPal 发送 1 笔付款。", "accept": "接受并计入",
                "accepted": "询问已接受"},
}  # fmt: skip


@pytest.fixture
def world(store, smtp):
    """A brand with a coupon contract, an applicant coupon site, a partner paid by PayPal
    with a pending commission, a partner's open inquiry; the app on localhost sending mail
    to the test's SMTP server and paying through the PayPal test double."""
    inbox, smtp_port = smtp
    brand = make_brand(store, locking_days=30)
    update_program(store, brand.caller, brand.program_id, {"listed": True})
    coupon = create_contract(store, brand.caller, brand.program_id, "Coupon sites",
                             [RuleSpec(event_type="sale", percent="3")]).id  # fmt: skip
    set_contract_types(store, brand.caller, coupon, ["coupon"])
    email = unique_email("pm")
    create_user(store, brand.caller.organization_id, email, OLD)
    applicant = sign_up_partner(store, name="Deal Hub", email=unique_email("deals"),
                                password=OLD, partner_type="coupon")  # fmt: skip
    apply_to_program(store, Caller(applicant.partner.organization_id, OrganizationKind.PARTNER,
                                   applicant.partner.id), brand.program_id)  # fmt: skip
    paid = add_partner(brand, name="Lena Reviews")
    set_payout_method(store, paid.caller, {"method": "paypal", "paypal_email": "lena@x.example"})
    convert(brand, amount="200.00", click_id=click(brand, paid))
    yesterday = store.clock.now() - timedelta(days=1)
    open_inquiry(store, paid.caller, brand.program_id, order_id="ORD-LOST-1",
                 occurred_at=yesterday, amount="80.00", currency=brand.currency,
                 evidence="The order came through our review.")  # fmt: skip
    port = free_port()
    settings = Settings(smtp_host="127.0.0.1", smtp_port=smtp_port, smtp_starttls=False,
                        mail_from="Accord <mail@brand.example>",
                        public_url=f"http://127.0.0.1:{port}")  # fmt: skip
    app = AccordApp(store, settings)
    seen: list[httpx.Request] = []
    paypal = httpx.Client(transport=httpx.MockTransport(paypal_double(seen)))
    app.api.state.payout_provider = lambda _s, _n: PayPalPayouts("id", "secret", client=paypal)
    server = LocalServer(app, "127.0.0.1", port)
    server.start()
    try:
        yield brand, email, applicant, coupon, server.base_url, inbox, settings, seen
    finally:
        server.stop()


@pytest.mark.parametrize("language", ["en", "zh_Hans"])
def test_a_program_manager_does_the_whole_job_in_the_browser(chromium, store, world, language):
    brand, email, applicant, coupon, base, inbox, settings, seen = world
    w = WORDS[language]
    context = chromium.new_context(locale="zh-CN" if language == "zh_Hans" else "en-US",
                                   viewport={"width": 1280, "height": 900})  # fmt: skip
    context.add_cookies([{"name": "accord_lang", "value": language, "url": base}])
    page = context.new_page()

    # a new password, by the mail that arrives
    page.goto(f"{base}/console/login")
    page.get_by_role("link", name=w["forgot"]).click()
    page.fill("input[name=email]", email)
    page.get_by_role("button", name=w["send_link"]).click()
    send_due(store, settings, organization_id=brand.caller.organization_id)
    texts = [m.get_body(preferencelist=("plain",)).get_content() for m in inbox.wait_for(email)]
    # (the manager was also told of the application waiting for review)
    [link] = [found.group(0) for text in texts if (found := re.search(
        r"http://127\.0\.0\.1:\d+/console/password/reset\?token=\S+", text))]  # fmt: skip
    page.goto(link)
    page.fill("input[name=password]", NEW)
    page.fill("input[name=again]", NEW)
    page.get_by_role("button", name=w["save_password"]).click()
    assert w["saved"] in page.inner_text("main")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", NEW)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(re.compile(r"/console$"))

    # the applicant, onto the contract meant for coupon sites
    page.goto(f"{base}/console/partners/{applicant.partner.id}?program={brand.program_id}")
    assert page.locator("select[name=contract_id]").input_value() == coupon
    page.get_by_role("button", name=w["approve"], exact=True).click()
    with store.read() as session:
        enrollment = session.query(Enrollment).filter_by(partner_id=applicant.partner.id).one()
        assert (enrollment.status, enrollment.contract_id) == ("approved", coupon)

    # a new version built in the form, previewed on a sample order, tried on past orders
    page.goto(f"{base}/console/contracts?program={brand.program_id}&contract={brand.contract_id}")
    page.get_by_role("link", name=re.compile(w["build"])).click()
    page.fill("input[name=rule-0-percent]", "12")
    page.fill("input[name=sample_amount]", "50.00")
    page.get_by_role("button", name=w["preview"]).click()
    assert "6.00" in page.locator("#preview").inner_text()  # 12 % of 50.00
    page.get_by_role("button", name=w["whatif"]).click()
    page.wait_for_selector(f"text={w['whatif_done']}", timeout=60_000)
    assert "Lena Reviews" in page.inner_text("main")
    page.go_back()
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name=w["save_version"]).click()
    page.wait_for_url(re.compile(r"saved=1"))

    # lock the pending commission early, then approve it
    page.goto(f"{base}/console/commissions?program={brand.program_id}&status=pending")
    page.locator("input[data-select-all]").check()
    page.get_by_role("button", name=w["lock"]).click()
    page.goto(f"{base}/console/commissions?program={brand.program_id}&status=locked")
    page.locator("input[data-select-all]").check()
    page.get_by_role("button", name=w["approve_sel"]).click()
    assert w["approved"] in page.get_by_role("status").inner_text()

    # preview the batch, pay it, and send it through PayPal
    page.goto(f"{base}/console/payouts?program={brand.program_id}")
    page.get_by_role("link", name=w["preview_batch"]).click()
    page.get_by_role("button", name=re.compile(w["pay"])).click()
    page.get_by_role("link", name=w["send_money"]).click()
    page.get_by_role("button", name=w["send_paypal"]).click()
    assert w["sent"] in page.get_by_role("status").inner_text()
    assert len([r for r in seen if r.method == "POST" and "payouts" in r.url.path]) == 1

    # a partner's inquiry, accepted and credited
    page.goto(f"{base}/console/inquiries?program={brand.program_id}")
    assert "ORD-LOST-1" in page.inner_text("main")
    page.get_by_role("button", name=w["accept"]).first.click()
    assert w["accepted"] in page.get_by_role("status").inner_text()
    context.close()
