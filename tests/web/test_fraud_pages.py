"""The fraud page as a program manager uses it: switch to active, see a held order with its
reasons, release one, decline another with a note the partner then reads in the portal;
in English and Chinese, with errors named in the visitor's language."""

from __future__ import annotations

import re
from datetime import timedelta

from accord.protect.model import RULES
from accord.protect.service import change_fraud_settings, fraud_settings
from accord.tenancy.model import OrganizationKind
from accord.tenancy.service import create_user
from tests.factories import add_partner, click, convert
from tests.web.conftest import PASSWORD, csrf_of, sign_in, unique_email


def _post(client, path: str, csrf: str, **fields):
    body = {"csrf": csrf, **fields}
    return client.post(
        path,
        data=body,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


def _held_sale(brand, partner, order_id):
    """A sale the moment its click lands: the too-soon rule fires (70 points: held)."""
    return convert(brand, order_id=order_id, click_id=click(brand, partner))


def test_a_manager_switches_to_active_and_reviews_held_orders(client, manager):
    brand, user = manager
    sign_in(client, user.email)
    page = client.get(f"/console/fraud?program={brand.program_id}")
    assert page.status_code == 200, page.text
    assert "Shadow mode: scoring, holding nothing" in page.text
    assert "Nothing is held: conversions are held only in active mode." in page.text

    form = {
        "program": brand.program_id,
        "shown_level": "moderate",
        "mode": "active",
        "level": "moderate",
        "hold_at": "70",
    }
    for code in RULES:  # every rule's box is ticked, as the page shows them
        form[f"{code}.enabled"] = "on"
    form["fast_conversion.threshold"] = "15"
    form["fast_conversion.weight"] = "70"
    saved = _post(client, f"/console/programs/{brand.program_id}/fraud", csrf_of(page.text), **form)
    assert saved.status_code == 303, saved.text
    tuning = fraud_settings(brand.store, brand.caller, brand.program_id)
    assert tuning.mode.value == "active" and tuning.overrides == {}  # defaults left alone

    partner = add_partner(brand)
    kept = _held_sale(brand, partner, "ORD-KEEP").conversion
    recorded = _held_sale(brand, partner, "ORD-BAD")
    bad, bad_commission = recorded.conversion, recorded.commissions[0]
    page = client.get(f"/console/fraud?program={brand.program_id}")
    assert "ORD-KEEP" in page.text and "ORD-BAD" in page.text
    assert "Order too soon after the click" in page.text
    assert "0.0 seconds from click to order (rule: 15 or less)" in page.text
    assert "10.00 commission held" in page.text.replace("$", "")
    # the dashboard counts them among what needs attention, linking to the queue
    home = client.get(f"/console?program={brand.program_id}").text
    held_link = f'href="/console/fraud?program={brand.program_id}&show=held"'
    assert held_link in home
    assert re.search(r'class="count hot">2</span> <a [^>]*>orders held for a fraud review', home)

    released = _post(
        client, f"/console/conversions/{kept.id}/release", csrf_of(page.text),
        program=brand.program_id, note="",
    )  # fmt: skip
    assert released.status_code == 303
    # declining needs a reason: the page says so, in the visitor's language
    refused = _post(
        client, f"/console/conversions/{bad.id}/decline", csrf_of(page.text),
        program=brand.program_id, note="  ",
    )  # fmt: skip
    assert refused.status_code == 422
    assert "Say why the order is declined: the partner reads it." in refused.text
    declined = _post(
        client, f"/console/conversions/{bad.id}/decline", csrf_of(page.text),
        program=brand.program_id, note="Injected click from an app",
    )  # fmt: skip
    assert declined.status_code == 303
    reviewed = client.get(f"/console/fraud?program={brand.program_id}&show=reviewed").text
    assert "declined as fraud" in reviewed and "Injected click from an app" in reviewed
    assert "released" in reviewed
    again = _post(
        client, f"/console/conversions/{bad.id}/release", csrf_of(page.text),
        program=brand.program_id,
    )  # fmt: skip
    assert again.status_code == 409 and "already reviewed" in again.text

    # the partner reads the decision in its portal
    partner_user = create_user(
        brand.store, partner.caller.organization_id, unique_email("partner"), PASSWORD
    )
    assert partner.caller.kind == OrganizationKind.PARTNER
    client.cookies.clear()
    sign_in(client, partner_user.email)
    portal = client.get(f"/portal/commissions/{bad_commission.id}")
    assert portal.status_code == 200, portal.text
    assert "Declined after a review" in portal.text
    assert "Order too soon after the click" in portal.text
    assert "The brand's note: Injected click from an app" in portal.text


def test_the_page_speaks_chinese_and_names_a_bad_field(client, manager):
    brand, user = manager
    change_fraud_settings(
        brand.store, brand.caller, brand.program_id, mode="active", level="moderate"
    )
    partner = add_partner(brand)
    _held_sale(brand, partner, "ORD-ZH")
    sign_in(client, user.email)
    client.cookies.set("accord_lang", "zh_Hans")
    page = client.get(f"/console/fraud?program={brand.program_id}")
    assert page.status_code == 200
    text = re.sub(r"<[^>]+>", " ", page.text)
    assert "点击后下单过快" in text
    for english in ("Order too soon", "Held for review", "Rules", "Decline as fraud"):
        assert english not in text, english
    bad = _post(
        client, f"/console/programs/{brand.program_id}/fraud", csrf_of(page.text),
        program=brand.program_id, shown_level="moderate", mode="active", level="moderate",
        hold_at="70", **{"ip_velocity.enabled": "on", "ip_velocity.weight": "500"},
    )  # fmt: skip
    assert bad.status_code == 422
    assert "权重" in bad.text and 'aria-invalid="true"' in bad.text
    assert fraud_settings(brand.store, brand.caller, brand.program_id).overrides == {}


def test_a_backtest_runs_as_a_job_and_shows_what_would_have_been_held(client, manager):
    from tests.web.conftest import wait_for_job

    brand, user = manager
    partner = add_partner(brand)
    _held_sale(brand, partner, "ORD-FAST")  # shadow mode: scored, not held
    sign_in(client, user.email)
    page = client.get(f"/console/fraud?program={brand.program_id}")
    assert "Try the rules on past orders" in page.text
    day = brand.store.clock.now().date().isoformat()
    bad = _post(
        client, f"/console/programs/{brand.program_id}/fraud/backtest", csrf_of(page.text),
        since=day, until="2020-01-01", level="", hold_at="70",
    )  # fmt: skip
    assert bad.status_code == 422
    assert "the end after the start" in bad.text
    started = _post(
        client, f"/console/programs/{brand.program_id}/fraud/backtest", csrf_of(page.text),
        since=day, until=day, level="moderate", hold_at="70",
    )  # fmt: skip
    assert started.status_code == 303, started.text
    job_page = started.headers["location"]
    done = wait_for_job(client, job_page)
    assert "Backtest done" in done
    assert "Orders replayed: 1," in done and "Order too soon after the click" in done
    assert "ORD-FAST" in done
    again = client.get(f"/console/fraud?program={brand.program_id}")
    assert "The latest backtest" in again.text and "Would have held" in again.text


def test_a_manager_scores_partners_and_sees_the_risky_one_everywhere(client, manager):
    """The fraud page scores the partners as a job; the risky one heads "Partners at
    risk", shows its score and reasons on its profile and in the partners list (sorted by
    risk first), and a click-rule override saved from the form is kept."""
    from tests.web.conftest import wait_for_job

    brand, user = manager
    honest, risky = add_partner(brand), add_partner(brand)
    for i in range(10):
        _held_sale(brand, risky, f"ORD-R{i}")  # shadow mode: each flagged, none held
        c = click(brand, honest)
        brand.store.clock.advance(timedelta(hours=2))
        convert(brand, order_id=f"ORD-H{i}-WEB", click_id=c)
    sign_in(client, user.email)
    page = client.get(f"/console/fraud?program={brand.program_id}")
    assert "The partners have not been scored yet" in page.text
    started = _post(
        client, f"/console/programs/{brand.program_id}/fraud/partners/score", csrf_of(page.text)
    )
    assert started.status_code == 303, started.text
    job_page = started.headers["location"]
    assert "The partners are scored." in wait_for_job(client, job_page)
    assert "Scoring the partners" in client.get(job_page).text.split("<h1>")[1]

    page = client.get(f"/console/fraud?program={brand.program_id}")
    section = page.text[page.text.index('id="partners"') :]
    assert "Many flagged orders" in section and "100.0% of its orders in 28 days" in section
    assert f"/console/partners/{risky.id}?program={brand.program_id}#risk" in section
    assert honest.id not in section[: section.index("</section>")]

    profile = client.get(f"/console/partners/{risky.id}?program={brand.program_id}")
    assert "Fraud risk" in profile.text and "40 · medium risk" in profile.text
    listing = client.get(f"/console/partners?program={brand.program_id}&sort=risk")
    assert listing.text.index(risky.id) < listing.text.index(honest.id)
    calm = client.get(f"/console/partners/{honest.id}?program={brand.program_id}")
    assert "No partner rule fires." in calm.text

    zh = client.get(
        f"/console/fraud?program={brand.program_id}", headers={"accept-language": "zh-CN"}
    )
    assert "有风险的合作伙伴" in zh.text and "大量订单被标记" in zh.text

    form = {"program": brand.program_id, "shown_level": "moderate", "mode": "shadow",
            "level": "moderate", "hold_at": "70"}  # fmt: skip
    for code in RULES:
        form[f"{code}.enabled"] = "on"
    del form["data_center.enabled"]  # a click rule turned off
    form["volume_jump.threshold"] = "8"  # a partner rule's threshold
    saved = _post(client, f"/console/programs/{brand.program_id}/fraud", csrf_of(page.text), **form)
    assert saved.status_code == 303, saved.text
    tuning = fraud_settings(brand.store, brand.caller, brand.program_id)
    assert tuning.overrides == {
        "data_center": {"enabled": False},
        "volume_jump": {"threshold": "8"},
    }


def test_the_fraud_page_lists_the_partners_the_managers_were_told_about(client, manager):
    from accord.money import Money
    from accord.partners.service import apply_to_program, set_enrollment_status
    from accord.programs.model import ProgramTerms
    from accord.programs.service import create_program
    from accord.protect.partner_risk import score_all_partners

    brand, user = manager
    store = brand.store
    risky = add_partner(brand)
    for i in range(10):
        _held_sale(brand, risky, f"ORD-T{i}-WEB")  # shadow mode: flagged, 40 points
    outlet = create_program(
        store, brand.caller,
        ProgramTerms(name="Outlet", currency="USD", default_landing_url="https://brand.example/",
                     attribution_window_days=30, locking_days=30,
                     payout_threshold=Money.of("0", "USD"), listed=True),
    )  # fmt: skip
    apply_to_program(store, risky.caller, outlet.id)
    set_enrollment_status(store, brand.caller, outlet.id, risky.id, "suspended")  # +50
    score_all_partners(store)
    sign_in(client, user.email)
    page = client.get(f"/console/fraud?program={brand.program_id}").text
    told = page[page.index("Managers told in the last 14 days") :]
    assert f"/console/partners/{risky.id}?program={brand.program_id}#risk" in told
    assert "90 · high risk" in told[: told.index("</ul>")]
    profile = client.get(f"/console/partners/{risky.id}?program={brand.program_id}").text
    assert "Suspended in your other programs:" in profile and "Outlet" in profile
