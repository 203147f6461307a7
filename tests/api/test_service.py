"""What a new integrator looks at first: health, the OpenAPI document, the docs page."""

from __future__ import annotations

from accord import __version__
from tests.api.support import error_of


def test_health_answers_ok_with_the_database(client, store):
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__, "database": store.dialect}


def test_openapi_json_lists_the_api_paths(client):
    response = client.get("/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Accord API"
    paths = document["paths"]
    expected = {
        "/api/v1/programs": {"get", "post"},
        "/api/v1/programs/{program_id}/summary": {"get"},
        "/api/v1/partners": {"get", "post"},
        "/api/v1/links": {"get", "post"},
        "/api/v1/conversions": {"get", "post"},
        "/api/v1/conversions/{conversion_id}": {"get"},
        "/api/v1/conversions/{conversion_id}/reversals": {"post"},
        "/api/v1/rejected-events": {"get"},
        "/api/v1/commissions": {"get"},
        "/api/v1/commissions/{commission_id}": {"get"},
        "/api/v1/commissions/lock": {"post"},
        "/api/v1/commissions/approve": {"post"},
        "/api/v1/balances": {"get"},
        "/api/v1/payout-batches": {"post"},
        "/api/v1/payouts": {"get"},
        "/api/v1/api-keys": {"get", "post"},
        "/api/v1/api-keys/{key_id}": {"delete"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))


def test_openapi_describes_the_conversion_errors(client):
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/conversions"]["post"]

    assert {"201", "401", "404", "409", "422"} <= set(operation["responses"])
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert "ConversionReport" in schemas
    assert "amount" in schemas["ConversionReport"]["properties"]


def test_openapi_declares_bearer_authentication(client):
    document = client.get("/openapi.json").json()

    schemes = document["components"]["securitySchemes"]
    assert any(s.get("scheme", "").lower() == "bearer" for s in schemes.values())


def test_docs_answer_200_html(client):
    response = client.get("/docs")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in response.text


def test_an_unknown_api_path_is_404_in_the_documented_error_format(api):
    error = error_of(api.get("/no-such-thing"), 404)

    assert error["code"] == "not_found"


def test_a_wrong_method_on_an_api_path_is_405_in_the_documented_error_format(api):
    response = api.delete("/conversions")

    error = error_of(response, 405)
    assert error["code"]
