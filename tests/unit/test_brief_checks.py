"""Checking a post against a brief (accord.engage.checks): examples and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.engage.checks import check, has_hashtag, passes, terms
from accord.errors import InvalidInput

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=8)
chinese = st.text(alphabet="秋季露营广告新品跑鞋山野", min_size=2, max_size=4)
term = st.one_of(words, chinese)


@pytest.mark.parametrize(
    "text, tag, met",
    [
        ("new shoes #TrailRun today", "TrailRun", True),
        ("new shoes #trailrun", "#TRAILRUN", True),  # case does not matter
        ("new shoes #TrailRunning", "TrailRun", False),  # a longer hashtag is another one
        ("秋天 #露营# 好去处", "露营", True),  # the #话题# form
        ("秋天 #露营好去处", "露营", False),
        ("TrailRun without the sign", "TrailRun", False),
        # NFKC folds the full-width number sign and letters
        (
            "full width \uff03\uff34\uff52\uff41\uff49\uff4c\uff32\uff55\uff4e",
            "trailrun",
            True,
        ),  # NFKC folds full-width forms
    ],
)
def test_hashtags(text, tag, met):
    from accord.engage.checks import fold

    assert has_hashtag(fold(text), tag) is met


def test_a_latin_keyword_matches_whole_words_and_chinese_anywhere():
    found = check("Cheaper shoes, 全新跑鞋上市", keywords=["shoes", "跑鞋"], forbidden=["cheap"])
    assert [(c.kind, c.value, c.met) for c in found] == [
        ("keyword", "shoes", True),
        ("keyword", "跑鞋", True),
        ("forbidden", "cheap", True),  # "cheaper" is not the word "cheap"
    ]


def test_disclosure_is_one_requirement_met_by_any_marker():
    brief = {"disclosure": ["#ad", "广告"]}
    assert passes(check("广告 great shoes", **brief))
    assert passes(check("great shoes #AD", **brief))
    [only] = check("great shoes #adventure", **brief)
    assert (only.kind, only.met) == ("disclosure", False)


@given(
    keywords=st.lists(term, max_size=4),
    hashtags=st.lists(words, max_size=3),
    marker=st.sampled_from(["#ad", "广告", "#sponsored"]),
    filler=st.lists(words, max_size=5),
)
def test_a_post_holding_every_requirement_passes(keywords, hashtags, marker, filler):
    text = " ".join([*filler, *keywords, *(f"#{h}" for h in hashtags), marker])
    found = check(text, keywords=keywords, hashtags=hashtags, disclosure=["#ad", "广告",
                  "#sponsored"])  # fmt: skip
    assert passes(found)
    assert len(found) == len(keywords) + len(hashtags) + 1


@given(keywords=st.lists(words, min_size=1, max_size=4, unique=True), bad=words)
def test_a_forbidden_word_fails_exactly_its_own_check(keywords, bad):
    if bad in keywords:
        return
    text = " ".join(keywords)
    clean = check(text, keywords=keywords, forbidden=[bad])
    dirty = check(f"{text} {bad.upper()}", keywords=keywords, forbidden=[bad])
    assert passes(clean)
    assert [c.value for c in dirty if not c.met] == [bad]


@given(keywords=st.lists(term, min_size=1, max_size=4, unique=True), data=st.data())
def test_a_missing_keyword_is_the_one_reported(keywords, data):
    gone = data.draw(st.sampled_from(keywords))
    if any(gone in k for k in keywords if k != gone):
        return  # the missing one is inside another: it is not missing
    text = " | ".join(k for k in keywords if k != gone)
    assert [c.value for c in check(text, keywords=keywords) if not c.met] == [gone]


def test_terms_split_clean_and_refuse_with_the_field_named():
    assert terms("a, b\nc\u3001d\uff0cb", "keywords") == ["a", "b", "c", "d"]
    assert terms(["#Run", "run", " ##Trail "], "hashtags", hashtag=True) == ["#Run", "#Trail"]
    with pytest.raises(InvalidInput) as caught:
        terms("two words", "hashtags", hashtag=True)
    assert caught.value.field == "hashtags"
    with pytest.raises(InvalidInput, match="at most 50"):
        terms([f"w{i}" for i in range(51)], "keywords")
