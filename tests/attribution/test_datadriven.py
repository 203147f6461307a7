"""Data-driven attribution: Markov chains of order 1-3, Shapley values, the rule-based
models beside them, and channel roles — with the examples worked by hand."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.attribution.datadriven import (
    MAX_STATES,
    MAX_TOUCHES,
    MODELS,
    PathCounts,
    PathTable,
    TimedJourney,
    TooManyStates,
    conversion_probability,
    first_touch,
    fit_all,
    group_arrays,
    group_journeys,
    last_touch,
    linear,
    markov,
    ordered_shapley,
    position_based,
    roles,
    shapley,
    shapley_brute_force,
    time_decay,
    transition_matrix,
)

# The worked example: three journeys over channels A, B and C.
#   J1: A -> B -> C, converts, value 30
#   J2: A -> C,      converts, value 10
#   J3: B,           does not convert
THREE = {
    ("A", "B", "C"): PathCounts(1, 0, 30),
    ("A", "C"): PathCounts(1, 0, 10),
    ("B",): PathCounts(0, 1, 0),
}


def close(a: float, b: float | Fraction) -> bool:
    return math.isclose(a, float(b), rel_tol=1e-12, abs_tol=1e-12)


def assert_credits(got: dict[str, float], want: dict[str, Fraction | float]) -> None:
    assert set(got) >= set(want)
    for channel, value in want.items():
        assert close(got[channel], value), (channel, got[channel], value)
    for channel in set(got) - set(want):
        assert close(got[channel], 0), (channel, got[channel])


# Markov order 1 ----------------------------------------------------------------------------
def test_order_1_transition_matrix_by_hand():
    # Transitions counted: start->A 2, start->B 1; A->B 1, A->C 1; B->C 1, B->null 1 (J3);
    # C->conversion 2. Rows normalised:
    #            A    B    C
    #   start  2/3  1/3   0      conv 0    null 0
    #   A       0   1/2  1/2     conv 0    null 0
    #   B       0    0   1/2     conv 0    null 1/2
    #   C       0    0    0      conv 1    null 0
    states, q, r, lost = transition_matrix(THREE, 1)
    assert states == [(), ("A",), ("B",), ("C",)]
    third, half = 1 / 3, 1 / 2
    assert np.allclose(
        q, [[0, 2 * third, third, 0], [0, 0, half, half], [0, 0, 0, half], [0, 0, 0, 0]]
    )
    assert np.allclose(r, [0, 0, 0, 1])
    assert np.allclose(lost, [0, 0, half, 0])


def test_order_1_removal_effects_by_hand():
    # Conversion probability from each state, b = Q b + r:
    #   b_C = 1;  b_B = 1/2 b_C = 1/2;  b_A = 1/2 b_B + 1/2 b_C = 3/4
    #   P = b_start = 2/3 b_A + 1/3 b_B = 1/2 + 1/6 = 2/3   (2 of the 3 journeys convert)
    # Remove A: start->A goes to null: P = 1/3 b_B = 1/6        -> RE_A = 1 - (1/6)/(2/3) = 3/4
    # Remove B: A->B goes to null: b_A = 1/2, P = 2/3 * 1/2 = 1/3 -> RE_B = 1 - (1/3)/(2/3) = 1/2
    # Remove C: nothing reaches a conversion: P = 0             -> RE_C = 1
    # Removal effects sum to 9/4; the 2 conversions split 3/4 : 1/2 : 1 of 9/4:
    #   A = 2 * 3/9 = 2/3,  B = 2 * 2/9 = 4/9,  C = 2 * 4/9 = 8/9  (2/3 + 4/9 + 8/9 = 2)
    # and the value 40 the same way: A = 40/3, B = 80/9, C = 160/9.
    fit = markov(THREE, 1)
    assert close(fit.conversion_probability, Fraction(2, 3))
    assert_credits(fit.removal_effects, {"A": Fraction(3, 4), "B": Fraction(1, 2), "C": 1})
    assert_credits(
        fit.credits.conversions, {"A": Fraction(2, 3), "B": Fraction(4, 9), "C": Fraction(8, 9)}
    )
    assert_credits(
        fit.credits.value, {"A": Fraction(40, 3), "B": Fraction(80, 9), "C": Fraction(160, 9)}
    )
    assert fit.states == 4


def test_order_1_converting_paths_only_closed_form():
    # What Accord keeps: converting paths only. A -> B once, B alone once.
    #   start->A 1/2, start->B 1/2; A->B 1; B->conversion 1.  P = 1 (every path converts).
    #   Remove A: only start->B->conversion is left: P = 1/2  -> RE_A = 1/2
    #   Remove B: every path passes B: P = 0                 -> RE_B = 1
    #   Credits of 2 conversions: A = 2 * (1/2)/(3/2) = 2/3, B = 2 * 1/(3/2) = 4/3.
    fit = markov({("A", "B"): PathCounts(1), ("B",): PathCounts(1)}, 1)
    assert close(fit.conversion_probability, 1)
    assert_credits(fit.removal_effects, {"A": Fraction(1, 2), "B": 1})
    assert_credits(fit.credits.conversions, {"A": Fraction(2, 3), "B": Fraction(4, 3)})


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 9), st.integers(0, 9), st.integers(1, 9), st.integers(0, 9))
def test_order_1_general_closed_form_two_channels(a, x, c, d):
    # Paths: A (a conv, x non-conv), A -> B (c conv), B (d conv). Order 1, by hand:
    #   start->A (a+x+c)/T, start->B d/T with T = a+x+c+d
    #   A->B c/(a+x+c), A->conv a/(a+x+c), A->null x/(a+x+c); B->conv 1
    #   b_B = 1, b_A = (a+c)/(a+x+c), P = (a+c+d)/T
    #   Remove A: P = d/T; remove B: P = a/T
    #   RE_A = (a+c)/(a+c+d), RE_B = (c+d)/(a+c+d)
    fit = markov({("A",): PathCounts(a, x), ("A", "B"): PathCounts(c), ("B",): PathCounts(d)})
    assert close(fit.conversion_probability, Fraction(a + c + d, a + x + c + d))
    assert_credits(
        fit.removal_effects,
        {"A": Fraction(a + c, a + c + d), "B": Fraction(c + d, a + c + d)},
    )
    # credits: the a+c+d conversions in proportion (a+c) : (c+d); e.g. a, x, c, d = 3, 2, 5, 4:
    # P = 12/14, RE_A = 8/12, RE_B = 9/12, A = 12 * 8/17, B = 12 * 9/17
    whole = a + c + d
    assert_credits(
        fit.credits.conversions,
        {
            "A": Fraction(whole * (a + c), a + 2 * c + d),
            "B": Fraction(whole * (c + d), a + 2 * c + d),
        },
    )


# Markov order 2 and 3 -------------------------------------------------------------------------
def test_order_2_by_hand():
    # States are the last two channels, padded at the start with "-":
    #   J1: start -> (-,A) -> (A,B) -> (B,C) -> conversion
    #   J2: start -> (-,A) -> (A,C) -> conversion
    #   J3: start -> (-,B) -> null
    # start: (-,A) 2/3, (-,B) 1/3; (-,A): (A,B) 1/2, (A,C) 1/2; (A,B)->(B,C) 1;
    # (B,C) and (A,C) -> conversion 1; (-,B) -> null 1.       P = 2/3 (as in order 1)
    # Remove A (states holding A: (-,A), (A,B), (A,C)): P = 0          -> RE_A = 1
    # Remove B ((-,B), (A,B), (B,C)): P = 2/3 * 1/2 = 1/3              -> RE_B = 1/2
    # Remove C ((A,C), (B,C)): P = 0                                    -> RE_C = 1
    # Effects sum to 5/2: A = 2 * 2/5 = 4/5, B = 2 * 1/5 = 2/5, C = 4/5.
    # Unlike order 1, the chain remembers that A -> B always goes on to C, so A is
    # indispensable here (RE 1 instead of 3/4).
    fit = markov(THREE, 2)
    assert fit.states == 6  # start and five pairs
    assert close(fit.conversion_probability, Fraction(2, 3))
    assert_credits(fit.removal_effects, {"A": 1, "B": Fraction(1, 2), "C": 1})
    assert_credits(
        fit.credits.conversions, {"A": Fraction(4, 5), "B": Fraction(2, 5), "C": Fraction(4, 5)}
    )


def test_order_3_sees_repeats_order_1_does_not():
    # A -> A -> B converts twice, B -> B converts once. Order 3 states: (-,-,A), (-,A,A),
    # (A,A,B), (-,-,B), (-,B,B). Remove A: only B -> B remains: P = 1/3, RE_A = 2/3;
    # remove B: P = 0, RE_B = 1. Credits of 3: A = 3 * (2/3)/(5/3) = 6/5, B = 9/5.
    journeys = {("A", "A", "B"): PathCounts(2), ("B", "B"): PathCounts(1)}
    fit = markov(journeys, 3)
    assert fit.states == 6
    assert_credits(fit.credits.conversions, {"A": Fraction(6, 5), "B": Fraction(9, 5)})


def test_order_must_be_1_2_or_3():
    with pytest.raises(ValueError):
        markov(THREE, 4)


def test_no_conversions_credit_nothing():
    fit = markov({("A", "B"): PathCounts(0, 3)}, 1)
    assert fit.credits.conversions == {"A": 0.0, "B": 0.0}
    assert fit.conversion_probability == 0.0


# Shapley --------------------------------------------------------------------------------------
def test_shapley_by_hand():
    # v(S) counts conversions of paths whose channel set lies within S; J3 has none.
    # Simplified form: J1 {A,B,C}: 1/3 each; J2 {A,C}: 1/2 each.
    #   A = 1/3 + 1/2 = 5/6, B = 1/3, C = 5/6   (sum 2)
    # Brute force over the coalitions of {A,B,C}: v({A,C}) = 1, v({A,B,C}) = 2, else 0.
    #   A: joins {C} (weight 1/6): +1; joins {B,C} (1/3): +2 - 0 = 2  -> 1/6 + 2/3 = 5/6
    #   B: joins {A,C} (1/3): +1                                      -> 1/3
    # Values: J1's 30 in thirds, J2's 10 in halves: A = 15, B = 10, C = 15.
    got = shapley(THREE)
    assert_credits(got.conversions, {"A": Fraction(5, 6), "B": Fraction(1, 3), "C": Fraction(5, 6)})
    assert_credits(got.value, {"A": 15, "B": 10, "C": 15})
    assert_credits(
        shapley_brute_force(THREE), {"A": Fraction(5, 6), "B": Fraction(1, 3), "C": Fraction(5, 6)}
    )


def test_ordered_shapley_by_hand():
    # J1: A 1st 1/3, B 2nd 1/3, C 3rd 1/3; J2: A 1st 1/2, C 2nd 1/2.
    # A repeated: path A -> B -> A converting 6 times: A's 1/2 split over positions 1 and 3.
    got = ordered_shapley(THREE)
    assert np.allclose(got.conversions["A"], [5 / 6, 0, 0])
    assert np.allclose(got.conversions["B"], [0, 1 / 3, 0])
    assert np.allclose(got.conversions["C"], [0, 1 / 2, 1 / 3])
    repeated = ordered_shapley({("A", "B", "A"): PathCounts(6)})
    assert np.allclose(repeated.conversions["A"], [1.5, 0, 1.5])
    assert np.allclose(repeated.conversions["B"], [0, 3, 0])


journey_sets = st.dictionaries(
    st.lists(st.sampled_from("ABCDE"), min_size=1, max_size=5).map(tuple),
    st.tuples(st.integers(0, 6), st.integers(0, 4), st.integers(0, 500)).map(
        lambda t: PathCounts(float(t[0]), float(t[1]), float(t[2]) if t[0] else 0.0)
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(journey_sets)
def test_simplified_shapley_is_the_shapley_value(journeys):
    simplified = shapley(journeys).conversions
    brute = shapley_brute_force(journeys)
    for channel, value in brute.items():
        assert math.isclose(simplified.get(channel, 0.0), value, rel_tol=1e-9, abs_tol=1e-9)


@settings(max_examples=100, deadline=None)
@given(journey_sets)
def test_ordered_shapley_rows_add_up_to_shapley(journeys):
    plain = shapley(journeys)
    ordered = ordered_shapley(journeys).totals()
    for channel, value in plain.conversions.items():
        assert math.isclose(ordered.conversions[channel], value, rel_tol=1e-9, abs_tol=1e-9)


# Rule-based ------------------------------------------------------------------------------------
def test_rule_based_by_hand():
    # Only J1 (value 30) and J2 (value 10) convert.
    # last touch: both end in C.       first touch: both start with A.
    assert_credits(last_touch(THREE).conversions, {"C": 2})
    assert_credits(last_touch(THREE).value, {"C": 40})
    assert_credits(first_touch(THREE).conversions, {"A": 2})
    # linear: J1 1/3 each, J2 1/2 each: A 5/6, B 1/3, C 5/6; value A 10+5, B 10, C 15
    assert_credits(
        linear(THREE).conversions, {"A": Fraction(5, 6), "B": Fraction(1, 3), "C": Fraction(5, 6)}
    )
    assert_credits(linear(THREE).value, {"A": 15, "B": 10, "C": 15})
    # position-based: J1 40/20/40, J2 (two touches) 50/50: A .9, B .2, C .9
    assert_credits(position_based(THREE).conversions, {"A": 0.9, "B": 0.2, "C": 0.9})
    # value: A 12 + 5, B 6, C 12 + 5
    assert_credits(position_based(THREE).value, {"A": 17, "B": 6, "C": 17})


def test_linear_counts_each_touch():
    # A -> B -> A: A two touches of three.
    assert_credits(linear({("A", "B", "A"): PathCounts(3)}).conversions, {"A": 2, "B": 1})


def test_time_decay_by_hand():
    # Half life 7 days. J1's touches 14, 7 and 0 days before: weights 1/4, 1/2, 1 -> sum 7/4
    # -> 1/7, 2/7, 4/7. J2's touches 7 days and unknown (at the conversion): 1/2, 1 -> 1/3, 2/3.
    #   A = 1/7 + 1/3 = 10/21, B = 2/7, C = 4/7 + 2/3 = 26/21 (sum 2)
    got = time_decay(
        [
            TimedJourney(("A", "B", "C"), (14.0, 7.0, 0.0), 1, 30),
            TimedJourney(("A", "C"), (7.0, None), 1, 10),
        ]
    )
    assert_credits(
        got.conversions, {"A": Fraction(10, 21), "B": Fraction(2, 7), "C": Fraction(26, 21)}
    )
    assert_credits(
        got.value,
        {
            "A": Fraction(30, 7) + Fraction(10, 3),
            "B": Fraction(60, 7),
            "C": Fraction(120, 7) + Fraction(20, 3),
        },
    )


# Roles ------------------------------------------------------------------------------------------
def test_roles_by_hand():
    # A first in J1 and J2; B between in J1 and alone in J3; C last in J1 and J2.
    got = roles(THREE)
    assert (got["A"].first, got["A"].touches, got["A"].role) == (2, 2, "introducer")
    assert (got["B"].middle, got["B"].only, got["B"].touches) == (1, 1, 2)
    assert got["B"].share("middle") == 0.5
    assert got["B"].role == "influencer"
    assert (got["C"].last, got["C"].role) == (2, "closer")
    assert roles({("D",): PathCounts(4)})["D"].role == "alone"


# Every model ----------------------------------------------------------------------------------
@settings(max_examples=80, deadline=None)
@given(journey_sets, st.sampled_from([1, 2, 3]))
def test_every_model_credits_exactly_the_conversions(journeys, order):
    conversions = math.fsum(c.conversions for c in journeys.values())
    value = math.fsum(c.value for c in journeys.values())
    timed = [
        TimedJourney(p, tuple(float(i) for i in range(len(p))), c.conversions, c.value)
        for p, c in journeys.items()
    ]
    fitted = fit_all(journeys, order=order, timed=timed)
    assert tuple(fitted.credits) == MODELS
    for name, credits in fitted.credits.items():
        if name == "markov" and not conversions:
            continue
        assert math.isclose(
            math.fsum(credits.conversions.values()), conversions, rel_tol=1e-9, abs_tol=1e-9
        ), name
        assert math.isclose(math.fsum(credits.value.values()), value, rel_tol=1e-9, abs_tol=1e-9), (
            name
        )
        assert all(v >= -1e-12 for v in credits.conversions.values()), name


@settings(max_examples=80, deadline=None)
@given(journey_sets, st.sampled_from([1, 2, 3]))
def test_markov_removal_matches_solving_the_cut_chain(journeys, order):
    # markov() reads removals from the fundamental matrix; solving each cut chain anew must
    # give the same effects.
    fit = markov(journeys, order)
    p = conversion_probability(journeys, order)
    assert math.isclose(fit.conversion_probability, p, rel_tol=1e-9, abs_tol=1e-12)
    if p == 0:
        return
    for channel, effect in fit.removal_effects.items():
        direct = 1 - conversion_probability(journeys, order, removed=channel) / p
        assert math.isclose(effect, direct, rel_tol=1e-9, abs_tol=1e-9), channel


# Grouping ----------------------------------------------------------------------------------
raw_journeys = st.lists(
    st.tuples(
        st.lists(st.sampled_from("ABCD"), min_size=1, max_size=4).map(tuple),
        st.booleans(),
        st.integers(1, 900),
    ),
    min_size=1,
    max_size=30,
)


def _markov_one_by_one(raw, order):
    """Markov removal effects straight from the journeys, one at a time, no grouping: count
    each journey's transitions, then solve the chain with and without each channel."""
    pad = (None,) * (order - 1)
    index = {(): 0}
    counts: dict[tuple[int, str | int], float] = {}
    for path, converted, _ in raw:
        states = [(pad + path)[i : i + order] for i in range(len(path))]
        previous = 0
        for s in states:
            j = index.setdefault(s, len(index))
            counts[(previous, j)] = counts.get((previous, j), 0) + 1
            previous = j
        end = "conv" if converted else "null"
        counts[(previous, end)] = counts.get((previous, end), 0) + 1
    n = len(index)
    q, r, out = np.zeros((n, n)), np.zeros(n), np.zeros(n)
    for (i, j), w in counts.items():
        out[i] += w
        if j == "conv":
            r[i] += w
        elif j != "null":
            q[i, j] += w
    q, r = q / out[:, None], r / out

    def p(removed=None):
        keep = [i for s, i in index.items() if removed is None or removed not in s]
        return np.linalg.solve(np.eye(len(keep)) - q[np.ix_(keep, keep)], r[keep])[0]

    whole = p()
    return {c: 1 - p(c) / whole for c in {c for path, _, _ in raw for c in path}} if whole else {}


