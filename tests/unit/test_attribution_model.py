"""Attribution: last click in the window, else a promo code, else nobody (with the reason)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.attribution.model import Touchpoint, TouchpointKind, attribute

PROPERTY = settings(max_examples=200, deadline=None)
OCCURRED = datetime(2026, 11, 11, 10, 0, tzinfo=UTC)
WINDOW = timedelta(days=30)


def click(ref: str, at: datetime, partner: str = "prt_a") -> Touchpoint:
    return Touchpoint(TouchpointKind.CLICK, ref, partner, at)


def promo(code: str, partner: str = "prt_code") -> Touchpoint:
    return Touchpoint(TouchpointKind.PROMO_CODE, code, partner, None)


# examples -----------------------------------------------------------------------------


def test_latest_click_in_the_window_wins():
    early = click("clk_1", OCCURRED - timedelta(days=5), "prt_early")
    late = click("clk_2", OCCURRED - timedelta(hours=1), "prt_late")
    decision = attribute([late, early], OCCURRED, WINDOW)
    assert decision.attributed
    assert decision.reason == "last_click_in_window"
    assert decision.model == "last_click"
    assert [c.touchpoint for c in decision.credits] == [late]
    assert decision.credits[0].share == Decimal(1)


def test_a_click_at_the_conversion_instant_qualifies():
    at_once = click("clk_1", OCCURRED)
    assert attribute([at_once], OCCURRED, WINDOW).credits[0].touchpoint == at_once


def test_a_click_exactly_one_window_before_qualifies():
    edge = click("clk_1", OCCURRED - WINDOW)
    assert attribute([edge], OCCURRED, WINDOW).reason == "last_click_in_window"


def test_a_click_just_outside_the_window_does_not_qualify():
    old = click("clk_1", OCCURRED - WINDOW - timedelta(seconds=1))
    decision = attribute([old], OCCURRED, WINDOW)
    assert not decision.attributed
    assert decision.reason == "click_outside_window"


def test_a_click_after_the_conversion_does_not_qualify():
    later = click("clk_1", OCCURRED + timedelta(seconds=1))
    decision = attribute([later], OCCURRED, WINDOW)
    assert not decision.attributed
    assert decision.credits == ()
    assert decision.reason == "click_after_conversion"


def test_clicks_both_too_old_and_too_late_report_outside_window():
    old = click("clk_1", OCCURRED - timedelta(days=60))
    later = click("clk_2", OCCURRED + timedelta(minutes=5))
    assert attribute([old, later], OCCURRED, WINDOW).reason == "click_outside_window"


def test_a_tie_on_click_time_goes_to_the_later_click_id():
    at = OCCURRED - timedelta(hours=2)
    first, second = click("clk_01A", at, "prt_a"), click("clk_01B", at, "prt_b")
    assert attribute([second, first], OCCURRED, WINDOW).credits[0].touchpoint == second


def test_click_times_in_other_time_zones_compare_as_instants():
    plus_eight = timezone(timedelta(hours=8))
    # 17:00+08:00 is 09:00 UTC, one hour before the conversion: it qualifies and is latest.
    local = click("clk_local", datetime(2026, 11, 11, 17, 0, tzinfo=plus_eight), "prt_cn")
    utc = click("clk_utc", OCCURRED - timedelta(hours=3), "prt_us")
    assert attribute([utc, local], OCCURRED, WINDOW).credits[0].touchpoint == local


def test_promo_code_wins_when_no_click_qualifies():
    code = promo("SAVE10")
    old = click("clk_1", OCCURRED - timedelta(days=90))
    decision = attribute([old, code], OCCURRED, WINDOW)
    assert decision.attributed
    assert decision.reason == "promo_code"
    assert decision.model == "promo_code"
    assert decision.credits[0].touchpoint == code
    assert decision.credits[0].share == Decimal(1)


def test_a_qualifying_click_beats_a_promo_code():
    recent = click("clk_1", OCCURRED - timedelta(days=1))
    decision = attribute([promo("SAVE10"), recent], OCCURRED, WINDOW)
    assert decision.credits[0].touchpoint == recent


def test_no_touchpoint_gives_no_credit():
    decision = attribute([], OCCURRED, WINDOW)
    assert not decision.attributed
    assert decision.reason == "no_touchpoint"


# properties ---------------------------------------------------------------------------

SECONDS = st.integers(min_value=-90 * 86400, max_value=5 * 86400)


@st.composite
def scenarios(draw):
    """Clicks at random offsets from the conversion (distinct ids), maybe a promo code."""
    offsets = draw(st.lists(SECONDS, max_size=8))
    partners = draw(
        st.lists(
            st.sampled_from(["prt_a", "prt_b", "prt_c"]),
            min_size=len(offsets),
            max_size=len(offsets),
        )
    )
    # ids are unique; their order is random so that time ties are broken by id, not position
    order = draw(st.permutations(range(len(offsets))))
    clicks = [
        click(f"clk_{order[i]:03d}", OCCURRED + timedelta(seconds=s), partners[i])
        for i, s in enumerate(offsets)
    ]
    codes = draw(st.lists(st.sampled_from(["SAVE10", "CREATOR5"]), max_size=2, unique=True))
    touchpoints = clicks + [promo(c) for c in codes]
    touchpoints = draw(st.permutations(touchpoints))
    window = timedelta(days=draw(st.integers(min_value=1, max_value=60)))
    return list(touchpoints), clicks, [promo(c) for c in codes], window


@PROPERTY
@given(scenarios())
def test_winner_is_the_latest_click_at_or_before_the_conversion_within_the_window(scenario):
    touchpoints, clicks, _codes, window = scenario
    eligible = [c for c in clicks if OCCURRED - window <= c.at <= OCCURRED]
    decision = attribute(touchpoints, OCCURRED, window)
    if not eligible:
        return
    latest_time = max(c.at for c in eligible)
    expected = max((c for c in eligible if c.at == latest_time), key=lambda c: c.ref)
    assert decision.reason == "last_click_in_window"
    assert len(decision.credits) == 1
    assert decision.credits[0].touchpoint == expected


@PROPERTY
@given(scenarios())
def test_shares_of_an_attributed_decision_sum_to_one(scenario):
    touchpoints, _clicks, _codes, window = scenario
    decision = attribute(touchpoints, OCCURRED, window)
    if decision.attributed:
        assert sum((c.share for c in decision.credits), Decimal(0)) == Decimal(1)
    else:
        assert decision.credits == ()


@PROPERTY
@given(scenarios())
def test_a_promo_code_wins_only_when_no_click_qualifies(scenario):
    touchpoints, clicks, codes, window = scenario
    eligible = [c for c in clicks if OCCURRED - window <= c.at <= OCCURRED]
    decision = attribute(touchpoints, OCCURRED, window)
    if not eligible and codes:
        assert decision.reason == "promo_code"
        assert decision.credits[0].touchpoint.kind is TouchpointKind.PROMO_CODE
        assert decision.credits[0].touchpoint in codes
    else:
        assert decision.reason != "promo_code"


@PROPERTY
@given(scenarios())
def test_without_eligible_click_or_code_there_is_no_credit_and_the_reason_says_why(scenario):
    touchpoints, clicks, codes, window = scenario
    eligible = [c for c in clicks if OCCURRED - window <= c.at <= OCCURRED]
    if eligible or codes:
        return
    decision = attribute(touchpoints, OCCURRED, window)
    assert not decision.attributed
    if not clicks:
        assert decision.reason == "no_touchpoint"
    elif all(c.at > OCCURRED for c in clicks):
        assert decision.reason == "click_after_conversion"
    else:
        assert decision.reason == "click_outside_window"


# view-through ----------------------------------------------------------------------------
VIEW = timedelta(hours=24)


def impression(ref: str, at: datetime, partner: str = "prt_view") -> Touchpoint:
    return Touchpoint(TouchpointKind.IMPRESSION, ref, partner, at)


def test_an_impression_in_the_view_window_credits_its_partner_when_nothing_else_does():
    seen = impression("imp_1", OCCURRED - timedelta(hours=3))
    decision = attribute([seen], OCCURRED, WINDOW, VIEW)
    assert decision.reason == "view_through" and decision.model == "view_through"
    assert [c.touchpoint for c in decision.credits] == [seen]


def test_an_impression_outside_the_view_window_or_after_the_order_credits_nobody():
    old = impression("imp_1", OCCURRED - timedelta(hours=25))
    after = impression("imp_2", OCCURRED + timedelta(minutes=1))
    assert attribute([old, after], OCCURRED, WINDOW, VIEW).reason == "no_touchpoint"
    assert not attribute([impression("imp_3", OCCURRED)], OCCURRED, WINDOW).attributed  # off


@PROPERTY
@given(
    click_hours=st.integers(min_value=0, max_value=24 * 30),
    view_hours=st.integers(min_value=0, max_value=24),
    with_code=st.booleans(),
)
def test_a_click_in_the_window_or_a_code_always_beats_an_impression(
    click_hours, view_hours, with_code
):
    seen = impression("imp_9", OCCURRED - timedelta(hours=view_hours))
    touches = [seen, click("clk_9", OCCURRED - timedelta(hours=click_hours), "prt_click")]
    if with_code:
        touches.append(promo("SAVE10"))
    decision = attribute(touches, OCCURRED, WINDOW, VIEW)
    assert decision.credits[0].touchpoint.kind is TouchpointKind.CLICK
    assert sum(c.share for c in decision.credits) == 1
