"""The native click edge answers and records exactly as the Python edge does.

Each request goes to both: to the C server over a real socket, and to the Python edge's
ASGI callable with the same bytes. Their statuses, redirects (click ids aside) and stored
rows must agree, for the cases written out here and for queries hypothesis makes up.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import socket
import struct
import termios
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote_to_bytes, urlsplit

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from accord.clock import FixedClock
from accord.edge.native import NativeEdge, load_spool
from accord.programs.service import update_program
from accord.server import AccordApp, spool_dir
from accord.settings import Settings
from accord.store.engine import Store
from accord.tracking.service import create_link
from accord.tracking.tables import Click, Impression, Link
from tests.factories import add_partner, free_port, make_brand

CLICK_ID = re.compile(r"(clk|imp)_[0-9A-HJKMNP-TV-Z]{26}")
PEER = "127.0.0.1"
SITES = {"brand.example", "www.shop.example", "shop.example", "blog.brand.example"}
ROW_FIELDS = (
    "link_id",
    "partner_id",
    "ip",
    "user_agent",
    "referrer",
    "destination_url",
    "sub1",
    "sub2",
    "sub3",
    "sub4",
    "sub5",
    "fetch_dest",
)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def location(self) -> str:
        return self.headers.get("location", "")

    @property
    def click_id(self) -> str | None:
        found = CLICK_ID.search(self.location)
        return found.group(0) if found else None

    def shape(self) -> tuple[int, str]:
        """Status and redirect with the click id (random) blanked out."""
        return self.status, CLICK_ID.sub("CLICK", self.location)


def native(port: int, method: str, target: bytes, headers: list[tuple[bytes, bytes]]) -> Answer:
    """One request over a fresh connection, bytes exactly as given."""
    lines = [method.encode() + b" " + target + b" HTTP/1.1", b"Host: track.example"]
    lines += [name + b": " + value for name, value in headers]
    lines += [b"Connection: close", b"", b""]
    with socket.create_connection((PEER, port), timeout=5) as conn:
        conn.sendall(b"\r\n".join(lines))
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    return parse_response(data)


def parse_response(data: bytes) -> Answer:
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(int(status_line.split()[1]), headers, body)


def python(app: AccordApp, method: str, target: bytes, headers) -> Answer:
    """The same request through the Python edge's ASGI callable."""
    path, _, query = target.partition(b"?")
    scope = {
        "type": "http",
        "method": method,
        "path": unquote_to_bytes(path).decode("utf-8", "replace"),
        "raw_path": path,
        "query_string": query,
        "headers": [(name.lower(), value) for name, value in headers],
        "client": (PEER, 40000),
    }
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    # A thread of its own: an earlier test (the browser's) may hold an event loop here.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(anyio.run, app.edge, scope, receive, send).result()
    start = sent[0]
    response_headers = {k.decode(): v.decode("latin-1") for k, v in start["headers"]}
    return Answer(start["status"], response_headers, sent[-1].get("body", b""))


@dataclass
class World:
    store: Store
    brand: object
    codes: dict[str, str]
    edge: NativeEdge
    app: AccordApp


@pytest.fixture(scope="module")
def world(engine, tmp_path_factory):
    """A program with permitted domains and links of several shapes, behind both edges."""
    store = Store(engine, FixedClock(datetime.now(UTC)))
    brand = make_brand(store)
    update_program(
        store,
        brand.caller,
        brand.program_id,
        {"permitted_domains": ["blog.brand.example", ".shop.example"]},
    )
    partner = add_partner(brand)
    other = add_partner(brand)
    codes = {"plain": partner.link_code, "other": other.link_code}
    for name, destination in {
        "query": "https://brand.example/spring?ref=news&accord_click=old&x=a+b",
        "fragment": "https://www.shop.example/item/7#reviews",
        "bare": "https://brand.example",
    }.items():
        codes[name] = create_link(
            store,
            brand.caller,
            brand.program_id,
            partner_id=partner.id,
            destination_url=destination,
        ).code
    folder = tmp_path_factory.mktemp("native-edge")
    settings_ = Settings(data_dir=folder / "python", trusted_proxies=[PEER])
    app = AccordApp(store, settings_)
    app.start()
    spool = spool_dir(settings_, store)  # the folder `accord edge` uses for this store
    edge = NativeEdge(store, spool, port=free_port(), trusted_proxies=[PEER])
    edge.start(background=False)
    edge.wait_ready()
    yield World(store, brand, codes, edge, app)
    edge.stop()
    app.stop()


