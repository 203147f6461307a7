"""Hostile or broken request bodies get a clear 4xx naming what is wrong, never a crash, and
a refused conversion is kept as a rejected event.

Every test runs on SQLite and on PostgreSQL, which must answer alike (PostgreSQL text cannot
hold a NUL character, so NUL must be refused before it reaches the store).
"""

from __future__ import annotations

import asyncio
import json
import re
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote, urlencode

import pytest
from typer.testing import CliRunner

from accord.api import bodies
from accord.errors import InvalidInput
from accord.settings import get_settings
from tests.api.support import API, Api, bearer, error_of, sale
from tests.factories import add_partner, make_brand
from tests.web.conftest import PASSWORD, csrf_of, sign_in, unique_email, wait_for_job

FORM = "application/x-www-form-urlencoded"
DEEP = 1000


def _rejected(api: Api) -> dict[str, dict]:
    return {row["id"]: row for row in api.all("/rejected-events")}


def _deep_json(levels: int = DEEP) -> str:
    return "[" * levels + "]" * levels


def _conversions(api: Api, program_id: str) -> int:
    return api.summary(program_id)["conversions"]


def _post_form(api: Api, body: bytes):
    headers = {**api.headers, "content-type": FORM}
    return api.client.post(API + "/conversions", content=body, headers=headers)


# 1. JSON nested a thousand levels deep -------------------------------------------------------


def test_deeply_nested_json_on_a_conversion_is_422_on_the_body_and_kept(api, brand):
    body = json.dumps(sale(brand.program_id, order_id="DEEP-1"))[:-1]
    raw = (body + ', "items": ' + _deep_json() + "}").encode()

    error = error_of(api.post_raw("/conversions", raw), 422)

    assert error["field"] == "body" and "nested deeper than 32" in error["message"]
    kept = _rejected(api)[error["rejected_event_id"]]
    assert kept["payload"] == raw.decode() and kept["field"] == "body"
    assert _conversions(api, brand.program_id) == 0


def test_a_bare_deeply_nested_array_is_422_on_the_body(api):
    error = error_of(api.post_raw("/conversions", _deep_json().encode()), 422)

    assert error["field"] == "body" and error["rejected_event_id"]


def test_deeply_nested_json_in_a_form_items_field_is_422_on_items(api, brand):
    form = urlencode({"program_id": brand.program_id, "order_id": "F-DEEP", "currency": "USD"})
    raw = (form + "&items=" + quote(_deep_json())).encode()

    error = error_of(_post_form(api, raw), 422)

    assert error["field"] == "items" and "nested deeper" in error["message"]
    assert _rejected(api)[error["rejected_event_id"]]["payload"] == raw.decode()


def test_deeply_nested_json_in_a_batch_is_422_on_the_body_and_kept(api, brand):
    item = json.dumps(sale(brand.program_id, order_id="B-DEEP"))[:-1] + ', "x": '
    raw = ('{"conversions": [' + item + _deep_json() + "}]}").encode()

    error = error_of(api.post_raw("/conversions/batch", raw), 422)

    assert error["field"] == "body" and "nested deeper" in error["message"]
    assert _rejected(api)[error["rejected_event_id"]]["payload"] == raw.decode()


def test_nesting_within_the_limit_is_still_read(api, brand):
    body = sale(brand.program_id, order_id="SHALLOW", device={"gaid": "g-1"})
    body["items"] = [{"sku": "A", "price": "100.00", "quantity": 1}]

    response = api.post("/conversions", body)

    assert response.status_code == 201, response.text


def test_deeply_nested_json_on_other_api_routes_is_422_on_the_body(api, brand):
    raw = ('{"name": "Deep", "rules": ' + _deep_json() + "}").encode()

    error = error_of(api.post_raw(f"/programs/{brand.program_id}/contracts", raw), 422)

    assert error["field"] == "body" and "nested deeper" in error["message"]


def test_deeply_nested_json_on_browser_events_is_422_on_the_body(client, brand):
    raw = ('{"program_id": "' + brand.program_id + '", "items": ' + _deep_json() + "}").encode()

    response = client.post(
        "/t/events",
        content=raw,
        headers={"content-type": "application/json", "origin": "https://brand.example"},
    )

    assert error_of(response, 422)["field"] == "body"


