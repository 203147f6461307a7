"""The fraud rules as pure functions: examples worked by hand, and properties that hold for
any facts (scores stay in 0..100 and add up the fired rules' weights, a stricter level never
scores lower, turning a rule off never raises a score, only active mode holds)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.protect.model import (
    CLICK_RULES,
    CONVERSION_RULES,
    PARTNER_ALERT_AT,
    PARTNER_RULES,
    RULES,
    Action,
    Baseline,
    ClickFacts,
    ConversionFacts,
    Level,
    Mode,
    OwnMarks,
    PartnerFacts,
    ProgramNorms,
    Tuning,
    band,
    device_keys,
    fast_threshold,
    ip_key,
    learned_marks,
    nearest_rank,
    order_run,
    quantiles,
    risen,
    score_click,
    score_conversion,
    score_partner,
    slow_threshold_days,
)

LEVELS = (Level.RELAXED, Level.MODERATE, Level.STRICT)


# examples ---------------------------------------------------------------------------------
def test_an_order_seconds_after_its_click_is_held_only_in_active_mode():
    facts = ConversionFacts(click_seconds=4.0)
    shadow = score_conversion(facts, Tuning(), Baseline())
    assert shadow.codes == ("fast_conversion",)
    assert (shadow.score, shadow.action) == (70, Action.FLAGGED)
    signal = shadow.signals[0]
    assert (signal.value, signal.threshold, signal.weight) == (Decimal("4.0"), 15, 70)
    active = score_conversion(facts, Tuning(Mode.ACTIVE), Baseline())
    assert (active.score, active.action) == (70, Action.HELD)
    assert score_conversion(facts, Tuning(Mode.ACTIVE, hold_at=71), Baseline()).action == (
        Action.FLAGGED
    )


def test_weights_add_up_and_stop_at_100():
    facts = ConversionFacts(
        click_seconds=2.0, self_referral=True, duplicate_minutes=3.0, ip_orders=6
    )
    result = score_conversion(facts, Tuning(Mode.ACTIVE), Baseline())
    assert set(result.codes) == {"fast_conversion", "self_referral", "duplicate_order",
                                 "ip_velocity"}  # fmt: skip
    assert sum(s.weight for s in result.signals) == 70 + 100 + 80 + 50
    assert result.score == 100


def test_the_programs_own_fastest_orders_lower_the_too_soon_threshold():
    tuning = Tuning()
    few = Baseline(count=50, quantiles={"0.01": 4.0})
    assert fast_threshold(tuning, few) == 15  # too few orders to trust
    quick = Baseline(count=1000, quantiles={"0.01": 4.0, "0.999": 40 * 86400.0})
    assert fast_threshold(tuning, quick) == Decimal("2.0")  # half of its 1st percentile
    assert score_conversion(ConversionFacts(click_seconds=3.0), tuning, quick).codes == ()
    # a long sales cycle raises the too-old threshold to the program's 99.9th percentile
    assert slow_threshold_days(tuning, quick) == Decimal("40.0")
    assert slow_threshold_days(tuning, Baseline()) == 14


def test_a_click_from_a_bot_is_invalid_in_active_mode_only():
    facts = ClickFacts(bot="Googlebot", ip_clicks=1)
    assert score_click(facts, Tuning()) == (100, ("bot",), False)
    assert score_click(facts, Tuning(Mode.ACTIVE)) == (100, ("bot",), True)
    off = Tuning(Mode.ACTIVE, overrides={"bot": {"enabled": False}})
    assert score_click(facts, off) == (0, (), False)
    flood = ClickFacts(ip_clicks=30, sub_id_clicks=120)
    assert score_click(flood, Tuning(Mode.ACTIVE)) == (100, ("ip_flood", "sub_id_burst"), True)


def test_consecutive_order_numbers_make_a_run():
    assert order_run("A1004", ["A1003", "A1002", "A1001", "A0999"]) == 4
    assert order_run("ORD-0100", ["ORD-0099", "ORD-0098"]) == 3  # zero-padded numbers count
    assert order_run("A1004", ["B1003", "A1002"]) == 1  # another prefix breaks the run
    assert order_run("A1004", ["A1002", "A1003"]) == 1  # latest first: not in a row
    assert order_run("no-number", ["no-number"]) == 0
    facts = ConversionFacts(order_run=5)
    result = score_conversion(facts, Tuning(Mode.ACTIVE), Baseline())
    assert result.codes == ("patterned_order_id",) and result.score == 40
    assert result.action is Action.FLAGGED  # alone it flags, below the hold threshold


def test_a_browser_name_without_the_headers_that_browser_sends():
    from accord.protect.clicks import claims_fetch_metadata

    chrome = "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/131.0.0.0 Safari/537.36"
    assert claims_fetch_metadata(chrome)
    assert claims_fetch_metadata("Mozilla/5.0 (X11; rv:128.0) Gecko/20100101 Firefox/128.0")
    assert not claims_fetch_metadata("Mozilla/5.0 AppleWebKit/537.36 Chrome/79.0.3945 Safari")
    assert not claims_fetch_metadata("Mozilla/5.0 (iPhone) Version/18.1 Mobile Safari/604.1")
    assert not claims_fetch_metadata(None) and not claims_fetch_metadata("curl/8.0")
    facts = ClickFacts(inconsistent=True)
    assert score_click(facts, Tuning(Mode.ACTIVE)) == (30, ("inconsistent_headers",), False)
    assert score_click(replace(facts, data_center=True), Tuning(Mode.ACTIVE))[2]  # 30 + 70


def test_nearest_rank_quantiles():
    values = [float(v) for v in range(1, 201)]  # 1 .. 200
    found = quantiles(values)
    assert found["0.01"] == 2.0  # the 2nd of 200
    assert found["0.5"] == 100.0
    assert found["0.999"] == 200.0
    assert nearest_rank("0.01", 1) == 1 and quantiles([]) == {}


def test_a_partner_is_scored_against_the_programs_own_figures():
    norms = ProgramNorms(
        median_rate=Decimal("0.02"),
        reversal_rate=Decimal("0.05"),
        overnight_share=Decimal("0.1"),
    )
    facts = PartnerFacts(
        scored=40, flagged=4, clicks=500, orders=40, reversals=12, overnight=16,
        orders_7=30, orders_before=10,
    )  # fmt: skip
    result = score_partner(facts, norms, Tuning())
    found = {s.code: s for s in result.signals}
    # 10 % flagged (< 30 %): no; 30 % reversed (>= 25 % and >= twice 5 %): yes;
    # 8 % converting = 4 times the median (< 5): no; 40 % overnight = 4 times the
    # program's (>= 3): yes; 30 orders against 10/3 a week = 9 times (>= 5): yes
    assert set(found) == {"reversal_rate", "overnight_orders", "volume_jump"}
    assert found["reversal_rate"].value == Decimal("30.0")
    assert found["overnight_orders"].value == Decimal("4.0")
    assert found["volume_jump"].value == Decimal("9.0")
    assert result.score == 30 + 20 + 20
    # a program whose customers return a fifth of what they buy: 30 % is not twice that
    lenient = replace(norms, reversal_rate=Decimal("0.2"))
    assert "reversal_rate" not in {s.code for s in score_partner(facts, lenient, Tuning()).signals}


def test_a_bad_sub_id_inside_a_good_partner_is_found_once():
    norms = ProgramNorms(median_rate=Decimal("0.02"), reversal_rate=Decimal("0.05"))
    subs = (("banner-a", 2000, 40, 1), ("popunder", 300, 30, 12), ("tiny", 5, 5, 5))
    facts = PartnerFacts(clicks=2300, orders=70, reversals=13, sub_ids=subs)
    found = {s.code: s for s in score_partner(facts, norms, Tuning()).signals}
    # the partner: 13 / 70 = 18.6 % reversed (< 25 %); its popunder: 40 % (tiny has too
    # few orders); the popunder converts 10 % = 5 times the median
    assert set(found) == {"sub_id_reversals", "sub_id_conversion"}
    assert (found["sub_id_reversals"].value, found["sub_id_reversals"].detail) == (
        Decimal("40.0"),
        "popunder",
    )
    assert found["sub_id_conversion"].value == Decimal("5.0")
    # when the partner as a whole fires, its sub-id is not counted again
    worse = replace(facts, reversals=30)
    codes = {s.code for s in score_partner(worse, norms, Tuning()).signals}
    assert "reversal_rate" in codes and "sub_id_reversals" not in codes


def test_small_partners_are_not_judged_on_rates():
    norms = ProgramNorms(median_rate=Decimal("0.01"), overnight_share=Decimal("0.05"))
    facts = PartnerFacts(scored=9, flagged=9, clicks=99, orders=9, reversals=9, overnight=9)
    assert score_partner(facts, norms, Tuning(level=Level.STRICT)).signals == ()


def test_alerts_when_reaching_the_high_band_or_rising_within_it():
    assert risen(None, 50) and risen(49, 50) and risen(10, 90)
    assert not risen(None, 49) and not risen(60, 79) and not risen(90, 50)
    assert risen(60, 80)
    assert (band(0), band(30), band(49), band(50)) == ("low", "medium", "medium", "high")


def test_what_of_the_customer_is_the_partners_own_is_named():
    phone = device_keys({"gaid": "g-1"})
    own = OwnMarks(
        emails=frozenset({"e" * 64}),
        devices=frozenset(phone),
        payments=frozenset({"p" * 64}),
        ips=frozenset({ip_key("198.51.100.7")}),
    )
    assert own.self_referral("e" * 64, phone, "p" * 64) == "email"
    assert own.self_referral("x" * 64, device_keys({"idfa": "i", "gaid": "g-1"}), None) == "device"
    assert own.self_referral(None, (), "p" * 64) == "payment"
    assert own.self_referral("x" * 64, device_keys({"gaid": "g-2"}), "q" * 64) is None
    assert own.network("198.51.100.7") and not own.network("198.51.100.8")
    assert not own.network(None)
    assert learned_marks(phone, "p" * 64, "198.51.100.7") == [
        ("device", phone[0]), ("payment", "p" * 64), ("ip", ip_key("198.51.100.7"))
    ]  # fmt: skip
    verdict = score_conversion(
        ConversionFacts(self_referral="payment", partner_network=True), Tuning(), Baseline()
    )
    assert [(s.code, s.detail) for s in verdict.signals] == [
        ("self_referral", "payment"), ("partner_network", None)
    ]  # fmt: skip
    assert verdict.score == 100


def test_a_device_flood_and_a_coupon_site_fire_at_their_thresholds():
    moderate = Tuning(Mode.ACTIVE)
    four = score_conversion(ConversionFacts(device_orders=4), moderate, Baseline())
    five = score_conversion(ConversionFacts(device_orders=5), moderate, Baseline())
    assert four.signals == () and five.codes == ("device_velocity",) and five.score == 50
    assert five.action is Action.FLAGGED  # 50 is under the hold threshold of 70
    leaked = score_conversion(ConversionFacts(coupon_site="retailmenot.com"), moderate, Baseline())
    assert leaked.codes == ("coupon_site",) and leaked.action is Action.HELD
    assert leaked.signals[0].detail == "retailmenot.com"


def test_a_partner_whose_orders_all_come_from_new_devices_against_the_program():
    norms = ProgramNorms(new_device_share=Decimal("0.4"))
    farm = PartnerFacts(with_device=20, new_device=20)
    found = score_partner(farm, norms, Tuning())
    assert found.codes == ("new_devices",)
    assert (found.signals[0].value, found.signals[0].threshold) == (Decimal("2.5"), 2)
    # under 80 % new, too few orders, or a program where every device is new: nothing
    assert score_partner(PartnerFacts(with_device=20, new_device=15), norms, Tuning()).codes == ()
    assert score_partner(PartnerFacts(with_device=9, new_device=9), norms, Tuning()).codes == ()
    everyone_new = ProgramNorms(new_device_share=Decimal("0.95"))
    assert score_partner(farm, everyone_new, Tuning()).codes == ()


# properties -------------------------------------------------------------------------------
seconds = st.one_of(st.none(), st.floats(min_value=0, max_value=90 * 86400))
conversion_facts = st.builds(
    ConversionFacts,
    click_seconds=seconds,
    invalid_click=st.one_of(st.none(), st.sampled_from(["bot", "data_center"])),
    self_referral=st.sampled_from([None, True, "email", "device", "payment"]),
    partner_network=st.booleans(),
    device_orders=st.integers(min_value=0, max_value=50),
    coupon_site=st.one_of(st.none(), st.just("retailmenot.com")),
    duplicate_minutes=st.one_of(st.none(), st.floats(min_value=0, max_value=10_000)),
    ip_orders=st.integers(min_value=0, max_value=50),
    partner_median_hours=st.one_of(st.none(), st.floats(min_value=0, max_value=2000)),
    code_countries=st.integers(min_value=0, max_value=30),
    order_run=st.integers(min_value=0, max_value=40),
)
baselines = st.one_of(
    st.just(Baseline()),
    st.builds(
        lambda p1, p999, count: Baseline(count, {"0.01": p1, "0.999": p1 + p999}),
        st.floats(min_value=0, max_value=3600),
        st.floats(min_value=0, max_value=120 * 86400),
        st.integers(min_value=0, max_value=10_000),
    ),
)
partner_facts = st.builds(
    PartnerFacts,
    scored=st.integers(0, 500),
    flagged=st.integers(0, 500),
    declined=st.integers(0, 20),
    clicks=st.integers(0, 50_000),
    orders=st.integers(0, 500),
    reversals=st.integers(0, 500),
    overnight=st.integers(0, 500),
    orders_7=st.integers(0, 500),
    orders_before=st.integers(0, 1500),
    shared_account=st.booleans(),
    with_device=st.integers(0, 500),
    new_device=st.integers(0, 500),
    banned_in=st.lists(st.sampled_from(["prg_a", "prg_b"]), max_size=2, unique=True).map(tuple),
    sub_ids=st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c"]),
            st.integers(0, 5000),
            st.integers(0, 300),
            st.integers(0, 300),
        ),
        max_size=3,
        unique_by=lambda t: t[0],
    ).map(tuple),
)
norms = st.builds(
    ProgramNorms,
    median_rate=st.one_of(st.none(), st.decimals("0.0001", "0.5", places=4)),
    reversal_rate=st.decimals("0", "1", places=3),
    overnight_share=st.decimals("0", "1", places=3),
    new_device_share=st.decimals("0", "1", places=3),
)
modes = st.sampled_from(list(Mode))
levels = st.sampled_from(LEVELS)


def _added_up(verdict) -> bool:
    return verdict.score == min(100, sum(s.weight for s in verdict.signals))


@settings(max_examples=300, deadline=None)
@given(conversion_facts, baselines, modes, levels)
def test_a_conversion_score_adds_up_the_rules_that_fired(facts, baseline, mode, level):
    tuning = Tuning(mode, level)
    result = score_conversion(facts, tuning, baseline)
    assert 0 <= result.score <= 100 and _added_up(result)
    for signal in result.signals:
        rule = RULES[signal.code]
        assert rule in CONVERSION_RULES
        assert (
            (signal.value >= signal.threshold) if rule.above else (signal.value <= signal.threshold)
        )
    assert (result.action is Action.HELD) == (mode is Mode.ACTIVE and bool(result.signals)
                                               and result.score >= tuning.hold_at)  # fmt: skip
    assert (result.action is Action.NONE) == (not result.signals)


@settings(max_examples=300, deadline=None)
@given(conversion_facts, baselines)
def test_a_stricter_level_never_scores_a_conversion_lower(facts, baseline):
    scores = [score_conversion(facts, Tuning(level=lv), baseline).score for lv in LEVELS]
    assert scores == sorted(scores)


@settings(max_examples=300, deadline=None)
@given(conversion_facts, baselines, levels, st.sampled_from([r.code for r in CONVERSION_RULES]))
def test_turning_a_conversion_rule_off_never_raises_the_score(facts, baseline, level, code):
    on = score_conversion(facts, Tuning(level=level), baseline)
    off = score_conversion(
        facts, Tuning(level=level, overrides={code: {"enabled": False}}), baseline
    )
    assert code not in off.codes and off.score <= on.score


@settings(max_examples=300, deadline=None)
@given(
    st.builds(
        ClickFacts,
        bot=st.one_of(st.none(), st.just("curl")),
        no_landing=st.booleans(),
        no_user_agent=st.booleans(),
        inconsistent=st.booleans(),
        data_center=st.booleans(),
        ip_clicks=st.integers(0, 200),
        sub_id_clicks=st.integers(0, 600),
    ),
    modes,
)
def test_a_click_score_and_its_judgement(facts, mode):
    scores = []
    for level in LEVELS:
        score, codes, invalid = score_click(facts, Tuning(mode, level))
        assert 0 <= score <= 100 and set(codes) <= {r.code for r in CLICK_RULES}
        assert invalid == (mode is Mode.ACTIVE and bool(codes) and score >= 70)
        scores.append(score)
    assert scores == sorted(scores)


@settings(max_examples=300, deadline=None)
@given(partner_facts, norms, levels)
def test_a_partner_score_adds_up_and_a_stricter_level_never_lowers_it(facts, found, level):
    result = score_partner(facts, found, Tuning(level=level))
    assert 0 <= result.score <= 100 and _added_up(result)
    assert {s.code for s in result.signals} <= {r.code for r in PARTNER_RULES}
    assert result.action is (Action.FLAGGED if result.signals else Action.NONE)
    scores = [score_partner(facts, found, Tuning(level=lv)).score for lv in LEVELS]
    assert scores == sorted(scores)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="ABC-_/x", max_size=6),
    st.integers(min_value=50, max_value=10**12),
    st.integers(min_value=1, max_value=40),
    st.integers(min_value=1, max_value=9),
)
def test_a_run_counts_exactly_the_consecutive_orders_before(prefix, number, run, gap):
    earlier = [f"{prefix}{number - k}" for k in range(1, run)]
    # an order out of the sequence ends the run, whatever comes after it
    earlier += [f"{prefix}{number - run - gap}", f"{prefix}{number - run - gap - 1}"]
    assert order_run(f"{prefix}{number}", earlier) == run


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), st.integers(0, 100)), st.integers(0, 100))
def test_an_alert_needs_the_high_band(previous, score):
    if risen(previous, score):
        assert score >= PARTNER_ALERT_AT
        assert previous is None or previous < PARTNER_ALERT_AT or score - previous >= 20
    elif score >= PARTNER_ALERT_AT:
        assert previous is not None and previous >= PARTNER_ALERT_AT


def test_every_rule_has_a_weight_and_threshold_at_every_level():
    for rule in RULES.values():
        for level in LEVELS:
            assert 0 <= rule.weight(level) <= 100 and rule.threshold(level) >= 0


marks = st.sets(st.text("abcdef0123456789", min_size=1, max_size=4), max_size=4)


@given(
    marks,
    marks,
    marks,
    st.text("abcdef0123456789", max_size=4),
    st.lists(st.text("abcdef0123456789", min_size=1, max_size=4), max_size=3),
    st.text("abcdef0123456789", max_size=4),
)
def test_a_match_is_named_by_the_first_kind_that_matches(
    emails, devices, payments, email, seen, card
):
    own = OwnMarks(frozenset(emails), frozenset(devices), frozenset(payments))
    found = own.self_referral(email or None, seen, card or None)
    expected = (
        "email" if email and email in emails
        else "device" if any(d in devices for d in seen)
        else "payment" if card and card in payments
        else None
    )  # fmt: skip
    assert found == expected
    # knowing more of the partner never forgets a match
    wider = OwnMarks(frozenset(emails | {"x"}), frozenset(devices | {"y"}), frozenset(payments))
    assert (wider.self_referral(email or None, seen, card or None) is None) <= (found is None)
