"""A program's attribution policy decides who is paid, from its effective date on, and never
rewrites a commission already computed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from accord.attribution import service as attribution
from accord.attribution.policies import list_policies, set_policy
from accord.attribution.policy import CodePolicy, Model, Policy
from accord.commissions.tables import Commission
from accord.contracts.service import RuleSpec
from accord.errors import Forbidden, InvalidInput
from tests.factories import add_partner, click, convert, make_brand

TEN_PERCENT = [RuleSpec(event_type="sale", percent="10"), RuleSpec(event_type="lead", fixed="5")]


def _amounts(store, conversion_id):
    with store.read() as session:
        rows = session.scalars(
            select(Commission).where(Commission.conversion_id == conversion_id)
        ).all()
        return {c.partner_id: c.amount_minor for c in rows}


def _journey_of_three(brand, partners, customer, amount="100.00", event_type="sale"):
    """The customer clicks each partner's link, ordering after each; the last order's
    journey holds all three clicks, an hour apart."""
    recorded = None
    for n, partner in enumerate(partners):
        brand.store.clock.advance(timedelta(hours=1))
        recorded = convert(
            brand,
            f"{customer}-{n}",
            amount=amount,
            customer_id=customer,
            click_id=click(brand, partner),
            event_type=event_type,
        )
    return recorded


def test_a_linear_split_policy_pays_each_partner_a_third_that_adds_back_to_the_cent(store):
    brand = make_brand(store, rules=TEN_PERCENT)
    partners = [add_partner(brand) for _ in range(3)]
    before = _journey_of_three(brand, partners, "early")
    # Last click before the policy: the last partner earns the whole 10.00.
    assert _amounts(store, before.conversion.id) == {partners[2].id: 1000}

    version = set_policy(store, brand.caller, brand.program_id, Policy(Model.LINEAR, split=True))
    assert version.in_force
    after = _journey_of_three(brand, partners, "late")
    amounts = _amounts(store, after.conversion.id)
    assert sorted(amounts.values()) == [333, 333, 334]  # 10.00 in thirds, to the cent
    assert sum(amounts.values()) == 1000
    # The commission computed before the policy is untouched.
    assert _amounts(store, before.conversion.id) == {partners[2].id: 1000}

    view = attribution.journey(store, brand.caller, after.conversion.id)
    assert view.policy_id == version.id and view.model == "linear"
    assert sum(s.share for s in view.steps if s.credited) == 1


def test_a_policy_for_later_waits_for_its_date_and_one_for_the_past_is_refused(store):
    brand = make_brand(store, rules=TEN_PERCENT)
    partners = [add_partner(brand) for _ in range(3)]
    start = store.clock.now() + timedelta(days=2)
    set_policy(
        store, brand.caller, brand.program_id, Policy(Model.FIRST_CLICK), effective_from=start
    )
    first = _journey_of_three(brand, partners, "c1")
    assert _amounts(store, first.conversion.id) == {partners[2].id: 1000}  # last click
    store.clock.advance(timedelta(days=2))
    second = _journey_of_three(brand, partners, "c2")
    # The journey of c2 holds c2's three clicks; first click pays the first partner.
    assert _amounts(store, second.conversion.id) == {partners[0].id: 1000}

    with pytest.raises(InvalidInput, match=r"effective_from.*now or later"):
        set_policy(
            store,
            brand.caller,
            brand.program_id,
            Policy(),
            effective_from=store.clock.now() - timedelta(days=1),
        )
    versions = list_policies(store, brand.caller, brand.program_id)
    assert [v.policy.model for v in versions] == [Model.FIRST_CLICK]
    assert versions[0].in_force


def test_a_policy_for_one_event_type_leaves_the_others_on_the_programs_rule(store):
    brand = make_brand(store, rules=TEN_PERCENT)
    partners = [add_partner(brand) for _ in range(2)]
    set_policy(store, brand.caller, brand.program_id, Policy(Model.FIRST_CLICK), event_type="lead")
    lead = _journey_of_three(brand, partners, "lead-c", event_type="lead")
    sale = _journey_of_three(brand, partners, "sale-c")
    assert _amounts(store, lead.conversion.id) == {partners[0].id: 500}
    assert _amounts(store, sale.conversion.id) == {partners[1].id: 1000}


def test_a_code_used_on_the_order_takes_the_credit_when_the_policy_says_always(store):
    from accord.tracking.service import create_promo_code

    brand = make_brand(store, rules=TEN_PERCENT)
    blog, deals = add_partner(brand), add_partner(brand, partner_type="coupon")
    create_promo_code(store, brand.caller, brand.program_id, "BLACKFRIDAY", partner_id=deals.id)
    set_policy(store, brand.caller, brand.program_id, Policy(code_policy=CodePolicy.ALWAYS))
    recorded = convert(brand, click_id=click(brand, blog), promo_code="blackfriday")
    assert _amounts(store, recorded.conversion.id) == {deals.id: 1000}
    assert recorded.conversion.attribution_reason == "promo_code_always"


def test_partners_and_bad_policies_are_refused(store):
    brand = make_brand(store)
    partner = add_partner(brand)
    with pytest.raises(Forbidden):
        set_policy(store, partner.caller, brand.program_id, Policy())
    with pytest.raises(InvalidInput, match="event_type"):
        set_policy(store, brand.caller, brand.program_id, Policy(), event_type="purchase!")
    assert list_policies(store, brand.caller, brand.program_id)[0].id is None  # the default
    assert Decimal(list_policies(store, brand.caller, brand.program_id)[0].policy.first_weight)
