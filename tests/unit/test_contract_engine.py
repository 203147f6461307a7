"""The commission engine: rule order, conditions, items, tiers, caps, bounties, bonuses,
recurring renewals and exact rounding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.contracts.engine import (
    SCALE,
    CompiledTerms,
    Facts,
    Item,
    MemoryUsage,
    rescale,
    round_half_up,
    shard_by_month,
    stored_lines,
)
from accord.contracts.terms import parse_terms
from accord.errors import InvalidRequest

AT = datetime(2026, 11, 10, 12, tzinfo=UTC)


def compile_terms(rules, currency="USD", **more) -> CompiledTerms:
    return CompiledTerms(parse_terms({"rules": rules, **more}), currency)


def sale(amount_minor=10_000, **kw) -> Facts:
    values = {"partner_id": "p1", "event_type": "sale", "amount_minor": amount_minor}
    values["occurred_at"] = kw.pop("occurred_at", AT)
    values.update(kw)
    return Facts(**values)


def run(terms: CompiledTerms, facts_list):
    usage = MemoryUsage()
    outcomes = []
    for facts in facts_list:
        outcome = terms.evaluate(facts, usage)
        usage.record(facts, outcome)
        outcomes.append(outcome)
    return outcomes


# rule order and conditions -----------------------------------------------------------------
def test_the_first_rule_that_matches_wins_and_later_rules_are_not_consulted():
    terms = compile_terms(
        [
            {"event_type": "sale", "percent": "10", "customer_status": "new"},
            {"event_type": "sale", "percent": "5"},
        ]
    )
    assert terms.evaluate(sale(), MemoryUsage()).amount_minor == 1000
    returning = terms.evaluate(sale(customer_status="returning"), MemoryUsage())
    assert returning.amount_minor == 500
    assert returning.rule.index == 1


def test_conditions_on_country_device_promo_and_order_range():
    terms = compile_terms(
        [
            {"event_type": "sale", "percent": "20", "when": {"countries": {"include": ["us"]}}},
            {"event_type": "sale", "percent": "15", "when": {"devices": ["mobile"]}},
            {"event_type": "sale", "percent": "12", "when": {"promo_codes": {"include": ["VIP*"]}}},
            {"event_type": "sale", "percent": "8", "when": {"order_min": "50", "order_max": "200"}},
            {"event_type": "sale", "percent": "1"},
        ]
    )
    usage = MemoryUsage()

    def pct(**kw):
        outcome = terms.evaluate(sale(**kw), usage)
        return Decimal(outcome.amount_minor) / 100

    assert pct(country="US") == 20
    assert pct(country="DE", device="mobile") == 15
    assert pct(promo_code="vip-2026") == 12
    assert pct(promo_code="SAVE10") == 8  # 100.00 is inside 50..200
    assert pct(amount_minor=20_000) == 2  # 200.00 is not below order_max
    assert pct(amount_minor=4_999) == Decimal("0.50")  # 1% of 49.99 = 0.4999 -> 0.50


def test_promo_required_and_absent():
    terms = compile_terms(
        [
            {"event_type": "sale", "percent": "3", "when": {"promo": "required"}},
            {"event_type": "sale", "percent": "7", "when": {"promo": "absent"}},
        ]
    )
    assert terms.evaluate(sale(promo_code="X"), MemoryUsage()).amount_minor == 300
    assert terms.evaluate(sale(), MemoryUsage()).amount_minor == 700


def test_no_rule_for_the_event_type_means_no_commission():
    terms = compile_terms([{"event_type": "lead", "fixed": "20"}])
    outcome = terms.evaluate(sale(), MemoryUsage())
    assert outcome.rule is None
    assert outcome.amount_minor == 0


def test_excluded_skus_stop_an_order_rule_only_if_no_line_matches_the_include():
    terms = compile_terms(
        [
            {
                "event_type": "sale",
                "percent": "10",
                "when": {"categories": {"include": ["shoes"], "exclude": ["clearance"]}},
            },
            {"event_type": "sale", "percent": "2"},
        ]
    )
    shoes = Item("S1", "shoes", 1, 5_000)
    clearance = Item("S2", "clearance", 1, 5_000)
    assert terms.evaluate(sale(items=(shoes,)), MemoryUsage()).amount_minor == 1000
    assert terms.evaluate(sale(items=(clearance,)), MemoryUsage()).amount_minor == 200


# items -----------------------------------------------------------------------------------------
def test_item_rules_pay_per_line_and_the_order_rule_pays_the_rest():
    terms = compile_terms(
        [
            {
                "event_type": "sale",
                "basis": "item",
                "percent": "10",
                "when": {"skus": {"include": ["TV-*"]}},
            },
            {
                "event_type": "sale",
                "basis": "item",
                "fixed": "1.00",
                "when": {"categories": {"include": ["cables"]}},
            },
            {"event_type": "sale", "percent": "4"},
        ]
    )
    cart = (
        Item("TV-55", "tv", 1, 50_000),  # 10% of 500.00 = 50.00
        Item("HDMI-2", "cables", 3, 1_000),  # 3 x 1.00 = 3.00
        Item("MOUSE", "computers", 2, 2_500),  # falls to the order rule
    )
    outcome = terms.evaluate(sale(56_500, items=cart), MemoryUsage())
    kinds = [(line.kind, line.sku, line.basis_minor) for line in outcome.lines]
    assert kinds == [
        ("item", "TV-55", 50_000),
        ("item", "HDMI-2", 3_000),
        ("rest", None, 56_500 - 53_000),
    ]
    assert outcome.amount_minor == 5_000 + 300 + 140  # 4% of the 35.00 left


def test_item_rules_without_a_cart_leave_the_order_to_order_rules():
    terms = compile_terms(
        [
            {"event_type": "sale", "basis": "item", "percent": "10"},
            {"event_type": "sale", "percent": "4"},
        ]
    )
    assert terms.evaluate(sale(), MemoryUsage()).amount_minor == 400


# tiers -------------------------------------------------------------------------------------------
TIERED_COUNT = {
    "event_type": "sale",
    "percent": "5",
    "tiers": {"metric": "conversions", "steps": [{"from": "3", "percent": "8"}]},
}


def test_marginal_conversion_tiers_pay_from_the_nth_conversion_of_the_month():
    outcomes = run(compile_terms([TIERED_COUNT]), [sale() for _ in range(4)])
    assert [o.amount_minor for o in outcomes] == [500, 500, 800, 800]
    assert all(o.retro is None for o in outcomes)


def test_tiers_restart_each_month_and_count_each_partner_alone():
    later = AT + timedelta(days=30)
    facts = [sale(), sale(), sale(partner_id="p2"), sale(occurred_at=later), sale()]
    outcomes = run(compile_terms([TIERED_COUNT]), facts)
    assert [o.amount_minor for o in outcomes] == [500, 500, 500, 500, 800]


def test_retroactive_tier_flags_the_conversion_that_reaches_it():
    rule = dict(TIERED_COUNT, tiers={**TIERED_COUNT["tiers"], "mode": "retroactive"})
    outcomes = run(compile_terms([rule]), [sale() for _ in range(4)])
    assert [o.retro for o in outcomes] == [None, None, (0, 1), None]


def test_marginal_revenue_tiers_split_an_order_across_brackets():
    terms = compile_terms(
        [
            {
                "event_type": "sale",
                "percent": "5",
                "tiers": {"metric": "revenue", "steps": [{"from": "150", "percent": "10"}]},
            }
        ]
    )
    first, second = run(terms, [sale(10_000), sale(10_000)])
    assert first.amount_minor == 500
    # 50.00 at 5% (up to 150.00) and 50.00 at 10%
    assert [(line.basis_minor, line.tier) for line in second.lines] == [(5_000, 0), (5_000, 1)]
    assert second.amount_minor == 250 + 500


# caps, bounties, bonuses, renewals -------------------------------------------------------
def test_a_commission_cap_cuts_then_refuses():
    terms = compile_terms(
        [{"event_type": "sale", "percent": "10"}],
        caps=[{"scope": "partner", "period": "day", "measure": "commission", "limit": "25"}],
    )
    outcomes = run(terms, [sale(), sale(), sale(), sale(partner_id="p2")])
    assert [(o.amount_minor, o.over_cap) for o in outcomes] == [
        (1000, False),
        (1000, False),
        (500, False),
        (1000, False),
    ]
    over = run(terms, [sale()] * 4)[-1]
    assert over.over_cap and over.amount_minor == 0 and over.gross_minor == 1000


def test_a_program_conversion_cap_counts_every_partner():
    terms = compile_terms(
        [{"event_type": "sale", "fixed": "2"}],
        caps=[{"scope": "program", "period": "month", "measure": "conversions", "limit": "2"}],
    )
    outcomes = run(terms, [sale(partner_id=p) for p in ("a", "b", "c")])
    assert [o.over_cap for o in outcomes] == [False, False, True]


def test_a_bounty_adds_inside_its_time_box_only():
    terms = compile_terms(
        [{"event_type": "sale", "percent": "5"}],
        bounties=[
            {
                "name": "Black Friday",
                "amount": "10",
                "starts_at": "2026-11-27T00:00:00Z",
                "ends_at": "2026-11-28T00:00:00Z",
            }
        ],
    )
    inside = datetime(2026, 11, 27, 8, tzinfo=UTC)
    assert terms.evaluate(sale(occurred_at=inside), MemoryUsage()).amount_minor == 1500
    assert terms.evaluate(sale(), MemoryUsage()).amount_minor == 500


def test_a_bonus_is_reached_once_by_the_conversion_that_crosses_its_target():
    terms = compile_terms(
        [{"event_type": "sale", "percent": "5"}],
        bonuses=[{"name": "Three sales", "threshold": "3", "amount": "50"}],
    )
    outcomes = run(terms, [sale() for _ in range(5)])
    assert [len(o.bonuses) for o in outcomes] == [0, 0, 1, 0, 0]


def test_recurring_renewals_are_paid_for_the_contracted_months_only():
    terms = compile_terms([{"event_type": "renewal", "percent": "20", "recurring": {"months": 12}}])
    start = datetime(2025, 12, 1, tzinfo=UTC)

    def renewal(at):
        facts = sale(occurred_at=at, subscription_started_at=start)
        facts.event_type = "renewal"
        return terms.evaluate(facts, MemoryUsage()).amount_minor

    assert renewal(datetime(2026, 11, 30, tzinfo=UTC)) == 2000  # month 11
    assert renewal(datetime(2026, 12, 1, tzinfo=UTC)) == 0  # month 12: over


# arithmetic -----------------------------------------------------------------------------------
@given(
    amount=st.integers(0, 10**12),
    percent=st.decimals(0, 100, places=4),
    fixed=st.integers(0, 10**6),
    share=st.sampled_from(["1", "0.5", "0.3333", "0.25", "0.7"]),
)
def test_the_amount_equals_the_exact_formula_rounded_half_up_once(amount, percent, fixed, share):
    terms = compile_terms(
        [{"event_type": "sale", "percent": str(percent), "fixed": str(Decimal(fixed) / 100)}]
    )
    outcome = terms.evaluate(sale(amount, share=Decimal(share)), MemoryUsage())
    exact = (Decimal(amount) * percent / 100 + fixed) * Decimal(share)
    assert outcome.amount_minor == int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@given(amount=st.integers(1, 10**9), percent=st.decimals(0, 100, places=2))
def test_rescaling_keeps_the_whole_order_and_drops_a_whole_return(amount, percent):
    terms = compile_terms([{"event_type": "sale", "percent": str(percent)}])
    outcome = terms.evaluate(sale(amount), MemoryUsage())
    lines = stored_lines(outcome)
    num, den = rescale(lines, original_minor=amount, remaining_minor=amount)
    assert round_half_up(num, SCALE * den) == outcome.amount_minor
    assert rescale(lines, original_minor=amount, remaining_minor=0) == (0, 1)


def test_returning_one_unit_of_an_item_shrinks_its_line_and_per_unit_fixed():
    terms = compile_terms(
        [{"event_type": "sale", "basis": "item", "percent": "10", "fixed": "1"}],
    )
    outcome = terms.evaluate(sale(6_000, items=(Item("A", None, 3, 2_000),)), MemoryUsage())
    assert outcome.amount_minor == 600 + 300
    num, den = rescale(
        stored_lines(outcome), original_minor=6_000, remaining_minor=4_000, returned={"A": 1}
    )
    assert round_half_up(num, SCALE * den) == 400 + 200


def test_explain_shows_the_rule_inputs_and_arithmetic():
    terms = compile_terms([{"event_type": "sale", "percent": "8", "name": "Standard"}])
    facts = sale(12_990, share=Decimal("0.5"))
    explained = terms.explain(facts, terms.evaluate(facts, MemoryUsage()))
    assert explained["rule"]["name"] == "Standard"
    assert explained["inputs"]["amount"] == "129.90"
    assert explained["arithmetic"] == "(129.90 x 8%) x share 0.5 = 5.20 USD (rounded half-up once)"


# validation ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ({"rules": []}, "rules"),
        ({"rules": [{"event_type": "sale"}]}, "rules[0]"),
        ({"rules": [{"event_type": "sell", "percent": "5"}]}, "rules[0].event_type"),
        ({"rules": [{"event_type": "sale", "percent": "101"}]}, "rules[0].percent"),
        (
            {
                "rules": [
                    {
                        "event_type": "sale",
                        "percent": "5",
                        "when": {"countries": {"include": ["USA"]}},
                    }
                ]
            },
            "rules[0].when.countries",
        ),
        (
            {
                "rules": [
                    {
                        "event_type": "sale",
                        "percent": "5",
                        "tiers": {
                            "metric": "conversions",
                            "steps": [
                                {"from": "10", "percent": "6"},
                                {"from": "5", "percent": "7"},
                            ],
                        },
                    }
                ]
            },
            "rules[0].tiers",
        ),
        (
            {"rules": [{"event_type": "sale", "percent": "5"}], "caps": [{"limit": "0"}]},
            "caps[0].limit",
        ),
    ],
)
def test_bad_terms_name_the_field_to_fix(terms, field):
    with pytest.raises(InvalidRequest) as caught:
        parse_terms(terms)
    assert caught.value.field == field


def test_months_computed_apart_give_the_one_pass_result():
    terms = compile_terms(
        [dict(TIERED_COUNT, tiers={**TIERED_COUNT["tiers"], "mode": "retroactive"})],
        caps=[{"scope": "program", "period": "month", "measure": "conversions", "limit": "4"}],
        bonuses=[{"name": "Two", "threshold": "2", "amount": "5"}],
    )
    assert terms.months_independent
    facts = [
        sale(partner_id=f"p{n % 3}", occurred_at=AT + timedelta(days=9 * n)) for n in range(12)
    ]
    one_pass = [(o.amount_minor, o.over_cap, len(o.bonuses)) for o in run(terms, facts)]
    by_shard = {}
    for shard in shard_by_month(facts, 2):
        for f, o in zip(shard, run(terms, shard), strict=True):
            by_shard[id(f)] = (o.amount_minor, o.over_cap, len(o.bonuses))
    assert [by_shard[id(f)] for f in facts] == one_pass
    lifetime = compile_terms(
        [{"event_type": "sale", "percent": "5"}],
        caps=[{"period": "total", "limit": "100"}],
    )
    assert not lifetime.months_independent
