"""The console's commissions: filter, bulk approve with CSRF, explain, export; and every
text of the console has its Chinese translation."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from babel.messages.pofile import read_po

from accord.commissions.service import lock_due
from tests.factories import add_partner, click, convert, make_brand
from tests.web.conftest import PASSWORD, csrf_of, sign_in, unique_email, wait_for_job

FORM = {"content-type": "application/x-www-form-urlencoded"}
WEB = Path(__file__).parents[2] / "src" / "accord" / "web"


def _locked_commission(store):
    from accord.tenancy.service import create_user

    brand = make_brand(store, locking_days=0)
    email = unique_email("pm")
    create_user(store, brand.caller.organization_id, email, PASSWORD)
    partner = add_partner(brand)
    recorded = convert(brand, order_id="ORD-7", amount="80.00", click_id=click(brand, partner))
    lock_due(store, brand.caller, brand.program_id)
    return brand, email, recorded.commission_ids[0]


def test_locked_commissions_are_approved_in_bulk_with_the_sessions_token(client, store):
    brand, email, commission_id = _locked_commission(store)
    sign_in(client, email)
    page = client.get(f"/console/commissions?program={brand.program_id}&status=locked")
    assert page.status_code == 200
    assert f'value="{commission_id}"' in page.text and "ORD-7" in page.text

    body = f"program={brand.program_id}&id={commission_id}"
    forged = client.post("/console/commissions/approve", content=body + "&csrf=x", headers=FORM)
    assert forged.status_code == 403
    token = csrf_of(page.text)
    done = client.post("/console/commissions/approve", content=f"{body}&csrf={token}", headers=FORM)
    assert done.status_code == 303 and done.headers["location"].endswith("done=1")
    approved = client.get(f"/console/commissions?program={brand.program_id}&status=approved")
    assert commission_id in approved.text


def test_the_why_page_shows_the_rule_and_the_arithmetic(client, store):
    _brand, email, commission_id = _locked_commission(store)
    sign_in(client, email)
    page = client.get(f"/console/commissions/{commission_id}")
    assert page.status_code == 200
    assert "80.00 x 10% = 8.00 USD (rounded half-up once)" in page.text
    _other, other_email, _ = _locked_commission(store)
    client.cookies.clear()
    sign_in(client, other_email)
    assert client.get(f"/console/commissions/{commission_id}").status_code == 404


def test_exports_carry_every_row_as_csv_and_excel(client, store):
    brand, email, commission_id = _locked_commission(store)
    sign_in(client, email)
    csv = client.get(f"/console/commissions.csv?program={brand.program_id}")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    header, row = csv.text.splitlines()[:2]
    assert header.startswith("commission_id,partner,order_id")
    assert commission_id in row and "8.00" in row and "ORD-7" in row
    xlsx = client.get(f"/console/commissions.xlsx?program={brand.program_id}")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"  # an Office Open XML zip


def test_every_console_text_has_a_chinese_translation():
    po = read_po((WEB / "locale/zh_Hans/LC_MESSAGES/messages.po").open("rb"), locale="zh_Hans")
    translated = {m.id for m in po if m.id and m.string}
    used = set()
    for template in (WEB / "templates").rglob("*.html"):
        used |= set(re.findall(r"""_\(\s*"([^"]+)\"""", template.read_text()))
        used |= set(re.findall(r"""_\(\s*'([^']+)'""", template.read_text()))
    assert used, "no texts found"
    assert used - translated == set()


def test_partners_are_searched_filtered_sorted_and_exported(client, store):
    brand, email, _ = _locked_commission(store)  # one partner with an 8.00 commission
    quiet = add_partner(brand, partner_type="coupon")
    sign_in(client, email)
    page = client.get(f"/console/partners?program={brand.program_id}&sort=earned")
    assert page.status_code == 200
    html = page.text
    assert html.index("$8.00") < html.index("$0.00")  # the earner first
    coupons = client.get(f"/console/partners?program={brand.program_id}&type=coupon")
    assert "coupon" in coupons.text and "$8.00" not in coupons.text
    nobody = client.get(f"/console/partners?program={brand.program_id}&q=zzz-nobody")
    assert "No partner matches." in nobody.text
    csv = client.get(f"/console/partners.csv?program={brand.program_id}&type=coupon")
    lines = csv.text.splitlines()
    assert lines[0].startswith("partner_id,name,type,status")
    assert len(lines) == 2 and quiet.id in lines[1]


