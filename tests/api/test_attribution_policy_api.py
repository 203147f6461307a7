"""The attribution policy through the API: versions, validation, tenants."""

from __future__ import annotations

from datetime import timedelta

from tests.api.support import Api
from tests.factories import add_partner, make_brand


def test_a_brand_sets_a_policy_and_reads_its_versions(api: Api, brand, store):
    path = f"/programs/{brand.program_id}/attribution-policy"
    default = api.get(path)
    assert default.status_code == 200
    assert default.json()[0]["model"] == "last_click" and default.json()[0]["id"] is None

    later = (store.clock.now() + timedelta(days=7)).isoformat()
    made = api.post(
        path,
        {
            "model": "position_based",
            "first_weight": "0.3",
            "last_weight": "0.5",
            "split": True,
            "type_priority": ["content"],
            "priority_hours": 24,
            "effective_from": later,
            "note": "content first from next week",
        },
    )
    assert made.status_code == 201, made.text
    assert made.json()["in_force"] is False and made.json()["last_weight"] == "0.5"
    versions = api.get(path).json()
    assert [v["model"] for v in versions] == ["position_based"]


def test_bad_policies_name_the_field(api: Api, brand, store):
    path = f"/programs/{brand.program_id}/attribution-policy"
    cases = [
        ({"model": "magic"}, "model"),
        ({"first_weight": "0.8", "last_weight": "0.8"}, "last_weight"),
        ({"type_priority": ["wizard"]}, "type_priority"),
        ({"effective_from": "2020-01-01T00:00:00Z"}, "effective_from"),
        ({"effective_from": "2030-01-01T00:00:00"}, "effective_from"),
        ({"half_life_hours": 0}, "half_life_hours"),
        ({"event_type": "bogus type"}, "event_type"),
        ({"surprise": 1}, "surprise"),
    ]
    for body, field in cases:
        response = api.post(path, body)
        assert response.status_code == 422, (body, response.text)
        assert field in response.text, (body, response.text)


def test_other_brands_and_partners_cannot_see_or_set_it(api: Api, brand, store, client):
    other = make_brand(store)
    path = f"/programs/{other.program_id}/attribution-policy"
    assert api.get(path).status_code == 404
    assert api.post(path, {"model": "linear"}).status_code == 404
    partner = add_partner(brand)
    as_partner = Api(client, partner.api_key)
    mine = f"/programs/{brand.program_id}/attribution-policy"
    assert as_partner.get(mine).status_code in (403, 404)
    assert as_partner.post(mine, {"model": "linear"}).status_code in (403, 404)


def test_what_if_takes_a_model_and_refuses_empty_terms(api: Api, brand, store):
    since = (store.clock.now() - timedelta(days=30)).isoformat()
    until = store.clock.now().isoformat()
    body = {"program_id": brand.program_id, "since": since, "until": until}
    with_model = api.post("/what-if", {**body, "attribution": {"model": "linear", "split": True}})
    assert with_model.status_code == 200, with_model.text
    assert with_model.json()["partners"] == []
    assert api.post("/what-if", {**body, "rules": []}).status_code == 422
    neither = api.post("/what-if", body)
    assert neither.status_code == 422 and "terms" in neither.text
