"""Which touchpoints of a journey the last-click rule weighs: the journey may hold more than
a conversion names, but who earns the credit stays as it always was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.attribution.model import (
    VIA_CLICK_ID,
    VIA_CODE,
    VIA_CUSTOMER,
    VIA_SHOPPER,
    Touchpoint,
    TouchpointKind,
    attribute,
    weighed,
)

OCCURRED = datetime(2026, 11, 11, 10, 0, tzinfo=UTC)
WINDOW = timedelta(days=30)
VIEWS = timedelta(hours=24)


def click(ref, hours_ago, partner="prt_a", via=VIA_CLICK_ID):
    at = OCCURRED - timedelta(hours=hours_ago)
    return Touchpoint(TouchpointKind.CLICK, ref, partner, at, via)


def view(ref, hours_ago, partner="prt_v", via=VIA_SHOPPER):
    at = OCCURRED - timedelta(hours=hours_ago)
    return Touchpoint(TouchpointKind.IMPRESSION, ref, partner, at, via)


CODE = Touchpoint(TouchpointKind.PROMO_CODE, "SAVE10", "prt_code", None, VIA_CODE)


def test_the_named_click_wins_over_a_later_click_of_the_same_customer():
    named = click("clk_named", 48, "prt_named")
    later = click("clk_later", 1, "prt_later", via=VIA_CUSTOMER)
    assert weighed([later, named]) == [named]
    assert attribute(weighed([later, named]), OCCURRED, WINDOW).credits[0].touchpoint == named


def test_without_a_named_click_the_latest_app_identity_click_is_weighed():
    old = click("clk_old", 50, "prt_old", via="gaid")
    new = click("clk_new", 5, "prt_new", via="openid")
    assert weighed([new, old]) == [new]
    assert new.step_type == "app_identity" and old.step_type == "app_identity"
    assert click("clk_x", 1).step_type == "click"


def test_a_named_click_outside_the_window_still_says_why_nobody_won():
    stale = click("clk_stale", 24 * 40)
    decision = attribute(weighed([stale, view("imp_1", 1)]), OCCURRED, WINDOW, VIEWS)
    assert not decision.attributed
    assert decision.reason == "click_outside_window"


def test_impressions_count_only_without_a_click_or_code_and_only_the_shoppers_own():
    shoppers = view("imp_shopper", 2)
    remembered = view("imp_customer", 1, "prt_other", via=VIA_CUSTOMER)
    assert weighed([shoppers, remembered]) == [shoppers]
    assert weighed([shoppers, CODE]) == [CODE]
    decision = attribute(weighed([remembered, shoppers]), OCCURRED, WINDOW, VIEWS)
    assert decision.reason == "view_through"
    assert decision.credits[0].touchpoint == shoppers


def test_a_code_is_weighed_with_the_named_click_and_the_click_wins():
    named = click("clk_named", 3)
    assert weighed([CODE, named]) == [named, CODE]
    assert attribute(weighed([CODE, named]), OCCURRED, WINDOW).reason == "last_click_in_window"


touch_kinds = st.sampled_from(["named", "gaid", "customer", "shopper_view", "customer_view"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(touch_kinds, st.integers(0, 24 * 45)), max_size=8), st.booleans())
def test_touchpoints_only_tied_through_the_customer_never_change_the_decision(touches, code):
    """What the rule decided on what a conversion named (its click, its device's click, its
    code, the shopper's impressions) is what it decides with the customer's history added."""
    journey = []
    for n, (kind, hours) in enumerate(touches):
        if kind == "named":
            journey.append(click(f"clk_{n}", hours, f"prt_{n}"))
        elif kind == "gaid":
            journey.append(click(f"clk_{n}", hours, f"prt_{n}", via="gaid"))
        elif kind == "customer":
            journey.append(click(f"clk_{n}", hours, f"prt_{n}", via=VIA_CUSTOMER))
        elif kind == "shopper_view":
            journey.append(view(f"imp_{n}", hours, f"prt_{n}"))
        else:
            journey.append(view(f"imp_{n}", hours, f"prt_{n}", via=VIA_CUSTOMER))
    if code:
        journey.append(CODE)
    named_only = [t for t in journey if t.via != VIA_CUSTOMER]
    with_history = attribute(weighed(journey), OCCURRED, WINDOW, VIEWS)
    without = attribute(weighed(named_only), OCCURRED, WINDOW, VIEWS)
    assert with_history == without