@settings(max_examples=80, deadline=None)
@given(raw_journeys, st.sampled_from([1, 2, 3]))
def test_grouped_journeys_give_the_same_results_as_one_by_one(raw, order):
    grouped = group_journeys(
        ((p, float(v)) for p, converted, v in raw if converted),
        (p for p, converted, _ in raw if not converted),
    )
    assert math.fsum(c.conversions + c.non_conversions for c in grouped.values()) == len(raw)
    # Markov: the same removal effects as counting journey by journey
    effects = markov(grouped, order).removal_effects
    for channel, effect in _markov_one_by_one(raw, order).items():
        assert math.isclose(effects[channel], effect, rel_tol=1e-9, abs_tol=1e-9)
    # the additive models: the sum of each journey's own credits
    for model in (shapley, linear, last_touch, first_touch, position_based):
        together = model(grouped)
        alone: dict[str, float] = {}
        for path, converted, value in raw:
            if converted:
                for c, v in model({path: PathCounts(1, 0, float(value))}).value.items():
                    alone[c] = alone.get(c, 0.0) + v
        for channel, v in alone.items():
            assert math.isclose(together.value[channel], v, rel_tol=1e-9, abs_tol=1e-9)


# Columns: PathTable and group_arrays -------------------------------------------------------
def test_path_table_by_hand():
    # THREE as columns: channels sorted A, B, C = 0, 1, 2; paths in the mapping's order.
    table = PathTable.from_journeys(THREE)
    assert table.channels == ("A", "B", "C")
    assert table.codes.tolist() == [0, 1, 2, 0, 2, 1]
    assert table.lengths.tolist() == [3, 2, 1]
    assert table.starts.tolist() == [0, 3, 5]
    assert table.positions.tolist() == [0, 1, 2, 0, 1, 0]
    assert table.conversions.tolist() == [1, 1, 0]
    assert table.non_conversions.tolist() == [0, 0, 1]
    assert table.value.tolist() == [30, 10, 0]
    assert table.to_journeys() == THREE
    assert len(table) == 3


