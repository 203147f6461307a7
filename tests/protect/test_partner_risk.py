"""Partners' risk scores: the daily pass scores every partner on its recent orders and
standing, keeps the history, and tells the managers (console and e-mail, in their language)
when a partner reaches the high-risk band; a ban in one program counts in the others."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from accord.conversions.model import ReversalRequest
from accord.conversions.reversals import reverse_conversion
from accord.errors import NotFound
from accord.money import Money
from accord.monitoring.service import set_digest
from accord.partners.service import apply_to_program, set_enrollment_status
from accord.programs.model import ProgramTerms
from accord.programs.service import create_program
from accord.protect.partner_risk import (
    partner_history,
    recent_alerts,
    risk_by_partner,
    riskiest,
    score_all_partners,
)
from accord.protect.service import change_fraud_settings
from accord.tenancy.service import create_user
from accord.tracking.model import new_click_id
from accord.tracking.service import click_row, link_target, record_clicks
from tests.factories import add_partner, click, convert, make_brand
from tests.monitoring.conftest import body


def _sales(brand, partner, count, wait):
    for _ in range(count):
        click_id = click(brand, partner)
        brand.store.clock.advance(wait)
        convert(brand, click_id=click_id)
        brand.store.clock.advance(timedelta(minutes=3))


@pytest.fixture
def shop(store):
    """A program in shadow mode with an honest partner (orders an hour after the click) and
    a partner whose orders land seconds after its clicks; the brand's manager reads Chinese."""
    brand = make_brand(store)
    honest = add_partner(brand)
    injector = add_partner(brand)
    _sales(brand, honest, 10, timedelta(hours=1))
    _sales(brand, injector, 10, timedelta(seconds=3))
    tag = brand.caller.organization_id[-8:].lower()
    manager = create_user(
        store, brand.caller.organization_id, f"m-{tag}@brand.example", "a long password 2",
        role="manager",
    )  # fmt: skip
    set_digest(store, brand.caller, manager.id, weekly=False, language="zh_Hans")
    return brand, honest, injector, manager.email


def test_a_partner_whose_orders_are_flagged_scores_and_the_honest_one_does_not(shop):
    brand, honest, injector, _ = shop
    score_all_partners(brand.store, organization_id=brand.caller.organization_id)
    scores = risk_by_partner(brand.store, brand.caller, brand.program_id)
    assert scores[honest.id].score == 0
    risky = scores[injector.id]
    assert [s.code for s in risky.signals] == ["flagged_share"]
    assert risky.signals[0].value == 100 and risky.signals[0].threshold == 30
    assert risky.score == 40 and risky.band == "medium" and not risky.alerted
    top = riskiest(brand.store, brand.caller, brand.program_id)
    assert [s.partner_id for s in top] == [injector.id]
    assert top[0].partner_name.startswith("Partner ")


def test_a_ban_elsewhere_raises_the_score_and_the_managers_are_told_once(shop, smtp, mail_settings):
    brand, _, injector, manager = shop
    inbox, _ = smtp
    store = brand.store
    other = create_program(
        store, brand.caller,
        ProgramTerms(name="Outlet", currency="USD", default_landing_url="https://brand.example/",
                     attribution_window_days=30, locking_days=30,
                     payout_threshold=Money.of("0", "USD"), listed=True),
    )  # fmt: skip
    apply_to_program(store, injector.caller, other.id)
    set_enrollment_status(store, brand.caller, other.id, injector.id, "suspended")

    assert (
        score_all_partners(
            store, settings=mail_settings, organization_id=brand.caller.organization_id
        )[brand.program_id]
        == 1
    )
    risky = risk_by_partner(store, brand.caller, brand.program_id)[injector.id]
    codes = {s.code: s for s in risky.signals}
    assert set(codes) == {"flagged_share", "banned_elsewhere"}
    assert codes["banned_elsewhere"].detail == other.id
    assert risky.score == 90 and risky.band == "high" and risky.alerted
    (mail,) = inbox.wait_for(manager)
    assert "高风险合作伙伴" in mail["Subject"]
    text = body(mail)
    assert "风险 90 分" in text and "已在其他计划中被暂停" in text and "首次评分" in text
    assert f"/console/fraud?program={brand.program_id}#partners" in text

    # the same day again: nobody is told twice
    assert (
        score_all_partners(
            store, settings=mail_settings, organization_id=brand.caller.organization_id
        )[brand.program_id]
        == 0
    )
    assert len(inbox.to(manager)) == 1
    assert [a.partner_id for a in recent_alerts(store, brand.caller, brand.program_id)] == [
        injector.id
    ]

    # the next day, lifted: the score falls, the history keeps both days
    set_enrollment_status(store, brand.caller, other.id, injector.id, "approved")
    store.clock.advance(timedelta(days=1))
    score_all_partners(store, settings=mail_settings, organization_id=brand.caller.organization_id)
    history = partner_history(store, brand.caller, brand.program_id, injector.id)
    assert [(h.score, h.previous) for h in history] == [(90, None), (40, 90)]
    assert [h.change for h in history] == [None, -50]
    assert len(inbox.to(manager)) == 1


