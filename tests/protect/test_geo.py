"""The geo-mismatch rule: with a country database (a real .mmdb written for the test), an
order from another country than its winning click is flagged, live and in a backtest;
without one the rule never fires."""

from __future__ import annotations

from datetime import timedelta

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from accord.protect.backtest import run_backtest
from accord.protect.clicks import Geo
from accord.protect.service import assessment_of
from accord.settings import get_settings
from tests.factories import add_partner, click, convert, make_brand

#: tests.factories.click stores every click from 203.0.113.7
US_NETWORK, DE_NETWORK = "203.0.113.0/24", "198.51.100.0/24"


@pytest.fixture
def countries(tmp_path, monkeypatch):
    """A GeoLite2-Country-shaped database: one network in the US, one in Germany."""
    writer = MMDBWriter(ip_version=6, database_type="GeoLite2-Country", ipv4_compatible=True)
    writer.insert_network(IPSet([US_NETWORK]), {"country": {"iso_code": "US"}})
    writer.insert_network(IPSet([DE_NETWORK]), {"country": {"iso_code": "DE"}})
    path = tmp_path / "countries.mmdb"
    writer.to_db_file(str(path))
    monkeypatch.setenv("ACCORD_FRAUD_GEO_DATABASE", str(path))
    get_settings.cache_clear()
    yield path
    monkeypatch.undo()
    get_settings.cache_clear()


def _order(brand, partner, **fields):
    click_id = click(brand, partner)
    brand.store.clock.advance(timedelta(hours=1))
    return convert(brand, click_id=click_id, **fields).conversion


def _codes(brand, conversion):
    risk = assessment_of(brand.store, brand.caller, conversion.id)
    return {s.code: s for s in risk.signals}


def test_an_order_from_another_country_than_its_click_is_flagged(store, countries):
    brand = make_brand(store)
    partner = add_partner(brand)
    start = store.clock.now()
    abroad = _order(brand, partner, country="DE")
    signal = _codes(brand, abroad)["geo_mismatch"]
    assert (signal.detail, signal.weight) == ("US>DE", 30)
    assert "geo_mismatch" not in _codes(brand, _order(brand, partner, country="US"))
    # no reported country: the order's own address says where it came from
    by_address = _order(brand, partner, ip="198.51.100.20")
    assert _codes(brand, by_address)["geo_mismatch"].detail == "US>DE"
    assert "geo_mismatch" not in _codes(brand, _order(brand, partner, ip="192.0.2.1"))

    # a backtest of the same period finds the same two
    result = run_backtest(
        store, brand.caller, brand.program_id,
        {"since": start.isoformat(), "until": (store.clock.now() + timedelta(1)).isoformat()},
    )  # fmt: skip
    fired = {r.code: r.fired for r in result.rules}
    assert fired["geo_mismatch"] == 2


def test_without_a_country_database_the_rule_never_fires(store):
    brand = make_brand(store)
    partner = add_partner(brand)
    assert "geo_mismatch" not in _codes(brand, _order(brand, partner, country="DE"))


def test_the_database_shapes_of_maxmind_and_ipinfo(tmp_path):
    writer = MMDBWriter(ip_version=6, database_type="ipinfo country", ipv4_compatible=True)
    writer.insert_network(IPSet(["192.0.2.0/24"]), {"country": "jp", "country_name": "Japan"})
    writer.insert_network(IPSet(["2001:db8::/32"]), {"registered_country": {"iso_code": "FR"}})
    path = tmp_path / "ipinfo.mmdb"
    writer.to_db_file(str(path))
    geo = Geo(path)
    assert geo.country_of("192.0.2.9") == "JP"
    assert geo.country_of("2001:db8::1") == "FR"
    assert geo.country_of("198.18.0.1") is None
    assert geo.country_of("not an address") is None and geo.country_of(None) is None
