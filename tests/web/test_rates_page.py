"""Exchange rates in the console: the rate in force per pair, the ones to come, every rate
entered, and a form whose mistakes are named next to it in the visitor's language."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from accord.fx.service import list_rates
from tests.web.conftest import csrf_of, sign_in

FORM = {"content-type": "application/x-www-form-urlencoded"}
PAGE = "/console/settings/exchange-rates"


def _post(client, csrf: str, **fields):
    return client.post(PAGE, content=urlencode({"csrf": csrf, **fields}), headers=FORM)


def test_a_manager_enters_rates_and_sees_the_one_in_force(client, store, manager):
    brand, user = manager
    sign_in(client, user.email)
    empty = client.get(PAGE)
    assert empty.status_code == 200 and "No exchange rate yet" in empty.text
    csrf = csrf_of(empty.text)

    saved = _post(client, csrf, base="usd", quote="eur", rate="0,9215")
    assert saved.status_code == 303 and saved.headers["location"].startswith(PAGE)
    later = (store.clock.now() + timedelta(days=30)).date().isoformat()
    assert _post(client, csrf, base="USD", quote="EUR", rate="0.95",
                 effective_from=later).status_code == 303  # fmt: skip
    page = client.get(saved.headers["location"])
    assert "The rate was saved." in page.text
    assert "1 USD = 0.9215 EUR" in page.text  # the one in force, not the one to come
    assert "0.95 from" in page.text
    assert "2 rates" in page.text
    rates = list_rates(store, brand.caller)
    assert [(r.base, r.quote, str(r.rate)) for r in rates] == [
        ("USD", "EUR", "0.9215"), ("USD", "EUR", "0.95")]  # fmt: skip

    zh = client.get(PAGE, headers={"accept-language": "zh-CN"})
    assert "当前生效" in zh.text and "2 条汇率" in zh.text and "In force" not in zh.text


def test_each_mistake_is_named_beside_the_form_and_nothing_is_saved(client, store, manager):
    brand, user = manager
    sign_in(client, user.email)
    csrf = csrf_of(client.get(PAGE).text)
    cases = [
        ({"base": "USX", "quote": "EUR", "rate": "1.1"}, "three-letter ISO 4217 code"),
        ({"base": "EUR", "quote": "EUR", "rate": "1.1"}, "two different ones"),
        ({"base": "USD", "quote": "EUR", "rate": "-2"}, "greater than zero"),
        ({"base": "USD", "quote": "EUR", "rate": "abc"}, "greater than zero"),
        ({"base": "USD", "quote": "EUR", "rate": "1.1", "effective_from": "tomorrow"}, "as a date"),
    ]
    for fields, said in cases:
        refused = _post(client, csrf, **fields)
        assert refused.status_code == 422, fields
        assert said in refused.text, fields
        assert f'value="{fields["rate"]}"' in refused.text  # what was typed stays
        assert 'aria-invalid="true"' in refused.text
    zh = client.post(PAGE, content=urlencode({"csrf": csrf, "base": "USD", "quote": "EUR",
                                              "rate": "x"}),
                     headers={**FORM, "accept-language": "zh-CN"})  # fmt: skip
    assert "请填写大于零的数字" in zh.text and "is not a decimal" not in zh.text
    assert list_rates(store, brand.caller) == []
