"""The partner activity score (accord.reports.engagement): examples and properties."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from accord.reports.engagement import Signals, reference, score

counts = st.integers(min_value=0, max_value=50)
money = st.integers(min_value=0, max_value=10**9)
signals = st.builds(Signals, counts, counts, counts, money)


def test_examples_worked_by_hand():
    assert score(Signals(), 10_000) == 0
    assert score(Signals(8, 5, 3, 10_000), 10_000) == 100
    # 4 of 8 days (10) + 1 of 5 links (4) + 0 content + half the reference (20) = 34
    assert score(Signals(4, 1, 0, 5_000), 10_000) == 34
    # no partner brought revenue: revenue adds nothing, the rest counts
    assert score(Signals(8, 5, 3, 0), 0) == 60
    assert reference([0, 0]) == 0
    assert reference([100, 0, 300, 200, 400]) == 300  # nearest rank: ceil(0.75 x 4) = 3rd


@given(signals, money)
def test_the_score_is_between_0_and_100(s, ref):
    assert 0 <= score(s, ref) <= 100


@given(signals, money, st.sampled_from(["sign_in_days", "links", "content", "revenue_minor"]),
       st.integers(min_value=1, max_value=1000))  # fmt: skip
def test_more_of_any_signal_never_lowers_the_score(s, ref, name, more):
    from dataclasses import replace

    higher = replace(s, **{name: getattr(s, name) + more})
    assert score(higher, ref) >= score(s, ref)


@given(signals)
def test_no_one_signal_makes_a_partner_active_alone(s):
    only_revenue = Signals(0, 0, 0, s.revenue_minor)
    assert score(only_revenue, 1) <= 40
    assert score(Signals(s.sign_in_days, 0, 0, 0), 1) <= 20


@given(st.lists(money, max_size=40))
def test_the_reference_is_one_of_the_positive_revenues(revenues):
    ref = reference(revenues)
    positive = [r for r in revenues if r > 0]
    assert ref == 0 if not positive else ref in positive