def test_group_arrays_by_hand():
    # Channels X, Y (codes 0, 1). Journeys: X Y (converts, 5), Y (no), X Y (converts, 7),
    # empty (left out), X Y (no). Grouped: X Y 2 conversions, 1 not, value 12; Y 1 not.
    table = group_arrays(
        ("X", "Y"),
        [0, 1, 1, 0, 1, 0, 1],
        [2, 1, 2, 0, 2],
        [5.0, 0.0, 7.0, 0.0, 9.0],
        [True, False, True, True, False],
    )
    assert table.to_journeys() == {("X", "Y"): PathCounts(2, 1, 12), ("Y",): PathCounts(0, 1, 0)}


def test_group_arrays_keeps_the_last_touches():
    long = [i % 3 for i in range(MAX_TOUCHES + 5)]
    table = group_arrays(("A", "B", "C"), [*long, 0], [len(long), 1], [2.0, 1.0])
    names = ("A", "B", "C")
    want = group_journeys([(tuple(names[i] for i in long), 2.0), (("A",), 1.0)])
    assert table.to_journeys() == want
    assert max(len(p) for p in want) == MAX_TOUCHES


def test_group_arrays_refuses_codes_without_a_channel():
    with pytest.raises(ValueError):
        group_arrays(("A",), [0, 1], [2])
    with pytest.raises(ValueError):
        group_arrays(("A",), [0, 0], [3])
    with pytest.raises(ValueError):
        group_arrays(("A", "A"), [0, 1], [2])