def settle(world: World) -> None:
    """Store what both edges have answered so far (the native one's open segments too)."""
    load_spool(world.store, world.edge.spool, include_open=True)
    world.app.recorder.flush()


def stored_click(world: World, click_id: str) -> dict:
    settle(world)
    with world.store.read() as session:
        click = session.get(Click, click_id)
        assert click is not None, f"click {click_id} was not stored"
        return {name: getattr(click, name) for name in ROW_FIELDS}


def both(world: World, target: bytes, headers=(), method="GET") -> tuple[Answer, Answer]:
    headers = list(headers)
    return (
        native(world.edge.port, method, target, headers),
        python(world.app, method, target, headers),
    )


SAFE_LOCATION = re.compile(r"[\x21-\x7e]*")  # visible ASCII: no control, DEL or space


def assert_same(world: World, target: bytes, headers=()) -> Answer:
    from_c, from_python = both(world, target, headers)
    assert from_c.shape() == from_python.shape(), target
    assert SAFE_LOCATION.fullmatch(from_c.location), target
    if from_c.click_id and from_c.click_id.startswith("clk_"):
        assert stored_click(world, from_c.click_id) == stored_click(world, from_python.click_id)
    return from_c


CASES = [
    "",
    "?sub1=email&sub2=spring%20sale&utm_source=newsletter&utm_campaign=618",
    "?accord_click=forged",
    "?url=/products/42&utm_medium=cpc",
    "?url=https://blog.brand.example/review",
    "?url=https://www.shop.example/item?color=red%23x#top",
    "?url=HTTPS://Shop.Example./Caf%C3%A9",
    "?url=https://shop.example/a%20b/%E4%BD%A0?q=%22x%22",
    "?url=//evil.example/path",
    "?url=https://evil.example/",
    "?url=https://a@evil.example/",
    "?url=https://brand.example%40evil.example/",
    "?url=https://brand.example%5C@evil.example/",
    "?url=/%5Cevil.example",
    "?url=https://%65vil.example/",
    "?url=https://brand.example.evil.example/",
    "?url=https://evilshop.example/",
    "?url=javascript:alert(1)",
    "?url=ftp://brand.example/file",
    "?url=https://brand.example/%0D%0ASet-Cookie:x=1",
    "?url=https://[brand.example/",
    "?url=https://brand.example:8443/x",
    "?url=https://shop.example:99999/x",
    "?url=https://shop.example:0/x",
    "?url=https://shop.example:/x",
    "?url=https://shop.example:+443/x",
    "?url=https://shop.example:%7F/x",
    "?url=https://a%7F.shop.example/x",
    "?url=https://a%22%3Cb%3E.shop.example/x",
    "?url=https://a%7Bb%7D%7C%5E%60.shop.example/x",
    "?url=https://shop.example/a%7Fb",
    "?url=/a%7Fb",
    "?url=https://shop.example/%01",
    "?url=",
    "?url=%2F%2Fevil.example",
    "?sub1=" + "x" * 300 + "&sub2=%C3%A9" * 2,
    "?sub1=%00null%00&sub3=%E9%80&sub4=%ed%a0%80x&sub5=%F0%9F%98%80",
    "?sub1=a+b&sub1=second&sub2=&utm_term=%E6%98%A5&ref=override",
    "?utm_source=a&utm_source=b&x=%ZZ&=blank&novalue",
    "?sub1=\xe9raw".replace("\xe9", "%E9"),
]


@pytest.mark.parametrize("name", ["plain", "query", "fragment", "bare"])
@pytest.mark.parametrize("query", CASES)
def test_a_click_gets_the_same_redirect_and_row_from_both_edges(world, name, query):
    assert_same(world, f"/c/{world.codes[name]}{query}".encode())


