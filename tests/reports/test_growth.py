"""Growth quality: two periods of a program, the change split four ways, and the verdict.

Periods: previous = September 2026 (no promotion day), current = November 2026 (promotion
days: 双十一 1-11 Nov and Black Friday 27 Nov through Cyber Monday 30 Nov, 15 days).

Narrow program: one coupon partner; 100.00 from a returning customer on 10 Sep; then, from
returning customers, 100.00 on 5 Nov, 300.00 on 11 Nov (promotion days) and 100.00 on
20 Nov. Change 500.00 - 100.00 = 400.00: promotion days +400.00 (100%), steady days
+100.00 - 100.00 = 0; returning +400.00 (100%); one partner grew (fewer than 4):
narrow and promotion-bound.

Broad program: five partners of five types, each 100.00 from a new customer on 15 Sep and
200.00 from a new customer on 16-20 Nov (steady days). Change 1000.00 - 500.00 = 500.00
(+100%): all from new customers, none on promotion days, the top 3 partners 300.00 = 60%
(not more than 60%), 5 partners grew: broad and lasting.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.clock import FixedClock
from accord.errors import InvalidInput
from accord.reports import growth_model as gm
from accord.reports.growth import growth_quality
from accord.reports.runner import Period
from accord.store.engine import Store
from accord.web.i18n import Formatter, translations
from tests.factories import Brand, add_partner, click, convert, make_brand

SEPTEMBER = Period.days(date(2026, 9, 1), date(2026, 9, 30))
NOVEMBER = Period.days(date(2026, 11, 1), date(2026, 11, 30))


def sale(brand: Brand, partner, day: date, amount: str, status: str) -> None:
    brand.store.clock.set(datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    convert(brand, amount=amount, click_id=click(brand, partner), customer_status=status)


@pytest.fixture(scope="module")
def narrow(engine) -> Brand:
    brand = make_brand(Store(engine, FixedClock(datetime(2026, 9, 1, tzinfo=UTC))))
    coupon = add_partner(brand, partner_type="coupon")
    sale(brand, coupon, date(2026, 9, 10), "100.00", "returning")
    sale(brand, coupon, date(2026, 11, 5), "100.00", "returning")
    sale(brand, coupon, date(2026, 11, 11), "300.00", "returning")
    sale(brand, coupon, date(2026, 11, 20), "100.00", "returning")
    return brand


@pytest.fixture(scope="module")
def broad(engine) -> Brand:
    brand = make_brand(Store(engine, FixedClock(datetime(2026, 9, 1, tzinfo=UTC))))
    kinds = ("content", "influencer", "coupon", "cashback", "affiliate")
    partners = [add_partner(brand, partner_type=k) for k in kinds]
    for i, partner in enumerate(partners):
        sale(brand, partner, date(2026, 9, 15), "100.00", "new")
        sale(brand, partner, date(2026, 11, 16 + i), "200.00", "new")
    return brand


def test_growth_only_from_returning_customers_in_a_promotion_is_narrow_and_promotion_bound(
    narrow,
):
    g = growth_quality(narrow.store, narrow.caller, narrow.program_id, NOVEMBER, SEPTEMBER)
    d = g.decomposition
    assert (d.previous_minor, d.current_minor, d.change_minor) == (10000, 50000, 40000)
    assert d.part("days", "promotion").change_minor == 40000
    assert d.part("days", "steady").change_minor == 0
    assert d.part("customers", "returning").change_minor == 40000
    assert d.part("customers", "new").change_minor == 0
    assert d.part("types", "coupon").change_minor == 40000
    assert d.partners_grew == 1 and d.promotion_days_current == 15
    assert g.judgement.verdict is gm.Verdict.NARROW_PROMOTION
    assert set(g.judgement.reasons) == {"promotion", "returning", "concentrated", "few_partners"}
    first = g.sentences[0]
    assert first.link.startswith(f"/console/reports?program={narrow.program_id}")
    english = render(first, "en")
    assert english.startswith("Growth is narrow and promotion-bound: revenue rose by $400.00")
    assert "100.0% of it on promotion days" in english
    chinese = render(first, "zh_Hans")
    assert "增长面窄且依赖促销" in chinese and "US$400.00" in chinese


def test_growth_across_many_partners_and_new_customers_is_broad_and_lasting(broad):
    g = growth_quality(broad.store, broad.caller, broad.program_id, NOVEMBER, SEPTEMBER)
    d = g.decomposition
    assert (d.previous_minor, d.current_minor) == (50000, 100000)
    assert d.part("customers", "new").change_minor == 50000
    assert d.part("days", "promotion").change_minor == 0
    assert d.part("partners", "top").change_minor == 30000
    assert g.judgement.top_share == Decimal("0.6000")
    assert d.partners_grew == 5
    assert g.judgement.verdict is gm.Verdict.BROAD_LASTING
    assert render(g.sentences[0], "en").startswith(
        "Growth is broad and lasting: revenue rose by $500.00 (100.0%), spread over 5"
    )
    assert "增长面广且可持续" in render(g.sentences[0], "zh_Hans")


def test_overlapping_or_open_periods_are_refused(narrow):
    with pytest.raises(InvalidInput) as caught:
        growth_quality(
            narrow.store,
            narrow.caller,
            narrow.program_id,
            NOVEMBER,
            Period.days(date(2026, 11, 20), date(2026, 12, 5)),
        )
    assert caught.value.field == "previous_since"
    with pytest.raises(InvalidInput):
        growth_quality(narrow.store, narrow.caller, narrow.program_id, Period(), SEPTEMBER)


def render(sentence: gm.Sentence, locale: str) -> str:
    fmt = Formatter(locale)
    return gm.render(
        sentence,
        translations(locale).gettext,
        lambda minor: fmt.minor(minor, "USD"),
        fmt.percent,
        fmt.number,
    )


def test_promotion_days_of_a_year():
    # 2026: Thursdays of November are 5, 12, 19, 26 -> Black Friday 27, Cyber Monday 30.
    assert gm.default_promotion_days(2026) == [
        (date(2026, 6, 1), date(2026, 6, 18)),
        (date(2026, 10, 20), date(2026, 11, 11)),
        (date(2026, 11, 27), date(2026, 11, 30)),
    ]
    # 2025: 1 November is a Saturday; Thursdays 6, 13, 20, 27 -> Black Friday 28 November.
    assert gm.black_friday(2025) == date(2025, 11, 28)


cells = st.builds(
    gm.GrowthCell,
    side=st.sampled_from(["current", "previous"]),
    day=st.dates(date(2025, 1, 1), date(2027, 12, 31)),
    partner_id=st.sampled_from([None, "p1", "p2", "p3", "p4", "p5"]),
    partner_name=st.just("x"),
    partner_type=st.sampled_from([None, "coupon", "content"]),
    customer_status=st.sampled_from(["new", "returning"]),
    revenue_minor=st.integers(0, 10**12),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(cells, max_size=40))
def test_every_split_adds_up_to_the_change_to_the_cent(rows):
    d = gm.decompose(rows, gm.promotion_days(date(2025, 1, 1), date(2027, 12, 31)))
    for split in ("customers", "days", "partners", "types"):
        parts = getattr(d, split)
        assert sum(p.change_minor for p in parts) == d.change_minor
        assert sum(p.current_minor for p in parts) == d.current_minor
    assert len(d.top_partners) <= gm.TOP_PARTNERS
    assert gm.judge(d).verdict in set(gm.Verdict)


@settings(max_examples=100, deadline=None)
@given(st.lists(cells, max_size=30))
def test_days_told_apart_by_the_database_split_the_same(rows):
    periods = gm.promotion_days(date(2025, 1, 1), date(2027, 12, 31))
    by_day = gm.decompose(rows, periods)
    flagged = [
        gm.GrowthCell(
            c.side, None, c.partner_id, c.partner_name, c.partner_type, c.customer_status,
            c.revenue_minor, promotion=gm.is_promotion_day(c.day, periods),
        )
        for c in rows
    ]  # fmt: skip
    assert gm.decompose(flagged, periods).days == by_day.days


def test_the_programs_own_promotion_period_counts_as_promotion_days(engine):
    from accord.programs.promotions import add_promotion

    store = Store(engine, FixedClock(datetime(2026, 9, 1, tzinfo=UTC)))
    brand = make_brand(store)
    partner = add_partner(brand)
    sale(brand, partner, date(2026, 9, 10), "100.00", "new")
    sale(brand, partner, date(2026, 11, 28), "300.00", "new")  # Black Friday weekend
    sale(brand, partner, date(2026, 11, 16), "200.00", "new")  # the brand's own sale
    before = growth_quality(store, brand.caller, brand.program_id, NOVEMBER, SEPTEMBER)
    store.clock.set(datetime(2026, 12, 1, tzinfo=UTC))  # type: ignore[attr-defined]
    add_promotion(
        store,
        brand.caller,
        brand.program_id,
        "Autumn sale",
        datetime(2026, 11, 15, tzinfo=UTC),
        datetime(2026, 11, 18, tzinfo=UTC),
    )
    after = growth_quality(store, brand.caller, brand.program_id, NOVEMBER, SEPTEMBER)
    # November: 500.00 against September's 100.00. Before the brand named its sale, the
    # 200.00 of Nov 16 (between 双十一 and Black Friday) was a steady day's; after, it is a
    # promotion day's.
    assert after.decomposition.part("days", "promotion").change_minor == (
        before.decomposition.part("days", "promotion").change_minor + 20000
    )
    assert before.decomposition.part("days", "promotion").change_minor == 30000
    assert (date(2026, 11, 15), date(2026, 11, 17)) in after.promotions
