"""Tenancy over the API: brands never see each other; a partner's key sees only its own."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.support import Api, click_through, error_of, sale
from tests.factories import add_partner, make_brand


@pytest.fixture
def world(client, store):
    """Brand A with two partners, each with an attributed sale; brand B with its own sale."""
    a = make_brand(store)
    b = make_brand(store)
    a_api, b_api = Api(client, a.api_key), Api(client, b.api_key)
    p1, p2 = add_partner(a), add_partner(a)
    conversions = {}
    for name, partner in (("p1", p1), ("p2", p2)):
        _, click_id = click_through(client, partner.link_code)
        body = sale(
            a.program_id,
            click_id=click_id,
            customer_id=f"cust-{name}@example.com",
            items=[{"sku": "BOOT-1", "price": "100.00"}],
        )
        response = a_api.post("/conversions", body)
        assert response.status_code == 201, response.text
        conversions[name] = response.json()
    b_partner = add_partner(b)
    _, b_click = click_through(client, b_partner.link_code)
    b_conversion = b_api.post("/conversions", sale(b.program_id, click_id=b_click)).json()
    return {
        "a": a,
        "b": b,
        "a_api": a_api,
        "b_api": b_api,
        "p1": p1,
        "p2": p2,
        "p1_api": Api(client, p1.api_key),
        "conversions": conversions,
        "b_conversion": b_conversion,
    }


def _ids(rows) -> set[str]:
    return {row["id"] for row in rows}


def test_another_brand_cannot_see_the_first_brands_program(world):
    a, b_api = world["a"], world["b_api"]

    assert a.program_id not in _ids(b_api.ok("/programs"))
    assert world["b"].program_id in _ids(b_api.ok("/programs"))
    assert error_of(b_api.get(f"/programs/{a.program_id}"), 404)["field"] == "program_id"
    assert error_of(b_api.get(f"/programs/{a.program_id}/summary"), 404)["field"] == "program_id"
    assert error_of(b_api.get(f"/programs/{a.program_id}/contracts"), 404)
    assert error_of(b_api.get("/balances", program_id=a.program_id), 404)


def test_another_brand_cannot_see_the_first_brands_partners(world):
    b_api, p1 = world["b_api"], world["p1"]

    assert p1.id not in _ids(b_api.all("/partners"))
    assert b_api.all("/partners", program_id=world["a"].program_id) == []
    assert error_of(b_api.get(f"/partners/{p1.id}"), 404)["field"] == "partner_id"
    assert b_api.all("/links", partner_id=p1.id) == []
    assert p1.link_code not in {link["code"] for link in b_api.all("/links")}


def test_another_brand_cannot_see_the_first_brands_conversions(world):
    b_api, conversion = world["b_api"], world["conversions"]["p1"]

    assert _ids(b_api.all("/conversions")) == {world["b_conversion"]["id"]}
    assert b_api.all("/conversions", order_id=conversion["order_id"]) == []
    assert b_api.all("/conversions", program_id=world["a"].program_id) == []
    assert error_of(b_api.get(f"/conversions/{conversion['id']}"), 404)


def test_another_brand_cannot_see_the_first_brands_commissions(world):
    b_api, conversion = world["b_api"], world["conversions"]["p1"]
    commission_id = conversion["commissions"][0]["id"]

    assert commission_id not in _ids(b_api.all("/commissions"))
    assert b_api.all("/commissions", program_id=world["a"].program_id) == []
    assert error_of(b_api.get(f"/commissions/{commission_id}"), 404)["field"] == "commission_id"


def test_another_brand_cannot_change_the_first_brands_money(world, clock):
    a, a_api, b_api = world["a"], world["a_api"], world["b_api"]
    conversion = world["conversions"]["p1"]
    commission_id = conversion["commissions"][0]["id"]
    clock.advance(timedelta(days=31))

    reversal = b_api.post(f"/conversions/{conversion['id']}/reversals", {"reason_code": "fraud"})
    lock = b_api.post("/commissions/lock", {"program_id": a.program_id})
    approve = b_api.post(
        "/commissions/approve",
        {"program_id": world["b"].program_id, "commission_ids": [commission_id]},
    )
    payout = b_api.post("/payout-batches", {"program_id": a.program_id})

    assert error_of(reversal, 404)["field"] == "conversion_id"
    assert error_of(lock, 404)["field"] == "program_id"
    assert error_of(approve, 404)["field"] == "commission_ids"
    assert error_of(payout, 404)["field"] == "program_id"
    assert a_api.ok(f"/conversions/{conversion['id']}")["reversed_amount"]["amount"] == "0.00"
    assert a_api.ok(f"/commissions/{commission_id}")["status"] == "pending"
    assert a_api.all("/payouts") == []


def test_another_brand_cannot_link_or_credit_the_first_brands_partner(world):
    b_api, p1 = world["b_api"], world["p1"]

    response = b_api.post("/links", {"program_id": world["b"].program_id, "partner_id": p1.id})

    assert error_of(response, 404)["field"] == "partner_id"


def test_a_click_of_another_brand_does_not_attribute_a_conversion(world, client):
    a, b_api = world["a"], world["b_api"]
    _, a_click = click_through(client, world["p1"].link_code)

    response = b_api.post("/conversions", sale(world["b"].program_id, click_id=a_click))

    assert response.status_code == 201, response.text
    assert response.json()["status"] == "unattributed"
    assert response.json()["attribution_reason"] == "unknown_click_id"
    assert world["a_api"].summary(a.program_id)["conversions"] == 2


def test_a_partner_key_lists_only_its_own_commissions(world):
    p1_api, conversions = world["p1_api"], world["conversions"]

    rows = p1_api.all("/commissions")

    assert _ids(rows) == {conversions["p1"]["commissions"][0]["id"]}
    assert {row["partner_id"] for row in rows} == {world["p1"].id}
    other = conversions["p2"]["commissions"][0]["id"]
    assert error_of(p1_api.get(f"/commissions/{other}"), 404)
    assert p1_api.all("/commissions", partner_id=world["p2"].id) == []


def test_a_partner_key_lists_only_its_own_conversions_without_customer_data(world):
    p1_api, conversions = world["p1_api"], world["conversions"]

    rows = p1_api.all("/conversions")

    assert _ids(rows) == {conversions["p1"]["id"]}
    assert rows[0]["customer_id"] is None
    assert rows[0]["items"] is None
    one = p1_api.ok(f"/conversions/{conversions['p1']['id']}")
    assert one["customer_id"] is None
    assert one["items"] is None
    assert error_of(p1_api.get(f"/conversions/{conversions['p2']['id']}"), 404)
    # the brand itself still sees the customer
    brand_view = world["a_api"].ok(f"/conversions/{conversions['p1']['id']}")
    assert brand_view["customer_id"] == "cust-p1@example.com"


def test_a_partner_key_lists_only_its_own_links_and_itself(world):
    p1_api, p1, p2 = world["p1_api"], world["p1"], world["p2"]

    links = p1_api.all("/links")

    assert {link["code"] for link in links} == {p1.link_code}
    assert p1_api.all("/links", partner_id=p2.id) == []
    assert _ids(p1_api.all("/partners")) == {p1.id}
    assert error_of(p1_api.get(f"/partners/{p2.id}"), 404)
    assert _ids(p1_api.ok("/programs")) == {world["a"].program_id}


def test_a_partner_key_cannot_record_conversions(world):
    p1_api, a = world["p1_api"], world["a"]

    response = p1_api.post("/conversions", sale(a.program_id, order_id="self-deal"))

    error = error_of(response, 403)
    assert error["code"] == "forbidden"
    assert world["a_api"].all("/conversions", order_id="self-deal") == []


def test_a_partner_key_cannot_create_links_for_another_partner(world):
    p1_api, a, p2 = world["p1_api"], world["a"], world["p2"]

    response = p1_api.post("/links", {"program_id": a.program_id, "partner_id": p2.id})

    assert response.status_code in (403, 422), response.text
    assert response.json()["error"]["field"] == "partner_id"
    assert {link["code"] for link in world["a_api"].all("/links", partner_id=p2.id)} == {
        p2.link_code
    }


def test_a_partner_key_creates_links_for_itself(world):
    p1_api, a, p1 = world["p1_api"], world["a"], world["p1"]

    response = p1_api.post("/links", {"program_id": a.program_id})

    assert response.status_code == 201, response.text
    assert response.json()["partner_id"] == p1.id


def test_a_partner_key_cannot_run_brand_operations(world):
    p1_api, a = world["p1_api"], world["a"]
    conversion_id = world["conversions"]["p1"]["id"]

    attempts = [
        p1_api.get(f"/programs/{a.program_id}/summary"),
        p1_api.post(f"/conversions/{conversion_id}/reversals", {"reason_code": "other"}),
        p1_api.post("/commissions/lock", {"program_id": a.program_id}),
        p1_api.post("/commissions/approve", {"program_id": a.program_id}),
        p1_api.post("/payout-batches", {"program_id": a.program_id}),
        p1_api.post(
            "/partners", {"program_id": a.program_id, "name": "X", "partner_type": "content"}
        ),
        p1_api.post(
            "/promo-codes",
            {"program_id": a.program_id, "partner_id": world["p1"].id, "code": "MINE10"},
        ),
    ]

    for response in attempts:
        assert error_of(response, 403)["code"] == "forbidden"
    assert world["a_api"].ok(f"/conversions/{conversion_id}")["reversed_amount"]["amount"] == (
        "0.00"
    )


def test_a_partner_key_sees_only_its_own_balance(world):
    rows = world["p1_api"].ok("/balances", program_id=world["a"].program_id)

    assert [row["partner_id"] for row in rows] == [world["p1"].id]
    assert rows[0]["pending"] == "10.00"


def test_a_revoked_api_key_gets_401(world):
    a_api = world["a_api"]
    created = a_api.post("/api-keys", {"name": "shop backend"})
    assert created.status_code == 201, created.text
    key = created.json()
    second = Api(a_api.client, key["token"])
    assert second.ok("/programs")

    revoked = a_api.delete(f"/api-keys/{key['key_id']}")

    assert revoked.status_code == 204, revoked.text
    error = error_of(second.get("/programs"), 401)
    assert error["code"] == "unauthenticated"
    assert "revoked" in error["message"]
    post = second.post("/conversions", sale(world["a"].program_id))
    assert error_of(post, 401)["code"] == "unauthenticated"
    listed = {k["key_id"]: k for k in a_api.ok("/api-keys")}
    assert listed[key["key_id"]]["revoked_at"] is not None
    assert a_api.ok("/programs")  # the other key still works


def test_a_key_can_revoke_itself(world):
    a_api = world["a_api"]
    token = a_api.post("/api-keys", {"name": "temporary"}).json()
    own = Api(a_api.client, token["token"])

    assert own.delete(f"/api-keys/{token['key_id']}").status_code == 204

    assert error_of(own.get("/programs"), 401)


def test_another_organization_cannot_revoke_a_brands_key(world):
    a_api = world["a_api"]
    key = a_api.post("/api-keys", {"name": "mine"}).json()

    by_brand = world["b_api"].delete(f"/api-keys/{key['key_id']}")
    by_partner = world["p1_api"].delete(f"/api-keys/{key['key_id']}")

    assert error_of(by_brand, 404)["field"] == "key_id"
    assert error_of(by_partner, 404)["field"] == "key_id"
    assert Api(a_api.client, key["token"]).ok("/programs")
    assert key["key_id"] not in {k["key_id"] for k in world["b_api"].ok("/api-keys")}


def test_rejected_events_are_kept_per_organization(world):
    a_api, b_api = world["a_api"], world["b_api"]

    refused = error_of(a_api.post("/conversions", sale(world["a"].program_id, oops=1)), 422)

    assert refused["rejected_event_id"] in _ids(a_api.all("/rejected-events"))
    assert refused["rejected_event_id"] not in _ids(b_api.all("/rejected-events"))
    assert refused["rejected_event_id"] not in _ids(world["p1_api"].all("/rejected-events"))


# Contracts: a partner reads only the contract it is on ------------------------------------
NEW_TERMS = {"rules": [{"event_type": "sale", "percent": "25"}], "requires_acceptance": True}


def _same_as_missing(response, missing_response, sent: str, missing: str) -> None:
    """A refusal that answers exactly as for an id that does not exist."""
    assert response.status_code == missing_response.status_code, response.text
    assert response.json() == _swap(missing_response.json(), missing, sent)


def _swap(body, old: str, new: str):
    import json

    return json.loads(json.dumps(body).replace(old, new))


@pytest.fixture
def contracts_world(client, store):
    """Brand A: p1 on its own contract, p2 on the program's default; each contract has a
    second version waiting for its partner's acceptance. Brand B has a program of its own."""
    a = make_brand(store)
    a_api = Api(client, a.api_key)
    own = a_api.post(
        f"/programs/{a.program_id}/contracts",
        {"name": "Creators", "rules": [{"event_type": "sale", "percent": "15"}]},
    )
    assert own.status_code == 201, own.text
    own_id = own.json()["id"]
    p1 = add_partner(a, contract_id=own_id)
    p2 = add_partner(a)
    waiting = {}
    for name, contract_id in (("own", own_id), ("default", a.contract_id)):
        response = a_api.post(f"/contracts/{contract_id}/versions", NEW_TERMS)
        assert response.status_code == 201, response.text
        waiting[name] = response.json()["id"]
    b = make_brand(store)
    return {
        "a": a,
        "a_api": a_api,
        "b_api": Api(client, b.api_key),
        "own_contract": own_id,
        "waiting": waiting,
        "p1_api": Api(client, p1.api_key),
        "p2_api": Api(client, p2.api_key),
    }


