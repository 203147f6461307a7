"""Programs with a known amount of activity, for reports and exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from accord.commissions.service import approve, lock_due
from accord.conversions.model import ReversalRequest
from accord.conversions.reversals import reverse_conversion
from accord.partners.service import set_payout_method
from accord.payouts.service import run_batch
from accord.store.engine import Store
from accord.tracking.model import new_click_id
from accord.tracking.service import click_row, link_target, record_clicks
from tests.factories import Brand, TestPartner, add_partner, click, convert, make_brand

SEPA_IBANS = ("DE89 3704 0044 0532 0130 00", "FR14 2004 1010 0505 0001 3M02 606")


@dataclass
class PaidProgram:
    brand: Brand
    batch_id: str
    payout_ids: list[str]


def settle(brand: Brand) -> tuple[str, list[str]]:
    """Let the locking period pass, approve what is locked and pay it in one batch."""
    brand.store.clock.advance(timedelta(days=31))
    lock_due(brand.store, brand.caller, brand.program_id)
    approve(brand.store, brand.caller, brand.program_id)
    result = run_batch(brand.store, brand.caller, brand.program_id)
    assert result.batch is not None
    return result.batch.id, [p.id for p in result.payouts]


def sale_through(brand: Brand, partner: TestPartner, amount: str = "100.00") -> str:
    """A click on the partner's link and a sale that names it; returns the conversion id."""
    return convert(brand, amount=amount, click_id=click(brand, partner)).conversion.id


def partners_paid_once(store: Store, partners: int) -> PaidProgram:
    """`partners` partners in a euro program, each paid by SEPA transfer for one sale
    through its link, all in one batch."""
    brand = make_brand(store, currency="EUR")
    for i in range(partners):
        partner = add_partner(brand)
        iban = SEPA_IBANS[i % len(SEPA_IBANS)]
        details = {"method": "sepa", "iban": iban, "account_name": f"Payee {i}"}
        set_payout_method(store, partner.caller, details)
        sale_through(brand, partner)
    batch_id, payout_ids = settle(brand)
    return PaidProgram(brand, batch_id, payout_ids)


def partner_paid_twice(store: Store, sales: int) -> tuple[Brand, str]:
    """One partner paid twice: `sales` sales, a third of them reversed in part before the
    first payout; then all of the first round's fully reversed after it (clawbacks) and
    `sales` larger sales paid in the second payout. Returns the brand and the second payout."""
    brand = make_brand(store)
    partner = add_partner(brand)
    first = [sale_through(brand, partner) for _ in range(sales)]
    for conversion_id in first[::3]:
        reverse(brand, conversion_id, "10.00")
    settle(brand)
    brand.store.clock.advance(timedelta(days=1))
    for conversion_id in first:
        reverse(brand, conversion_id, None)
    for _ in range(sales):
        sale_through(brand, partner, "300.00")
    _, [payout_id] = settle(brand)
    return brand, payout_id


def reverse(brand: Brand, conversion_id: str, amount: str | None) -> None:
    request = ReversalRequest(amount=amount, reason_code="returned")
    reverse_conversion(brand.store, brand.caller, conversion_id, request)


def active_program(store: Store, partners: int) -> Brand:
    """`partners` partners, each paid once for a sale and with a newer sale still pending,
    a third of those reversed in part, and one partner whose application waits."""
    brand = partners_paid_once(store, partners).brand
    for i, partner in enumerate(brand.partners):
        conversion_id = sale_through(brand, partner, "50.00")
        if i % 3 == 0:
            reverse(brand, conversion_id, "5.00")
    add_partner(brand, approved=False)
    return brand


def clicks_at(brand: Brand, partner: TestPartner, count: int, *, duplicates: int = 0) -> str:
    """`count` clicks on the partner's link now, the last `duplicates` of them flagged as
    repeats; returns the first click's id."""
    with brand.store.read() as session:
        target = link_target(session, partner.link_code)
    now = brand.store.clock.now()
    rows = [
        click_row(
            target,
            new_click_id(),
            now,
            "203.0.113.7",
            "pytest",
            None,
            duplicate=i >= count - duplicates,
        )
        for i in range(count)
    ]
    record_clicks(brand.store, rows)
    return rows[0]["id"]