@pytest.fixture
def console(client, store):
    """A signed-in program manager of a fresh brand: (client, brand)."""
    from accord.tenancy.service import create_user
    from accord.web.throttle import SIGN_IN

    SIGN_IN.reset()
    brand = make_brand(store)
    email = unique_email("pm")
    create_user(store, brand.caller.organization_id, email, PASSWORD)
    sign_in(client, email)
    return client, brand


def test_deeply_nested_contract_terms_in_the_console_are_refused_on_terms(console):
    client, brand = console
    page = client.get(f"/console/contracts?program={brand.program_id}")
    form = {"csrf": csrf_of(page.text), "program": brand.program_id, "terms": _deep_json()}

    response = client.post(
        f"/console/contracts/{brand.contract_id}/versions",
        content=urlencode(form),
        headers={"content-type": FORM},
    )

    assert response.status_code == 422, response.text
    assert "terms" in response.text and "nested deeper" in response.text


# 2. Body size limits -------------------------------------------------------------------------


def test_a_conversion_larger_than_its_limit_is_413_naming_the_limit(api, brand):
    body = sale(brand.program_id, order_id="BIG", user_agent="x" * (300 * 1024))

    error = error_of(api.post("/conversions", body), 413)

    assert error["code"] == "too_large" and error["field"] == "body"
    assert "262,144 bytes" in error["message"]
    assert _conversions(api, brand.program_id) == 0


def test_a_chunked_body_past_the_limit_is_413(api, brand):
    def chunks():
        yield b'{"program_id": "' + brand.program_id.encode() + b'", "user_agent": "'
        for _ in range(40):
            yield b"x" * 8192
        yield b'"}'

    headers = {**api.headers, "content-type": "application/json"}
    response = api.client.post(API + "/conversions", content=chunks(), headers=headers)

    assert "content-length" not in response.request.headers
    assert error_of(response, 413)["code"] == "too_large"


def test_batches_and_imports_have_larger_limits_and_other_routes_a_small_default(api, brand):
    padding = "x" * (400 * 1024)  # more than a single conversion may be
    batch = {"conversions": [sale(brand.program_id, order_id="PAD", user_agent=padding)]}
    assert api.post("/conversions/batch", batch).status_code == 200

    huge = {"conversions": [sale(brand.program_id, user_agent="y" * (9 * 1024 * 1024))]}
    assert "8,388,608 bytes" in error_of(api.post("/conversions/batch", huge), 413)["message"]

    program = {"name": "z" * (1024 * 1024 + 1), "currency": "USD"}
    assert "1,048,576 bytes" in error_of(api.post("/programs", program), 413)["message"]


def test_the_limit_is_checked_before_the_body_is_read():
    """A declared length past the limit is refused without reading; a streamed body is read
    only until it passes the limit."""
    pulled = []
    chunks = [b"x" * 1000] * 100

    async def receive():
        pulled.append(1)
        return {"type": "http.request", "body": chunks[len(pulled) - 1], "more_body": True}

    async def app(scope, receive, send):  # reads everything, as a handler would
        while (await receive()).get("more_body"):
            pass
        raise AssertionError("the limit let the whole body through")

    async def run(headers):
        sent = []

        async def send(message):
            sent.append(message)

        limited = bodies.BodyLimits(app, {"/in": 5000}, default=1000)
        scope = {"type": "http", "method": "POST", "path": "/in", "headers": headers}
        await limited(scope, receive, send)
        return sent

    def in_own_loop(coroutine):
        # A thread of its own: an earlier test (Playwright's sync API) may leave an event
        # loop running in this one, where asyncio.run refuses to start.
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, coroutine).result()

    sent = in_own_loop(run([(b"content-length", b"100000")]))
    assert sent[0]["status"] == 413 and not pulled
    sent = in_own_loop(run([]))
    assert sent[0]["status"] == 413 and len(pulled) == 6
    assert b"5,000 bytes" in sent[1]["body"]


