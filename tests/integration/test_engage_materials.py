"""Code pools, creatives and creator briefs, through their services, on both databases."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image

from accord.engage import briefs as br
from accord.engage import creatives as cr
from accord.engage import pools
from accord.errors import Conflict, InvalidInput, NotFound
from accord.partners import recruiting
from accord.partners.groups import set_members
from accord.reports.service import program_summary
from accord.tracking.service import create_promo_code
from tests.factories import add_partner, convert, make_brand


def _png(width=300, height=250) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


def test_a_partner_takes_one_code_from_a_pool_and_orders_with_it_credit_the_partner(store):
    brand = make_brand(store)
    one, two, three = (add_partner(brand) for _ in range(3))
    create_promo_code(store, brand.caller, brand.program_id, "TAKEN10", partner_id=one.id)
    pool, loaded = pools.create_pool(
        store, brand.caller, brand.program_id, name="Singles' Day codes",
        codes="code\nSD-A1\nsd-a2\nTAKEN10\nSD-A1\nbad code!\n",
    )  # fmt: skip
    assert (pool.total, loaded.added) == (2, 2)
    reasons = {r["line"]: r["reason"] for r in loaded.left_out}
    assert reasons[4] == "already a promo code of the program"
    assert reasons[5] == "repeats line 2"
    assert "letters, digits" in reasons[6]  # nothing sent is lost silently

    first = pools.take_code(store, one.caller, pool.id)
    assert pools.take_code(store, one.caller, pool.id) == first  # asking again: the same code
    second = pools.take_code(store, two.caller, pool.id)
    assert {first, second} == {"SD-A1", "SD-A2"}
    with pytest.raises(Conflict, match="every code"):
        pools.take_code(store, three.caller, pool.id)
    [seen] = pools.partner_pools(store, one.caller, brand.program_id)
    assert (seen.mine, seen.left) == (first, 0)

    recorded = convert(brand, promo_code=first.lower())  # the code credits the partner who took it
    assert [c.partner_id for c in recorded.commissions] == [one.id]


def test_codes_race_one_to_each_partner(store):
    brand = make_brand(store)
    partners = [add_partner(brand) for _ in range(6)]
    pool, _ = pools.create_pool(store, brand.caller, brand.program_id, name="Race",
                                codes="\n".join(f"R{i:03d}" for i in range(4)))  # fmt: skip

    def take(partner):
        try:
            return pools.take_code(store, partner.caller, pool.id)
        except Conflict:
            return None

    with ThreadPoolExecutor(6) as run:
        got = list(run.map(take, partners))
    taken = [g for g in got if g]
    assert sorted(taken) == [f"R{i:03d}" for i in range(4)]  # each once, none twice
    assert got.count(None) == 2


def test_a_group_pool_creative_and_brief_are_only_for_the_group(store):
    brand = make_brand(store)
    member, other = add_partner(brand), add_partner(brand)
    group = recruiting.add_group(store, brand.caller, brand.program_id, name="Creators")
    set_members(store, brand.caller, group.id, [member.id])
    pool, _ = pools.create_pool(store, brand.caller, brand.program_id, name="VIP",
                                codes="VIP1\nVIP2", group_id=group.id)  # fmt: skip
    with pytest.raises(NotFound):
        pools.take_code(store, other.caller, pool.id)
    assert pools.take_code(store, member.caller, pool.id) in {"VIP1", "VIP2"}
    copy = cr.create_creative(store, brand.caller, brand.program_id, kind="copy", name="VIP copy",
                              body="Use {code}: {link}", group_id=group.id)  # fmt: skip
    assert [c.id for c in cr.partner_creatives(store, member.caller, brand.program_id)] == [copy.id]
    assert cr.partner_creatives(store, other.caller, brand.program_id) == []
    with pytest.raises(NotFound):
        cr.use(store, other.caller, copy.id, "https://t.example", "https://a.example")
    brief = br.create_brief(store, brand.caller, brand.program_id,
                            br.BriefIn(title="VIP post", group_id=group.id))  # fmt: skip
    assert [b.id for b, _ in br.partner_briefs(store, member.caller, brand.program_id)] == [
        brief.id
    ]
    assert br.partner_briefs(store, other.caller, brand.program_id) == []
    other_brand = make_brand(store)
    with pytest.raises(InvalidInput, match="not a group of this program"):
        pools.create_pool(store, other_brand.caller, other_brand.program_id, name="x",
                          group_id=group.id)  # fmt: skip


def test_a_creative_is_filled_with_the_partners_link_and_code(store):
    brand = make_brand(store)
    partner = add_partner(brand)
    create_promo_code(store, brand.caller, brand.program_id, "TRAIL5", partner_id=partner.id)
    banner = cr.create_creative(store, brand.caller, brand.program_id, kind="banner",
                                name='Autumn "trail" sale', image=_png(),
                                landing_url="https://brand.example/autumn")  # fmt: skip
    assert (banner.width, banner.height, banner.image_type) == (300, 250, "image/png")
    copy = cr.create_creative(store, brand.caller, brand.program_id, kind="copy", name="Tweet",
                              body="15% off with {code} at {link}")  # fmt: skip
    used = cr.use(store, partner.caller, copy.id, "https://t.example/", "https://a.example")
    assert used.text == f"15% off with TRAIL5 at {used.link_url}"
    assert used.link_url.startswith("https://t.example/c/")
    shown = cr.use(store, partner.caller, banner.id, "https://t.example", "https://a.example")
    assert f'<a href="{shown.link_url}"' in shown.text
    assert f'src="https://a.example/creatives/{banner.id}.png"' in shown.text
    assert "&quot;trail&quot;" in shown.text  # the name cannot break out of the attribute
    again = cr.use(store, partner.caller, banner.id, "https://t.example", "https://a.example")
    assert again.link_url == shown.link_url  # the link is made once, then reused
    assert shown.link_url != used.link_url  # each landing page its own link
    data, media = cr.public_image(store, banner.id, "png")
    assert (data, media) == (_png(), "image/png")
    with pytest.raises(NotFound):
        cr.public_image(store, banner.id, "gif")
    cr.set_active(store, brand.caller, banner.id, False)
    with pytest.raises(NotFound):
        cr.public_image(store, banner.id, "png")


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "choose an image"),
        (b"GIF89a not really", "not an image"),
        (b"%PDF-1.4", "not an image"),
        (b"x" * (cr.MAX_IMAGE + 1), "at most 2 MiB"),
    ],
)
def test_a_banner_that_is_not_an_image_is_refused_with_why(store, data, message):
    brand = make_brand(store)
    with pytest.raises(InvalidInput, match=message) as caught:
        cr.create_creative(store, brand.caller, brand.program_id, kind="banner", name="B",
                           image=data)  # fmt: skip
    assert caught.value.field == "image"


def test_a_banner_too_large_or_a_landing_page_off_the_programs_sites_is_refused(store):
    brand = make_brand(store)
    with pytest.raises(InvalidInput, match="4000 pixels"):
        cr.create_creative(store, brand.caller, brand.program_id, kind="banner", name="B",
                           image=_png(4001, 10))  # fmt: skip
    with pytest.raises(InvalidInput, match="not one of the program's sites"):
        cr.create_creative(store, brand.caller, brand.program_id, kind="copy", name="C",
                           body="{link}", landing_url="https://evil.example/")  # fmt: skip


def test_a_post_that_misses_a_requirement_then_passes_is_approved_and_paid_once(store):
    brand = make_brand(store)
    creator = add_partner(brand, partner_type="creator_douyin")
    brief = br.create_brief(store, brand.caller, brand.program_id, br.BriefIn(
        title="Autumn trail video", deliverables="One video of 30-60 s",
        keywords="trail shoes, 秋季", hashtags="#TrailRun", disclosure="#ad, 广告",
        forbidden="cheap", fee="150.00"))  # fmt: skip
    first = br.submit(store, creator.caller, brief.id, url="https://v.douyin.com/abc",
                      text="My new trail shoes for 秋季 hikes #TrailRun")  # fmt: skip
    missed = [c for c in first.checks if not c["met"]]
    assert [c["kind"] for c in missed] == ["disclosure"]
    with pytest.raises(Conflict, match="misses a requirement"):
        br.decide(store, brand.caller, first.id, approve=True)
    br.decide(store, brand.caller, first.id, approve=False, note="Add the disclosure")
    second = br.submit(store, creator.caller, brief.id, url="https://v.douyin.com/abc",
                       text="广告 My new trail shoes for 秋季 hikes #TrailRun")  # fmt: skip
    assert all(c["met"] for c in second.checks)
    done = br.decide(store, brand.caller, second.id, approve=True)
    assert done.commission_id is not None
    with pytest.raises(Conflict):
        br.decide(store, brand.caller, second.id, approve=True)  # decided once
    with pytest.raises(Conflict, match="approved already"):
        br.submit(store, creator.caller, brief.id, text="again")
    summary = program_summary(store, brand.caller, brand.program_id)
    assert summary.ledger_balanced, summary.checks
    _, mine = br.brief_of(store, creator.caller, brief.id)
    by_id = {s.id: s for s in mine}
    assert (by_id[first.id].status, by_id[second.id].status) == ("rejected", "approved")
    assert by_id[first.id].note == "Add the disclosure"


def test_another_brand_cannot_read_or_decide_a_brief(store):
    brand, other = make_brand(store), make_brand(store)
    creator = add_partner(brand)
    brief = br.create_brief(store, brand.caller, brand.program_id, br.BriefIn(title="T"))
    post = br.submit(store, creator.caller, brief.id, text="hello")
    with pytest.raises(NotFound):
        br.brief_of(store, other.caller, brief.id)
    with pytest.raises(NotFound):
        br.decide(store, other.caller, post.id, approve=True)
    stranger = add_partner(other)
    with pytest.raises(NotFound):
        br.submit(store, stranger.caller, brief.id, text="hello")


def test_a_brief_refuses_a_word_both_required_and_forbidden(store):
    brand = make_brand(store)
    with pytest.raises(InvalidInput, match="both required and forbidden") as caught:
        br.create_brief(store, brand.caller, brand.program_id,
                        br.BriefIn(title="T", keywords="Cheap", forbidden="cheap"))  # fmt: skip
    assert caught.value.field == "forbidden"


def test_the_calendar_carries_what_each_promotion_has(store):
    from datetime import timedelta

    from accord.engage.calendar import calendar
    from accord.programs.promotions import add_promotion

    brand = make_brand(store)
    partner = add_partner(brand)
    now = store.clock.now()
    own = add_promotion(store, brand.caller, brand.program_id, "Brand day",
                        now + timedelta(days=10), now + timedelta(days=11))  # fmt: skip
    year = now.year if (now.month, now.day) <= (11, 11) else now.year + 1
    singles = f"singles_day:{year}"
    pools.create_pool(store, brand.caller, brand.program_id, name="Brand day codes",
                      codes="BD-1", promotion=own.id)  # fmt: skip
    cr.create_creative(store, brand.caller, brand.program_id, kind="copy", name="11.11 copy",
                       body="{link}", promotion=singles)  # fmt: skip
    br.create_brief(store, brand.caller, brand.program_id,
                    br.BriefIn(title="Brand day video", promotion=own.id))  # fmt: skip
    with pytest.raises(InvalidInput, match="not a promotion") as caught:
        cr.create_creative(store, brand.caller, brand.program_id, kind="copy", name="x",
                           body="{link}", promotion="prime_day:2026")  # fmt: skip
    assert caught.value.field == "promotion"
    for who in (brand.caller, partner.caller):
        entries = {e.promotion.key: e for e in calendar(store, who, brand.program_id)}
        assert [p.name for p in entries[own.id].pools] == ["Brand day codes"]
        assert [b.title for b in entries[own.id].briefs] == ["Brand day video"]
        assert [c.name for c in entries[singles].creatives] == ["11.11 copy"]
        starts = [e.promotion.starts_at for e in entries.values()]
        assert starts == sorted(starts)  # soonest first
        assert all(e.promotion.ends_at > now - timedelta(days=31) for e in entries.values())
    # a code taken from the promotion's pool fills copy made for the same promotion
    copy = cr.create_creative(store, brand.caller, brand.program_id, kind="copy",
                              name="Brand day copy", body="{code}", promotion=own.id)  # fmt: skip
    create_promo_code(store, brand.caller, brand.program_id, "ALWAYS1", partner_id=partner.id)
    [pool] = pools.pools(store, brand.caller, brand.program_id)
    assert pools.take_code(store, partner.caller, pool.id) == "BD-1"
    assert cr.use(store, partner.caller, copy.id, "https://t", "https://a").text == "BD-1"


def test_a_pool_code_made_a_promo_code_after_loading_is_set_aside(store):
    brand = make_brand(store)
    partner = add_partner(brand)
    pool, _ = pools.create_pool(store, brand.caller, brand.program_id, name="Late",
                                codes="LATE-A\nLATE-B")  # fmt: skip
    create_promo_code(store, brand.caller, brand.program_id, "LATE-A", partner_id=partner.id)
    assert pools.take_code(store, add_partner(brand).caller, pool.id) == "LATE-B"
    with pytest.raises(Conflict, match="every code"):  # LATE-A is never handed out
        pools.take_code(store, add_partner(brand).caller, pool.id)
    [view] = pools.pools(store, brand.caller, brand.program_id)
    assert (view.taken, view.left) == (2, 0)  # the used one is set aside, not handed out