def test_off_programs_are_not_scored_and_others_brands_see_nothing(shop, store):
    brand, _, injector, _ = shop
    change_fraud_settings(store, brand.caller, brand.program_id, mode="off", level="moderate")
    assert brand.program_id not in score_all_partners(
        store, organization_id=brand.caller.organization_id
    )
    assert risk_by_partner(store, brand.caller, brand.program_id) == {}
    change_fraud_settings(store, brand.caller, brand.program_id, mode="shadow", level="strict")
    score_all_partners(store, organization_id=brand.caller.organization_id)
    stranger = make_brand(store)
    with pytest.raises(NotFound):
        risk_by_partner(store, stranger.caller, brand.program_id)
    with pytest.raises(NotFound):
        partner_history(store, stranger.caller, brand.program_id, injector.id)
    # strict: 15 % flagged is enough, and weighs 50
    assert risk_by_partner(store, brand.caller, brand.program_id)[injector.id].score == 50


def test_a_sub_id_with_many_reversals_is_named(store):
    """One placement of a partner has half its orders returned; the partner as a whole
    stays under the rule, so the sub-id is what the score names."""
    brand = make_brand(store)
    partner = add_partner(brand)
    with store.read() as session:
        target = link_target(session, partner.link_code)
    returned = []
    for i in range(30):
        click_id = new_click_id()
        sub = "popunder" if i % 3 == 0 else "newsletter"
        row = click_row(target, click_id, store.clock.now(), "203.0.113.9", "Mozilla/5.0",
                        None, subs={"sub1": sub})  # fmt: skip
        record_clicks(store, [row])
        store.clock.advance(timedelta(hours=1))
        done = convert(brand, click_id=click_id).conversion
        if sub == "popunder" and len(returned) < 5:
            returned.append(done.id)
    for conversion_id in returned:
        reverse_conversion(
            store, brand.caller, conversion_id, ReversalRequest(reason_code="returned")
        )
    score_all_partners(store, organization_id=brand.caller.organization_id)
    found = risk_by_partner(store, brand.caller, brand.program_id)[partner.id]
    signals = {s.code: s for s in found.signals}
    # 30 orders in its first days: a jump from nothing, too
    assert set(signals) == {"sub_id_reversals", "volume_jump"}
    signal = signals["sub_id_reversals"]
    assert (signal.detail, signal.value) == ("popunder", 50)
    # the partner's 5 of 30 (16.7 %) stays under the rule; twice the program's rate is 33.3
    assert signal.threshold == Decimal("33.3")
    assert found.score == 40


def test_accounts_that_share_a_company_domain_or_a_website_are_one(store):
    """A company's e-mail domain or a website shared by two partners makes them one
    business's accounts; two strangers on a free mail provider share nothing."""
    from accord.partners.service import create_partner
    from accord.partners.tables import Partner
    from accord.protect.partners import duplicate_accounts

    brand = make_brand(store)

    def partner(email, website=None):
        made = create_partner(store, brand.caller, brand.program_id, name=email,
                              partner_type="coupon", email=email)  # fmt: skip
        if website:
            with store.unit() as session:
                session.get(Partner, made.partner.id).website = website
        return made.partner.id

    ops, pay = partner("ops@dealhub.example"), partner("pay@DealHub.example")
    alice, bob = partner("alice@gmail.com"), partner("bob@gmail.com")
    site_a = partner("a@one.example", "https://www.coupons.example/deals")
    site_b = partner("b@two.example", "http://coupons.example")
    found = {d.partner_id: d for d in duplicate_accounts(store, brand.caller, brand.program_id)}
    assert set(found) == {ops, pay, site_a, site_b}
    assert found[ops].others == (pay,) and found[ops].shared == ("email_domain",)
    assert found[site_a].others == (site_b,) and found[site_a].shared == ("website",)
    assert alice not in found and bob not in found

    score_all_partners(store, organization_id=brand.caller.organization_id)
    scores = risk_by_partner(store, brand.caller, brand.program_id)
    assert [s.code for s in scores[ops].signals] == ["shared_account"]
    assert alice not in scores or scores[alice].score == 0
