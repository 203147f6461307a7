"""What the Schemathesis campaign (test_schemathesis.py) found, each pinned by a plain test:
answers the OpenAPI did not document, and bodies the application answered in a way its
own rules did not allow."""

from __future__ import annotations

import pytest

from accord.api.app import create_api
from accord.settings import Settings
from tests.api.support import API, error_of


@pytest.fixture(scope="module")
def spec() -> dict:
    return create_api(None, Settings(rate_limits=False)).openapi()  # type: ignore[arg-type]


def _operations(spec: dict):
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), path, operation


ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}


# Bodies -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b'{"name": "\xff\xfe\xfd"}',  # not UTF-8
        b"\xb4s,\xe9",  # what the campaign sent: neither JSON nor UTF-8
        b'{"name": "\xed\xa0\x80"}',  # a UTF-16 surrogate written as if UTF-8
    ],
)
def test_a_json_body_that_is_not_utf8_is_422_on_the_body_not_400(api, raw):
    """FastAPI answered 400 `http_error` ("There was an error parsing the body") when a JSON
    body could not be decoded; like every other refused body it is 422 naming `body`."""
    response = api.post_raw("/programs", raw)

    error = error_of(response, 422)
    assert error["code"] == "invalid_input" and error["field"] == "body"
    assert error["message"] == "body: is not valid JSON"


def test_a_utf16_json_body_is_still_read(api):
    """JSON in UTF-16 (with its byte order mark) is JSON that decodes; it is not refused as
    undecodable (what it says is checked as usual)."""
    raw = '{"name": "Spring", "currency": "USD"}'.encode("utf-16")
    error = error_of(api.post_raw("/programs", raw), 422)
    assert error["field"] == "default_landing_url"


# Path and query parameters ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("GET", "/programs/prg_a%00b", "path"),
        ("GET", "/partners/a%00b", "path"),
        ("GET", "/payouts/a%00b/statement.pdf", "path"),
        ("DELETE", "/api-keys/a%00b", "path"),
        ("POST", "/conversions/a%00b/reversals", "path"),
        ("GET", "/balances?program_id=a%00b", "program_id"),
        ("GET", "/conversions?starting_after=a%00b", "starting_after"),
        ("GET", "/links?partner_id=a%00", "partner_id"),
        ("GET", "/programs/a%01b", "path"),
    ],
)
def test_a_control_character_in_a_path_or_query_parameter_is_422_not_a_500(
    api, method, path, field
):
    """PostgreSQL cannot compare text holding NUL: an id with one answered 500 (the campaign
    found it on GET /balances?program_id=...). Parameters are decoded strictly like bodies
    and forms: 422 naming the parameter, on every backend."""
    response = api.client.request(
        method, API + path, headers=api.headers, json={"reason_code": "returned"}
    )

    error = error_of(response, 422)
    assert error["field"] == field and "U+00" in error["message"], error


@pytest.mark.parametrize(
    ("path", "field"),
    [("/conversions?program_id=%FF", "program_id"), ("/programs/prg_%C3%28", "path")],
)
def test_a_parameter_that_is_not_utf8_is_422_not_read_as_something_else(api, path, field):
    """`%FF` used to be read as U+FFFD and answered as if it were an id that matched nothing."""
    error = error_of(api.get(path), 422)
    assert error["field"] == field and "not valid UTF-8" in error["message"], error


def test_a_tab_and_plain_unicode_in_parameters_are_still_read(api, brand):
    assert api.get("/programs/prg_%C3%A9t%C3%A9").status_code == 404
    assert api.get(f"/balances?program_id={brand.program_id}").status_code == 200
    assert api.get("/conversions?starting_after=a%09b").status_code == 200


# The OpenAPI document ----------------------------------------------------------------------


def test_every_operation_with_a_key_documents_401_and_403_with_the_error_body(spec):
    missing = [
        (method, path, status)
        for method, path, operation in _operations(spec)
        if operation.get("security")
        for status in ("401", "403")
        if operation["responses"].get(status, {}).get("content") != ERROR_BODY
    ]
    assert missing == []


def test_422_is_the_error_body_accord_sends_not_fastapis(spec):
    for method, path, operation in _operations(spec):
        answer = operation["responses"].get("422")
        if answer is not None:
            assert answer["content"] == ERROR_BODY, (method, path)
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_path_ids_document_404_and_bodies_413_and_422(spec):
    for method, path, operation in _operations(spec):
        responses = operation["responses"]
        if "{" in path:
            assert "404" in responses, (method, path)
        if "requestBody" in operation:
            assert {"413", "422"} <= set(responses), (method, path)
        if path.startswith("/api/v1/") and method != "GET":
            assert "409" in responses, (method, path)


def test_every_limited_operation_documents_429_with_retry_after(spec):
    for method, path, operation in _operations(spec):
        if path.startswith(("/api/v1/", "/t/")):
            answer = operation["responses"]["429"]
            assert "Retry-After" in answer["headers"], (method, path)


@pytest.mark.parametrize(
    ("method", "path", "media_type"),
    [
        ("get", "/api/v1/payout-batches/{batch_id}/payouts.csv", "text/csv"),
        ("get", "/api/v1/payout-batches/{batch_id}/sepa.xml", "application/xml"),
        ("get", "/api/v1/payouts/{payout_id}/statement.pdf", "application/pdf"),
        ("get", "/api/v1/programs/{program_id}/invoice.pdf", "application/pdf"),
        ("get", "/accord.js", "application/javascript"),
        ("get", "/t/pixel.gif", "image/gif"),
    ],
)
def test_files_document_their_own_content_type(spec, method, path, media_type):
    answer = spec["paths"][path][method]["responses"]["200"]
    assert list(answer["content"]) == [media_type]


def test_the_pixel_documents_only_its_image_and_the_rate_limit(spec):
    """The pixel answers its image whatever it is sent (the outcome is in a header)."""
    pixel = spec["paths"]["/t/pixel.gif"]["get"]
    assert set(pixel["responses"]) == {"200", "429"}
    assert "x-never-refuses" not in pixel
    assert {p["name"] for p in pixel["parameters"]} >= {"program_id", "order_id", "amount"}


def test_browser_events_document_their_body_and_both_successes(spec):
    events = spec["paths"]["/t/events"]["post"]
    assert {"200", "201", "403", "404", "409", "413", "422", "429"} <= set(events["responses"])
    schema = events["requestBody"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/ConversionReport"}


def test_a_payout_run_with_nobody_due_documents_its_200(spec):
    responses = spec["paths"]["/api/v1/payout-batches"]["post"]["responses"]
    assert {"200", "201"} <= set(responses)