UNSAFE_DEEP_LINKS = [
    "https://shop.example:99999/x",
    "https://shop.example:65536/x",
    "https://shop.example:0/x",
    "https://shop.example:/x",
    "https://shop.example:8%7F/x",
    "https://shop.example:x/",
    "https://a%7F.shop.example/x",
    "https://a%22%3C.shop.example/",
    "https://a%60.shop.example/",
    "https://shop.example/a%7Fb",
    "/sale%7F",
    "/sale%1F",
    "https://shop.example/%09",
]


@pytest.mark.parametrize("requested", UNSAFE_DEEP_LINKS)
def test_an_unsafe_byte_or_port_in_a_deep_link_falls_back_on_both_edges(world, requested):
    answer = assert_same(world, f"/c/{world.codes['bare']}?url={requested}".encode())
    assert answer.status == 302
    assert CLICK_ID.sub("CLICK", answer.location) == "https://brand.example?accord_click=CLICK"


def test_a_port_in_range_is_kept_on_both_edges(world):
    answer = assert_same(
        world, f"/c/{world.codes['bare']}?url=https://shop.example:65535/x".encode()
    )
    assert (
        CLICK_ID.sub("CLICK", answer.location) == "https://shop.example:65535/x?accord_click=CLICK"
    )


def test_raw_latin1_bytes_and_headers_are_read_as_the_python_edge_reads_them(world):
    code = world.codes["plain"].encode()
    headers = [
        (b"User-Agent", b"Mozilla/5.0 (caf\xe9)"),
        (b"Referer", b"https://blog.example/\xfcber"),
        (b"X-Forwarded-For", b"198.51.100.7, 10.0.0.2"),
        (b"Sec-Fetch-Dest", b"image"),
    ]
    answer = assert_same(world, b"/c/" + code + b"?sub1=\xe9t\xe9&utm_x=\xff", headers)
    row = stored_click(world, answer.click_id)
    assert row["ip"] == "10.0.0.2"  # the peer is trusted; the last untrusted hop is the shopper
    assert row["user_agent"] == "Mozilla/5.0 (café)"
    # fetched as an image, as a hidden cookie-stuffing tag does: both edges keep it
    assert row["fetch_dest"] == "image"


def test_unknown_codes_methods_and_paths_are_answered_alike(world):
    for target in (b"/c/nope", b"/c/", b"/c/" + world.codes["plain"].encode() + b"/extra"):
        from_c, from_python = both(world, target)
        assert (
            (from_c.status, from_c.body)
            == (from_python.status, from_python.body)
            == (
                404,
                b'{"error":{"code":"not_found","message":"unknown or inactive tracking link"}}',
            )
        )
    from_c, from_python = both(world, f"/c/{world.codes['plain']}".encode(), method="DELETE")
    assert from_c.status == from_python.status == 405
    assert from_c.headers["allow"] == "GET, HEAD"


def test_head_redirects_without_counting_a_click(world):
    target = f"/c/{world.codes['other']}?url=/sale".encode()
    from_c, from_python = both(world, target, method="HEAD")
    assert from_c.shape() == from_python.shape() == (302, "https://brand.example/sale")
    assert from_c.click_id is None


def test_an_impression_answers_the_same_pixel_and_row(world):
    target = f"/i/{world.codes['other']}?sub1=banner%20top".encode()
    from_c, from_python = both(world, target, [(b"User-Agent", b"ImgBot")])
    assert from_c.status == from_python.status == 200
    assert from_c.body == from_python.body and from_c.body.startswith(b"GIF89a")
    assert from_c.headers["content-type"] == "image/gif"
    settle(world)
    with world.store.read() as session:
        rows = session.scalars(
            select(Impression).where(Impression.link_id == _link_id(world, "other"))
        ).all()
    assert [(r.sub1, r.user_agent, r.ip) for r in rows] == [("banner top", "ImgBot", PEER)] * 2


def _link_id(world: World, name: str) -> str:
    with world.store.read() as session:
        return session.scalar(select(Link.id).where(Link.code == world.codes[name]))