raw_arrays = st.lists(
    st.tuples(
        st.lists(st.integers(0, 4), min_size=0, max_size=6),
        st.booleans(),
        st.integers(0, 900),
    ),
    min_size=0,
    max_size=40,
)
NAMES = ("E", "C", "A", "D", "B")  # not sorted: codes need not follow the names' order


@settings(max_examples=150, deadline=None)
@given(raw_arrays)
def test_group_arrays_is_group_journeys(raw):
    table = group_arrays(
        NAMES,
        [c for path, _, _ in raw for c in path],
        [len(path) for path, _, _ in raw],
        [float(v) for _, _, v in raw],
        [converted for _, converted, _ in raw],
    )
    want = group_journeys(
        ((tuple(NAMES[c] for c in p), float(v)) for p, converted, v in raw if converted),
        (tuple(NAMES[c] for c in p) for p, converted, _ in raw if not converted),
    )
    assert table.to_journeys() == want
    assert len(table) == len(want)


def _chain_by_loop(journeys, order):
    """The chain counted touch by touch in Python: {(from, to): probability} over state
    tuples (the start: ()), with "conv" and "null" as the absorbing ends."""
    counts: dict[tuple, float] = {}
    for path, c in journeys.items():
        weight = c.conversions + c.non_conversions
        if not path or weight <= 0:
            continue
        padded = (None,) * (order - 1) + path
        previous: tuple = ()
        for i in range(len(path)):
            state = padded[i : i + order]
            counts[(previous, state)] = counts.get((previous, state), 0.0) + weight
            previous = state
        for end, w in (("conv", c.conversions), ("null", c.non_conversions)):
            counts[(previous, end)] = counts.get((previous, end), 0.0) + w
    out: dict[tuple, float] = {}
    for (a, _), w in counts.items():
        out[a] = out.get(a, 0.0) + w
    return {k: w / out[k[0]] for k, w in counts.items() if w}


