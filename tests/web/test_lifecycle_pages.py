"""The lifecycle and concentration pages, in English and Chinese, with their forms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accord.programs.promotions import list_promotions
from tests.factories import add_partner, click, convert
from tests.web.conftest import csrf_of, sign_in

NOW = datetime(2026, 11, 12, 12, 0, tzinfo=UTC)
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def program(client, manager):
    brand, user = manager
    store = brand.store
    store.clock.set(datetime(2026, 3, 1, 12, tzinfo=UTC))
    sleeper, steady = add_partner(brand), add_partner(brand)
    for at in (datetime(2026, 3, 5, 12, tzinfo=UTC), datetime(2026, 4, 20, 12, tzinfo=UTC)):
        store.clock.set(at)
        convert(brand, amount="200.00", click_id=click(brand, sleeper))
    for k in range(6, -1, -1):
        store.clock.set(NOW - timedelta(days=30 * k + 10))
        convert(brand, amount="100.00", click_id=click(brand, steady))
    store.clock.set(datetime(2026, 10, 25, 12, tzinfo=UTC))
    convert(brand, amount="300.00", click_id=click(brand, sleeper))
    store.clock.set(NOW)
    assert sign_in(client, user.email).status_code == 303
    return brand, sleeper, steady


def test_the_lifecycle_page_in_both_languages(client, program):
    brand, sleeper, _ = program
    page = client.get(f"/console/reports/lifecycle?program={brand.program_id}")
    assert page.status_code == 200
    text = page.text
    assert "Woken by a promotion" in text and "(双十一) 2026" in text
    assert f"/console/partners/{sleeper.id}?program={brand.program_id}" in text
    assert "Steady performers worth a deeper deal" in text
    assert "No conversion for 60 days or more, after having converted." in text
    assert 'aria-current="page"' in text and "segments-data" in text
    client.cookies.set("accord_lang", "zh_Hans")
    zh = client.get(f"/console/reports/lifecycle?program={brand.program_id}").text
    assert "促销唤醒" in zh and "值得加深合作的稳定伙伴" in zh and "黑色星期五 2026" in zh
    assert "Woken by a promotion" not in zh and "Steady performers" not in zh


def test_a_period_of_the_programs_own_is_added_and_removed(client, program):
    brand, _, _ = program
    page = client.get(f"/console/reports/lifecycle?program={brand.program_id}")
    csrf = csrf_of(page.text)
    added = client.post(
        f"/console/programs/{brand.program_id}/promotions",
        content=f"csrf={csrf}&name=Autumn+sale&starts_on=2026-10-24&ends_on=2026-10-26",
        headers=FORM,
    )
    assert added.status_code == 303, added.text
    [own] = [p for p in list_promotions(brand.store, brand.caller, brand.program_id) if p.id]
    # the last day is included: the period ends at the start of 27 October
    assert (own.name, own.ends_at) == ("Autumn sale", datetime(2026, 10, 27, tzinfo=UTC))
    text = client.get(f"/console/reports/lifecycle?program={brand.program_id}").text
    assert "Autumn sale" in text
    bad = client.post(
        f"/console/programs/{brand.program_id}/promotions",
        content=f"csrf={csrf}&name=Later&starts_on=2026-10-24&ends_on=2026-10-20",
        headers=FORM,
    )
    assert bad.status_code == 422
    gone = client.post(
        f"/console/programs/{brand.program_id}/promotions/{own.id}/remove",
        content=f"csrf={csrf}",
        headers=FORM,
    )
    assert gone.status_code == 303
    assert not [p for p in list_promotions(brand.store, brand.caller, brand.program_id) if p.id]


def test_the_concentration_page_says_it_in_plain_words(client, program):
    brand, _, _ = program
    page = client.get(f"/console/reports/concentration?program={brand.program_id}")
    assert page.status_code == 200
    # last 365 days: sleeper 200 + 200 + 300 = 700, steady 7 x 100 = 700; total 1,400
    assert "The top 20% of your partners (1 of 2) bring 50.0% of the revenue" in page.text
    assert "lorenz-data" in page.text
    client.cookies.set("accord_lang", "zh_Hans")
    zh = client.get(f"/console/reports/concentration?program={brand.program_id}").text
    assert "洛伦兹曲线" in zh and "Lorenz curve" not in zh


def test_empty_states(client, manager):
    brand, user = manager
    assert sign_in(client, user.email).status_code == 303
    life = client.get(f"/console/reports/lifecycle?program={brand.program_id}")
    assert "No partner has joined this program yet" in life.text
    conc = client.get(f"/console/reports/concentration?program={brand.program_id}")
    assert "No revenue in this period yet" in conc.text


def test_the_tables_download_and_the_period_can_be_chosen(client, program):
    brand, sleeper, steady = program
    q = f"?program={brand.program_id}"
    life = client.get(f"/console/reports/lifecycle.csv{q}")
    assert life.status_code == 200 and life.headers["content-type"].startswith("text/csv")
    rows = [line.split(",") for line in life.text.splitlines()]
    assert rows[0][:2] == ["segment", "partner_id"]
    by_partner = {r[1]: r for r in rows[1:]}
    assert by_partner[sleeper.id][0] == "reactivated"
    assert by_partner[sleeper.id][10] == "双十一 2026"
    assert by_partner[steady.id][11] == "yes"
    # the last 30 days: the steady partner's sale 10 days ago (100) and the sleeper's on
    # 25 Oct (300): 300 / 400 = 75% for the sleeper
    conc = client.get(f"/console/reports/concentration.csv{q}&days=30")
    ranked = [line.split(",") for line in conc.text.splitlines()[1:]]
    assert [(r[1], r[5]) for r in ranked] == [(sleeper.id, "0.7500"), (steady.id, "0.2500")]
    assert client.get(f"/console/reports/concentration.xlsx{q}").status_code == 200
    page = client.get(f"/console/reports/concentration{q}&days=30")
    assert '<option value="30" selected>' in page.text
    assert client.get(f"/console/reports/concentration{q}&days=31").status_code == 422