def test_repeat_clicks_are_flagged_as_duplicates_by_both(world):
    target = f"/c/{world.codes['other']}?sub1=dup".encode()
    agent = [(b"User-Agent", b"Repeat/1.0 " + datetime.now(UTC).isoformat().encode())]
    flags = {"c": [], "python": []}
    for _ in range(3):
        from_c, from_python = both(world, target, agent)
        flags["c"].append(from_c.click_id)
        flags["python"].append(from_python.click_id)
    settle(world)
    with world.store.read() as session:
        for side, ids in flags.items():
            duplicate = {
                c.id: c.duplicate for c in session.scalars(select(Click).where(Click.id.in_(ids)))
            }
            assert [duplicate[i] for i in ids] == [False, True, True], side


# Pieces of queries: keys the edge reads, keys it passes through, and values with escapes,
# invalid UTF-8, raw Latin-1 bytes, NULs and URLs (safe and not) for deep links.
KEYS = st.sampled_from(
    [b"sub1", b"sub2", b"sub5", b"url", b"utm_source", b"accord_click", b"ref", b"x", b"", b"a+b"]
)
PIECES = st.sampled_from(
    [
        b"a",
        b"Z9",
        b"%20",
        b"+",
        b"%2B",
        b"%E9",
        b"%C3%A9",
        b"%E6%98%A5",
        b"%F0%9F%98%80",
        b"%80",
        b"%ED%A0%80",
        b"%00",
        b"%",
        b"%zz",
        b"=",
        b"/",
        b"//",
        b":",
        b"@",
        b"%40",
        b"%5C",
        b".",
        b"?",
        b"%3F",
        b"%23",
        b"\xe9",
        b"\xff",
        b"https://brand.example/p",
        b"https://www.shop.example",
        b"http://blog.brand.example",
        b"https://evil.example",
        b"https://shop.example.evil.example",
        b"HTTPS://SHOP.EXAMPLE",
        b"[",
        b"]",
        b"~",
        b"'",
    ]
)
VALUES = st.lists(PIECES, max_size=6).map(b"".join)
QUERIES = st.lists(st.tuples(KEYS, st.one_of(st.none(), VALUES)), max_size=6).map(
    lambda pairs: b"&".join(k if v is None else k + b"=" + v for k, v in pairs)
)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.sampled_from(["plain", "query", "fragment", "bare"]),
    query=QUERIES,
)
def test_any_query_gets_the_same_redirect_and_row_from_both_edges(world, name, query):
    from_c = assert_same(world, f"/c/{world.codes[name]}?".encode() + query)
    location = urlsplit(from_c.location)
    assert location.hostname in {
        "brand.example",
        "www.shop.example",
        "shop.example",
        "blog.brand.example",
    }
    assert parse_qs(location.query)["accord_click"] == [from_c.click_id]


def test_a_link_created_or_switched_off_reaches_the_edge_with_the_next_snapshot(world):
    brand = world.brand
    partner = brand.partners[0]
    link = create_link(
        world.store, brand.caller, brand.program_id, partner_id=partner.id, code="fresh-link-1"
    )
    assert native(world.edge.port, "GET", b"/c/fresh-link-1", []).status == 404  # not yet
    world.edge.tick()  # the revision moved: a new snapshot
    answer = _eventually(world.edge.port, b"/c/fresh-link-1", 302)
    assert answer.location.startswith("https://brand.example/?accord_click=clk_")
    with world.store.unit() as session:
        session.get(Link, link.id).active = False
    world.edge.tick()
    _eventually(world.edge.port, b"/c/fresh-link-1", 404)


def test_an_expired_link_lands_on_the_program_page_without_a_click(world):
    brand = world.brand
    link = create_link(
        world.store,
        brand.caller,
        brand.program_id,
        partner_id=brand.partners[0].id,
        destination_url="https://brand.example/promo",
        expires_at=world.store.clock.now() + timedelta(days=1),
    )
    with world.store.unit() as session:  # as if the day had passed
        session.get(Link, link.id).expires_at = datetime.now(UTC) - timedelta(seconds=1)
    world.edge.tick()
    answer = _eventually(world.edge.port, f"/c/{link.code}".encode(), 302)
    assert answer.location == "https://brand.example/"


