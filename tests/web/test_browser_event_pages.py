"""A program manager decides about browser events in the console: turns them on, makes a
signing key, and confirms a held order at the amount the shop really took."""

from __future__ import annotations

from urllib.parse import quote

from accord.commissions.tables import Commission
from accord.conversions.model import ConversionReport
from accord.conversions.service import record_conversion
from accord.programs.service import update_program
from tests.factories import add_partner, click
from tests.web.conftest import csrf_of, sign_in

FORM = {"content-type": "application/x-www-form-urlencoded"}


def _held_order(store, brand, order_id: str, amount: str):
    """A sale a shopper's browser reported, held until the brand confirms it."""
    partner = add_partner(brand)
    update_program(store, brand.caller, brand.program_id, {"browser_events": "held"})
    report = ConversionReport(
        program_id=brand.program_id,
        order_id=order_id,
        amount=amount,
        currency="USD",
        click_id=click(brand, partner),
    )
    return record_conversion(store, brand.caller, report, source="js", confirmation="awaiting")


def test_a_held_browser_order_is_confirmed_at_a_lower_amount_from_its_page(client, store, manager):
    brand, user = manager
    held = _held_order(store, brand, "WEB-7", "500.00")
    sign_in(client, user.email)
    page = client.get(f"/console/conversions/{held.conversion.id}")
    assert page.status_code == 200
    assert "Waiting for your confirmation" in page.text and "awaiting confirmation" in page.text
    body = f"amount=120.00&csrf={csrf_of(page.text)}"
    done = client.post(
        f"/console/conversions/{held.conversion.id}/confirm", content=body, headers=FORM
    )
    assert done.status_code == 303, done.text
    after = client.get(done.headers["location"])
    assert "Confirmed." in after.text and "Waiting for your confirmation" not in after.text
    with store.read() as session:
        commission = session.get(Commission, held.commission_ids[0])
        assert commission.hold_reason is None
        assert commission.amount_minor == 12_00  # 10% of the 120.00 the shop took
    chinese = client.get(
        f"/console/conversions/{held.conversion.id}", headers={"accept-language": "zh-CN"}
    )
    assert "已确认" in chinese.text


def test_a_confirmation_above_the_reported_amount_is_explained(client, store, manager):
    brand, user = manager
    held = _held_order(store, brand, "WEB-8", "50.00")
    sign_in(client, user.email)
    page = client.get(f"/console/conversions/{held.conversion.id}")
    body = f"amount=5000.00&csrf={csrf_of(page.text)}"
    refused = client.post(
        f"/console/conversions/{held.conversion.id}/confirm", content=body, headers=FORM
    )
    assert refused.status_code == 422
    assert "a confirmation can only lower it" in refused.text


def test_browser_events_are_turned_on_and_a_key_made_from_the_settings(client, store, manager):
    brand, user = manager
    sign_in(client, user.email)
    page = client.get(f"/console/settings?program={brand.program_id}")
    assert 'name="browser_events"' in page.text and "No key yet." in page.text
    token = csrf_of(page.text)
    fields = {
        "program": brand.program_id,
        "name": "Test program",
        "default_landing_url": "https://brand.example/",
        "attribution_window_days": "30",
        "locking_days": "30",
        "lock_policy": "after_event",
        "payout_threshold": "0",
        "payout_schedule": "manual",
        "duplicate_click_seconds": "30",
        "view_through_hours": "24",
        "click_id_param": "accord_click",
        "browser_events": "signed",
        "browser_event_max_age_minutes": "30",
        "max_order_amount": "2500.00",
        "order_total_tolerance_percent": "0.5",
        "csrf": token,
    }
    body = "&".join(f"{k}={quote(v)}" for k, v in fields.items())
    saved = client.post("/console/settings", content=body, headers=FORM)
    assert saved.status_code == 303, saved.text
    program = client.get(
        f"/api/v1/programs/{brand.program_id}",
        headers={"authorization": f"Bearer {brand.api_key}"},
    ).json()
    assert program["browser_events"] == "signed"
    assert program["max_order_amount"]["amount"] == "2500.00"
    assert program["order_total_tolerance_percent"] == "0.5"
    bad = client.post(
        "/console/settings",
        content=body.replace("2500.00", quote("\uff12\uff15\uff10\uff10")),
        headers=FORM,
    )
    assert bad.status_code == 422 and "max_order_amount" in bad.text
    made = client.post(
        "/console/settings/browser-signing-key",
        content=f"program={brand.program_id}&csrf={token}",
        headers=FORM,
    )
    assert made.status_code == 200 and "bsk_" in made.text
    assert made.headers["cache-control"] == "no-store"
    again = client.get(f"/console/settings?program={brand.program_id}")
    assert "bsk_" not in again.text and "A key is set." in again.text
