"""Tracking rules: the redirect target, link codes, promo codes, click ids."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from accord.errors import InvalidInput
from accord.tracking.model import (
    check_link_code,
    new_click_id,
    normalize_promo_code,
    redirect_url,
)

PARAM = "accord_click"


# redirect_url -------------------------------------------------------------------------


def test_redirect_url_appends_the_click_id():
    assert (
        redirect_url("https://shop.example/", PARAM, "clk_1")
        == "https://shop.example/?accord_click=clk_1"
    )


def test_redirect_url_replaces_an_existing_param_of_the_same_name():
    url = redirect_url("https://shop.example/p?accord_click=old&x=1", PARAM, "clk_new")
    query = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    assert query.count((PARAM, "clk_new")) == 1
    assert all(value != "old" for _, value in query)
    assert [k for k, _ in query].count(PARAM) == 1


def test_redirect_url_keeps_other_query_params_and_the_fragment():
    url = redirect_url(
        "https://shop.example/spring/sale?utm_source=news&utm_medium=email&empty=#reviews",
        PARAM,
        "clk_1",
    )
    parts = urlsplit(url)
    assert parts.scheme == "https"
    assert parts.netloc == "shop.example"
    assert parts.path == "/spring/sale"
    assert parts.fragment == "reviews"
    assert parse_qsl(parts.query, keep_blank_values=True) == [
        ("utm_source", "news"),
        ("utm_medium", "email"),
        ("empty", ""),
        (PARAM, "clk_1"),
    ]


def test_redirect_url_keeps_repeated_params_and_encoded_values():
    url = redirect_url("https://shop.example/?tag=a&tag=b&q=caf%C3%A9+%26+tea", PARAM, "clk_1")
    assert parse_qsl(urlsplit(url).query) == [
        ("tag", "a"),
        ("tag", "b"),
        ("q", "café & tea"),
        (PARAM, "clk_1"),
    ]


def test_redirect_url_keeps_a_param_whose_name_only_resembles_the_click_param():
    url = redirect_url("https://shop.example/?Accord_Click=x&accord_click_ref=y", PARAM, "clk_1")
    assert parse_qsl(urlsplit(url).query) == [
        ("Accord_Click", "x"),
        ("accord_click_ref", "y"),
        (PARAM, "clk_1"),
    ]


def test_redirect_url_uses_the_programs_param_name():
    url = redirect_url("https://shop.example/?a=1", "ref", "clk_9")
    assert parse_qsl(urlsplit(url).query) == [("a", "1"), ("ref", "clk_9")]


# link codes ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["abc", "spring-sale", "A_1", "9lives", "x" * 64])
def test_check_link_code_accepts_and_returns_a_valid_code(code):
    assert check_link_code(code) == code


@pytest.mark.parametrize(
    "code", ["", "ab", "-abc", "_abc", "has space", "a/b", "x" * 65, "ünï", "abc!"]
)
def test_check_link_code_refuses_an_invalid_code(code):
    with pytest.raises(InvalidInput) as caught:
        check_link_code(code)
    assert caught.value.field == "code"


def test_check_link_code_refuses_a_trailing_newline():
    # `$` in the pattern also matches just before a final newline, so "abc\n" must be
    # checked against the whole string.
    with pytest.raises(InvalidInput):
        check_link_code("abc\n")


# promo codes --------------------------------------------------------------------------


def test_normalize_promo_code_strips_and_upper_cases():
    assert normalize_promo_code("  save10 ") == "SAVE10"
    assert normalize_promo_code("Creator_5-off") == "CREATOR_5-OFF"


@pytest.mark.parametrize("code", ["ab", "x" * 64, "9x"])
def test_normalize_promo_code_accepts_two_to_sixty_four_characters(code):
    assert normalize_promo_code(code) == code.upper()


@pytest.mark.parametrize("code", ["", "a", "x" * 65, "-save", "save 10", "save%", "   "])
def test_normalize_promo_code_refuses_an_invalid_code_naming_the_field(code):
    with pytest.raises(InvalidInput) as caught:
        normalize_promo_code(code)
    assert caught.value.field == "promo_code"


def test_normalize_promo_code_names_the_callers_field():
    with pytest.raises(InvalidInput) as caught:
        normalize_promo_code("!", "code")
    assert caught.value.field == "code"


# click ids ----------------------------------------------------------------------------


def test_new_click_id_is_prefixed_and_unique():
    ids = {new_click_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(i.startswith("clk_") and len(i) == 4 + 26 for i in ids)