def test_partners_sort_by_any_column_both_ways_with_last_activity(client, store):
    """Each column heading sorts, a second click turns the order round; partners without
    activity come last either way, and every name links to its profile."""
    brand, email, _ = _locked_commission(store)  # one partner with a click and an order
    store.clock.advance(timedelta(hours=2))
    quiet = add_partner(brand, partner_type="coupon")  # joined later, never active
    sign_in(client, email)
    url = f"/console/partners?program={brand.program_id}"
    by_activity = client.get(f"{url}&sort=last_activity")
    html = by_activity.text
    busy = brand.partners[0].id
    assert 'aria-sort="descending"' in html and "&sort=last_activity&dir=asc" in html
    assert html.index(f"/console/partners/{busy}?") < html.index(f"/console/partners/{quiet.id}?")
    turned = client.get(f"{url}&sort=last_activity&dir=asc").text
    assert 'aria-sort="ascending"' in turned
    assert turned.index(f"/partners/{busy}?") < turned.index(f"/partners/{quiet.id}?")  # none last
    newest = client.get(f"{url}&sort=joined").text
    assert newest.index(f"/partners/{quiet.id}?") < newest.index(f"/partners/{busy}?")
    oldest = client.get(f"{url}&sort=joined&dir=asc").text
    assert oldest.index(f"/partners/{busy}?") < oldest.index(f"/partners/{quiet.id}?")
    by_revenue = client.get(f"{url}&sort=revenue&dir=asc").text
    assert by_revenue.index(f"/partners/{quiet.id}?") < by_revenue.index(f"/partners/{busy}?")
    assert "none yet" in html  # the quiet partner's last activity, in words
    zh = client.get(f"{url}&sort=last_activity", headers={"accept-language": "zh-CN"}).text
    assert "最近活动" in zh and "加入时间" in zh
    csv = client.get(f"/console/partners.csv?program={brand.program_id}&sort=joined&dir=asc")
    header, first, second = csv.text.splitlines()
    assert header.endswith("risk,joined_at,last_activity")
    assert first.startswith(busy) and second.startswith(quiet.id) and second.endswith(",")


def test_a_conversion_is_reversed_from_the_console_with_a_reason(client, store):
    brand, email, _commission_id = _locked_commission(store)
    sign_in(client, email)
    listing = client.get(f"/console/conversions?program={brand.program_id}&q=ORD-7")
    assert "ORD-7" in listing.text
    conversion_id = re.search(r'href="/console/conversions/(cnv_\w+)"', listing.text).group(1)
    page = client.get(f"/console/conversions/{conversion_id}")
    token = csrf_of(page.text)
    url = f"/console/conversions/{conversion_id}/reverse"
    bad = client.post(url, content=f"csrf={token}&amount=lots&reason_code=returned", headers=FORM)
    assert bad.status_code == 422 and "amount" in bad.text
    wrong = client.post(url, content=f"csrf={token}&reason_code=bored", headers=FORM)
    assert wrong.status_code == 422 and "reason_code" in wrong.text
    done = client.post(
        url, content=f"csrf={token}&amount=20.00&reason_code=returned&note=one+item", headers=FORM
    )
    assert done.status_code == 303
    after = client.get(done.headers["location"]).text
    assert "Reversed." in after and "one item" in after
    assert "$6.00" in after  # 10% of the 60.00 left