def _eventually(port: int, target: bytes, status: int) -> Answer:
    """The edge re-reads its snapshot within 250 ms."""
    deadline = datetime.now(UTC) + timedelta(seconds=3)
    while True:
        answer = native(port, "GET", target, [])
        if answer.status == status or datetime.now(UTC) > deadline:
            assert answer.status == status
            return answer
        time.sleep(0.05)


def test_pipelined_requests_are_answered_in_order_and_bad_ones_refused(world):
    code = world.codes["plain"].encode()
    request = b"GET /c/" + code + b"?sub1=p%d HTTP/1.1\r\nHost: t\r\n\r\n"
    with socket.create_connection((PEER, world.edge.port), timeout=5) as conn:
        conn.sendall(b"".join(request.replace(b"%d", str(i).encode()) for i in range(5)))
        conn.sendall(b"GET /c/" + code + b" HTTP/1.1\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    answers = [parse_response(b"HTTP/1.1" + part) for part in data.split(b"HTTP/1.1")[1:]]
    assert [a.status for a in answers] == [302] * 6
    ids = [a.click_id for a in answers]
    settle(world)
    with world.store.read() as session:
        subs = dict(session.execute(select(Click.id, Click.sub1).where(Click.id.in_(ids))).all())
    assert [subs[i] for i in ids] == ["p0", "p1", "p2", "p3", "p4", None]

    assert native(world.edge.port, "GET", b"no-slash", []).status == 400
    huge = [(b"X-Filler", b"y" * 20000)]
    assert native(world.edge.port, "GET", b"/c/" + code, huge).status == 431
    assert native(world.edge.port, "GET", b"/elsewhere", []).status == 404


def test_head_errors_carry_headers_but_no_body(world):
    for target in (b"/c/nope", b"/elsewhere"):
        answer = native(world.edge.port, "HEAD", target, [])
        assert answer.status == 404
        assert answer.body == b""
        assert int(answer.headers["content-length"]) > 0  # the length a GET would get


def _read_all(conn: socket.socket) -> bytes:
    data = b""
    while chunk := conn.recv(1 << 20):
        data += chunk
    return data


def test_a_client_that_stops_reading_still_gets_every_answer_in_order(world):
    """A client that pipelines many clicks and reads its answers late: the edge stops reading
    while answers wait (the client's own sending stalls, as it would with any server), then goes
    on, and each click is answered and recorded once, in order, up to a half-close."""
    code = world.codes["plain"].encode()
    count = 50000  # 2.4 MB of requests, 7 MB of answers: more than the sockets' buffers hold
    requests = b"".join(
        b"GET /c/" + code + b"?sub1=bp" + str(i).encode() + b" HTTP/1.1\r\nHost: t\r\n\r\n"
        for i in range(count)
    )

    def send_all(conn: socket.socket) -> None:
        conn.sendall(requests)
        conn.shutdown(socket.SHUT_WR)  # a half-close: the answers are still owed

    with socket.create_connection((PEER, world.edge.port), timeout=20) as conn:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)
        with ThreadPoolExecutor(1) as pool:
            sent = pool.submit(send_all, conn)
            time.sleep(1.0)  # nothing read yet: the edge's answers back up
            unsent = struct.unpack("i", fcntl.ioctl(conn, termios.TIOCOUTQ, b"\0" * 4))[0]
            assert unsent > 0  # the edge stopped reading, so the client could not send it all
            data = _read_all(conn)
            sent.result()
    answers = [parse_response(b"HTTP/1.1 " + part) for part in data.split(b"HTTP/1.1 ")[1:]]
    assert len(answers) == count
    assert {a.status for a in answers} == {302}
    ids = [a.click_id for a in answers]
    settle(world)
    subs: dict[str, str] = {}
    with world.store.read() as session:
        for at in range(0, count, 5000):
            chunk = ids[at : at + 5000]
            found = select(Click.id, Click.sub1).where(Click.id.in_(chunk))
            subs.update(session.execute(found).all())
    assert [subs.get(i) for i in ids] == [f"bp{i}" for i in range(count)]


