"""The weekly digest: written from the reports, sent by the periodic tasks running on an
in-process job queue, received by a real SMTP server in each subscriber's language."""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime

from accord.jobs import queue as job_queue
from accord.monitoring.service import digest_setting, send_digest, set_digest, weekly_digest
from accord.reports.monitoring import week_totals
from accord.settings import get_settings
from tests.monitoring.conftest import body

#: Monday 7 December 2026, 07:00 UTC: the digest of 30 November .. 6 December is due.
MONDAY = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)


def _queue_running(store, settings) -> job_queue.Queue:
    """This process's queue with one worker thread, knowing every task (as `accord serve`)."""
    import accord.jobs.tasks  # noqa: F401 - declares the periodic tasks

    queue = job_queue.for_store(store, settings, bind=True)
    queue.start_in_process(1, periodic=False)
    return queue


def test_the_weekly_digest_goes_to_each_subscriber_through_the_queue(
    world, smtp, mail_settings, monkeypatch
):
    inbox, _ = smtp
    b = world.brand
    monkeypatch.setenv("ACCORD_QUEUE_URL", "memory://monitoring-test")
    get_settings.cache_clear()
    settings = get_settings()
    set_digest(b.store, b.caller, world.owner_id, weekly=True, language="en")
    set_digest(b.store, b.caller, world.manager_id, weekly=True, language="zh_Hans")
    assert digest_setting(b.store, b.caller, world.manager_id).language == "zh_Hans"

    queue = _queue_running(b.store, settings)
    try:
        queue.enqueue("scan_for_alerts")
        inbox.wait_for(world.owner_email)  # the alert e-mail of Monday 30 November
        b.store.clock.set(MONDAY)
        queue.enqueue("weekly_digests")
        english = inbox.wait_for(world.owner_email, 2)[1]
        chinese = inbox.wait_for(world.manager_email, 2)[1]
        # the same pass again (another worker, a retry) sends nothing more
        queue.enqueue("weekly_digests")
        queue.enqueue("weekly_digests")
        time.sleep(1.0)
    finally:
        queue.stop_in_process()
    assert len(inbox.to(world.owner_email)) == 2 and len(inbox.to(world.manager_email)) == 2

    assert english["Subject"] == "Weekly report: Test program, week of Nov 30, 2026"
    assert chinese["Subject"] == "每周报告：Test program，2026年11月30日 起的一周"  # noqa: RUF001
    text = body(english)
    # last week (30 Nov .. 6 Dec): clicks 200 + 15 = 215, the week before 40 + 3 = 43: +400 %;
    # conversions 2 against 1, revenue $200.00 against $100.00: +100 %
    assert "- Clicks: 215 (before: 43, +400.0%)" in text
    assert "- Conversions: 2 (before: 1, +100.0%)" in text
    assert "- Revenue: $200.00 (before: $100.00, +100.0%)" in text
    # commissions as the performance report has them
    this = week_totals(b.store, b.caller, b.program_id, date(2026, 11, 30))
    before = week_totals(b.store, b.caller, b.program_id, date(2026, 11, 23))
    assert this is not None and before is not None
    assert f"- Commissions: ${this.commissions.amount:,}" in text
    assert f"(before: ${before.commissions.amount:,}" in text
    # the top partner, the alert and December's forecast (1,600 on a straight line)
    assert re.search(r"- Partner \w+: revenue \$200\.00", text)
    assert "Clicks 200 (usually 40), far above the usual" in text
    assert "Revenue forecast for December 2026" in text
    assert "- All partners: $1,600.00" in text and "- content: $1,600.00" in text
    assert f"https://accord.brand.example/console/reports/alerts?program={b.program_id}" in text
    zh = body(chinese)
    assert "- 点击: 215 (前一周: 43, +400.0%)" in zh
    assert "- 销售额: US$200.00 (前一周: US$100.00, +100.0%)" in zh
    assert "内容网站与博客: US$1,600.00" in zh
    html = body(chinese, "html")
    assert '<html lang="zh-Hans">' in html and "上周与前一周对比" in html


def test_send_a_digest_now_to_any_address(world, smtp, mail_settings):
    inbox, _ = smtp
    b = world.brand
    b.store.clock.set(MONDAY)
    digest = send_digest(b.store, b.caller, b.program_id, "someone@brand.example", "en")
    [message] = inbox.wait_for("someone@brand.example")
    assert message["To"] == "someone@brand.example"
    assert digest.this_week.clicks == 215 and digest.week_before.clicks == 43
    assert weekly_digest(b.store, b.caller, b.program_id).monday == date(2026, 11, 30)
