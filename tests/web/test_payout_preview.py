"""The next payout batch, previewed: who is paid, how much, by which method and in which
currency, who gave no method, who is carried over; nothing is paid until confirmed."""

from __future__ import annotations

from accord.commissions.service import approve, lock_due
from accord.partners.service import set_payout_method
from accord.payouts.service import partner_balances, preview_batch
from accord.tenancy.service import create_user
from tests.factories import add_partner, click, convert, make_brand
from tests.web.conftest import PASSWORD, csrf_of, sign_in, unique_email, wait_for_job

FORM = {"content-type": "application/x-www-form-urlencoded"}


def test_the_preview_names_who_is_paid_how_and_pays_nothing(client, store):
    brand = make_brand(store, locking_days=0, threshold="10.00")
    email = unique_email("finance")
    create_user(store, brand.caller.organization_id, email, PASSWORD, "finance")
    paypal = add_partner(brand, name="Lena Reviews")
    set_payout_method(store, paypal.caller, {"method": "paypal",
                                             "paypal_email": "lena@reviews.example"})  # fmt: skip
    by_hand = add_partner(brand, name="Quiet Deals")
    small = add_partner(brand, name="Tiny Blog")
    convert(brand, order_id="ORD-P1", amount="300.00", click_id=click(brand, paypal))
    convert(brand, order_id="ORD-P2", amount="200.00", click_id=click(brand, by_hand))
    convert(brand, order_id="ORD-P3", amount="50.00", click_id=click(brand, small))
    lock_due(store, brand.caller, brand.program_id)
    approve(store, brand.caller, brand.program_id)

    preview = preview_batch(store, brand.caller, brand.program_id)
    assert [(line.name, str(line.amount.amount), line.method) for line in preview.lines] == [
        ("Lena Reviews", "30.00", "paypal"), ("Quiet Deals", "20.00", None)]  # fmt: skip
    assert str(preview.total.amount) == "50.00" and preview.carried_over == 1  # 5.00 < 10.00

    sign_in(client, email)
    payouts = client.get(f"/console/payouts?program={brand.program_id}")
    assert f"/console/payouts/preview?program={brand.program_id}" in payouts.text
    # by default a partner without payout details is held back, not paid by hand
    page = client.get(f"/console/payouts/preview?program={brand.program_id}")
    assert page.status_code == 200
    text = page.text
    assert "1 partner is held back: no payout details" in text and "Quiet Deals" in text
    assert "1 partner would be paid" in text and "Pay 1 partner" in text
    assert "none: by hand" not in text
    # the manager may choose to pay them by hand instead
    manual = client.get(f"/console/payouts/preview?program={brand.program_id}&manual=1").text
    assert "2 partners would be paid" in manual and "$50.00" in manual
    assert "PayPal" in manual and "none: by hand" in manual
    assert "1 partner has given no payout method" in manual
    assert "1 other partner's balance is carried over" in manual
    assert "Pay 2 partners" in manual and 'action="/console/payouts/run"' in manual
    assert 'name="manual" value="1"' in manual
    balances = partner_balances(store, brand.caller, brand.program_id)
    before = {b.partner_id: b.payable_minor for b in balances}
    assert before[paypal.id] == 3000  # the preview paid nothing
    zh = client.get(f"/console/payouts/preview?program={brand.program_id}&manual=1",
                    headers={"accept-language": "zh-CN"})  # fmt: skip
    assert "将向 2 位合作伙伴支付" in zh.text and "未设置" in zh.text

    ran = client.post("/console/payouts/run", content=f"csrf={csrf_of(text)}"
                      f"&program={brand.program_id}", headers=FORM)  # fmt: skip
    assert ran.status_code == 303
    wait_for_job(client, ran.headers["location"])
    after = {b.partner_id: b.payable_minor
             for b in partner_balances(store, brand.caller, brand.program_id)}  # fmt: skip
    assert after[paypal.id] == 0 and after[by_hand.id] == 2000  # held back, still owed


def test_with_nobody_due_the_preview_says_so(client, store, manager):
    brand, user = manager
    sign_in(client, user.email)
    page = client.get(f"/console/payouts/preview?program={brand.program_id}")
    assert page.status_code == 200 and "Nobody is due a payout yet" in page.text
    assert "/console/payouts/run" not in page.text
