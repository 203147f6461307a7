"""The partner taxonomy: about sixty types in named groups, selectors of a type or a group,
creator platforms read from a website's host, and the suggestions' likeness."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from accord.partners import taxonomy as t
from accord.partners.directory import Features, rank_like

CODES = [k.code for k in t.KINDS]
GROUPS = [g.code for g in t.GROUPS]


def test_about_sixty_types_each_in_a_group_named_in_both_languages():
    assert 60 <= len(CODES) <= 80 and len(set(CODES)) == len(CODES)
    assert not set(CODES) & set(GROUPS)  # a selector names a type or a group, never both
    assert {k.group for k in t.KINDS} == set(GROUPS)
    for kind in t.KINDS:
        assert t.CODE.fullmatch(kind.code) and kind.en and kind.zh
        assert not re.search(r"[\u4e00-\u9fff]", kind.en)
        assert re.search(r"[\u4e00-\u9fff]", kind.zh), kind  # Chinese names are Chinese
    for first in t.FIRST_TYPES:  # what was stored before keeps its meaning
        assert first in t.BY_CODE
    platforms = {k.code for k in t.KINDS if k.group == "creators"}
    for platform in ("wechat", "douyin", "xiaohongshu", "bilibili", "weibo", "youtube",
                     "instagram", "tiktok"):  # fmt: skip
        assert f"creator_{platform}" in platforms
    for goal in t.GOALS:
        assert set(goal.groups) <= set(GROUPS) and goal.zh


@given(st.sampled_from(CODES), st.sampled_from(CODES + GROUPS))
def test_a_selector_covers_its_type_or_every_type_of_its_group(code, selector):
    expected = selector == code or t.BY_CODE[code].group == selector
    assert t.covers(selector, code) is expected
    assert (code in t.types_in(selector)) is expected


@given(st.lists(st.sampled_from(CODES + GROUPS), unique=True, max_size=6),
       st.sampled_from(CODES))  # fmt: skip
def test_rank_is_the_first_selector_covering_the_type(selectors, code):
    found = t.rank(selectors, code)
    covering = [i for i, s in enumerate(selectors) if t.covers(s, code)]
    assert found == (covering[0] if covering else None)


def test_a_brands_own_type_is_in_its_group():
    own = {"podcast_network": "content_and_reviews"}
    assert t.covers("content_and_reviews", "podcast_network", own)
    assert not t.covers("creators", "podcast_network", own)
    assert "podcast_network" in t.types_in("content_and_reviews", own)
    assert t.name("podcast_network", "zh_Hans", {"podcast_network": ("Pods", "")}) == "Pods"


def test_creator_platform_from_the_websites_host():
    assert t.creator_type_for("www.youtube.com") == "creator_youtube"
    assert t.creator_type_for("v.douyin.com") == "creator_douyin"
    assert t.creator_type_for("mp.weixin.qq.com") == "creator_wechat"
    assert t.creator_type_for("weixin.qq.com") is None  # not the official-accounts site
    assert t.creator_type_for("notyoutube.com") is None
    assert t.creator_type_for(None) is None


def _f(pid, kind, countries=(), verticals=(), audience=0) -> Features:
    return Features(pid, pid, kind, frozenset(countries), frozenset(), frozenset(verticals),
                    frozenset(), audience)  # fmt: skip


def test_likeness_ranks_the_same_type_and_market_first():
    top = _f("top", "creator_douyin", ["CN"], ["outdoor"], 100_000)
    twin = _f("twin", "creator_douyin", ["CN"], ["outdoor"], 90_000)
    cousin = _f("cousin", "creator_bilibili", ["CN"], ["outdoor"], 90_000)
    stranger = _f("stranger", "coupon", ["US"], ["electronics"], 90_000)
    ranked = rank_like([(top, 1.0)], [stranger, cousin, twin], limit=3)
    assert [c.partner_id for c, _, _ in ranked] == ["twin", "cousin", "stranger"]
    assert ranked[0][1] > ranked[1][1] > ranked[2][1] >= 0
    assert rank_like([], [twin], 3) == [] and rank_like([(top, 1.0)], [], 3) == []


def test_a_more_valuable_top_partner_weighs_more():
    big = _f("big", "coupon", ["US"])
    small = _f("small", "review_site", ["DE"])
    like_big, like_small = _f("a", "coupon", ["US"]), _f("b", "review_site", ["DE"])
    ranked = rank_like([(big, 900.0), (small, 100.0)], [like_small, like_big], limit=2)
    assert [c.partner_id for c, _, _ in ranked] == ["a", "b"]
    assert [top.partner_id for _, _, top in ranked] == ["big", "small"]
