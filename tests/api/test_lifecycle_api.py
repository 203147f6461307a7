"""The lifecycle, concentration and promotion period routes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api.support import error_of
from tests.factories import add_partner, click, convert

NOW = datetime(2026, 11, 12, 12, 0, tzinfo=UTC)


def test_promotions_are_listed_added_and_removed(api, brand, store):
    store.clock.set(NOW)
    base = f"/programs/{brand.program_id}/promotions"
    listed = api.get(base).json()
    singles = [p for p in listed if p["kind"] == "singles_day" and p["name"].endswith("2026")]
    assert singles[0]["starts_at"].startswith("2026-10-20T00:00:00")
    assert singles[0]["ends_at"].startswith("2026-11-12T00:00:00")
    assert singles[0]["predefined"] is True and singles[0]["id"] is None

    body = {"name": "Spring sale", "starts_at": "2027-03-01T00:00:00Z",
            "ends_at": "2027-03-08T00:00:00Z"}  # fmt: skip
    made = api.post(base, body)
    assert made.status_code == 201, made.text
    own = made.json()
    assert (own["kind"], own["predefined"]) == ("custom", False)
    assert own["id"] in {p["id"] for p in api.get(base).json()}

    backwards = api.post(base, {**body, "ends_at": "2027-02-01T00:00:00Z"})
    assert error_of(backwards, 422)["field"] == "ends_at"

    assert api.delete(f"{base}/{own['id']}").status_code == 204
    assert api.delete(f"{base}/{own['id']}").status_code == 404


def test_the_reports_come_back_with_their_numbers(api, brand, store):
    store.clock.set(NOW - timedelta(days=10))
    big, small = add_partner(brand), add_partner(brand)
    convert(brand, amount="300.00", click_id=click(brand, big))
    convert(brand, amount="100.00", click_id=click(brand, small))
    store.clock.set(NOW)

    life = api.get(f"/programs/{brand.program_id}/reports/lifecycle").json()
    # both joined and first converted 10 days ago: new
    assert life["counts"]["new"] == 2 and life["partners"] == 2
    assert {p["partner_id"] for p in life["segments"]["new"]} == {big.id, small.id}
    assert life["median_days_to_first_conversion"] == "0.0"

    conc = api.get(f"/programs/{brand.program_id}/reports/concentration").json()
    # 300 of 400 = 75%; the top 20% of 2 partners is 1 partner
    assert (conc["top_count"], conc["top_share"]) == (1, "0.7500")
    assert conc["revenue"] == {"amount": "400.00", "currency": "USD"}
    # ascending 100, 300: G = 2*(100 + 600) / (2*400) - 3/2 = 1.75 - 1.5 = 0.25
    assert conc["gini"] == "0.2500"
    assert [row["share_lost"] for row in conc["losses"]] == ["0.7500", "0.2500"]
    assert conc["lorenz"][-1] == ["1.0000", "1.0000"]

    naive = api.get(
        f"/programs/{brand.program_id}/reports/concentration", since="2026-01-01T00:00:00"
    )
    assert error_of(naive, 422)["field"] == "since"
