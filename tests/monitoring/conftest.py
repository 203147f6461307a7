"""A real SMTP server for the tests (aiosmtpd on a free port), settings that point Accord's
e-mail at it, and a program whose partners have a steady history and one unusual day."""

from __future__ import annotations

import email
import email.policy
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from accord.settings import Settings, get_settings
from accord.tenancy.service import create_user
from accord.tracking.model import new_click_id
from accord.tracking.service import click_row, link_target, record_clicks
from tests.factories import Brand, TestPartner, add_partner, convert, free_port, make_brand

#: The day the unusual day is looked at from: Tuesday 1 December 2026, 06:00 UTC.
TODAY = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
#: Yesterday, a Monday: the partner's unusual day.
SPIKE = date(2026, 11, 30)


class Inbox:
    """What the SMTP server received: (recipients, parsed message)."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m in self.received if address in rcpt]

    def wait_for(self, address: str, count: int = 1, seconds: float = 30) -> list[EmailMessage]:
        deadline = time.monotonic() + seconds
        while len(self.to(address)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"no e-mail to {address} within {seconds} s")
            time.sleep(0.05)
        return self.to(address)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def mail_settings(smtp, monkeypatch) -> Iterator[Settings]:
    """Settings sending e-mail to the test's SMTP server (no TLS on a local server)."""
    _, port = smtp
    for key, value in {
        "ACCORD_SMTP_HOST": "127.0.0.1",
        "ACCORD_SMTP_PORT": str(port),
        "ACCORD_SMTP_STARTTLS": "false",
        "ACCORD_MAIL_FROM": "Accord <reports@brand.example>",
        "ACCORD_PUBLIC_URL": "https://accord.brand.example",
    }.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield get_settings()
    monkeypatch.undo()
    get_settings.cache_clear()


def body(message: EmailMessage, kind: str = "plain") -> str:
    part = message.get_body(preferencelist=(kind,))
    assert part is not None, f"no text/{kind} part"
    return part.get_content()


def clicks_at(brand: Brand, partner: TestPartner, at: datetime, count: int) -> list[str]:
    """`count` clicks on the partner's link, a second apart from `at`."""
    with brand.store.read() as session:
        target = link_target(session, partner.link_code)
    ids = [new_click_id() for _ in range(count)]
    rows = [
        click_row(target, cid, at + timedelta(seconds=i), "203.0.113.7", "pytest", None)
        for i, cid in enumerate(ids)
    ]
    record_clicks(brand.store, rows)
    return ids


def sale_at(brand: Brand, partner: TestPartner, at: datetime, amount: str):
    """A sale credited to the partner (through a click a minute before) at `at`."""
    clock = brand.store.clock
    saved = clock.now()
    clock.set(at)
    try:
        [cid] = clicks_at(brand, partner, at - timedelta(minutes=1), 1)
        return convert(brand, amount=amount, click_id=cid, occurred_at=at)
    finally:
        clock.set(saved)


@dataclass
class World:
    brand: Brand
    big: TestPartner
    small: TestPartner
    owner_email: str
    manager_email: str
    owner_id: str
    manager_id: str


def build_world(store) -> World:
    """A program with a big content partner and a small coupon partner.

    Clicks, every Monday from 5 October to 23 November (8 Mondays): big 40, small 3; on
    Monday 30 November: big 200 (five times), small 15 (five times, but small).
    Sales of the big partner, one on the 10th of June .. October: 1,000, 1,100, 1,200,
    1,300, 1,400; in November 1,200 on the 10th, 100 on Monday 23, 2 x 100 on Monday 30:
    1,500. A straight line, so December's forecast is 1,600.
    """
    store.clock.set(datetime(2026, 6, 1, tzinfo=UTC))
    brand = make_brand(store)
    big = add_partner(brand, partner_type="content")
    small = add_partner(brand, partner_type="coupon")
    for month, amount in ((6, "1000"), (7, "1100"), (8, "1200"), (9, "1300"), (10, "1400"),
                          (11, "1200")):  # fmt: skip
        sale_at(brand, big, datetime(2026, month, 10, 12, tzinfo=UTC), amount)
    monday = SPIKE - timedelta(days=56)
    while monday < SPIKE:
        start = datetime.combine(monday, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
        clicks_at(brand, big, start, 40 - (1 if monday == date(2026, 11, 23) else 0))
        clicks_at(brand, small, start, 3)
        monday += timedelta(days=7)
    # Monday 23 November: one of its 40 clicks turned into a 100 sale
    sale_at(brand, big, datetime(2026, 11, 23, 15, tzinfo=UTC), "100")
    spike = datetime(2026, 11, 30, 9, tzinfo=UTC)
    clicks_at(brand, big, spike, 198)
    sale_at(brand, big, datetime(2026, 11, 30, 15, tzinfo=UTC), "100")
    sale_at(brand, big, datetime(2026, 11, 30, 16, tzinfo=UTC), "100")
    clicks_at(brand, small, spike, 15)
    store.clock.set(TODAY)
    org = brand.caller.organization_id
    tag = org[-8:].lower()
    owner = create_user(store, org, f"owner-{tag}@brand.example", "a long password 1")
    manager = create_user(
        store, org, f"manager-{tag}@brand.example", "a long password 2", role="manager"
    )
    return World(brand, big, small, owner.email, manager.email, owner.id, manager.id)


@pytest.fixture
def world(store) -> World:
    return build_world(store)
