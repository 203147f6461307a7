"""Building blocks for tests: a brand with a program, partners with links, conversions."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal

from accord.contracts.service import RuleSpec, create_contract
from accord.conversions.model import ConversionReport
from accord.conversions.service import Recorded, record_conversion
from accord.events.dispatch import dispatch_pending
from accord.events.service import pending_count
from accord.ids import short_code
from accord.money import Money
from accord.partners.service import create_partner
from accord.programs.model import ProgramTerms
from accord.programs.service import create_program
from accord.store.engine import Store
from accord.tenancy.model import Caller, OrganizationKind
from accord.tenancy.service import authenticate, create_organization
from accord.tracking.model import new_click_id
from accord.tracking.service import click_row, create_link, link_target, record_clicks

DEFAULT_RULES = [
    RuleSpec(event_type="sale", percent="10", customer_status="new"),
    RuleSpec(event_type="sale", percent="5"),
    RuleSpec(event_type="lead", fixed="20.00"),
]


@dataclass
class Brand:
    store: Store
    caller: Caller
    api_key: str
    program_id: str
    currency: str
    contract_id: str
    partners: list[TestPartner] = field(default_factory=list)


@dataclass
class TestPartner:
    id: str
    api_key: str
    caller: Caller
    link_code: str


def make_brand(
    store: Store,
    *,
    currency: str = "USD",
    rules: list[RuleSpec] | None = None,
    terms: dict | None = None,
    window_days: int = 30,
    locking_days: int = 30,
    threshold: str = "0",
) -> Brand:
    org = create_organization(store, OrganizationKind.BRAND, f"Brand {short_code(4)}")
    caller = authenticate(store, org.api_key)
    program = create_program(
        store,
        caller,
        ProgramTerms(
            name="Test program",
            currency=currency,
            default_landing_url="https://brand.example/",
            attribution_window_days=window_days,
            locking_days=locking_days,
            payout_threshold=Money.of(threshold, currency),
        ),
    )
    contract = create_contract(
        store,
        caller,
        program.id,
        "Standard",
        terms if terms is not None else rules or DEFAULT_RULES,
        is_default=True,
    )
    return Brand(store, caller, org.api_key, program.id, currency, contract.id)


def add_partner(
    brand: Brand,
    *,
    partner_type: str = "content",
    approved: bool = True,
    contract_id: str | None = None,
    name: str | None = None,
) -> TestPartner:
    new = create_partner(
        brand.store,
        brand.caller,
        brand.program_id,
        name=name or f"Partner {short_code(4)}",
        partner_type=partner_type,
        approved=approved,
        contract_id=contract_id,
    )
    partner_caller = authenticate(brand.store, new.api_key)
    code = ""
    if approved:
        code = create_link(
            brand.store, brand.caller, brand.program_id, partner_id=new.partner.id
        ).code
    partner = TestPartner(new.partner.id, new.api_key, partner_caller, code)
    brand.partners.append(partner)
    return partner


def click(brand: Brand, partner: TestPartner) -> str:
    """Record a click on the partner's link now (as the edge would) and return its id."""
    with brand.store.read() as session:
        target = link_target(session, partner.link_code)
    click_id = new_click_id()
    record_clicks(
        brand.store,
        [click_row(target, click_id, brand.store.clock.now(), "203.0.113.7", "pytest", None)],
    )
    return click_id


def convert(
    brand: Brand, order_id: str | None = None, amount: str | Decimal = "100.00", **fields
) -> Recorded:
    report = ConversionReport(
        program_id=brand.program_id,
        order_id=order_id or short_code(10),
        amount=Decimal(str(amount)),
        currency=brand.currency,
        **fields,
    )
    return record_conversion(brand.store, brand.caller, report)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, process, seconds: float) -> None:
    """Wait until `url` (a /health endpoint) answers 200; fail with the process's stderr
    if it exits first or the time runs out (after killing it)."""
    import time

    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"{url}: the server exited: {process.stderr.read().decode()[-2000:]}"
            )
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"{url} did not answer: {process.stderr.read().decode()[-2000:]}")


def events_settled(store: Store, organization_id: str, seconds: float = 20) -> None:
    """Wait until the organization's events have been handled: by this call, or by a queue
    worker of a running app that took them first."""
    deadline = time.monotonic() + seconds
    while True:
        dispatch_pending(store)
        if not pending_count(store, organization_id=organization_id):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"events of {organization_id} still pending after {seconds} s")
        time.sleep(0.05)
