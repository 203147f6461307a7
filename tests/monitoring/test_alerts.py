"""Alerts from the stored figures: one for a partner's unusual day, none for a small
partner, none twice; the forecast; and the alert e-mail through a real SMTP server."""

from __future__ import annotations

from datetime import UTC, date, datetime

from accord.conversions.model import ReversalRequest
from accord.conversions.reversals import reverse_conversion
from accord.monitoring.service import (
    list_alerts,
    mark_seen,
    revenue_forecast,
    scan,
    scan_and_tell,
    set_digest,
)
from accord.reports.monitoring import partner_days
from tests.monitoring.conftest import SPIKE, body, sale_at


def test_the_daily_figures_are_aggregated_per_partner_and_day(world):
    b = world.brand
    data = partner_days(b.store, b.caller, b.program_id, date(2026, 11, 23), SPIKE)
    big = data.days[world.big.id]
    # 39 clicks + 1 before the sale = 40 on the 23rd; 198 + 2 = 200 on the 30th
    assert (big[date(2026, 11, 23)].clicks, big[date(2026, 11, 23)].conversions) == (40, 1)
    assert (big[SPIKE].clicks, big[SPIKE].conversions) == (200, 2)
    assert data.days[world.small.id][SPIKE].clicks == 15


def test_reversals_count_on_the_day_they_are_recorded_for_the_order_s_partner(world):
    b = world.brand
    sale = sale_at(b, world.big, datetime(2026, 11, 30, 18, tzinfo=UTC), "50")
    reverse_conversion(  # recorded on 1 December (the test clock), for a sale of 30 November
        b.store, b.caller, sale.conversion.id, ReversalRequest(reason_code="returned")
    )
    data = partner_days(b.store, b.caller, b.program_id, SPIKE, date(2026, 12, 1))
    big = data.days[world.big.id]
    assert (big[SPIKE].conversions, big[SPIKE].reversals) == (3, 0)
    assert (big[date(2026, 12, 1)].conversions, big[date(2026, 12, 1)].reversals) == (0, 1)


def test_a_day_five_times_the_usual_gives_exactly_one_alert_and_a_small_partner_none(world):
    b = world.brand
    added = scan(b.store, b.caller, b.program_id)  # yesterday: Monday 30 November
    assert [(a.partner_id, a.metric, a.direction) for a in added] == [
        (world.big.id, "clicks", "up")
    ]
    alert = added[0]
    # the 8 Mondays before had 40 clicks each: median 40, MAD 0, mean deviation 0, so the
    # Poisson floor sqrt(40) = 6.325 is the deviation: z = (200 - 40) / 6.325 = 25.30
    assert (alert.day, alert.value, alert.expected) == (SPIKE, 200, 40)
    assert abs(alert.score - 25.30) < 0.01 and alert.how_unusual == "extremely unusual"
    # a second scan of the same day records nothing new
    assert scan(b.store, b.caller, b.program_id, SPIKE) == []
    assert len(list_alerts(b.store, b.caller, b.program_id)) == 1
    seen = mark_seen(b.store, b.caller, b.program_id, alert.id)
    assert seen.seen_at is not None
    assert list_alerts(b.store, b.caller, b.program_id, unseen_only=True) == []


def test_the_forecast_of_a_straight_line_of_months(world):
    b = world.brand
    result = revenue_forecast(b.store, b.caller, b.program_id)
    content = next(t for t in result.types if t.partner_type == "content")
    # June .. November: 1,000, 1,100, 1,200, 1,300, 1,400, 1,500 -> December 1,600, no spread
    assert [str(m.amount) for m in content.history[-6:]] == [
        "1000.00", "1100.00", "1200.00", "1300.00", "1400.00", "1500.00"
    ]  # fmt: skip
    assert content.months_used == 6
    assert str(content.expected.amount) == "1600.00"
    assert content.low.amount <= 1600 <= content.high.amount
    assert result.month == date(2026, 12, 1)


def test_the_alert_email_reaches_the_managers_in_their_languages(world, smtp, mail_settings):
    inbox, _ = smtp
    b = world.brand
    set_digest(b.store, b.caller, world.manager_id, weekly=False, language="zh_Hans")
    added = scan_and_tell(b.store)
    assert added[b.program_id] == 1
    [english] = inbox.wait_for(world.owner_email)
    [chinese] = inbox.wait_for(world.manager_email)
    assert english["Subject"] == "Unusual figures in Test program: 1"
    assert chinese["Subject"] == "Test program 的异常数据：1 项"  # noqa: RUF001
    assert english["From"] == "Accord <reports@brand.example>"
    text = body(english)
    assert "Clicks 200 (usually 40), far above the usual" in text
    assert f"/console/reports/alerts?program={b.program_id}" in text
    assert "点击 200 (平时为 40), 远高于平时" in body(chinese)
    assert "<strong>" in body(english, "html")
    # a second pass finds nothing new and sends nothing
    count = len(inbox.received)
    assert scan_and_tell(b.store)[b.program_id] == 0
    assert len(inbox.received) == count
