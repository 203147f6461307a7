"""A partner's own marks: the addresses its users sign in from, and the devices and cards of
its own orders. An order carrying one is the partner's own under any e-mail; partners that
share one may be one person. Coupon-site referrers, device floods and tax ids."""

from __future__ import annotations

import hashlib
import warnings
from datetime import timedelta

import pytest
from pydantic import ValidationError

from accord.conversions.model import ConversionReport
from accord.errors import InvalidInput
from accord.partners.service import set_payout_method
from accord.protect.backtest import run_backtest
from accord.protect.coupons import listed, read_hosts
from accord.protect.partners import duplicate_accounts
from accord.protect.service import assessment_of, change_fraud_settings
from accord.server import AccordApp
from accord.settings import Settings
from accord.tenancy.service import create_user
from accord.tracking.service import create_promo_code
from tests.factories import add_partner, click, convert, events_settled, make_brand

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

PASSWORD = "correct horse battery"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _codes(brand, recorded) -> dict[str, str | None]:
    found = assessment_of(brand.store, brand.caller, recorded.conversion.id)
    return {s.code: s.detail for s in found.signals}


def _sale(brand, partner, **fields):
    click_id = click(brand, partner)
    brand.store.clock.advance(timedelta(hours=1))
    return convert(brand, click_id=click_id, **fields)


@pytest.fixture
def brand(store):
    return make_brand(store)


def test_a_partners_own_card_and_phone_give_it_away_under_another_email(brand):
    partner = add_partner(brand)
    other = add_partner(brand)
    own = f"owner-{partner.id[-6:]}@partner.example".lower()
    create_user(brand.store, partner.caller.organization_id, own, PASSWORD)
    phone = {"gaid": "38400000-8cf0-11bd-b23e-10b96e40000d"}
    # the partner buys through its own link under its own e-mail, with its card and phone
    first = _sale(
        brand, partner, email_sha256=_sha(own), payment_fingerprint="fp_Own4242",
        device=phone, ip="198.51.100.40",
    )  # fmt: skip
    assert _codes(brand, first) == {"self_referral": "email"}
    brand.store.clock.advance(timedelta(days=3))
    # later, under a made-up e-mail: the same card, then the same phone
    by_card = _sale(
        brand, partner, email_sha256=_sha("someone@else.example"), payment_fingerprint="fp_Own4242"
    )
    assert _codes(brand, by_card) == {"self_referral": "payment"}
    by_phone = _sale(brand, partner, email_sha256=_sha("third@else.example"), device=phone)
    assert _codes(brand, by_phone)["self_referral"] == "device"
    # the same card through another partner is that partner's customer, not its own
    elsewhere = _sale(brand, other, payment_fingerprint="fp_Own4242")
    assert "self_referral" not in _codes(brand, elsewhere)
    # an honest customer's order fires nothing
    honest = _sale(brand, partner, email_sha256=_sha("buyer@shop.example"), payment_fingerprint="x")
    assert _codes(brand, honest) == {}
    # the stored request keeps the fingerprint only as its hash
    assert "fp_Own4242" not in str(by_card.conversion.request)


def test_the_backtest_learns_the_partners_card_as_live_scoring_did(brand):
    partner = add_partner(brand)
    own = f"owner-{partner.id[-6:]}@partner.example".lower()
    create_user(brand.store, partner.caller.organization_id, own, PASSWORD)
    since = brand.store.clock.now()
    _sale(brand, partner, email_sha256=_sha(own), payment_fingerprint="card-77")
    _sale(brand, partner, email_sha256=_sha("x@else.example"), payment_fingerprint="card-77")
    _sale(brand, partner, email_sha256=_sha("y@else.example"), payment_fingerprint="card-78")
    until = brand.store.clock.now() + timedelta(minutes=1)
    result = run_backtest(
        brand.store, brand.caller, brand.program_id,
        {"since": since.isoformat(), "until": until.isoformat()},
    )  # fmt: skip
    rules = {r.code: r for r in result.rules}
    assert rules["self_referral"].fired == 2 and result.would_hold == 2


def test_an_order_from_an_address_the_partner_signs_in_from_is_flagged(store, brand):
    partner = add_partner(brand)
    twin = add_partner(brand)
    email = f"p-{partner.id[-6:]}@partner.example".lower()
    create_user(store, partner.caller.organization_id, email, PASSWORD)
    twin_email = f"t-{twin.id[-6:]}@partner.example".lower()
    create_user(store, twin.caller.organization_id, twin_email, PASSWORD)
    settings = Settings(trusted_proxies=["testclient"])
    with TestClient(AccordApp(store, settings), follow_redirects=False) as client:
        for who in (email, twin_email):
            page = client.get("/console/login")
            token = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            answer = client.post(
                "/console/login",
                data={"email": who, "password": PASSWORD, "csrf": token, "next": "/portal"},
                headers={"x-forwarded-for": "198.51.100.23"},
            )
            assert answer.status_code == 303
            client.cookies.clear()
    events_settled(store, partner.caller.organization_id)
    events_settled(store, twin.caller.organization_id)
    home = _sale(brand, partner, ip="198.51.100.23")
    assert _codes(brand, home) == {"partner_network": None}
    assert _codes(brand, _sale(brand, partner, ip="198.51.100.24")) == {}
    # both accounts signed in from one address: shown as possibly one person
    twins = {d.partner_id: d for d in duplicate_accounts(store, brand.caller, brand.program_id)}
    assert twins[partner.id].others == (twin.id,) and twins[partner.id].shared == ("sign_in_ip",)