def test_a_payout_batch_is_run_from_the_console_and_its_statement_opens(client, store):
    from accord.commissions.service import approve

    brand, email, _ = _locked_commission(store)
    approve(store, brand.caller, brand.program_id)
    sign_in(client, email)
    page = client.get(f"/console/payouts?program={brand.program_id}")
    assert "$8.00" in page.text  # payable now
    token = csrf_of(page.text)
    run = client.post(  # the partner gave no payout method: the manager pays it by hand
        "/console/payouts/run",
        content=f"csrf={token}&program={brand.program_id}&manual=1",
        headers=FORM,
    )
    assert run.status_code == 303 and run.headers["location"].startswith("/console/jobs/job_")
    finished = wait_for_job(client, run.headers["location"])
    assert re.search(r"Payout batch pbt_\w+ is done\.", finished) and "$8.00" in finished
    listed = client.get(f"/console/payouts?program={brand.program_id}").text
    payout_id = re.search(r"/console/payouts/(pay_\w+)/statement.pdf", listed).group(1)
    pdf = client.get(f"/console/payouts/{payout_id}/statement.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    again = client.post(
        "/console/payouts/run",
        content=f"csrf={token}&program={brand.program_id}&manual=1",
        headers=FORM,
    )
    assert "Nobody is due a payout yet." in wait_for_job(client, again.headers["location"])


def test_english_pages_write_data_codes_as_words():
    from accord.web.i18n import DATA_WORDS, translations

    english = translations("en")
    coded = [word for word in DATA_WORDS if "_" in word]
    assert coded, "no data codes found"
    for word in coded:
        shown = english.gettext(word)
        assert "_" not in shown, f"{word!r} is shown as a raw code in English"
    assert english.gettext("b2b_referral") == "B2B referral"
    assert english.gettext("Settings") == "Settings"


def test_the_command_lines_reports_write_partner_types_as_words():
    from accord.web.i18n import english

    assert english("b2b_referral") == "B2B referral" and english("coupon") == "Coupon site"
    assert english("creators") == "Creators"  # a group of types


def test_a_manager_holds_releases_locks_early_and_approves_with_counts(client, store):
    """A commission held by hand never locks until released; pending ones lock early when
    selected; an empty selection changes nothing and says so; counts read as words."""
    from accord.commissions.service import get_commission
    from accord.tenancy.service import create_user

    brand = make_brand(store, locking_days=30)
    email = unique_email("pm")
    create_user(store, brand.caller.organization_id, email, PASSWORD)
    partner = add_partner(brand)
    doubtful = convert(brand, order_id="ORD-H1", click_id=click(brand, partner))
    trusted = convert(brand, order_id="ORD-H2", click_id=click(brand, partner))
    held_id, early_id = doubtful.commission_ids[0], trusted.commission_ids[0]
    sign_in(client, email)
    page = client.get(f"/console/commissions/{held_id}")
    assert "Hold it…" in page.text and "Reverse the order…" in page.text
    csrf = csrf_of(page.text)
    silent = client.post(f"/console/commissions/{held_id}/hold", content=f"csrf={csrf}&note=",
                         headers=FORM)  # fmt: skip
    assert "missing=note" in silent.headers["location"]
    assert get_commission(store, brand.caller, held_id)[0].hold_reason is None
    held = client.post(f"/console/commissions/{held_id}/hold",
                       content=f"csrf={csrf}&note=The+customer+disputes+the+charge",
                       headers=FORM)  # fmt: skip
    shown = client.get(held.headers["location"])
    assert (
        "Held: it will not lock" in shown.text and "The customer disputes the charge" in shown.text
    )

    store.clock.advance(timedelta(days=31))
    lock_due(store, brand.caller, brand.program_id)
    row = get_commission(store, brand.caller, held_id)[0]
    assert row.status == "pending" and row.hold_reason == "held_by_brand"  # it waited
    client.cookies.clear()  # a month later the session has ended: sign in again
    sign_in(client, email)
    csrf = csrf_of(client.get(f"/console/commissions/{held_id}").text)
    freed = client.post(f"/console/commissions/{held_id}/release", content=f"csrf={csrf}",
                        headers=FORM)  # fmt: skip
    assert freed.status_code == 303, freed.text[:3000]
    lock_due(store, brand.caller, brand.program_id)
    assert get_commission(store, brand.caller, held_id)[0].status == "locked"

    fresh = convert(brand, order_id="ORD-H3", click_id=click(brand, partner)).commission_ids[0]
    listing = client.get(f"/console/commissions?program={brand.program_id}&status=pending")
    assert f'value="{fresh}"' in listing.text and "Lock selected now" in listing.text
    body = f"csrf={csrf}&program={brand.program_id}"
    nothing = client.post("/console/commissions/lock", content=body, headers=FORM)
    refused = client.get(nothing.headers["location"])
    assert "Nothing was selected, so nothing changed." in refused.text
    locked = client.post("/console/commissions/lock", content=f"{body}&id={fresh}", headers=FORM)
    after = client.get(locked.headers["location"])
    assert "Locked 1 commission early" in after.text
    assert get_commission(store, brand.caller, fresh)[0].status == "locked"
    approved = client.post("/console/commissions/approve", content=f"{body}&id={fresh}",
                           headers=FORM)  # fmt: skip
    counted = client.get(approved.headers["location"])
    assert "Approved 1 commission; its money is now payable." in counted.text
    zh = client.get(approved.headers["location"], headers={"accept-language": "zh-CN"})
    assert "已批准 1 笔佣金" in zh.text
    # the order nobody held locked when its period ended, and the early lock left it alone
    assert get_commission(store, brand.caller, early_id)[0].status == "locked"


