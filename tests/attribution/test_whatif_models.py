"""What-if with an attribution model: what each partner would have earned had the program
attributed its past conversions under another policy, nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from accord.attribution.policy import Model, Policy
from accord.commissions.tables import Commission
from accord.contracts.service import RuleSpec
from accord.contracts.terms import TermsSpec
from accord.contracts.whatif import what_if
from accord.errors import InvalidInput
from tests.factories import add_partner, click, convert, make_brand


def _program_with_journeys(store):
    """Three partners; two customers each click A, then B, then C an hour apart and order
    100.00 after each click (10% commission). Under last click each order pays its last
    click's partner: 6 orders x 10.00 = 60.00 in all."""
    brand = make_brand(store, rules=[RuleSpec(event_type="sale", percent="10")])
    since = store.clock.now()
    a, b, c = (add_partner(brand) for _ in range(3))
    for customer in ("ann", "bob"):
        for n, partner in enumerate((a, b, c)):
            store.clock.advance(timedelta(hours=1))
            convert(brand, f"{customer}-{n}", customer_id=customer, click_id=click(brand, partner))
    store.clock.advance(timedelta(hours=1))
    return brand, (a, b, c), since, store.clock.now()


def test_linear_split_under_current_contracts_moves_credit_and_keeps_the_total(store):
    brand, (a, b, c), since, until = _program_with_journeys(store)
    result = what_if(
        store, brand.caller, brand.program_id, None, since, until, Policy(Model.LINEAR, split=True)
    ).as_dict()
    by = {p["partner_id"]: p for p in result["partners"]}
    # Actual (last click): each partner earned 2 x 10.00 = 20.00.
    assert {p: by[p]["actual"] for p in by} == {a.id: "20.00", b.id: "20.00", c.id: "20.00"}
    # Linear, per customer: order 0 -> A 10.00; order 1 -> A 5.00, B 5.00; order 2 -> the
    # three shares of 10.00 are 3.33, 3.33 and 3.34 (C's stored share, 0.333333333334, is
    # the one rounding left over, so the cent goes to C). Two customers:
    # A 2 x 18.33 = 36.66, B 2 x 8.33 = 16.66, C 2 x 3.34 = 6.68; the total stays 60.00.
    assert result["draft"] == result["actual"] == "60.00"
    assert {p: by[p]["draft"] for p in by} == {a.id: "36.66", b.id: "16.66", c.id: "6.68"}
    assert by[c.id]["difference"] == "-13.32"
    # Nothing was written.
    with store.read() as session:
        count = session.scalar(
            select(func.count())
            .select_from(Commission)
            .where(Commission.program_id == brand.program_id)
        )
    assert count == 6


def test_first_click_with_draft_terms_pays_the_introducer_at_the_draft_rate(store):
    brand, (a, b, c), since, until = _program_with_journeys(store)
    draft = TermsSpec(rules=[RuleSpec(event_type="sale", percent="20")])
    result = what_if(
        store, brand.caller, brand.program_id, draft, since, until, Policy(Model.FIRST_CLICK)
    ).as_dict()
    by = {p["partner_id"]: p["draft"] for p in result["partners"]}
    # Every order's journey starts with A: 6 orders x 20.00.
    assert by == {a.id: "120.00", b.id: "0.00", c.id: "0.00"}


def test_what_if_needs_terms_or_a_model(store):
    brand, _, since, until = _program_with_journeys(store)
    with pytest.raises(InvalidInput, match="terms"):
        what_if(store, brand.caller, brand.program_id, None, since, until)