def test_partners_giving_one_tax_id_are_shown_together_and_the_id_is_kept(brand):
    first, second, third = add_partner(brand), add_partner(brand), add_partner(brand)
    set_payout_method(
        brand.store, first.caller,
        {"method": "paypal", "paypal_email": "a@pay.example", "tax_id": "DE 123-456-789"},
    )  # fmt: skip
    set_payout_method(
        brand.store, second.caller,
        {"method": "paypal", "paypal_email": "b@pay.example", "tax_id": "de123456789"},
    )  # fmt: skip
    set_payout_method(
        brand.store, third.caller,
        {"method": "paypal", "paypal_email": "c@pay.example", "tax_id": "91350100M000100Y43"},
    )  # fmt: skip
    twins = {
        d.partner_id: d for d in duplicate_accounts(brand.store, brand.caller, brand.program_id)
    }
    assert set(twins) == {first.id, second.id}
    assert twins[first.id].shared == ("tax_id",)
    # a new payout method without a tax id keeps the one given before
    changed = set_payout_method(
        brand.store, first.caller, {"method": "paypal", "paypal_email": "new@pay.example"}
    )
    assert changed.payout_details["tax_id"] == "DE123456789"
    with pytest.raises(InvalidInput) as error:
        set_payout_method(
            brand.store, third.caller,
            {"method": "paypal", "paypal_email": "c@pay.example", "tax_id": "12"},
        )  # fmt: skip
    assert error.value.field == "tax_id"


def test_a_code_used_from_a_coupon_site_fires_and_one_from_a_blog_does_not(brand):
    partner = add_partner(brand)
    create_promo_code(brand.store, brand.caller, brand.program_id, "ANNA10", partner_id=partner.id)
    leaked = convert(
        brand, promo_code="ANNA10", referrer="https://www.retailmenot.com/view/brand.example"
    )
    assert _codes(brand, leaked) == {"coupon_site": "retailmenot.com"}
    assert leaked.conversion.referrer_host == "retailmenot.com"
    from_blog = convert(brand, promo_code="ANNA10", referrer="https://anna.example/spring-picks")
    assert _codes(brand, from_blog) == {}
    # a partner's own click from a coupon site is the partner's traffic, not a leak
    clicked = _sale(brand, partner, referrer="https://slickdeals.net/f/1234")
    assert _codes(brand, clicked) == {}


def test_many_orders_from_one_device_in_a_day_fire_and_the_first_sighting_is_kept(brand):
    partner = add_partner(brand)
    farm = {"idfa": "6D92078A-8246-4BA4-AE5B-76104861E7DC"}
    found = [_sale(brand, partner, device=farm) for _ in range(5)]
    assert [("device_velocity" in _codes(brand, r)) for r in found] == [False] * 4 + [True]
    signal = assessment_of(brand.store, brand.caller, found[-1].conversion.id).signals[0]
    assert (signal.value, signal.threshold) == (5, 5)


def test_active_mode_holds_an_order_paid_with_the_partners_own_card(brand):
    change_fraud_settings(
        brand.store, brand.caller, brand.program_id, mode="active", level="moderate", hold_at=70
    )
    partner = add_partner(brand)
    own = f"owner-{partner.id[-6:]}@partner.example".lower()
    create_user(brand.store, partner.caller.organization_id, own, PASSWORD)
    _sale(brand, partner, email_sha256=_sha(own), payment_fingerprint="card-1")
    later = _sale(brand, partner, payment_fingerprint="card-1")
    assert [c.status for c in later.commissions] == ["held"]


def test_bad_fingerprints_and_referrers_are_refused_with_the_field_named(brand):
    with pytest.raises(ValidationError) as error:
        ConversionReport(
            program_id=brand.program_id, order_id="o1", currency="USD", referrer="not a page"
        )
    assert "referrer" in str(error.value)
    report = ConversionReport(
        program_id=brand.program_id, order_id="o1", currency="USD", payment_fingerprint=" fp_1 "
    )
    assert report.payment_fingerprint == "sha256:" + _sha("fp_1")
    again = ConversionReport.model_validate(report.model_dump())
    assert again.payment_fingerprint == report.payment_fingerprint  # a replay hashes nothing twice


def test_the_coupon_site_list_reads_hosts_and_names_a_bad_line():
    hosts = read_hosts(["# deals", "www.Deals.example  # comment", "", "codes.example"])
    assert hosts == {"deals.example", "codes.example"}
    assert listed("uk.deals.example", hosts) == "deals.example"
    assert listed("deals.example.evil", hosts) is None
    assert listed("notdeals.example", hosts) is None
    with pytest.raises(ValueError, match="line 2"):
        read_hosts(["ok.example", "https://bad.example/path"])


def test_marks_unseen_for_90_days_are_forgotten_by_the_daily_task(brand):
    from accord.protect.tasks import forget_partner_marks

    partner = add_partner(brand)
    own = f"owner-{partner.id[-6:]}@partner.example".lower()
    create_user(brand.store, partner.caller.organization_id, own, PASSWORD)
    _sale(brand, partner, email_sha256=_sha(own), payment_fingerprint="card-old", ip="192.0.2.9")
    brand.store.clock.advance(timedelta(days=60))
    assert forget_partner_marks(brand.store)["forgotten"] == 0
    later = _sale(brand, partner, payment_fingerprint="card-old", ip="192.0.2.9")
    assert _codes(brand, later) == {"self_referral": "payment", "partner_network": None}
    brand.store.clock.advance(timedelta(days=95))
    assert forget_partner_marks(brand.store)["forgotten"] >= 2  # the card and the address
    gone = _sale(brand, partner, payment_fingerprint="card-old", ip="192.0.2.9")
    assert _codes(brand, gone) == {}