def test_a_partner_lists_only_the_contract_it_is_on(contracts_world):
    w = contracts_world
    program_id = w["a"].program_id

    assert _ids(w["p1_api"].ok(f"/programs/{program_id}/contracts")) == {w["own_contract"]}
    assert _ids(w["p2_api"].ok(f"/programs/{program_id}/contracts")) == {w["a"].contract_id}
    assert _ids(w["a_api"].ok(f"/programs/{program_id}/contracts")) == {
        w["own_contract"],
        w["a"].contract_id,
    }


def test_a_partner_reads_the_versions_of_its_own_contract_only(contracts_world):
    w = contracts_world
    p1_api, other = w["p1_api"], w["a"].contract_id

    mine = p1_api.ok(f"/contracts/{w['own_contract']}/versions")
    assert [v["number"] for v in mine] == [1, 2]
    assert mine[1]["id"] == w["waiting"]["own"]  # the version waiting for its acceptance

    refused = p1_api.get(f"/contracts/{other}/versions")
    assert error_of(refused, 404)["field"] == "contract_id"
    missing = p1_api.get("/contracts/ctr_doesnotexist/versions")
    _same_as_missing(refused, missing, other, "ctr_doesnotexist")
    # the default contract's new version waits for p2's acceptance: p1 never sees it
    assert w["waiting"]["default"] not in p1_api.get(f"/contracts/{other}/versions").text