def test_a_manager_adds_a_partner_with_a_portal_sign_in(client, store, manager):
    """Added from the console: approved in the program, on the chosen contract, with a
    one-time password the partner signs in to the portal with; mistakes named in words."""
    from accord.partners.service import partner_in_program

    brand, user = manager
    sign_in(client, user.email)
    listing = client.get(f"/console/partners?program={brand.program_id}")
    assert f"/console/partners/new?program={brand.program_id}" in listing.text
    page = client.get(f"/console/partners/new?program={brand.program_id}")
    csrf = csrf_of(page.text)
    base = f"csrf={csrf}&program={brand.program_id}&partner_type=coupon"
    wrong = client.post("/console/partners/new", content=f"{base}&name=Deal+Hub&country=USA",
                        headers=FORM)  # fmt: skip
    assert wrong.status_code == 422 and "two-letter code" in wrong.text
    assert 'value="Deal Hub"' in wrong.text  # what was typed stays
    email = unique_email("dealhub")
    made = client.post(
        "/console/partners/new",
        content=f"{base}&name=Deal+Hub&country=us&contract_id={brand.contract_id}&email={email}"
        "&sign_in=password",
        headers=FORM,
    )
    assert made.status_code == 201 and "Deal Hub is in the program" in made.text
    assert made.headers["cache-control"] == "no-store"  # its one-time password is on it
    password = re.search(r'<code id="one-time">([^<]+)</code>', made.text).group(1)
    partner_id = re.search(r"/console/partners/(prt_\w+)\?", made.text).group(1)
    partner, enrollment = partner_in_program(store, brand.caller, brand.program_id, partner_id)
    assert (partner.country, enrollment.status, enrollment.contract_id) == (
        "US", "approved", brand.contract_id)  # fmt: skip
    client.cookies.clear()
    signed = sign_in(client, email, password)
    assert signed.status_code == 303
    assert "Deal Hub" in client.get("/portal/settings").text


def test_a_bonus_says_which_target_it_paid_for_in_the_readers_language(client, store):
    from accord.tenancy.service import create_user

    bonus = {"name": "Two sales", "metric": "conversions", "threshold": "2", "amount": "25"}
    brand = make_brand(store, terms={"rules": [{"event_type": "sale", "percent": "10"}],
                                     "bonuses": [bonus]})  # fmt: skip
    email = unique_email("pm")
    create_user(store, brand.caller.organization_id, email, PASSWORD)
    partner = add_partner(brand)
    made = [convert(brand, order_id=f"B-{n}", amount="50.00", click_id=click(brand, partner))
            for n in range(2)]  # fmt: skip
    ids = {i for r in made for i in r.commission_ids}
    sign_in(client, email)
    listed = client.get(f"/console/commissions?program={brand.program_id}").text
    found = set(re.findall(r"/console/commissions/(com_[0-9A-Z]+)", listed)) - ids
    assert len(found) == 1, found  # the bonus, beside the two sales' commissions
    url = f"/console/commissions/{found.pop()}"
    english = client.get(url).text
    assert "Monthly bonus" in english and ": 2 conversions reached" in english
    assert "target 2 conversions reached" not in english  # the English-only arithmetic
    chinese = client.get(url, headers={"accept-language": "zh-CN"}).text
    assert "月度奖金" in chinese and "转化达到 2 笔" in chinese and "reached" not in chinese