# 3. CSV files with old Mac (bare CR), Windows and Unix line endings --------------------------

ENDINGS = pytest.mark.parametrize("eol", ["\r", "\r\n", "\n"], ids=["cr", "crlf", "lf"])


@ENDINGS
def test_a_conversions_csv_is_read_with_any_line_ending(api, brand, eol):
    text = eol.join(["order_id,amount,currency", "E-1,10.00,USD", "E-2,20.00,USD", ""])

    response = api.client.post(
        f"{API}/conversions/import?program_id={brand.program_id}",
        content=text.encode(),
        headers={**api.headers, "content-type": "text/csv"},
    )

    assert response.status_code == 200, response.text
    assert response.json()["created"] == 2
    orders = sorted(c["order_id"] for c in api.all("/conversions"))
    assert orders == ["E-1", "E-2"]


@ENDINGS
def test_a_reversals_csv_is_read_with_any_line_ending(api, brand, eol):
    for order in ("R-1", "R-2"):
        assert api.post("/conversions", sale(brand.program_id, order_id=order)).status_code == 201
    text = eol.join(["order_id,amount,reason_code", "R-1,,returned", "R-2,5.00,returned", ""])

    response = api.client.post(
        f"{API}/reversals/import?program_id={brand.program_id}",
        content=text.encode(),
        headers={**api.headers, "content-type": "text/csv"},
    )

    assert response.status_code == 200, response.text
    assert response.json()["reversed"] == 2, response.json()


@ENDINGS
def test_a_quoted_field_may_hold_a_line_break_with_any_ending(api, brand, eol):
    rows = ["order_id,amount,currency,user_agent", f'Q-1,1.00,USD,"two{eol}lines"', ""]

    response = api.client.post(
        f"{API}/conversions/import?program_id={brand.program_id}",
        content=eol.join(rows).encode(),
        headers={**api.headers, "content-type": "text/csv"},
    )

    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["created"], result["rejected"]) == (0, 1)  # a line break is refused
    assert result["rows"][0]["error"]["field"] == "user_agent"


def test_a_csv_that_is_not_utf8_is_422_on_the_file(api, brand):
    response = api.client.post(
        f"{API}/conversions/import?program_id={brand.program_id}",
        content="order_id,amount,currency\nÉ-1,1.00,USD\n".encode("latin-1"),
        headers={**api.headers, "content-type": "text/csv"},
    )

    error = error_of(response, 422)
    assert error["field"] == "file" and "UTF-8" in error["message"]


@ENDINGS
def test_the_console_upload_reads_any_line_ending(console, eol):
    client, brand = console
    page = client.get(f"/console/imports?program={brand.program_id}")
    text = eol.join(["order_id,amount,currency", "U-1,10.00,USD", "U-2,20.00,USD", ""])

    upload = client.post(
        "/console/imports/conversions",
        data={"csrf": csrf_of(page.text), "program": brand.program_id},
        files={"file": ("orders.csv", text.encode(), "text/csv")},
    )

    assert upload.status_code == 303, upload.text
    done = wait_for_job(client, upload.headers["location"])
    assert "orders.csv is imported." in done and "created: 2" in done, done
    orders = sorted(c["order_id"] for c in Api(client, brand.api_key).all("/conversions"))
    assert orders == ["U-1", "U-2"]


