"""The partner directory: partners opt in with a profile, brands search it by words and
facets, and "partners like my best ones" suggests listed partners with its reasons.

Partners of every test share the database: each test's profiles carry a word of their own
(`tag`) and its searches name it, so they see only their own partners.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from accord.clock import FixedClock
from accord.commissions.service import lock_due
from accord.errors import Forbidden, InvalidInput, NotFound
from accord.ids import short_code
from accord.partners import directory as d
from accord.partners.directory import DirectoryQuery, ProfileIn
from accord.store.engine import Store
from tests.conftest import START
from tests.factories import add_partner, convert, make_brand
from tests.reports.builders import clicks_at


@pytest.fixture
def tag() -> str:
    return "zq" + short_code(6).lower()


def _listed(brand, tag, name, partner_type, listed=True, **profile):
    partner = add_partner(brand, partner_type=partner_type, name=f"{name} {tag}")
    d.save_profile(brand.store, partner.caller, ProfileIn(listed=listed, **profile))
    return partner


@pytest.fixture
def world(engine, tag):
    store = Store(engine, FixedClock(START))
    home = make_brand(store)  # the brand that searches
    other = make_brand(store)  # where the listed partners came from
    best = add_partner(home, partner_type="creator_xiaohongshu", name=f"Trail Mei {tag}")
    d.save_profile(store, best.caller, ProfileIn(
        listed=False, headline=f"Camping notes {tag}", countries=["cn"], languages=["zh"],
        verticals=["outdoor"], audience={"xiaohongshu": 80_000},
    ))  # fmt: skip
    convert(home, amount="900.00", click_id=clicks_at(home, best, 2))
    people = {
        "like": _listed(other, tag, "Shan Ye", "creator_xiaohongshu", countries=["CN"],
                        languages=["zh"], verticals=["outdoor"],
                        audience={"xiaohongshu": 60_000}, headline=f"Hiking {tag}"),
        "cousin": _listed(other, tag, "Lu Guo", "creator_douyin", countries=["CN"],
                          verticals=["outdoor", "travel"], audience={"douyin": 2_000_000},
                          headline="Road trips"),
        "coupon": _listed(other, tag, "Deal Hub", "coupon", countries=["US"],
                          verticals=["electronics"], audience={"website": 5_000},
                          site_rank=40_000, monthly_visits=300_000),
        "hidden": _listed(other, tag, "Quiet", "creator_xiaohongshu", listed=False,
                          countries=["CN"], verticals=["outdoor"]),
    }  # fmt: skip
    member = add_partner(home, partner_type="creator_xiaohongshu", name=f"Member {tag}")
    d.save_profile(store, member.caller, ProfileIn(listed=True, countries=["CN"],
                                                   verticals=["outdoor"]))  # fmt: skip
    people["member"] = member
    return store, home, best, people


def _names(page) -> list[str]:
    return [r.name.rsplit(" ", 1)[0] for r in page.rows]


def test_search_finds_only_listed_profiles_by_words_and_facets(world, tag):
    store, home, _, _ = world
    everyone = d.search(store, home.caller, DirectoryQuery(text=tag), home.program_id)
    assert sorted(_names(everyone)) == ["Deal Hub", "Lu Guo", "Member", "Shan Ye"]
    assert everyone.total == 4
    facets = {k: {f.value: f.count for f in v} for k, v in everyone.facets.items()}
    assert facets["country"] == {"CN": 3, "US": 1}
    assert facets["vertical"]["outdoor"] == 3 and facets["vertical"]["electronics"] == 1
    assert facets["group"] == {"coupons_and_deals": 1, "creators": 3}
    assert facets["audience"] == {"under_10k": 2, "10k_100k": 1, "over_1m": 1}
    # the partner already in the program says so
    status = {r.name.rsplit(" ", 1)[0]: r.status for r in everyone.rows}
    assert status["Member"] == "approved" and status["Shan Ye"] is None
    outside = d.search(store, home.caller, DirectoryQuery(text=tag), home.program_id,
                       outside=True)  # fmt: skip
    assert sorted(_names(outside)) == ["Deal Hub", "Lu Guo", "Shan Ye"]

    creators = d.search(store, home.caller, DirectoryQuery(text=tag, partner_type="creators"))
    assert sorted(_names(creators)) == ["Lu Guo", "Member", "Shan Ye"]
    one_type = DirectoryQuery(text=tag, partner_type="creator_douyin", country="cn")
    assert _names(d.search(store, home.caller, one_type)) == ["Lu Guo"]
    mid = DirectoryQuery(text=tag, audience="10k_100k", vertical="outdoor")
    assert _names(d.search(store, home.caller, mid)) == ["Shan Ye"]
    # words in Chinese find the type's Chinese name; a word in the headline ranks first
    assert _names(d.search(store, home.caller, DirectoryQuery(text=f"{tag} 优惠券"))) == [
        "Deal Hub"
    ]
    hiking = d.search(store, home.caller, DirectoryQuery(text=f"{tag} hiking"))
    assert _names(hiking) == ["Shan Ye"]
    by_audience = d.search(store, home.caller, DirectoryQuery(text=tag, sort="audience"))
    assert _names(by_audience)[0] == "Lu Guo"
    # percent signs and underscores are words, not patterns
    assert d.search(store, home.caller, DirectoryQuery(text=f"{tag} %")).total == 0


def test_suggestions_are_like_the_best_partners_with_reasons(world, tag):
    store, home, best, _ = world
    found = d.suggest(store, home.caller, home.program_id, [(best.id, 90000)], limit=50)
    mine = [s for s in found if tag in s.partner.name]
    names = [s.partner.name.rsplit(" ", 1)[0] for s in mine]
    assert names[:2] == ["Shan Ye", "Lu Guo"]  # same type first, then the same group
    assert "Quiet" not in names and "Member" not in names  # unlisted; already in
    first = mine[0]
    assert first.like == f"Trail Mei {tag}"
    assert ("type", "creator_xiaohongshu") in first.reasons
    assert ("country", "CN") in first.reasons and ("vertical", "outdoor") in first.reasons
    assert ("platform", "xiaohongshu") in first.reasons
    assert ("audience", "10k_100k") in first.reasons  # 60k beside 80k
    assert ("group", "creators") in mine[1].reasons
    assert mine[0].score > mine[1].score > 0
    coupon = next(s for s in mine if s.partner.name.startswith("Deal Hub"))
    assert coupon.score < mine[1].score and not any(k == "country" for k, _ in coupon.reasons)


def test_a_profile_names_what_is_wrong(world):
    store, home, best, _ = world
    for data, field in (
        (ProfileIn(countries=["Narnia"]), "countries"),
        (ProfileIn(languages=["klingon"]), "languages"),
        (ProfileIn(verticals=["weapons"]), "verticals"),
        (ProfileIn(audience={"myspace": 10}), "audience"),
        (ProfileIn(audience={"douyin": "lots"}), "audience.douyin"),
        (ProfileIn(audience={"douyin": -5}), "audience.douyin"),
        (ProfileIn(site_rank=0), "site_rank"),
        (ProfileIn(contact_email="not mail"), "contact_email"),
        (ProfileIn(headline="x" * 201), "headline"),
    ):
        with pytest.raises(InvalidInput) as caught:
            d.save_profile(store, best.caller, data)
        assert caught.value.field == field
    with pytest.raises(InvalidInput) as caught:
        d.save_profile(store, best.caller, ProfileIn(), partner_type="creators")
    assert caught.value.field == "partner_type"
    with pytest.raises(Forbidden):
        d.save_profile(store, home.caller, ProfileIn())
    with pytest.raises(InvalidInput) as caught:
        d.search(store, home.caller, DirectoryQuery(sort="loudest"))
    assert caught.value.field == "sort"


def test_brands_see_listed_profiles_only(world, tag):
    store, home, best, people = world
    with pytest.raises(NotFound):
        d.listed_profile(store, home.caller, people["hidden"].id)
    shown = d.listed_profile(store, home.caller, people["like"].id, home.program_id)
    assert shown.countries == ["CN"] and shown.audience == {"xiaohongshu": 60000}
    with pytest.raises(Forbidden):
        d.search(store, best.caller, DirectoryQuery(text=tag))
    other = make_brand(store)
    with pytest.raises(NotFound):  # another brand's program
        d.search(store, other.caller, DirectoryQuery(text=tag), home.program_id)


def test_badges_come_from_verified_conversions(engine, tag):
    store = Store(engine, FixedClock(START))
    brand = make_brand(store, locking_days=0)
    partner = add_partner(brand, partner_type="review_site", name=f"Reviews {tag}")
    d.save_profile(store, partner.caller, ProfileIn(listed=True))
    for _ in range(10):
        convert(brand, amount="50.00", click_id=clicks_at(brand, partner, 1))
    before = d.search(store, brand.caller, DirectoryQuery(text=tag)).rows[0]
    assert before.badges == []  # nothing verified yet: the commissions are pending
    lock_due(store, brand.caller, brand.program_id)
    run = d.refresh_badges(store)
    assert run.profiles >= 1
    row = d.search(store, brand.caller, DirectoryQuery(text=tag, badge="conversions_10")).rows
    assert [r.partner_id for r in row] == [partner.id]
    assert row[0].badges == ["conversions_10"]


@pytest.mark.parametrize(
    ("verified", "rate", "months", "badges"),
    [
        (0, None, 0, []),
        (9, None, 11, []),
        (10, Decimal("0.5"), 12, ["conversions_10", "tenure_1y"]),
        (19, Decimal("0"), 0, ["conversions_10"]),
        (20, Decimal("0.05"), 24, ["conversions_10", "low_reversals", "tenure_2y"]),
        (1500, Decimal("0.0501"), 70, ["conversions_1000", "tenure_5y"]),
    ],
)
def test_badges_are_thresholds(verified, rate, months, badges):
    assert d.badges_of(verified, rate, months) == badges
