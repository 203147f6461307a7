"""Credit split among several partners splits one commission: the partners' commissions add
back to what the conversion earns, to the cent, when recorded and after a refund.

No program splits credit yet (last click gives it all to one partner); these tests put a
linear model in its place, as a multi-touch program will.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from accord.attribution import service as attribution
from accord.attribution.model import Credit, Decision, TouchpointKind
from accord.commissions.tables import Commission
from accord.contracts.service import RuleSpec, create_contract
from accord.conversions.model import ReversalRequest
from accord.conversions.reversals import reverse_conversion
from tests.factories import add_partner, click, convert, make_brand

TEN_PERCENT = [RuleSpec(event_type="sale", percent="10")]


def linear(candidates, occurred_at, window, view_window=None):
    """Every click of the journey earns the same share."""
    clicks = [t for t in candidates if t.kind is TouchpointKind.CLICK]
    share = Decimal(1) / len(clicks)
    return Decision(tuple(Credit(t, share) for t in clicks), "linear", model="linear")


@pytest.fixture
def multi_touch(monkeypatch):
    monkeypatch.setattr(attribution, "weighed", lambda journey: list(journey))
    monkeypatch.setattr(attribution, "attribute", linear)


def _touched_by(brand, partners, amount="100.00"):
    """One customer clicks each partner's link and orders after each click; the last
    order's journey holds all the clicks."""
    recorded = None
    for n, partner in enumerate(partners):
        recorded = convert(
            brand, f"ORD-{n}", amount=amount, customer_id="cust-1", click_id=click(brand, partner)
        )
    return recorded


def _amounts(store, conversion_id):
    with store.read() as session:
        rows = session.scalars(
            select(Commission)
            .where(Commission.conversion_id == conversion_id)
            .order_by(Commission.partner_id)
        ).all()
        return {c.partner_id: c.amount_minor for c in rows}, rows


def test_a_commission_split_three_ways_adds_back_to_the_whole(store, multi_touch):
    brand = make_brand(store, rules=TEN_PERCENT)
    partners = [add_partner(brand) for _ in range(3)]
    recorded = _touched_by(brand, partners)
    amounts, rows = _amounts(store, recorded.conversion.id)
    assert sum(amounts.values()) == 1000  # 10% of 100.00; each third rounded alone: 9.99
    assert sorted(amounts.values()) == [333, 333, 334]
    assert all(row.explanation["split"]["whole"] == "10.00" for row in rows)
    journey = attribution.journey(store, brand.caller, recorded.conversion.id)
    assert [s.credited for s in journey.steps] == [True, True, True]
    assert sum(s.share for s in journey.steps) == pytest.approx(Decimal(1))


def test_a_partial_refund_keeps_the_split_adding_back_to_the_whole(store, multi_touch):
    brand = make_brand(store, rules=TEN_PERCENT)
    partners = [add_partner(brand) for _ in range(3)]
    recorded = _touched_by(brand, partners)
    reverse_conversion(
        store,
        brand.caller,
        recorded.conversion.id,
        ReversalRequest(amount=Decimal("50.00"), reason_code="returned"),
    )
    amounts, _ = _amounts(store, recorded.conversion.id)
    assert sum(amounts.values()) == 500  # each third of 5.00 alone would make 5.01
    reverse_conversion(
        store, brand.caller, recorded.conversion.id, ReversalRequest(reason_code="returned")
    )
    amounts, _ = _amounts(store, recorded.conversion.id)
    assert sum(amounts.values()) == 0


def test_two_partners_on_one_contract_split_an_odd_cent(store, multi_touch):
    brand = make_brand(store, rules=TEN_PERCENT)
    partners = [add_partner(brand) for _ in range(2)]
    recorded = _touched_by(brand, partners, amount="100.10")
    amounts, _ = _amounts(store, recorded.conversion.id)
    assert sorted(amounts.values()) == [500, 501]  # 10.01 in two


def test_a_partner_on_other_terms_is_paid_on_its_own_share(store, multi_touch):
    brand = make_brand(store, rules=TEN_PERCENT)
    richer = create_contract(
        store,
        brand.caller,
        brand.program_id,
        "Premium",
        [RuleSpec(event_type="sale", percent="20")],
    )
    standard = [add_partner(brand) for _ in range(2)]
    premium = add_partner(brand, contract_id=richer.id)
    recorded = _touched_by(brand, [*standard, premium])
    amounts, _ = _amounts(store, recorded.conversion.id)
    assert amounts[premium.id] == 667  # a third of 20.00
    assert sorted(amounts[p.id] for p in standard) == [333, 334]  # two thirds of 10.00: 6.67


def test_a_single_partner_is_paid_exactly_as_before(store):
    brand = make_brand(store, rules=TEN_PERCENT)
    partner = add_partner(brand)
    recorded = convert(brand, "ONE", amount="33.35", click_id=click(brand, partner))
    [commission] = recorded.commissions
    assert commission.amount_minor == 334  # 3.335 rounded half-up once
    assert "split" not in commission.explanation