@settings(max_examples=100, deadline=None)
@given(journey_sets, st.sampled_from([1, 2, 3]))
def test_transition_matrix_counts_as_the_loop_does(journeys, order):
    states, q, r, lost = transition_matrix(PathTable.from_journeys(journeys), order)
    assert states[0] == () and len(set(states)) == len(states)
    got = {}
    for i, a in enumerate(states):
        for j, b in enumerate(states):
            if q[i, j]:
                got[(a, b)] = q[i, j]
        for end, p in (("conv", r[i]), ("null", lost[i])):
            if p:
                got[(a, end)] = p
    want = _chain_by_loop(journeys, order)
    assert set(got) == set(want)
    for k, p in want.items():
        assert math.isclose(got[k], p, rel_tol=1e-12), k


@settings(max_examples=100, deadline=None)
@given(journey_sets, st.sampled_from([1, 2, 3]))
def test_markov_on_columns_matches_solving_the_cut_chain(journeys, order):
    table = PathTable.from_journeys(journeys)
    fit = markov(table, order)
    p = conversion_probability(journeys, order)
    assert math.isclose(fit.conversion_probability, p, rel_tol=1e-9, abs_tol=1e-12)
    if p == 0:
        return
    for channel, effect in fit.removal_effects.items():
        direct = 1 - conversion_probability(journeys, order, removed=channel) / p
        assert math.isclose(effect, direct, rel_tol=1e-9, abs_tol=1e-9), (channel, order)


