"""Partner mix and diagnostic metrics against figures worked out by hand.

The program (USD; sales earn 10% from new customers, 5% from returning ones), all on
Sun 1 Nov 2026, the day the program was made:

| partner          | activity                                   | commission | lifetime value |
|------------------|--------------------------------------------|------------|----------------|
| A (content)      | 3 clicks, a 200.00 sale from a new customer | 20.00      | 180.00         |
| B (coupon)       | 1 click, a 100.00 sale, returning customer  | 5.00       | 95.00          |
| C (influencer)   | nothing                                    |            | 0              |
| D (content)      | applied, not approved: not counted         |            |                |

Engagement 2 of 3 approved partners; new customers 1 of 2 conversions; revenue 300.00:
content and reviews 66.67%, coupons and deals 33.33%, creators 0%. The program is 0 days old
with 3 partners: starting. Starting recommends content and reviews, creators, advocates,
coupons, cashback, e-mail and media: cashback, e-mail, advocates and media have no partner
(lacking); creators have a partner but 0% against 30% recommended (more than 10 points
under). For the goal "clear stock" the program has coupons but none of cashback and loyalty,
comparison and shopping, e-mail and newsletters, networks.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from accord.clock import FixedClock
from accord.errors import InvalidInput
from accord.reports import growth_model as gm
from accord.reports.mix import partner_mix
from accord.store.engine import Store
from tests.conftest import START
from tests.factories import Brand, add_partner, convert, make_brand
from tests.reports.builders import clicks_at


@pytest.fixture(scope="module")
def brand(engine) -> Brand:
    brand = make_brand(Store(engine, FixedClock(START)))
    a = add_partner(brand, partner_type="content")
    b = add_partner(brand, partner_type="coupon")
    add_partner(brand, partner_type="influencer")
    add_partner(brand, approved=False)
    convert(brand, amount="200.00", click_id=clicks_at(brand, a, 3), customer_status="new")
    convert(brand, amount="100.00", click_id=clicks_at(brand, b, 1), customer_status="returning")
    return brand


def test_mix_against_the_starting_stage(brand):
    report = partner_mix(brand.store, brand.caller, brand.program_id)
    assert report.stage is gm.Stage.STARTING and report.approved_partners == 3
    rows = {r.partner_type: r for r in report.rows}
    content = rows["content_and_reviews"]
    assert content.revenue_minor == 20000 and content.share == Decimal("0.6667")
    assert rows["coupons_and_deals"].share == Decimal("0.3333")
    assert rows["creators"].partners == 1 and rows["creators"].under
    assert report.lacking == [
        "cashback_and_loyalty", "email_and_newsletters", "advocates", "media_and_publishers"
    ]  # fmt: skip
    assert report.goal is None and report.goal_gaps is None
    mature = partner_mix(brand.store, brand.caller, brand.program_id, stage="mature")
    assert mature.stage is gm.Stage.MATURE and mature.inferred_stage is gm.Stage.STARTING
    assert "business_partners" in mature.lacking and "networks" in mature.lacking


def test_the_groups_a_goal_lacks(brand):
    report = partner_mix(brand.store, brand.caller, brand.program_id, goal="clear_stock")
    assert report.goal_gaps == [
        "cashback_and_loyalty", "comparison_and_shopping", "email_and_newsletters", "networks"
    ]  # fmt: skip
    story = partner_mix(brand.store, brand.caller, brand.program_id, goal="brand_story")
    assert story.goal_gaps == ["media_and_publishers", "brand_to_brand"]
    with pytest.raises(InvalidInput) as caught:
        partner_mix(brand.store, brand.caller, brand.program_id, goal="world_peace")
    assert caught.value.field == "goal"


def test_diagnostics_per_partner_type_and_program(brand):
    report = partner_mix(brand.store, brand.caller, brand.program_id)
    whole = report.program
    assert (whole.partners, whole.engaged) == (3, 2)
    assert whole.engagement_rate == Decimal("0.6667")
    assert whole.new_customer_share == Decimal("0.5000")
    assert whole.lifetime_value_minor == 18000 + 9500
    by_type = {t.key: t for t in report.types}
    assert by_type["content"].lifetime_value_minor == 18000
    assert by_type["coupon"].new_customer_share == Decimal("0")
    assert by_type["influencer"].engagement_rate == Decimal("0")
    assert by_type["influencer"].assist_rate is None  # no journey touches
    # every sale's journey has its one credited touch: nothing assisted
    assert whole.assist_rate == Decimal("0")


def test_an_unknown_stage_is_refused(brand):
    with pytest.raises(InvalidInput) as caught:
        partner_mix(brand.store, brand.caller, brand.program_id, stage="teen")
    assert caught.value.field == "stage"


@pytest.mark.parametrize(
    ("age", "partners", "stage"),
    [
        (10, 100, "starting"),
        (400, 9, "starting"),
        (400, 10, "growing"),
        (729, 60, "growing"),
        (730, 50, "mature"),
        (730, 49, "growing"),
    ],
)
def test_stage_rules(age, partners, stage):
    assert gm.infer_stage(age, partners) == stage
