"""The tracking edge as a shopper's browser meets it: redirects, deep links, sub ids."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from accord.programs.service import update_program
from accord.server import AccordApp
from accord.settings import Settings
from accord.tracking.service import create_link
from accord.tracking.tables import Click, Impression
from tests.factories import add_partner, make_brand


@pytest.fixture
def edge(store, tmp_path):
    brand = make_brand(store)
    partner = add_partner(brand)
    update_program(
        store,
        brand.caller,
        brand.program_id,
        {"permitted_domains": ["blog.brand.example", ".shop.example"]},
    )
    app = AccordApp(store, Settings(data_dir=tmp_path))
    with TestClient(app, follow_redirects=False) as client:
        yield brand, partner, app, client


def _location(response) -> tuple[str, dict[str, list[str]]]:
    assert response.status_code == 302, response.text
    parts = urlsplit(response.headers["location"])
    return f"{parts.scheme}://{parts.netloc}{parts.path}", parse_qs(parts.query)


def _clicks(store, **where):
    with store.read() as session:
        query = select(Click)
        for name, value in where.items():
            query = query.where(getattr(Click, name) == value)
        return list(session.scalars(query))


def test_sub_ids_are_stored_and_utm_tags_pass_through(edge, store):
    _brand, partner, app, client = edge
    response = client.get(
        f"/c/{partner.link_code}?sub1=email&sub2=spring%20sale"
        "&utm_source=newsletter&utm_campaign=618"
    )
    landing, query = _location(response)
    assert landing == "https://brand.example/"
    assert query["utm_source"] == ["newsletter"] and query["utm_campaign"] == ["618"]
    assert "sub1" not in query
    app.recorder.flush()
    (click,) = _clicks(store, id=query["accord_click"][0])
    assert (click.sub1, click.sub2, click.sub3) == ("email", "spring sale", None)


def test_a_click_id_sent_by_the_shopper_is_replaced_by_accords_own(edge):
    _, partner, _, client = edge
    _, query = _location(client.get(f"/c/{partner.link_code}?accord_click=forged"))
    assert query["accord_click"] != ["forged"]
    assert query["accord_click"][0].startswith("clk_")


@pytest.mark.parametrize(
    "requested, landing",
    [
        ("/products/42", "https://brand.example/products/42"),
        ("https://brand.example/sale", "https://brand.example/sale"),
        ("https://blog.brand.example/review", "https://blog.brand.example/review"),
        ("https://www.shop.example/item", "https://www.shop.example/item"),
        ("https://shop.example/", "https://shop.example/"),
    ],
)
def test_a_deep_link_to_a_permitted_page_is_followed(edge, requested, landing):
    _, partner, _, client = edge
    response = client.get(f"/c/{partner.link_code}", params={"url": requested})
    assert _location(response)[0] == landing


@pytest.mark.parametrize(
    "requested",
    [
        "//evil.example/path",
        "https://evil.example/",
        "https://a@evil.example/",
        "https://brand.example@evil.example/",
        "https://brand.example\\@evil.example/",
        "/\\evil.example",
        "https://%65vil.example/",
        "https://brand.example.evil.example/",
        "https://evilshop.example/",
        "javascript:alert(1)",
        "ftp://brand.example/file",
        "https://brand.example/\r\nSet-Cookie:x=1",
        "data:text/html,hi",
        "https://brand.exampl\u0435/",  # a Cyrillic letter that looks like a Latin one
        "https://[brand.example/",
        "https://" + "a" * 250 + ".brand.example/",  # longer than any host name can be
        "https://a\x7f.shop.example/",  # DEL, which a Location header cannot carry
        "https://shop.example/a\x7fb",
        "/sale\x7f",
        'https://a"<b>.shop.example/',
        "https://shop.example:99999/x",  # no such port
        "https://shop.example:0/x",
        "https://shop.example:x/",
    ],
)
def test_an_unsafe_deep_link_falls_back_to_the_links_destination(edge, requested):
    _, partner, _, client = edge
    response = client.get(f"/c/{partner.link_code}", params={"url": requested})
    landing, query = _location(response)
    assert landing == "https://brand.example/"
    assert "accord_click" in query  # the click still counts


def test_an_expired_link_lands_on_the_program_page_without_a_click(edge, store, clock):
    brand, partner, app, client = edge
    link = create_link(
        store,
        brand.caller,
        brand.program_id,
        partner_id=partner.id,
        destination_url="https://brand.example/promo",
        expires_at=clock.now() + timedelta(days=1),
    )
    assert _location(client.get(f"/c/{link.code}"))[0] == "https://brand.example/promo"
    clock.advance(timedelta(days=2))
    landing, query = _location(client.get(f"/c/{link.code}"))
    assert landing == "https://brand.example/"
    assert "accord_click" not in query
    app.recorder.flush()
    assert len(_clicks(store, link_id=link.id)) == 1


def test_a_repeat_click_within_the_window_is_kept_but_flagged(edge, store, clock):
    brand, partner, app, client = edge
    headers = {"user-agent": "Mozilla/5.0 test"}
    for _ in range(3):
        client.get(f"/c/{partner.link_code}", headers=headers)
    client.get(f"/c/{partner.link_code}", headers={"user-agent": "Other/1.0"})
    clock.advance(timedelta(seconds=31))
    client.get(f"/c/{partner.link_code}", headers=headers)
    app.recorder.flush()
    clicks = _clicks(store, partner_id=partner.id)
    assert len(clicks) == 5
    assert sorted(c.duplicate for c in clicks) == [False, False, False, True, True]
    from accord.reports.service import program_summary

    summary = program_summary(store, brand.caller, brand.program_id)
    assert (summary.clicks, summary.unique_clicks) == (5, 3)


def test_an_impression_answers_a_pixel_and_is_counted(edge, store):
    brand, partner, app, client = edge
    response = client.get(f"/i/{partner.link_code}?sub1=banner")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/gif"
    assert response.content.startswith(b"GIF89a")
    app.recorder.flush()
    with store.read() as session:
        rows = list(session.scalars(select(Impression).where(Impression.partner_id == partner.id)))
        clicks = session.scalar(select(func.count()).where(Click.partner_id == partner.id))
    assert [r.sub1 for r in rows] == ["banner"]
    assert clicks == 0
    from accord.reports.service import program_summary

    assert program_summary(store, brand.caller, brand.program_id).impressions == 1


def test_the_program_settings_refuse_a_bad_domain_naming_it(store):
    from accord.errors import InvalidInput

    brand = make_brand(store)
    with pytest.raises(InvalidInput) as caught:
        update_program(
            store,
            brand.caller,
            brand.program_id,
            {"permitted_domains": ["shop.example", "not a host"]},
        )
    assert caught.value.field == "permitted_domains[1]"
    with pytest.raises(InvalidInput) as caught:
        update_program(store, brand.caller, brand.program_id, {"currency": "EUR"})
    assert caught.value.field == "currency"


def test_the_shoppers_address_is_taken_from_a_trusted_proxy_only(store, tmp_path):
    brand = make_brand(store)
    partner = add_partner(brand)
    forwarded = {"x-forwarded-for": "198.51.100.7, 10.0.0.2"}
    trusting = AccordApp(
        store, Settings(data_dir=tmp_path / "a", trusted_proxies=["testclient", "10.0.0.2"])
    )
    with TestClient(trusting, follow_redirects=False) as client:
        _, query = _location(client.get(f"/c/{partner.link_code}", headers=forwarded))
        trusting.recorder.flush()
    (click,) = _clicks(store, id=query["accord_click"][0])
    assert click.ip == "198.51.100.7"

    wary = AccordApp(store, Settings(data_dir=tmp_path / "b"))
    with TestClient(wary, follow_redirects=False) as client:
        _, query = _location(client.get(f"/c/{partner.link_code}", headers=forwarded))
        wary.recorder.flush()
    (click,) = _clicks(store, id=query["accord_click"][0])
    assert click.ip == "testclient"  # a header anyone can send is not believed