def test_markov_on_many_channels_matches_solving_the_cut_chain():
    # A larger chain, as the reports see: 300 journeys over 40 channels, every order.
    rng = np.random.default_rng(7)
    lengths = rng.integers(1, 5, size=300)
    codes = rng.integers(0, 40, size=int(lengths.sum()))
    table = group_arrays(
        tuple(f"p{i:02d}" for i in range(40)),
        codes,
        lengths,
        rng.random(300),
        rng.random(300) < 0.6,
    )
    for order in (1, 2, 3):
        fit = markov(table, order)
        p = conversion_probability(table, order)
        assert math.isclose(fit.conversion_probability, p, rel_tol=1e-9)
        for channel, effect in fit.removal_effects.items():
            direct = 1 - conversion_probability(table, order, removed=channel) / p
            assert math.isclose(effect, direct, rel_tol=1e-9, abs_tol=1e-9), (channel, order)


def _same_credits(a, b) -> None:
    assert set(a) == set(b)
    for channel, v in a.items():
        assert math.isclose(v, b[channel], rel_tol=1e-12, abs_tol=1e-12), channel


@settings(max_examples=100, deadline=None)
@given(journey_sets, st.sampled_from([1, 2, 3]))
def test_columns_and_mapping_give_the_same_credits(journeys, order):
    table = PathTable.from_journeys(journeys)
    by_table, by_mapping = fit_all(table, order=order), fit_all(journeys, order=order)
    assert tuple(by_table.credits) == tuple(by_mapping.credits)
    for name, credits in by_table.credits.items():
        _same_credits(credits.conversions, by_mapping.credits[name].conversions)
        _same_credits(credits.value, by_mapping.credits[name].value)
    _same_credits(by_table.markov.removal_effects, by_mapping.markov.removal_effects)
    assert by_table.roles == by_mapping.roles
    assert by_table.ordered.conversions.keys() == by_mapping.ordered.conversions.keys()
    for channel, row in by_table.ordered.conversions.items():
        assert np.allclose(row, by_mapping.ordered.conversions[channel], rtol=1e-12, atol=0)


def test_too_many_states_are_refused():
    many = group_arrays(
        tuple(f"c{i}" for i in range(MAX_STATES)), range(MAX_STATES), [1] * MAX_STATES
    )
    with pytest.raises(TooManyStates):
        markov(many, 1)
    # 70 channels, every ordered pair once: 70 + 4900 states at order 2, 71 at order 1
    pairs = [(a, b) for a in range(70) for b in range(70)]
    table = group_arrays(
        tuple(f"c{i}" for i in range(70)), [c for p in pairs for c in p], [2] * len(pairs)
    )
    assert markov(table, 1).states == 71
    with pytest.raises(TooManyStates):
        markov(table, 2)