def _raw(port: int, data: bytes, *, half_close: bool = False, timeout: float = 5) -> bytes:
    """Send `data` as is on one connection and read until the edge closes it."""
    with socket.create_connection((PEER, port), timeout=timeout) as conn:
        conn.sendall(data)
        if half_close:
            conn.shutdown(socket.SHUT_WR)
        return _read_all(conn)


def test_pipelined_requests_then_a_half_close_get_every_answer(world):
    """600 short requests and the half-close arrive together: the edge reads the end of the
    input while most answers still wait for room in its backlog. Every one is owed."""
    brand = world.brand
    create_link(
        world.store, brand.caller, brand.program_id, partner_id=brand.partners[0].id, code="hc6"
    )
    world.edge.tick()
    for _ in range(8):  # each thread of the edge reads the new snapshot on its own
        _eventually(world.edge.port, b"/c/hc6", 302)
    # every thread re-reads within 250 ms: wait out a few rounds, so that a thread this
    # loop did not happen to reach (a busy machine) has the link before the burst
    time.sleep(1.0)
    count = 600
    requests = b"GET /c/hc6 HTTP/1.1\r\n\r\n" * count  # 14 KiB: one read, with the end
    data = _raw(world.edge.port, requests, half_close=True, timeout=10)
    answers = [parse_response(b"HTTP/1.1 " + part) for part in data.split(b"HTTP/1.1 ")[1:]]
    assert len(answers) == count
    assert {a.status for a in answers} == {302}
    ids = {a.click_id for a in answers}
    assert len(ids) == count
    settle(world)
    with world.store.read() as session:
        stored = session.scalar(select(func.count()).select_from(Click).where(Click.id.in_(ids)))
    assert stored == count


@pytest.mark.parametrize(
    "header",
    [
        b"Transfer-Encoding : chunked",
        b"Content-Length\t: 0",
        b"User-Agent : x",
        b" Host: t",  # an obsolete line folding
        b"Bad\x01Name: x",
        b"Caf\xe9: x",
    ],
)
def test_a_header_name_with_whitespace_or_a_stray_byte_is_refused(world, header):
    code = world.codes["plain"].encode()
    request = b"GET /c/" + code + b" HTTP/1.1\r\nHost: t\r\n" + header + b"\r\n\r\n"
    answer = parse_response(_raw(world.edge.port, request))
    assert answer.status == 400


def test_a_fragment_in_the_request_target_is_dropped_by_both_edges(world):
    """A request target has no fragment (RFC 9112 section 3.2). granian, the Python edge's
    server, drops one a client sends anyway; both edges do the same wherever they see it."""
    code = world.codes["plain"].encode()
    cases = {
        b"/c/" + code + b"#top": (b"/c/" + code, None),
        b"/c/" + code + b"?sub1=a#top&sub2=b": (b"/c/" + code + b"?sub1=a", "a"),
        b"/c/" + code + b"#x?sub1=a": (b"/c/" + code, None),
        b"/c/nope#" + code: (b"/c/nope", None),
    }
    for target, (without, sub1) in cases.items():
        answer = assert_same(world, target)
        assert answer.shape() == native(world.edge.port, "GET", without, []).shape(), target
        if answer.click_id:
            assert stored_click(world, answer.click_id)["sub1"] == sub1
            assert stored_click(world, answer.click_id)["sub2"] is None


