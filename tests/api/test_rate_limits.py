"""Rate limits per API key and per client address: 429 with Retry-After and the API's JSON
error, counted in memory or shared through Redis."""

from __future__ import annotations

import hashlib
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from accord.server import AccordApp
from accord.settings import Settings
from tests.conftest import IN_CI
from tests.factories import make_brand

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

REDIS_URL = "redis://127.0.0.1:6379/13"  # a database of the tests' own
SITE = {"origin": "https://brand.example"}


def settings(**limits) -> Settings:
    # Limits in tests are per hour: a sliding window's count of the previous window starts
    # to fade as soon as a new one begins, and no such boundary should fall inside a test.
    # The test client's address is "testclient"; trusting it as a proxy lets each request
    # name its visitor in X-Forwarded-For.
    return Settings(spool=False, trusted_proxies=["testclient"], **limits)


@contextmanager
def serving(store, config: Settings) -> Iterator[TestClient]:
    app = AccordApp(store, config)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client


def key(token: str, address: str = "198.51.100.1") -> dict[str, str]:
    return {"authorization": f"Bearer {token}", "x-forwarded-for": address}


def sale(program_id: str) -> dict[str, str]:
    return {
        "program_id": program_id,
        "order_id": f"R-{uuid.uuid4().hex[:8]}",
        "amount": "10.00",
        "currency": "USD",
    }


def assert_limited(response, *, cors: bool = False) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "rate_limited"
    assert response.json()["error"]["message"]
    assert 1 <= int(response.headers["retry-after"]) <= 3600
    assert ("access-control-allow-origin" in response.headers) is cors


def test_a_key_over_its_limit_is_refused_while_another_key_is_not(store):
    first, second = make_brand(store), make_brand(store)
    with serving(store, settings(rate_limit_key="3/hour", rate_limit_ingest="4/hour")) as c:
        for _ in range(3):
            assert c.get("/api/v1/programs", headers=key(first.api_key)).status_code == 200
        assert_limited(c.get("/api/v1/programs", headers=key(first.api_key)))
        # the same key from another address: still that key's count
        assert_limited(c.get("/api/v1/programs", headers=key(first.api_key, "203.0.113.9")))
        # another key, from the same address, is counted on its own
        assert c.get("/api/v1/programs", headers=key(second.api_key)).status_code == 200
        # conversion writes have their own allowance: ingestion goes on
        for _ in range(4):
            response = c.post(
                "/api/v1/conversions", json=sale(first.program_id), headers=key(first.api_key)
            )
            assert response.status_code == 201, response.text
        limited = c.post(
            "/api/v1/conversions", json=sale(first.program_id), headers=key(first.api_key)
        )
        assert_limited(limited)
        assert "conversion writes" in limited.json()["error"]["message"]
        assert c.get("/api/v1/programs", headers=key(second.api_key)).status_code == 200


def test_requests_without_a_valid_key_are_limited_per_address(store):
    brand = make_brand(store)
    with serving(store, settings(rate_limit_anonymous="3/hour")) as c:
        flood = "192.0.2.10"
        responses = [
            c.get("/api/v1/programs", headers={"x-forwarded-for": flood}),
            c.get("/api/v1/programs", headers=key("acc_guess1", flood)),
            c.get("/api/v1/programs", headers=key("acc_guess2", flood)),
        ]
        assert [r.status_code for r in responses] == [401, 401, 401]
        # each guess is a new token, yet the address has used its allowance
        assert_limited(c.get("/api/v1/programs", headers=key("acc_guess3", flood)))
        assert_limited(c.get("/api/v1/programs", headers={"x-forwarded-for": flood}))
        # a second address is not affected
        assert c.get("/api/v1/programs", headers={"x-forwarded-for": "192.0.2.11"}).status_code == (
            401
        )
        # a real key seen before from the flooding address is counted as a key, not with it
        assert c.get("/api/v1/programs", headers=key(brand.api_key, "192.0.2.12")).status_code == (
            200
        )
        assert c.get("/api/v1/programs", headers=key(brand.api_key, flood)).status_code == 200
        # only /api/v1 and the browser endpoints are limited: the rest of the site is not
        assert c.get("/health", headers={"x-forwarded-for": flood}).status_code == 200


def test_a_key_that_stops_working_counts_against_its_address_again(store):
    from accord.tenancy.service import list_api_keys, revoke_api_key

    brand = make_brand(store)
    with serving(store, settings(rate_limit_anonymous="2/hour")) as c:
        here = "192.0.2.20"
        for _ in range(3):
            assert c.get("/api/v1/programs", headers=key(brand.api_key, here)).status_code == 200
        (only,) = list_api_keys(store, brand.caller)
        revoke_api_key(store, brand.caller, only.key_id)
        statuses = [
            c.get("/api/v1/programs", headers=key(brand.api_key, here)).status_code
            for _ in range(3)
        ]
        assert statuses[0] == 401 and statuses[-1] == 429


