"""Moving partners between contracts from a date: orders from then on are paid under the
new contract, orders before under the contract of their time (also when they are reported
late), and nothing already computed changes; applicants are offered the contract meant for
their type; the console moves one partner or everyone on a contract."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.contracts.service import RuleSpec, create_contract, set_contract_types
from accord.errors import InvalidInput
from accord.partners.enrollments import contract_at
from accord.partners.service import (
    apply_to_program,
    contract_holders,
    move_to_contract,
    set_enrollment_status,
    sign_up_partner,
)
from accord.programs.service import update_program
from accord.tenancy.model import Caller, OrganizationKind
from accord.tenancy.service import create_user
from tests.factories import add_partner, click, convert, make_brand
from tests.web.conftest import csrf_of, sign_in, unique_email

PASSWORD = "correct horse battery"


def earned(recorded) -> Decimal:
    [commission] = recorded.commissions
    return Decimal(commission.amount_minor) / 100


def coupon_contract(brand) -> str:
    return create_contract(brand.store, brand.caller, brand.program_id, "Coupon sites",
                           [RuleSpec(event_type="sale", percent="2")]).id  # fmt: skip


def test_orders_are_paid_under_the_contract_of_their_time(store, clock):
    brand = make_brand(store)  # Standard: 10 % of a sale to a new customer
    coupon = coupon_contract(brand)
    partner = add_partner(brand, name="Deal Hub")
    before = convert(brand, amount="100.00", click_id=click(brand, partner))
    assert earned(before) == Decimal("10.00")

    clock.advance(timedelta(days=1))
    start = clock.now() + timedelta(days=7)
    assert move_to_contract(store, brand.caller, brand.program_id, [partner.id], coupon,
                            start) == 1  # fmt: skip
    waiting = convert(brand, amount="100.00", click_id=click(brand, partner))
    assert earned(waiting) == Decimal("10.00")  # the move has not begun

    clock.set(start + timedelta(hours=1))
    after = convert(brand, amount="100.00", click_id=click(brand, partner))
    assert earned(after) == Decimal("2.00")
    # an order of before the move, reported only now, is paid under the contract of its time
    now = clock.now()
    clock.set(start - timedelta(days=2, minutes=1))
    early_click = click(brand, partner)
    clock.set(now)
    late = convert(brand, amount="100.00", occurred_at=start - timedelta(days=2),
                   click_id=early_click)  # fmt: skip
    assert earned(late) == Decimal("10.00")
    # nothing already computed changed
    with store.read() as session:
        from accord.commissions.tables import Commission

        first = session.get(Commission, before.commissions[0].id)
        assert first.amount_minor == 1000


def test_a_move_cannot_start_in_the_past_and_a_later_decision_replaces_one_to_come(store, clock):
    brand = make_brand(store)
    coupon = coupon_contract(brand)
    partner = add_partner(brand)
    with pytest.raises(InvalidInput) as refused:
        move_to_contract(store, brand.caller, brand.program_id, [partner.id], coupon,
                         clock.now() - timedelta(days=1))  # fmt: skip
    assert refused.value.field == "effective_from"
    move_to_contract(store, brand.caller, brand.program_id, [partner.id], coupon,
                     clock.now() + timedelta(days=10))  # fmt: skip
    move_to_contract(store, brand.caller, brand.program_id, [partner.id], None,
                     clock.now() + timedelta(days=3))  # back to the default, sooner  # fmt: skip
    [holder] = [h for h in contract_holders(store, brand.caller, brand.program_id)
                if h.partner_id == partner.id]  # fmt: skip
    assert holder.coming_at == clock.now() + timedelta(days=3)
    assert holder.coming_contract is None  # the move of day 10 was replaced
    other = make_brand(store)
    with pytest.raises(Exception) as foreign:
        move_to_contract(store, other.caller, brand.program_id, [partner.id], coupon)
    assert getattr(foreign.value, "status", None) == 404


def test_an_applicant_is_offered_the_contract_meant_for_its_type(store):
    brand = make_brand(store)
    coupon = coupon_contract(brand)
    set_contract_types(store, brand.caller, coupon, ["coupon", "cashback"])
    update_program(store, brand.caller, brand.program_id, {"listed": True})
    deals = sign_up_partner(store, name="Deals", email=unique_email("d"), password=PASSWORD,
                            partner_type="coupon")  # fmt: skip
    blog = sign_up_partner(store, name="Blog", email=unique_email("b"), password=PASSWORD,
                           partner_type="content")  # fmt: skip
    for signed in (deals, blog):
        caller = Caller(signed.partner.organization_id, OrganizationKind.PARTNER,
                        signed.partner.id)  # fmt: skip
        apply_to_program(store, caller, brand.program_id)
    approved = set_enrollment_status(store, brand.caller, brand.program_id, deals.partner.id,
                                     "approved")  # fmt: skip
    assert approved.contract_id == coupon
    # the manager may choose another at approval
    chosen = set_enrollment_status(store, brand.caller, brand.program_id, blog.partner.id,
                                   "approved", contract_id=coupon)  # fmt: skip
    assert chosen.contract_id == coupon
    with pytest.raises(InvalidInput):
        set_contract_types(store, brand.caller, coupon, ["coupons"])


moves = st.lists(
    st.tuples(st.integers(0, 1000), st.sampled_from([None, "ctr_a", "ctr_b"])), max_size=6
).map(lambda pairs: sorted(pairs, key=lambda p: p[0]))


@given(initial=st.sampled_from([None, "ctr_a"]), planned=moves, at=st.integers(-5, 1005))
def test_the_contract_at_a_time_is_the_last_move_begun_by_then(initial, planned, at):
    origin = datetime(2027, 1, 1, tzinfo=UTC)
    enrollment = SimpleNamespace(
        contract_id=initial,
        contract_moves=[
            {"contract_id": c, "from": (origin + timedelta(hours=h)).isoformat()}
            for h, c in planned
        ],
    )
    expected = initial
    for hours, contract in planned:
        if hours <= at:
            expected = contract
    assert contract_at(enrollment, origin + timedelta(hours=at)) == expected


def test_the_console_moves_everyone_of_a_type_on_a_contract(store, clock, client):
    brand = make_brand(store)
    coupon = coupon_contract(brand)
    deals = add_partner(brand, partner_type="coupon", name="Deal Hub")
    blog = add_partner(brand, partner_type="content", name="Trail Blog")
    email = unique_email("pm")
    create_user(store, brand.caller.organization_id, email, PASSWORD)
    assert sign_in(client, email, PASSWORD).status_code == 303
    page = client.get(f"/console/contracts?program={brand.program_id}&contract={brand.contract_id}")
    assert "2 partners earn under Standard now" in page.text
    form = {"content-type": "application/x-www-form-urlencoded"}
    moved = client.post(f"/console/contracts/{brand.contract_id}/move",
                        content=f"csrf={csrf_of(page.text)}&program={brand.program_id}"
                                f"&to={coupon}&partner_type=coupon"
                                f"&effective_from={clock.now().date().isoformat()}",
                        headers=form)  # fmt: skip
    assert moved.status_code == 303
    page = client.get(moved.headers["location"])
    assert "1 partner moves to the other contract." in page.text
    assert "1 partner earns under Standard now" in page.text
    assert earned(convert(brand, amount="100.00", click_id=click(brand, deals))) == Decimal("2.00")
    assert earned(convert(brand, amount="100.00", click_id=click(brand, blog))) == Decimal("10.00")
    profile = client.get(f"/console/partners/{blog.id}?program={brand.program_id}")
    assert "Move to another contract" in profile.text
    later = (clock.now() + timedelta(days=5)).date().isoformat()
    client.post(f"/console/partners/{blog.id}/contract",
                content=f"csrf={csrf_of(profile.text)}&program={brand.program_id}"
                        f"&contract_id={coupon}&effective_from={later}", headers=form)  # fmt: skip
    profile = client.get(f"/console/partners/{blog.id}?program={brand.program_id}")
    assert re.search(r"moves to Coupon sites on \w+ \d+, \d{4}", profile.text)


def test_a_new_version_shows_what_changed_to_the_manager_and_to_the_partner(store, client):
    from accord.contracts.service import add_version
    from accord.partners.service import create_partner

    brand = make_brand(store)
    email, partner_email = unique_email("pm"), unique_email("lena")
    create_user(store, brand.caller.organization_id, email, PASSWORD)
    made = create_partner(store, brand.caller, brand.program_id, name="Lena", email=partner_email,
                          partner_type="content", with_login=True)  # fmt: skip
    tiers = {"metric": "conversions", "steps": [{"from": "10", "percent": "15"}]}
    add_version(store, brand.caller, brand.contract_id, {"rules": [
        {"event_type": "sale", "percent": "12", "customer_status": "new", "tiers": tiers},
        {"event_type": "sale", "percent": "5"}]}, requires_acceptance=True)  # fmt: skip
    assert sign_in(client, email, PASSWORD).status_code == 303
    page = client.get(f"/console/contracts?program={brand.program_id}")
    assert "What changed from version 1" in page.text
    assert re.search(r"rate \(%\)</td>\s*<td[^>]*><span translate=\"no\">10</span>", page.text)
    assert "tiers · step · 1 · rate (%)" in page.text
    client.cookies.set("accord_lang", "zh_Hans")
    zh = client.get(f"/console/contracts?program={brand.program_id}").text
    assert "规则 <strong>销售</strong>" in zh  # an unnamed rule is named by its event, in words
    client.cookies.delete("accord_lang")
    client.cookies.clear()
    assert sign_in(client, partner_email, made.password).status_code == 303
    terms = client.get(f"/portal/contract?program={brand.program_id}")
    assert "What changes from version 1 to version 2" in terms.text
    assert "from 10" in terms.text and "15.0%" in terms.text  # the tier step in full


def test_a_manager_builds_previews_and_saves_terms_without_json(store, client):
    from urllib.parse import urlencode

    from accord.contracts.service import list_versions

    brand = make_brand(store)
    email = unique_email("pm")
    create_user(store, brand.caller.organization_id, email, PASSWORD)
    assert sign_in(client, email, PASSWORD).status_code == 303
    page = client.get(f"/console/contracts/{brand.contract_id}/build?program={brand.program_id}")
    assert page.status_code == 200
    assert 'name="rule-0-percent"' in page.text and 'value="10"' in page.text  # the latest terms
    draft = {
        "csrf": csrf_of(page.text), "program": brand.program_id, "contract_id": brand.contract_id,
        "rule-0-event_type": "sale", "rule-0-percent": "8", "rule-0-customer_status": "any",
        "rule-0-tier_metric": "conversions", "rule-0-tier_mode": "marginal",
        "rule-0-tiers": "10: 12", "rule-0-countries": "de, at",
        "rule-1-event_type": "lead", "rule-1-fixed": "20.00",
        "cap-0-scope": "partner", "cap-0-period": "month", "cap-0-measure": "commission",
        "cap-0-limit": "", "sample_amount": "250.00", "sample_event": "sale",
        "sample_customer": "new", "sample_country": "DE", "sample_month": "12",
    }  # fmt: skip
    form = {"content-type": "application/x-www-form-urlencoded"}

    def post(**changes):
        return client.post("/console/contracts/build", headers=form,
                           content=urlencode(draft | changes))  # fmt: skip

    preview = post(action="preview")
    assert preview.status_code == 200
    assert re.search(r"<strong>\$30\.00</strong>", preview.text)  # 12 % of 250 past 10 orders
    other = make_brand(store)  # another brand's contract is not found, not an error page
    assert post(action="save", contract_id=other.contract_id).status_code == 404
    bad_day = post(action="whatif", whatif_since="2026-99-01")
    assert bad_day.status_code == 422 and "A date such as 2027-01-01" in bad_day.text
    outside = post(action="preview", sample_country="FR")
    assert "no rule matches this order" in outside.text

    wrong = post(action="save", **{"rule-0-percent": "180"})
    assert wrong.status_code == 422
    assert "A percent between 0 and 100" in wrong.text
    assert (
        'name="rule-0-percent" inputmode="decimal" size="6" value="180" aria-invalid="true"'
        in wrong.text
    )
    saved = post(action="save", requires_acceptance="on")
    assert saved.status_code == 303
    [*_, latest] = sorted(
        list_versions(store, brand.caller, brand.contract_id), key=lambda v: v.number
    )
    assert latest.number == 2 and latest.requires_acceptance
    assert latest.terms["rules"][0]["when"] == {"countries": {"include": ["DE", "AT"]}}
    assert latest.terms["rules"][0]["tiers"]["steps"] == [{"from": "10", "percent": "12"}]
    assert latest.terms["rules"][1] == {"event_type": "lead", "fixed": "20.00"}

    client.cookies.set("accord_lang", "zh_Hans")
    new = client.get(f"/console/contracts/new?program={brand.program_id}")
    assert "新合同" in new.text
    made = client.post("/console/contracts/build", headers=form, content=urlencode({
        "csrf": csrf_of(new.text), "program": brand.program_id, "action": "save",
        "name": "Coupon sites", "rule-0-event_type": "sale", "rule-0-percent": "2"}))  # fmt: skip
    assert made.status_code == 303 and "contract=ctr_" in made.headers["location"]


def test_a_what_if_of_draft_terms_runs_as_a_job_and_names_each_partner(store, clock, client):
    from urllib.parse import urlencode

    from tests.web.conftest import wait_for_job

    brand = make_brand(store)
    deals = add_partner(brand, partner_type="coupon", name="Deal Hub")
    blog = add_partner(brand, partner_type="content", name="Trail Blog")
    for partner in (deals, blog):
        convert(brand, amount="100.00", click_id=click(brand, partner))
    email = unique_email("pm")
    create_user(store, brand.caller.organization_id, email, PASSWORD)
    assert sign_in(client, email, PASSWORD).status_code == 303
    page = client.get(f"/console/contracts/{brand.contract_id}/build?program={brand.program_id}")
    day = clock.now().date().isoformat()
    draft = {
        "csrf": csrf_of(page.text), "program": brand.program_id,
        "contract_id": brand.contract_id, "action": "whatif",
        "rule-0-event_type": "sale", "rule-0-percent": "4",
        "whatif_since": day, "whatif_until": day, "whatif_scope": "partner_type:coupon",
    }  # fmt: skip
    form = {"content-type": "application/x-www-form-urlencoded"}
    started = client.post("/console/contracts/build", content=urlencode(draft), headers=form)
    assert started.status_code == 303 and "/console/jobs/job_" in started.headers["location"]
    done = wait_for_job(client, started.headers["location"])
    assert "What the draft would have paid" in done
    assert "What-if of draft terms" in client.get(started.headers["location"]).text
    assert "Deal Hub" in done and "Trail Blog" not in done  # coupon sites only
    assert "$10.00" in done and "$4.00" in done and "-$6.00" in done
    assert f'value="partner:{blog.id}"' in page.text  # or one partner by name
    alone_draft = urlencode(draft | {"whatif_scope": f"partner:{blog.id}"})
    one = client.post("/console/contracts/build", headers=form, content=alone_draft)
    alone = wait_for_job(client, one.headers["location"])
    assert "Trail Blog" in alone and "Deal Hub" not in alone
    csv_text = client.get(started.headers["location"] + "/what-if.csv").text
    assert csv_text.splitlines()[1].split(",")[1:6] == ["Deal Hub", "1", "10.00", "4.00", "-6.00"]