def test_bare_line_feeds_end_lines_as_crlf_does(world):
    """RFC 9112 section 2.2 lets a server read a lone LF as a line's end: the answer comes at
    once, not after the idle timeout."""
    code = world.codes["plain"].encode()
    started = time.monotonic()
    with socket.create_connection((PEER, world.edge.port), timeout=5) as conn:
        conn.sendall(b"GET /c/" + code + b"?sub1=lf HTTP/1.1\nHost: t\nUser-Agent: lf/1\n\n")
        first = conn.recv(65536)
        conn.sendall(b"GET /c/" + code + b"?sub1=mixed HTTP/1.1\r\nHost: t\n\r\n")
        second = conn.recv(65536)
    assert time.monotonic() - started < 2
    answers = [parse_response(first), parse_response(second)]
    assert [a.status for a in answers] == [302, 302]
    row = stored_click(world, answers[0].click_id)
    assert (row["sub1"], row["user_agent"]) == ("lf", "lf/1")
    assert stored_click(world, answers[1].click_id)["sub1"] == "mixed"
    # a lone CR is not a line's end
    bare_cr = b"GET /c/" + code + b" HTTP/1.1\rHost: t\r\n\r\n"
    assert parse_response(_raw(world.edge.port, bare_cr)).status == 400


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads CPU time from /proc")
def test_out_of_descriptors_the_edge_waits_without_spinning_and_recovers(tmp_path):
    """With a few dozen descriptors and more connections than that held open, both threads
    run out; the edge must neither burn a core retrying accept() nor stop answering once
    connections close."""
    import resource
    import subprocess

    from accord.edge.native import SNAPSHOT_HEADER, build

    links = tmp_path / "links.tsv"
    links.write_text(
        SNAPSHOT_HEADER
        + "fdlink\tlnk_1\tprg_1\tprt_1\thttps://brand.example/\taccord_click\t\t\t30\t\n"
    )
    port = free_port()

    def few_descriptors() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))

    argv = [str(build()), "--listen", f"{PEER}:{port}", "--links", str(links)]
    argv += ["--spool", str(tmp_path), "--threads", "2"]
    with open(tmp_path / "edge.log", "wb") as log:
        edge = subprocess.Popen(argv, preexec_fn=few_descriptors, stderr=log)
    held: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                assert native(port, "GET", b"/c/fdlink", []).status == 302
                break
            except OSError:
                assert time.monotonic() < deadline and edge.poll() is None
                time.sleep(0.02)

        def connect(count: int) -> None:
            for _ in range(count):  # more than the edge can hold: the rest wait or are refused
                held.append(socket.create_connection((PEER, port), timeout=5))

        with ThreadPoolExecutor(4) as pool:  # both threads meet the limit at once, repeatedly
            for _ in range(3):
                list(pool.map(connect, [250] * 4))
        connect(20)  # and a few wait in the backlog while the CPU time is measured
        before = _cpu_seconds(edge.pid)
        time.sleep(2.0)
        busy = _cpu_seconds(edge.pid) - before
        assert busy < 0.4, f"the edge used {busy:.2f} s of CPU in 2 s while out of descriptors"
        for conn in held:
            conn.close()
        held.clear()
        deadline = time.monotonic() + 5
        while True:  # descriptors come back as the edge sees the connections close
            try:
                answer = native(port, "GET", b"/c/fdlink", [])
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert answer.status == 302
        assert edge.poll() is None
    finally:
        for conn in held:
            conn.close()
        edge.terminate()
        edge.wait(10)


def test_a_conversion_right_after_a_native_click_finds_the_click(world):
    """The loader has not run; the conversion API stores the spool before it attributes."""
    from starlette.testclient import TestClient

    brand = world.brand
    partner = brand.partners[1]
    answer = native(world.edge.port, "GET", f"/c/{partner.link_code}".encode(), [])
    world.store.clock.set(datetime.now(UTC))  # the order comes after the click
    with TestClient(world.app) as client:
        response = client.post(
            "/api/v1/conversions",
            headers={"authorization": f"Bearer {brand.api_key}"},
            json={
                "program_id": brand.program_id,
                "order_id": f"native-{answer.click_id}",
                "amount": "80.00",
                "currency": "USD",
                "click_id": answer.click_id,
            },
        )
    assert response.status_code == 201, response.text
    assert response.json()["partner_id"] == partner.id


