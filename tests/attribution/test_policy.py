"""The models that pay, on journeys whose answers are worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.attribution.model import Touchpoint, TouchpointKind
from accord.attribution.policy import CodePolicy, Model, Policy, decide, weights
from accord.attribution.split import split_minor
from accord.errors import InvalidInput

ORDER = datetime(2026, 11, 11, 12, 0, tzinfo=UTC)
WINDOW = timedelta(days=30)


def touch(partner: str, hours_before: float, kind: str = "coupon", ref: str | None = None):
    return Touchpoint(
        TouchpointKind.CLICK,
        ref or f"clk-{partner}-{hours_before}",
        partner,
        ORDER - timedelta(hours=hours_before),
        partner_type=kind,
    )


def code(partner: str, kind: str = "coupon"):
    return Touchpoint(TouchpointKind.PROMO_CODE, "SAVE10", partner, None, "code", partner_type=kind)


def shares(outcome) -> dict[str, Decimal]:
    return {c.touchpoint.partner_id: c.share for c in outcome.decision.credits}


# A journey of four clicks: A 72 h before the order, B 48 h, C 24 h, A again 1 h.
JOURNEY = [touch("A", 72), touch("B", 48), touch("C", 24), touch("A", 1)]


def test_last_and_first_click_give_everything_to_one_partner():
    assert shares(decide(Policy(), JOURNEY, ORDER, WINDOW)) == {"A": 1}
    first = decide(Policy(model=Model.FIRST_CLICK), JOURNEY, ORDER, WINDOW)
    assert shares(first) == {"A": 1}
    assert first.decision.credits[0].touchpoint.ref == "clk-A-72"  # the first touch itself
    without_a = JOURNEY[1:3]
    assert shares(decide(Policy(model=Model.FIRST_CLICK), without_a, ORDER, WINDOW)) == {"B": 1}


def test_linear_split_gives_each_partner_its_touches_share():
    # 4 touches of 1/4: A has two (1/2), B and C one each (1/4).
    outcome = decide(Policy(model=Model.LINEAR, split=True), JOURNEY, ORDER, WINDOW)
    assert shares(outcome) == {"A": Decimal("0.5"), "B": Decimal("0.25"), "C": Decimal("0.25")}
    assert outcome.decision.reason == "linear_split"
    # Without split, the partner with the largest weight (A, 1/2) takes it all.
    alone = decide(Policy(model=Model.LINEAR), JOURNEY, ORDER, WINDOW)
    assert shares(alone) == {"A": 1}


def test_position_based_gives_the_ends_their_weights_and_the_middle_the_rest():
    # 40/20/40 over A B C A: first A 0.4, middle B and C 0.1 each, last A 0.4 -> A 0.8.
    policy = Policy(model=Model.POSITION_BASED, split=True)
    assert shares(decide(policy, JOURNEY, ORDER, WINDOW)) == {
        "A": Decimal("0.8"),
        "B": Decimal("0.1"),
        "C": Decimal("0.1"),
    }
    # 30/30 over three partners B C D: 0.3, 0.4, 0.3.
    three = [touch("B", 48), touch("C", 24), touch("D", 2)]
    custom = Policy(model=Model.POSITION_BASED, first_weight="0.3", last_weight="0.3", split=True)
    assert shares(decide(custom, three, ORDER, WINDOW)) == {
        "B": Decimal("0.3"),
        "C": Decimal("0.4"),
        "D": Decimal("0.3"),
    }
    # Two touches share the ends' weights in proportion: 0.4 / 0.8 each.
    two = [touch("B", 48), touch("C", 24)]
    assert shares(decide(policy, two, ORDER, WINDOW)) == {"B": Decimal("0.5"), "C": Decimal("0.5")}


def test_time_decay_halves_a_touch_per_half_life():
    # Half-life 24 h: B 48 h before weighs 1/4, C 24 h before 1/2, D at the order 1.
    # Total 7/4: B 1/7, C 2/7, D 4/7.
    three = [touch("B", 48), touch("C", 24), touch("D", 0)]
    policy = Policy(model=Model.TIME_DECAY, half_life_hours=24, split=True)
    assert weights(three, policy, ORDER) == [Fraction(1, 7), Fraction(2, 7), Fraction(4, 7)]
    got = shares(decide(policy, three, ORDER, WINDOW))
    assert got["B"] == Decimal(1 / Decimal(7)).quantize(Decimal("1e-12"))
    assert sum(got.values()) == 1


def test_clicks_outside_the_window_or_after_the_order_do_not_count():
    late = touch("L", -1)  # an hour after the order
    old = touch("O", 24 * 31)
    outcome = decide(
        Policy(model=Model.LINEAR, split=True), [old, touch("B", 5), late], ORDER, WINDOW
    )
    assert shares(outcome) == {"B": 1}


def test_promo_code_policies():
    journey = [touch("CONTENT", 30, "content"), code("COUPON")]
    # Without a click only (the rule before policies): the click wins.
    assert shares(decide(Policy(), journey, ORDER, WINDOW)) == {"CONTENT": 1}
    # Always: the code's partner takes it all.
    always = decide(Policy(code_policy=CodePolicy.ALWAYS), journey, ORDER, WINDOW)
    assert shares(always) == {"COUPON": 1} and always.decision.reason == "promo_code_always"
    # When involved: the code is a touch at the order's time; linear split halves it.
    involved = Policy(model=Model.LINEAR, split=True, code_policy=CodePolicy.WHEN_INVOLVED)
    assert shares(decide(involved, journey, ORDER, WINDOW)) == {
        "CONTENT": Decimal("0.5"),
        "COUPON": Decimal("0.5"),
    }
    # Only when it wins: under first click the code does not win, so it earns nothing...
    wins = Policy(model=Model.FIRST_CLICK, code_policy=CodePolicy.ONLY_WHEN_WINS)
    outcome = decide(wins, journey, ORDER, WINDOW)
    assert shares(outcome) == {"CONTENT": 1}
    assert [(t.partner_id, why) for t, why in outcome.dropped] == [("COUPON", "code_did_not_win")]
    # ... and under last click it is the last touch, so it wins.
    last = Policy(code_policy=CodePolicy.ONLY_WHEN_WINS)
    assert shares(decide(last, journey, ORDER, WINDOW)) == {"COUPON": 1}
    # A code alone earns under every policy.
    for policy in CodePolicy:
        assert shares(decide(Policy(code_policy=policy), [code("C")], ORDER, WINDOW)) == {"C": 1}


def test_a_content_partners_click_is_not_overwritten_by_a_coupon_site_within_the_hours():
    journey = [touch("BLOG", 10, "content"), touch("DEALS", 2, "coupon")]
    protected = Policy(type_priority=("content",), priority_hours=24)
    outcome = decide(protected, journey, ORDER, WINDOW)
    assert shares(outcome) == {"BLOG": 1}
    assert [(t.partner_id, why) for t, why in outcome.dropped] == [("DEALS", "protected:content")]
    # After the protected hours the coupon site's later click wins as usual.
    short = Policy(type_priority=("content",), priority_hours=4)
    assert shares(decide(short, journey, ORDER, WINDOW)) == {"DEALS": 1}
    # A content click after the coupon's is not dropped: protection looks forward only.
    reverse = [touch("DEALS", 10, "coupon"), touch("BLOG", 2, "content")]
    assert shares(decide(protected, reverse, ORDER, WINDOW)) == {"BLOG": 1}


def test_a_policy_names_what_is_wrong():
    with pytest.raises(InvalidInput, match="model"):
        Policy(model="best_guess")
    with pytest.raises(InvalidInput, match="last_weight"):
        Policy(first_weight="0.7", last_weight="0.7")
    with pytest.raises(InvalidInput, match="half_life_hours"):
        Policy(half_life_hours=0)
    with pytest.raises(InvalidInput, match="type_priority"):
        Policy(type_priority=("content", "content"))
    with pytest.raises(InvalidInput, match="first_weight"):
        Policy(first_weight="NaN")


partners = st.sampled_from(["A", "B", "C", "D", "E"])
hours = st.integers(min_value=0, max_value=24 * 29)
journeys = st.lists(st.tuples(partners, hours), min_size=1, max_size=12, unique_by=lambda t: t[1])
policies = st.builds(
    Policy,
    model=st.sampled_from(list(Model)),
    split=st.booleans(),
    half_life_hours=st.integers(min_value=1, max_value=500),
    first_weight=st.sampled_from(["0", "0.2", "0.4", "0.5"]),
    last_weight=st.sampled_from(["0", "0.3", "0.4", "0.5"]),
    type_priority=st.sampled_from([(), ("content",), ("content", "coupon")]),
    priority_hours=st.integers(min_value=0, max_value=48),
    code_policy=st.sampled_from(list(CodePolicy)),
)


@settings(max_examples=300, deadline=None)
@given(policy=policies, steps=journeys, with_code=st.booleans(), amount=st.integers(0, 10**9))
def test_every_policy_credits_shares_that_add_up_to_one_and_a_split_to_the_cent(
    policy, steps, with_code, amount
):
    journey = [touch(p, h, "content" if p in "AB" else "coupon") for p, h in steps]
    if with_code:
        journey.append(code("E"))
    outcome = decide(policy, journey, ORDER, WINDOW)
    credits = outcome.decision.credits
    assert credits, "a journey with a click or a code in the window always credits someone"
    assert sum(c.share for c in credits) == 1
    assert len({c.touchpoint.partner_id for c in credits}) == len(credits)
    assert all(c.share > 0 for c in credits)
    if not policy.split:
        assert len(credits) == 1
    parts = split_minor(amount, [c.share for c in credits])
    assert sum(parts) == amount
    assert all(abs(p - amount * c.share) < 1 for p, c in zip(parts, credits, strict=True))