@ENDINGS
def test_the_cli_imports_any_line_ending(tmp_path, monkeypatch, eol):
    monkeypatch.setenv("ACCORD_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    get_settings.cache_clear()
    try:
        from accord.cli import app as cli

        runner = CliRunner()
        made = runner.invoke(cli, ["org", "create", "Offline Shop"])
        key = re.search(r"(acc_\w+_\S+)", made.output).group(1)
        from accord.programs.model import ProgramTerms
        from accord.programs.service import create_program
        from accord.store.engine import open_store
        from accord.tenancy.service import authenticate

        store = open_store(get_settings())
        program = create_program(
            store,
            authenticate(store, key),
            ProgramTerms(name="Retail", currency="USD", default_landing_url="https://s.example/"),
        )
        store.dispose()
        source = tmp_path / "orders.csv"
        source.write_bytes(eol.join(["order_id,amount,currency", "P-1,1.00,USD", ""]).encode())

        result = runner.invoke(
            cli,
            ["conversions", "import", str(source), "--program", program.id, "--api-key", key],
        )

        assert "1 rows: 1 created" in result.output, result.output
    finally:
        get_settings.cache_clear()


# 4. NUL and other control characters ---------------------------------------------------------


@pytest.mark.parametrize("field", ["order_id", "customer_id", "user_agent"])
def test_a_nul_in_a_string_field_is_422_on_that_field_and_kept(api, brand, field):
    body = {**sale(brand.program_id, order_id="NUL-1"), field: "a\x00b"}

    error = error_of(api.post("/conversions", body), 422)

    assert error["field"] == field and "U+0000" in error["message"]
    kept = _rejected(api)[error["rejected_event_id"]]
    assert json.loads(kept["payload"])[field] == "a\x00b"
    assert _conversions(api, brand.program_id) == 0


def test_other_control_characters_are_refused_but_a_tab_is_not(api, brand):
    escape = error_of(api.post("/conversions", sale(brand.program_id, customer_id="a\x1bb")), 422)
    assert escape["field"] == "customer_id" and "U+001B" in escape["message"]
    nested = sale(brand.program_id, device={"gaid": "g\x01"})
    assert error_of(api.post("/conversions", nested), 422)["field"] == "device.gaid"
    tab = api.post("/conversions", sale(brand.program_id, user_agent="Agent\t1"))
    assert tab.status_code == 201, tab.text


def test_a_lone_surrogate_is_422_on_its_field(api, brand):
    raw = json.dumps(sale(brand.program_id, order_id="S-1"))[:-1] + ', "customer_id": "\\ud800"}'

    error = error_of(api.post_raw("/conversions", raw.encode()), 422)

    assert error["field"] == "customer_id"


def test_a_nul_in_a_form_field_is_422_on_that_field(api, brand):
    raw = f"program_id={brand.program_id}&order_id=N%00-1&amount=1&currency=USD".encode()

    error = error_of(_post_form(api, raw), 422)

    assert error["field"] == "order_id"
    assert _rejected(api)[error["rejected_event_id"]]["payload"] == raw.decode()


def test_a_nul_in_one_batch_item_refuses_that_item_only(api, brand):
    items = [sale(brand.program_id, order_id="OK-1"), sale(brand.program_id, order_id="B\x00")]

    response = api.post("/conversions/batch", {"conversions": items})

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["rejected"]) == (1, 1)
    error = body["results"][1]["error"]
    assert error["field"] == "order_id"
    assert json.loads(_rejected(api)[error["rejected_event_id"]]["payload"])["order_id"] == "B\x00"


def test_a_raw_nul_byte_in_a_broken_body_is_kept(api):
    raw = b'{"order_id": "a\x00b'

    error = error_of(api.post_raw("/conversions", raw), 422)

    assert error["field"] == "body"
    assert _rejected(api)[error["rejected_event_id"]]["payload"] == '{"order_id": "a%00b'


def test_a_nul_in_any_api_body_is_422_on_the_field(api, brand):
    error = error_of(api.post("/programs", {"name": "P\x00", "currency": "USD"}), 422)

    assert error["field"] == "name"


def test_a_nul_in_a_console_form_is_refused_on_the_field(console):
    client, brand = console
    page = client.get(f"/console/contracts?program={brand.program_id}")
    terms = json.dumps({"rules": [{"event_type": "sale", "percent": "5"}]})
    form = {"csrf": csrf_of(page.text), "program": brand.program_id, "terms": terms}

    response = client.post(
        f"/console/contracts/{brand.contract_id}/versions",
        content=urlencode({**form, "note": "x\x00y"}),
        headers={"content-type": FORM},
    )

    assert response.status_code == 422, response.text
    assert "note" in response.text
    # A person sees a page in their language with a way back, not the API's JSON.
    assert response.headers["content-type"].startswith("text/html")
    assert "That did not work" in response.text and 'href="/console' in response.text


# 5. Form and query values that are not UTF-8 -------------------------------------------------