def test_a_partner_cannot_accept_or_see_another_contracts_version(contracts_world):
    w = contracts_world
    theirs = w["waiting"]["default"]

    refused = w["p1_api"].post(f"/contract-versions/{theirs}/accept")

    error = error_of(refused, 404)
    assert error["field"] == "contract_version_id"
    missing = w["p1_api"].post("/contract-versions/ctv_doesnotexist/accept")
    _same_as_missing(refused, missing, theirs, "ctv_doesnotexist")
    assert w["a_api"].ok(f"/contract-versions/{theirs}/acceptances") == []
    accepted = w["p2_api"].post(f"/contract-versions/{theirs}/accept")
    assert accepted.status_code == 201, accepted.text


def test_another_brand_gets_not_found_without_the_owners_program_id(contracts_world):
    w = contracts_world
    b_api, program_id = w["b_api"], w["a"].program_id
    contract_id, version_id = w["own_contract"], w["waiting"]["own"]

    attempts = [
        (b_api.get(f"/contracts/{contract_id}/versions"), contract_id),
        (b_api.post(f"/contracts/{contract_id}/versions", NEW_TERMS), contract_id),
        (b_api.get(f"/contract-versions/{version_id}/acceptances"), version_id),
    ]
    missing = [
        b_api.get("/contracts/ctr_doesnotexist/versions"),
        b_api.post("/contracts/ctr_doesnotexist/versions", NEW_TERMS),
        b_api.get("/contract-versions/ctv_doesnotexist/acceptances"),
    ]

    for (response, sent), absent in zip(attempts, missing, strict=True):
        assert program_id not in response.text
        error_of(response, 404)
        fake = "ctr_doesnotexist" if sent == contract_id else "ctv_doesnotexist"
        _same_as_missing(response, absent, sent, fake)
    assert len(w["a_api"].ok(f"/contracts/{contract_id}/versions")) == 2


def test_keys_that_may_not_act_are_refused_before_the_body_is_read(contracts_world):
    w = contracts_world
    program_id, contract_id = w["a"].program_id, w["own_contract"]

    assert error_of(w["b_api"].post(f"/programs/{program_id}/contracts", {}), 404)
    assert error_of(w["b_api"].post(f"/contracts/{contract_id}/versions", {}), 404)
    assert error_of(w["p1_api"].post(f"/contracts/{contract_id}/versions", {}), 403)
    assert error_of(w["p1_api"].post(f"/programs/{program_id}/contracts", {}), 403)
    # the brand itself gets past authorization to the body's errors
    assert error_of(w["a_api"].post(f"/contracts/{contract_id}/versions", {}), 422)
