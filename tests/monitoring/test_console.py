"""The alerts page: alerts in words, marking them seen, the forecast with its range, the
weekly digest setting and a digest sent now, in English and Chinese."""

from __future__ import annotations

import warnings

import pytest

from accord.monitoring.service import digest_setting, list_alerts, scan
from accord.server import AccordApp
from tests.monitoring.conftest import body
from tests.web.conftest import csrf_of, sign_in

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


@pytest.fixture
def app_client(store, mail_settings):
    with TestClient(
        AccordApp(store, mail_settings), raise_server_exceptions=False, follow_redirects=False
    ) as client:
        yield client


def _post(client, path: str, csrf: str, **fields: str):
    form = "&".join(f"{k}={v}" for k, v in {"csrf": csrf, **fields}.items())
    return client.post(
        path, content=form, headers={"content-type": "application/x-www-form-urlencoded"}
    )


def test_the_alerts_page_in_both_languages(world, app_client, smtp):
    inbox, _ = smtp
    b = world.brand
    scan(b.store, b.caller, b.program_id)
    assert sign_in(app_client, world.owner_email, "a long password 1").status_code == 303
    url = f"/console/reports/alerts?program={b.program_id}"
    page = app_client.get(url)
    assert page.status_code == 200
    html = page.text
    assert 'aria-current="page">Alerts</a>' in html
    assert f'href="/console/partners/{world.big.id}?program={b.program_id}"' in html
    # the alert in words: clicks 200 where 40 was usual, far above
    assert (
        'Clicks <strong class="value">200</strong> <span class="muted">(usually 40)</span>' in html
    )
    assert "far above the usual" in html
    # the forecast: December 1,600 on a straight line; the chart's data is on the page
    assert "Revenue forecast for December 2026" in html and "$1,600.00" in html
    assert 'id="forecast-data"' in html and "b2b_referral" not in html
    app_client.cookies.set("accord_lang", "zh_Hans")
    zh = app_client.get(url).text
    app_client.cookies.delete("accord_lang")
    assert "异常的日子" in zh and "远高于平时" in zh and "内容网站与博客" in zh
    assert "Unusual days" not in zh and "far above" not in zh

    csrf = csrf_of(html)
    [alert] = list_alerts(b.store, b.caller, b.program_id)
    done = _post(app_client, f"/console/programs/{b.program_id}/alerts/{alert.id}/seen", csrf)
    assert done.status_code == 303
    assert list_alerts(b.store, b.caller, b.program_id, unseen_only=True) == []
    assert "Nothing unusual waits for you" in app_client.get(url).text

    saved = _post(
        app_client,
        f"/console/programs/{b.program_id}/digest",
        csrf,
        weekly="on",
        language="zh_Hans",
    )
    assert saved.status_code == 303
    setting = digest_setting(b.store, b.caller, world.owner_id)
    assert (setting.weekly, setting.language) == (True, "zh_Hans")
    sent = _post(app_client, f"/console/programs/{b.program_id}/digest/test", csrf)
    assert sent.status_code == 303
    [message] = inbox.wait_for(world.owner_email)
    assert message["Subject"].startswith("每周报告：Test program")  # noqa: RUF001
    assert "上周与前一周对比" in body(message)
    after = app_client.get(sent.headers["location"]).text
    assert f"Last week's digest was sent to {world.owner_email}." in after


def test_an_empty_program_says_so(store, app_client):
    from accord.tenancy.service import create_user
    from tests.factories import make_brand

    brand = make_brand(store)
    user = create_user(
        store,
        brand.caller.organization_id,
        "empty-" + brand.program_id[-8:].lower() + "@brand.example",
        "a long password 1",
    )
    sign_in(app_client, user.email, "a long password 1")
    html = app_client.get(f"/console/reports/alerts?program={brand.program_id}").text
    assert "Nothing unusual waits for you" in html
    assert "needs 6 months of revenue" in html and 'id="forecast-data"' not in html
    html = app_client.get(f"/console/reports/alerts?program={brand.program_id}&show=all").text
    assert "No alerts yet" in html


def test_a_digest_without_an_email_server_says_what_to_set(world, store):
    from accord.settings import Settings

    with TestClient(
        AccordApp(store, Settings(smtp_host=None)),
        raise_server_exceptions=False,
        follow_redirects=False,
    ) as client:
        sign_in(client, world.owner_email, "a long password 1")
        b = world.brand
        page = client.get(f"/console/reports/alerts?program={b.program_id}")
        answer = _post(client, f"/console/programs/{b.program_id}/digest/test", csrf_of(page.text))
        assert answer.status_code == 503
        assert "set ACCORD_SMTP_HOST" in answer.text
        assert f'href="/console/reports/alerts?program={b.program_id}"' in answer.text


def test_an_analyst_reads_alerts_without_the_buttons_that_would_be_refused(world, store):
    from accord.settings import Settings
    from accord.tenancy.service import create_user

    b = world.brand
    scan(b.store, b.caller, b.program_id)
    email = world.owner_email.replace("owner-", "analyst-")
    create_user(store, b.caller.organization_id, email, "a long password 3", role="analyst")
    with TestClient(AccordApp(store, Settings()), follow_redirects=False) as client:
        sign_in(client, email, "a long password 3")
        page = client.get(f"/console/reports/alerts?program={b.program_id}")
        assert page.status_code == 200 and "far above the usual" in page.text
        assert "Mark seen" not in page.text and "Send me the weekly digest" not in page.text
        assert "is for the program's owners and managers" in page.text