def test_undecodable_form_values_are_refused_and_kept_not_merged(api, brand):
    kept = []
    for order in ("%ff-z", "%fe-z", "%80-z"):
        raw = f"program_id={brand.program_id}&order_id={order}&amount=1&currency=USD".encode()
        error = error_of(_post_form(api, raw), 422)
        assert error["field"] == "order_id" and "UTF-8" in error["message"]
        kept.append(_rejected(api)[error["rejected_event_id"]]["payload"])

    assert all(o in p for o, p in zip(("%ff-z", "%fe-z", "%80-z"), kept, strict=True))
    assert _conversions(api, brand.program_id) == 0


def test_raw_bytes_that_are_not_utf8_in_a_form_are_kept_percent_encoded(api, brand):
    raw = f"program_id={brand.program_id}&order_id=".encode() + b"\xff-z&currency=USD"

    error = error_of(_post_form(api, raw), 422)

    assert error["field"] == "order_id"
    assert "%FF-z" in _rejected(api)[error["rejected_event_id"]]["payload"]


def test_the_query_decoder_refuses_undecodable_values_naming_them():
    assert bodies.decode_query(b"a=%C3%A9&b=+x") == [("a", "é"), ("b", " x")]
    with pytest.raises(InvalidInput) as refused:
        bodies.decode_query(b"program_id=p&order_id=%ff-z")
    assert refused.value.field == "order_id"
    with pytest.raises(InvalidInput) as control:
        bodies.decode_query(b"order_id=a%00")
    assert control.value.field == "order_id"


def test_the_pixel_refuses_an_undecodable_order_id(client, brand):
    add_partner(brand)
    url = f"/t/pixel.gif?program_id={brand.program_id}&order_id=%ff-z&amount=1&currency=USD"

    response = client.get(url, headers={"referer": "https://brand.example/thanks"})

    assert response.headers["x-accord-result"] == "rejected: invalid_input"
    rows = Api(client, brand.api_key).all("/rejected-events")
    assert rows and rows[0]["field"] == "order_id"


def test_a_bad_key_is_still_401_not_a_body_error(client, brand):
    response = client.post(
        API + "/conversions", content=_deep_json().encode(), headers=bearer("acc_x_y")
    )

    assert response.status_code == 401


def test_the_pixel_decoder_keeps_what_was_sent_when_it_refuses_it():
    data, refused = bodies.form_data_kept(b"program_id=p&order_id=%ff-z&event=sale")
    assert refused is not None and refused.field == "order_id"
    assert data == {"program_id": "p", "order_id": "%FF-z", "event": "sale"}

    data, refused = bodies.form_data_kept(b"order_id=a&items=" + quote(_deep_json()).encode())
    assert refused is not None and refused.field == "items"
    assert data["items"] == _deep_json()

    assert bodies.form_data_kept(b"order_id=%C3%A9") == ({"order_id": "é"}, None)


def test_a_nul_in_a_reversal_is_422_on_the_field_and_kept(api, brand):
    made = api.post("/conversions", sale(brand.program_id, order_id="REV-NUL")).json()
    body = {"reason_code": "returned", "note": "a\x00b"}

    error = error_of(api.post(f"/conversions/{made['id']}/reversals", body), 422)

    assert error["field"] == "note"
    kept = _rejected(api)[error["rejected_event_id"]]
    assert kept["kind"] == "reversal" and json.loads(kept["payload"])["note"] == "a\x00b"


def test_a_nul_in_a_reversals_csv_row_refuses_that_row(api, brand):
    for order in ("RN-1", "RN-2"):
        assert api.post("/conversions", sale(brand.program_id, order_id=order)).status_code == 201
    text = "order_id,reason_code,note\nRN-1,returned,fine\nRN-2,returned,a\x00b\n"

    response = api.client.post(
        f"{API}/reversals/import?program_id={brand.program_id}",
        content=text.encode(),
        headers={**api.headers, "content-type": "text/csv"},
    )

    assert response.status_code == 200, response.text
    rows = response.json()["rows"]
    assert [r["status"] for r in rows] == ["reversed", "rejected"]
    assert rows[1]["error"]["field"] == "note"
