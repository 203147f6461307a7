"""Backtests replay a past period under the program's rules or a draft: what would have been
held, the money involved, and how much of it was reversed anyway since."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from accord.conversions.model import ReversalRequest
from accord.conversions.reversals import reverse_conversion
from accord.errors import InvalidInput
from accord.protect.backtest import run_backtest
from tests.factories import add_partner, click, convert, make_brand

MINUTE = timedelta(minutes=1)


def _sale(brand, partner, *, wait=timedelta(hours=1), amount="100.00", **fields):
    click_id = click(brand, partner)
    brand.store.clock.advance(wait)
    return convert(brand, click_id=click_id, amount=amount, **fields).conversion


@pytest.fixture
def history(store):
    """In shadow mode (nothing held): two orders seconds after their clicks (one of them
    reversed as a return since), a repeated order, and four ordinary ones."""
    brand = make_brand(store)
    partner = add_partner(brand)
    start = store.clock.now()
    fast_returned = _sale(brand, partner, wait=timedelta(seconds=2))
    _sale(brand, partner, wait=timedelta(seconds=4))
    email = hashlib.sha256(b"a@example.com").hexdigest()
    _sale(brand, partner, email_sha256=email, amount="40.00")
    store.clock.advance(5 * MINUTE)
    _sale(brand, partner, wait=MINUTE, email_sha256=email, amount="40.00")  # 6 minutes later
    for _ in range(3):
        _sale(brand, partner)
    reverse_conversion(
        store, brand.caller, fast_returned.id, ReversalRequest(reason_code="returned")
    )
    return brand, start, store.clock.now() + MINUTE


def test_a_backtest_counts_what_each_rule_would_have_held(history):
    brand, since, until = history
    result = run_backtest(
        brand.store, brand.caller, brand.program_id,
        {"since": since.isoformat(), "until": until.isoformat()},
    )  # fmt: skip
    assert result.conversions == 7
    assert (result.flagged, result.would_hold) == (3, 3)
    assert result.held_later_reversed == 1 and result.later_reversed == 1
    assert result.held_order_minor == 100_00 + 100_00 + 40_00
    assert result.held_commission_minor == 10_00 + 10_00 + 4_00
    rules = {r.code: r for r in result.rules}
    assert (rules["fast_conversion"].fired, rules["fast_conversion"].later_reversed) == (2, 1)
    assert rules["duplicate_order"].fired == 1
    assert result.precision == pytest.approx(1 / 3)
    assert len(result.examples) == 3
    assert {e["codes"][0] for e in result.examples} == {"fast_conversion", "duplicate_order"}


def test_a_draft_is_tried_without_touching_the_programs_rules(history):
    brand, since, until = history
    args = {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "level": "relaxed",  # too soon: 5 seconds or less (60 points); both fast orders
        "hold_at": 60,
        "rules": {"duplicate_order": {"enabled": False}},
    }
    result = run_backtest(brand.store, brand.caller, brand.program_id, args)
    assert result.would_hold == 2 and result.level == "relaxed"
    strict = run_backtest(
        brand.store, brand.caller, brand.program_id, {**args, "level": "strict", "hold_at": 100}
    )
    assert strict.would_hold == 0 and strict.flagged == 2  # fired, below 100 points


def test_a_backtest_refuses_a_bad_period_or_draft(history):
    brand, since, until = history
    cases = [
        ({"since": "yesterday", "until": until.isoformat()}, "since"),
        ({"since": until.isoformat(), "until": since.isoformat()}, "until"),
        ({"since": (until - timedelta(days=500)).isoformat(), "until": until.isoformat()}, "until"),
        ({"since": "2026-11-01T00:00:00", "until": until.isoformat()}, "since"),
        ({"since": since.isoformat(), "until": until.isoformat(), "hold_at": 0}, "hold_at"),
        ({"since": since.isoformat(), "until": until.isoformat(), "level": "loose"}, "level"),
        (
            {"since": since.isoformat(), "until": until.isoformat(), "rules": {"x": {}}},
            "rules.x",
        ),
    ]
    for args, field in cases:
        with pytest.raises(InvalidInput) as caught:
            run_backtest(brand.store, brand.caller, brand.program_id, args)
        assert caught.value.field == field, (args, caught.value.message)
