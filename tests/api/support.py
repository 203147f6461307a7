"""Helpers for driving Accord's REST API as an integrating engineer would."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

from httpx import Response

from accord.ids import short_code

API = "/api/v1"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


class Api:
    """A client bound to one API key; paths are relative to /api/v1."""

    def __init__(self, client, key: str | None) -> None:
        self.client = client
        self.key = key

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.key) if self.key else {}

    def get(self, path: str, **params: Any) -> Response:
        return self.client.get(API + path, params=params or None, headers=self.headers)

    def post(self, path: str, body: Any = None) -> Response:
        return self.client.post(API + path, json=body, headers=self.headers)

    def post_raw(self, path: str, content: bytes) -> Response:
        headers = {**self.headers, "content-type": "application/json"}
        return self.client.post(API + path, content=content, headers=headers)

    def delete(self, path: str) -> Response:
        return self.client.delete(API + path, headers=self.headers)

    def ok(self, path: str, **params: Any) -> Any:
        """GET that must succeed; returns the JSON body."""
        response = self.get(path, **params)
        assert response.status_code == 200, response.text
        return response.json()

    def all(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every row of a paged list, following next_starting_after."""
        return [row for page in self.pages(path, **params) for row in page["data"]]

    def pages(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        after = None
        for _ in range(1000):
            query = dict(params)
            if after:
                query["starting_after"] = after
            body = self.ok(path, **query)
            yield body
            if not body["has_more"]:
                return
            after = body["next_starting_after"]
        raise AssertionError("paging did not end")

    def summary(self, program_id: str) -> dict[str, Any]:
        return self.ok(f"/programs/{program_id}/summary")


def error_of(response: Response, status: int) -> dict[str, Any]:
    """The `error` object of a JSON error response with the given status."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["message"], body
    return body["error"]


def sale(program_id: str, *, order_id: str | None = None, amount: Any = "100.00", **fields):
    """A conversion body as a shop would send it."""
    return {
        "program_id": program_id,
        "order_id": order_id or f"ord-{short_code(10)}",
        "amount": amount,
        "currency": "USD",
        **fields,
    }


def click_through(client, code: str) -> tuple[Response, str]:
    """A shopper's GET on a tracking link: the 302 response and the click id it carries."""
    response = client.get(f"/c/{code}")
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["location"]).query)
    return response, query["accord_click"][0]
