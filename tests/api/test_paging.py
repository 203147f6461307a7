"""Keyset paging of list endpoints: limit, has_more and next_starting_after."""

from __future__ import annotations

import pytest

from tests.api.support import error_of, sale
from tests.factories import add_partner


def test_partners_page_by_two_with_has_more_and_next_starting_after(api, brand):
    created = {add_partner(brand).id for _ in range(5)}

    first = api.ok("/partners", limit=2)

    assert len(first["data"]) == 2
    assert first["has_more"] is True
    assert first["next_starting_after"] == first["data"][-1]["id"]
    assert {row["id"] for row in first["data"]} <= created


def test_following_next_starting_after_returns_the_rest_without_duplicates(api, brand):
    created = {add_partner(brand).id for _ in range(5)}

    seen: list[str] = []
    pages = []
    for page in api.pages("/partners", limit=2):
        pages.append(page)
        seen.extend(row["id"] for row in page["data"])

    assert [len(page["data"]) for page in pages] == [2, 2, 1]
    assert pages[-1]["has_more"] is False
    assert pages[-1]["next_starting_after"] is None
    assert len(seen) == len(set(seen)) == 5
    assert set(seen) == created
    assert seen == sorted(seen)


def test_a_page_that_ends_exactly_at_the_last_row_says_no_more(api, brand):
    for _ in range(4):
        add_partner(brand)

    first = api.ok("/partners", limit=2)
    second = api.ok("/partners", limit=2, starting_after=first["next_starting_after"])

    assert second["has_more"] is False
    assert second["next_starting_after"] is None
    assert len(second["data"]) == 2


def test_conversions_page_without_duplicates(api, brand):
    ids = set()
    for _ in range(5):
        response = api.post("/conversions", sale(brand.program_id))
        ids.add(response.json()["id"])

    rows = [row["id"] for row in api.all("/conversions", limit=2)]

    assert len(rows) == len(set(rows))
    assert set(rows) == ids


@pytest.mark.parametrize("limit", [0, -1, 501, "many"])
def test_a_limit_outside_1_to_500_is_422_on_limit(api, limit):
    error = error_of(api.get("/partners", limit=limit), 422)

    assert error["field"] == "limit"


def test_an_unknown_partner_type_filter_is_422(api):
    error = error_of(api.get("/partners", partner_type="blogger"), 422)

    assert error["field"] == "partner_type"