def test_browser_events_are_limited_per_address_with_cors_headers(store):
    brand = make_brand(store)
    config = settings(rate_limit_browser="2/hour", rate_limit_browser_program="5/hour")
    with serving(store, config) as c:
        events = dict(SITE)

        def event(address: str, program_id: str = brand.program_id):
            body = sale(program_id)
            return c.post("/t/events", json=body, headers={**events, "x-forwarded-for": address})

        for _ in range(2):
            assert event("198.51.100.50").status_code != 429
        assert_limited(event("198.51.100.50"), cors=True)
        pixel = c.get(
            f"/t/pixel.gif?program_id={brand.program_id}&order_id=PX-9&amount=1&currency=USD",
            headers={"x-forwarded-for": "198.51.100.50"},
        )
        assert_limited(pixel)
        # another shopper is not affected, until the program's own allowance is used up
        assert event("198.51.100.51").status_code != 429
        assert event("198.51.100.52").status_code != 429
        assert event("198.51.100.52", "prg_another").status_code != 429
        assert event("198.51.100.53").status_code != 429
        limited = event("198.51.100.54")
        assert_limited(limited, cors=True)
        assert "program" in limited.json()["error"]["message"]
        assert event("198.51.100.54", "prg_another").status_code != 429
        # the preflight and the tag itself are never limited
        for _ in range(3):
            headers = {**SITE, "x-forwarded-for": "198.51.100.50"}
            assert c.options("/t/events", headers=headers).status_code == 204
            assert c.get("/accord.js", headers=headers).status_code == 200


def test_limits_can_be_turned_off(store):
    brand = make_brand(store)
    config = settings(
        rate_limits=False,
        rate_limit_key="1/hour",
        rate_limit_anonymous="1/hour",
        rate_limit_browser="1/hour",
    )
    with serving(store, config) as c:
        for _ in range(3):
            assert c.get("/api/v1/programs", headers=key(brand.api_key)).status_code == 200
            assert c.get("/api/v1/programs").status_code == 401
            assert c.post("/t/events", json=sale(brand.program_id)).status_code != 429


@pytest.fixture
def redis_client() -> Iterator:
    """The local Redis, on a database of the tests' own; each test names addresses and keys
    no other run uses, and removes what it counted."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as error:
        if IN_CI:
            pytest.fail(f"Redis not reachable at {REDIS_URL}: {error}", pytrace=False)
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    yield client
    client.close()


def test_redis_shares_the_counts_between_processes(store, redis_client):
    brand = make_brand(store)
    run = uuid.uuid4().hex[:8]
    here, flood = f"2001:db8::{run[:4]}:{run[4:]}:1", f"2001:db8::{run[:4]}:{run[4:]}:2"
    config = settings(
        rate_limit_storage=REDIS_URL, rate_limit_key="3/hour", rate_limit_anonymous="2/hour"
    )
    digest = hashlib.sha256(brand.api_key.encode()).hexdigest()[:32]
    try:
        with serving(store, config) as one, serving(store, config) as two:
            mine = key(brand.api_key, here)
            assert one.get("/api/v1/programs", headers=mine).status_code == 200
            assert one.get("/api/v1/programs", headers=mine).status_code == 200
            assert two.get("/api/v1/programs", headers=mine).status_code == 200
            assert_limited(two.get("/api/v1/programs", headers=mine))
            assert_limited(one.get("/api/v1/programs", headers=mine))
            # an address's anonymous requests add up across both too
            anonymous = {"x-forwarded-for": flood}
            assert one.get("/api/v1/programs", headers=anonymous).status_code == 401
            assert two.get("/api/v1/programs", headers=anonymous).status_code == 401
            assert_limited(one.get("/api/v1/programs", headers=anonymous))
        names = [
            name
            for pattern in (f"*{digest}*", f"*{run[:4]}:{run[4:]}*")
            for name in redis_client.keys(pattern)
        ]
        assert names and all(name.startswith(b"accord-rate") for name in names)
        assert not redis_client.keys(f"*{brand.api_key}*")  # only a hash of the key
    finally:
        for pattern in (f"*{digest}*", f"*{run[:4]}:{run[4:]}*"):
            for name in redis_client.keys(pattern):
                redis_client.delete(name)


def test_an_unreachable_redis_lets_requests_through(store, caplog):
    brand = make_brand(store)
    config = settings(rate_limit_storage="redis://127.0.0.1:1/0", rate_limit_key="1/hour")
    with serving(store, config) as c:
        for _ in range(3):
            assert c.get("/api/v1/programs", headers=key(brand.api_key)).status_code == 200
    assert "rate limit storage failed" in caplog.text


def test_settings_refuse_what_is_not_a_rate_or_a_redis_url():
    with pytest.raises(ValueError, match="not a rate"):
        Settings(rate_limit_key="lots")
    with pytest.raises(ValueError, match="not a rate"):
        Settings(rate_limit_key="10/minute;100/hour")
    with pytest.raises(ValueError, match="redis://"):
        Settings(rate_limit_storage="memcached://127.0.0.1:11211")
    assert Settings(rate_limit_storage="").rate_limit_storage is None


def test_the_openapi_documents_the_429(client):
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    for path, method in [
        ("/api/v1/conversions", "post"),
        ("/api/v1/programs", "get"),
        ("/t/events", "post"),
        ("/t/pixel.gif", "get"),
    ]:
        answer = paths[path][method]["responses"]["429"]
        assert "Retry-After" in answer["headers"]
        assert answer["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")
    assert "429" not in paths["/accord.js"]["get"]["responses"]
    assert "429" not in paths["/health"]["get"]["responses"]