def test_a_batch_right_after_native_clicks_finds_every_click(world):
    """A batch naming several clicks the loader has not stored yet stores the spool once,
    then attributes each conversion to its click's partner."""
    from starlette.testclient import TestClient

    brand = world.brand
    partners = brand.partners[:2]
    answers = [
        native(world.edge.port, "GET", f"/c/{p.link_code}".encode(), []) for p in partners * 2
    ]
    world.store.clock.set(datetime.now(UTC))
    items = [
        {
            "program_id": brand.program_id,
            "order_id": f"native-batch-{answer.click_id}",
            "amount": "40.00",
            "currency": "USD",
            "click_id": answer.click_id,
        }
        for answer in answers
    ]
    with TestClient(world.app) as client:
        response = client.post(
            "/api/v1/conversions/batch",
            headers={"authorization": f"Bearer {brand.api_key}"},
            json={"conversions": items},
        )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created"] * 4
    assert [r["conversion"]["partner_id"] for r in results] == [p.id for p in partners * 2]


def test_a_dead_edges_unfinished_segment_is_stored_at_the_next_start(world, tmp_path):
    spool = tmp_path / "spool"
    spool.mkdir()
    row = {
        "id": "clk_01KDEADEDGE0000000000000000",
        "link_id": _link_id(world, "plain"),
        "program_id": world.brand.program_id,
        "partner_id": world.brand.partners[0].id,
        "at": "2026-11-20T10:00:00.000000+00:00",
        "ip": "203.0.113.9",
        "user_agent": None,
        "referrer": None,
        "destination_url": "https://brand.example/",
        "sub1": "left",
        **dict.fromkeys(["sub2", "sub3", "sub4", "sub5"]),
        "duplicate": False,
    }
    line = json.dumps({"k": "click", "r": row}) + "\n"
    (spool / "edge-999999-0-000001.part").write_text(line + '{"k":"click","r":{"id":"clk_torn')
    assert load_spool(world.store, Path(spool)) == 1
    assert not list(spool.iterdir())
    with world.store.read() as session:
        click = session.get(Click, "clk_01KDEADEDGE0000000000000000")
    assert (click.sub1, click.ip) == ("left", "203.0.113.9")


def test_a_segment_the_edge_completes_while_the_spool_is_read_is_not_missed(world, tmp_path):
    """The edge renames a segment from .part to .jsonl every 200 ms; a catch-up that looks
    for both kinds of file must find a click whose segment was renamed between the looks."""
    import fcntl

    row = {
        "id": "clk_01KRENAMEDSEGMENT0000000000",
        "link_id": _link_id(world, "plain"),
        "program_id": world.brand.program_id,
        "partner_id": world.brand.partners[0].id,
        "at": "2026-11-20T10:00:00.000000+00:00",
        "ip": "203.0.113.10",
        "user_agent": None,
        "referrer": None,
        "destination_url": "https://brand.example/",
        "sub1": "renamed",
        **dict.fromkeys(["sub2", "sub3", "sub4", "sub5"]),
        "duplicate": False,
    }

    class Renaming(type(Path())):
        """A spool folder where the edge completes its segment as the .part files are
        looked for (and no later)."""

        def glob(self, pattern):
            if pattern == "edge-*.part" and part.exists():
                part.rename(part.with_suffix(".jsonl"))
                os.close(held)  # the edge lets go of it once renamed
            return super().glob(pattern)

    spool = Renaming(tmp_path / "spool-renaming")
    spool.mkdir()
    part = spool / "edge-999997-0-000001.part"
    part.write_text(json.dumps({"k": "click", "r": row}) + "\n")
    held = os.open(part, os.O_RDONLY)
    fcntl.flock(held, fcntl.LOCK_EX)  # a live edge writes it
    load_spool(world.store, spool, include_open=True)
    with world.store.read() as session:
        click = session.get(Click, row["id"])
    assert click is not None and click.sub1 == "renamed"


def test_an_empty_segment_left_before_it_was_named_is_removed_once_old(world, tmp_path):
    spool = tmp_path / "spool-new"
    spool.mkdir()
    old, fresh = spool / "edge-999998-0-000001.new", spool / "edge-999998-1-000001.new"
    old.touch()
    fresh.touch()
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    assert load_spool(world.store, spool) == 0
    assert sorted(p.name for p in spool.iterdir()) == [fresh.name]  # may be about to be named
