"""What changed between two versions of a contract's terms: examples worked out by hand,
and properties that hold for any terms."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from accord.contracts.diff import Change, diff_terms

V1 = {
    "rules": [
        {"name": "tents", "event_type": "sale", "percent": "10", "when": {"skus": None}},
        {"event_type": "sale", "percent": "5"},
        {"event_type": "lead", "fixed": "20.00"},
    ],
    "caps": [{"scope": "partner", "period": "month", "measure": "commission", "limit": "500"}],
}
V2 = {
    "rules": [
        {"name": "tents", "event_type": "sale", "percent": "12",
         "when": {"countries": {"include": ["DE", "AT"]}},
         "tiers": {"metric": "conversions", "steps": [{"from": "10", "percent": "14"}]}},
        {"event_type": "sale", "percent": "5"},
    ],
    "bounties": [{"name": "Black Friday", "amount": "50", "starts_at": "2026-11-27T00:00:00Z",
                  "ends_at": "2026-11-30T00:00:00Z"}],
    "view_through": {"share": "50"},
}  # fmt: skip


def test_each_difference_is_named_by_its_item_and_field():
    changes = diff_terms(V1, V2)
    assert Change(("rules", "tents"), "percent", "10", "12") in changes
    assert Change(("rules", "tents"), "when.countries.include", None, ["DE", "AT"]) in changes
    assert Change(("rules", "tents"), "tiers.steps.1.percent", None, "14") in changes
    assert Change(("rules", "tents"), "tiers.metric", None, "conversions") in changes
    # the lead rule is gone, field by field; the unchanged 5 % sale rule is not mentioned
    gone = [c for c in changes if c.part == ("rules", "lead")]
    assert {(c.field, c.before, c.after) for c in gone} == {
        ("event_type", "lead", None), ("fixed", "20.00", None)}  # fmt: skip
    assert not [c for c in changes if c.part == ("rules", "sale")]
    assert {c.kind for c in changes if c.part[0] == "caps"} == {"removed"}
    assert Change(("bounties", "Black Friday"), "amount", None, "50") in changes
    assert Change(("view_through",), "share", None, "50") in changes


def test_two_unnamed_rules_of_one_event_are_told_apart_by_position():
    before = {"rules": [{"event_type": "sale", "percent": "5"},
                        {"event_type": "sale", "percent": "3"}]}  # fmt: skip
    after = {"rules": [{"event_type": "sale", "percent": "5"},
                       {"event_type": "sale", "percent": "4"}]}  # fmt: skip
    assert diff_terms(before, after) == [Change(("rules", "sale #2"), "percent", "3", "4")]


plain = st.one_of(st.none(), st.sampled_from(["sale", "lead", "5", "10.5", "any", "new"]))
rule = st.fixed_dictionaries(
    {"event_type": st.sampled_from(["sale", "lead"]), "percent": plain},
    optional={"name": st.sampled_from(["a", "b", "c"]), "fixed": plain},
)
terms = st.fixed_dictionaries({"rules": st.lists(rule, min_size=1, max_size=5)})


@given(terms)
def test_terms_do_not_differ_from_themselves(a):
    assert diff_terms(a, a) == []


@given(terms, terms)
def test_every_change_is_a_real_difference_and_runs_both_ways(a, b):
    forward = diff_terms(a, b)
    assert all(c.before != c.after for c in forward)
    backward = {(c.part, c.field, c.after, c.before) for c in diff_terms(b, a)}
    assert {(c.part, c.field, c.before, c.after) for c in forward} == backward
