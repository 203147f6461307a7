"""Fraud protection through the API: scores on every conversion, holds in active mode,
release and decline, settings, and what other tenants and partners may not do."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from accord.partners.service import create_partner
from tests.api.support import Api, click_through, error_of, sale
from tests.factories import add_partner, make_brand

HOUR = timedelta(hours=1)


def _sha(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _active(api: Api, brand, **settings) -> dict:
    body = {"mode": "active", "level": "moderate", **settings}
    response = api.client.put(
        f"/api/v1/programs/{brand.program_id}/fraud", json=body, headers=api.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def _order(api: Api, brand, partner, clock, *, after=None, **fields) -> dict:
    """A click on the partner's link, `after` later an order through it."""
    _, click_id = click_through(api.client, partner.link_code)
    if after:
        clock.advance(after)
    response = api.post("/conversions", sale(brand.program_id, click_id=click_id, **fields))
    assert response.status_code == 201, response.text
    return response.json()


def test_every_conversion_is_scored_and_shadow_mode_holds_nothing(api, brand, clock):
    partner = add_partner(brand)
    fast = _order(api, brand, partner, clock)  # ordered the second the click landed
    slow = _order(api, brand, partner, clock, after=2 * HOUR)

    risk = api.ok(f"/conversions/{fast['id']}/risk")
    assert risk["mode"] == "shadow" and risk["action"] == "flagged"
    [signal] = risk["signals"]
    assert signal["code"] == "fast_conversion"
    assert signal["value"] == "0.0" and signal["threshold"] == "15"
    assert "click" in signal["description"]
    assert api.ok(f"/commissions/{fast['commissions'][0]['id']}")["status"] == "pending"

    calm = api.ok(f"/conversions/{slow['id']}/risk")
    assert (calm["score"], calm["action"], calm["signals"]) == (0, "none", [])

    overview = api.ok(f"/programs/{brand.program_id}/fraud")
    assert (overview["scored"], overview["flagged"], overview["held"]) == (2, 1, 0)
    fast_rule = next(r for r in overview["rules"] if r["code"] == "fast_conversion")
    assert (fast_rule["fired"], fast_rule["held"], fast_rule["amount"]["amount"]) == (
        1,
        0,
        "100.00",
    )


def test_active_mode_holds_and_locking_skips_until_released(api, brand, clock):
    _active(api, brand)
    partner = add_partner(brand)
    held = _order(api, brand, partner, clock, after=timedelta(seconds=3))
    commission_id = held["commissions"][0]["id"]
    assert api.ok(f"/commissions/{commission_id}")["status"] == "held"

    queue = api.ok(f"/programs/{brand.program_id}/fraud/queue")
    [waiting] = queue["data"]
    assert waiting["conversion_id"] == held["id"]
    assert waiting["score"] == 70 and waiting["action"] == "held"
    assert waiting["held"] == [{"amount": "10.00", "currency": "USD"}]

    # the partner sees it held, with the reason; the locking period passes: still held
    partner_api = Api(api.client, partner.api_key)
    assert partner_api.ok(f"/commissions/{commission_id}")["status"] == "held"
    assert partner_api.ok(f"/conversions/{held['id']}/risk")["signals"][0]["code"] == (
        "fast_conversion"
    )
    clock.advance(timedelta(days=31))
    api.post("/commissions/lock", {"program_id": brand.program_id})
    assert api.ok(f"/commissions/{commission_id}")["status"] == "held"

    released = api.post(f"/conversions/{held['id']}/release", {"note": "known customer"})
    assert released.status_code == 200, released.text
    assert released.json()["review"] == "released"
    assert released.json()["held"] == []
    assert api.ok(f"/commissions/{commission_id}")["status"] == "pending"
    assert api.ok(f"/programs/{brand.program_id}/fraud/queue")["data"] == []
    again = api.post(f"/conversions/{held['id']}/release", {})
    assert "already released" in error_of(again, 409)["message"]
    api.post("/commissions/lock", {"program_id": brand.program_id})
    assert api.ok(f"/commissions/{commission_id}")["status"] == "locked"


def test_declining_reverses_the_order_with_reason_fraud(api, brand, clock):
    _active(api, brand)
    partner = add_partner(brand)
    held = _order(api, brand, partner, clock)
    commission_id = held["commissions"][0]["id"]

    no_reason = api.post(f"/conversions/{held['id']}/decline", {})
    assert error_of(no_reason, 422)["field"] == "note"
    declined = api.post(f"/conversions/{held['id']}/decline", {"note": "injected click"})
    assert declined.status_code == 200, declined.text
    assert declined.json()["review"] == "declined"

    commission = api.ok(f"/commissions/{commission_id}")
    assert commission["status"] == "reversed"
    assert commission["amount"]["amount"] == "0.00"
    [adjustment] = commission["adjustments"]
    assert adjustment["reason_code"] == "fraud" and adjustment["status_before"] == "held"
    reviewed = api.ok(f"/programs/{brand.program_id}/fraud/queue", show="reviewed")["data"]
    assert [r["review_note"] for r in reviewed] == ["injected click"]
    # the partner's pending balance no longer counts it
    summary = api.summary(brand.program_id)
    assert summary["pending"] == "0.00" and summary["ledger_balanced"] is True


def test_self_referral_holds_the_partners_own_order(api, brand, clock, store):
    _active(api, brand)
    made = create_partner(
        store,
        brand.caller,
        brand.program_id,
        name="Self Buyer",
        partner_type="cashback",
        email="Buyer@Example.com",
    )
    from accord.tracking.service import create_link

    code = create_link(store, brand.caller, brand.program_id, partner_id=made.partner.id).code
    partner = type("P", (), {"link_code": code})
    own = _order(api, brand, partner, clock, after=2 * HOUR, email_sha256=_sha("buyer@example.com"))
    other = _order(api, brand, partner, clock, after=2 * HOUR, email_sha256=_sha("x@example.com"))
    risk = api.ok(f"/conversions/{own['id']}/risk")
    assert risk["action"] == "held" and [s["code"] for s in risk["signals"]] == ["self_referral"]
    assert api.ok(f"/conversions/{other['id']}/risk")["action"] == "none"


def test_a_repeated_order_under_another_id_is_held(api, brand, clock):
    _active(api, brand)
    partner = add_partner(brand)
    email = _sha("shopper@example.com")
    first = _order(api, brand, partner, clock, after=HOUR, email_sha256=email, amount="59.00")
    clock.advance(timedelta(minutes=10))
    second = _order(
        api, brand, partner, clock, after=timedelta(minutes=2), email_sha256=email, amount="59.00"
    )
    risk = api.ok(f"/conversions/{second['id']}/risk")
    assert api.ok(f"/conversions/{first['id']}/risk")["action"] == "none"
    [signal] = risk["signals"]
    assert (signal["code"], signal["value"], signal["threshold"]) == (
        "duplicate_order",
        "12.0",
        "30",
    )
    assert risk["action"] == "held"


def test_settings_are_checked_field_by_field(api, brand):
    path = f"/api/v1/programs/{brand.program_id}/fraud"
    put = lambda body: api.client.put(path, json=body, headers=api.headers)  # noqa: E731
    assert error_of(put({"mode": "on"}), 422)["field"] == "mode"
    unknown = error_of(put({"mode": "active", "rules": {"magic": {"weight": 5}}}), 422)
    assert unknown["field"] == "rules.magic" and "fast_conversion" in unknown["message"]
    weight = error_of(put({"mode": "active", "rules": {"ip_velocity": {"weight": 101}}}), 422)
    assert "weight" in (weight["field"] or "") or "weight" in weight["message"]
    bad = error_of(put({"mode": "active", "rules": {"ip_velocity": {"threshold": "many"}}}), 422)
    assert bad["field"] == "rules.ip_velocity.threshold"
    assert error_of(put({"mode": "active", "hold_at": 0}), 422)["field"] == "hold_at"

    saved = put(
        {
            "mode": "active",
            "level": "strict",
            "hold_at": 60,
            "rules": {
                "ip_velocity": {"threshold": 2, "weight": 65},
                "slow_conversion": {"enabled": False},
            },
        }
    )
    assert saved.status_code == 200, saved.text
    rules = {r["code"]: r for r in saved.json()["rules"]}
    assert (saved.json()["level"], saved.json()["hold_at"]) == ("strict", 60)
    assert (rules["ip_velocity"]["threshold"], rules["ip_velocity"]["weight"]) == ("2", 65)
    assert rules["slow_conversion"]["enabled"] is False
    assert rules["fast_conversion"]["threshold"] == "30"  # the strict level's


def test_other_tenants_and_partners_cannot_see_or_decide(api, brand, clock, client):
    _active(api, brand)
    partner = add_partner(brand)
    held = _order(api, brand, partner, clock)
    other = make_brand(brand.store)
    stranger = Api(client, other.api_key)
    assert error_of(stranger.get(f"/conversions/{held['id']}/risk"), 404)
    assert error_of(stranger.post(f"/conversions/{held['id']}/release", {}), 404)
    assert error_of(stranger.post(f"/conversions/{held['id']}/decline", {"note": "x"}), 404)
    assert error_of(stranger.get(f"/programs/{brand.program_id}/fraud"), 404)
    assert error_of(stranger.get(f"/programs/{brand.program_id}/fraud/queue"), 404)
    taken = client.put(
        f"/api/v1/programs/{brand.program_id}/fraud",
        json={"mode": "off"},
        headers=stranger.headers,
    )
    assert error_of(taken, 404)

    own = Api(client, partner.api_key)
    assert error_of(own.post(f"/conversions/{held['id']}/release", {}), 403)
    another = add_partner(brand)
    assert error_of(Api(client, another.api_key).get(f"/conversions/{held['id']}/risk"), 404)
    # nothing changed
    assert api.ok(f"/conversions/{held['id']}/risk")["review"] is None


def test_mode_off_scores_nothing(api, brand, clock):
    _active(api, brand, mode="off")
    partner = add_partner(brand)
    done = _order(api, brand, partner, clock)
    assert error_of(api.get(f"/conversions/{done['id']}/risk"), 404)
    assert api.ok(f"/commissions/{done['commissions'][0]['id']}")["status"] == "pending"


def _click_as(client, code: str, agent: str | None, ip: str = "198.51.100.20", **extra: str) -> str:
    headers = {"user-agent": agent} if agent is not None else {}
    headers["x-forwarded-for"] = ip
    headers.update({k.replace("_", "-"): v for k, v in extra.items()})
    response = client.get(f"/c/{code}", headers=headers)
    assert response.status_code == 302, response.text
    return response.headers["location"].split("accord_click=")[1].split("&")[0]


def test_a_bot_click_cannot_win_in_active_mode_and_is_not_unique(api, brand, clock, client):
    _active(api, brand)
    partner = add_partner(brand)
    bot = _click_as(client, partner.link_code, "Googlebot/2.1 (+http://www.google.com/bot.html)")
    human = _click_as(
        client, partner.link_code, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Safari/604.1"
    )
    clock.advance(HOUR)
    lost = api.post("/conversions", sale(brand.program_id, click_id=bot)).json()
    won = api.post("/conversions", sale(brand.program_id, click_id=human)).json()
    assert lost["status"] == "unattributed" and lost["attribution_reason"] == "invalid_click"
    assert lost["commissions"] == []
    assert won["status"] == "attributed"
    overview = api.ok(f"/programs/{brand.program_id}/fraud")
    bots = next(r for r in overview["click_rules"] if r["code"] == "bot")
    assert (bots["fired"], bots["held"]) == (1, 1)
    summary = api.summary(brand.program_id)
    assert (summary["clicks"], summary["unique_clicks"]) == (2, 1)


def test_in_shadow_mode_a_bot_click_still_wins_and_the_order_is_flagged(api, brand, clock, client):
    partner = add_partner(brand)
    bot = _click_as(client, partner.link_code, "python-requests/2.31")
    clock.advance(HOUR)
    order = api.post("/conversions", sale(brand.program_id, click_id=bot)).json()
    assert order["status"] == "attributed"
    risk = api.ok(f"/conversions/{order['id']}/risk")
    [signal] = risk["signals"]
    assert signal["code"] == "invalid_click" and signal["detail"] == "bot"
    assert risk["action"] == "flagged"
    summary = api.summary(brand.program_id)
    assert (summary["clicks"], summary["unique_clicks"]) == (1, 1)


CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"


def test_a_click_naming_chrome_without_its_fetch_header_is_judged(api, brand, clock, client):
    """Chrome always says how it fetches a page; a click that names Chrome and does not is
    a script: 30 points, flagged but still a valid click on its own. A click loaded as an
    image is invalid in active mode and cannot win."""
    _active(api, brand)
    partner = add_partner(brand)
    browser = _click_as(client, partner.link_code, CHROME, sec_fetch_dest="document")
    script = _click_as(client, partner.link_code, CHROME, ip="198.51.100.21")
    stuffed = _click_as(client, partner.link_code, CHROME, ip="198.51.100.22",
                        sec_fetch_dest="image")  # fmt: skip
    clock.advance(HOUR)
    won = api.post("/conversions", sale(brand.program_id, click_id=browser)).json()
    assert won["status"] == "attributed"
    kept = api.post("/conversions", sale(brand.program_id, click_id=script)).json()
    assert kept["status"] == "attributed"  # flagged, not invalid
    lost = api.post("/conversions", sale(brand.program_id, click_id=stuffed)).json()
    assert lost["attribution_reason"] == "invalid_click"
    # the clicks are stored by now (each order looked its click up)
    overview = api.ok(f"/programs/{brand.program_id}/fraud")
    rules = {r["code"]: r for r in overview["click_rules"]}
    assert (rules["inconsistent_headers"]["fired"], rules["inconsistent_headers"]["held"]) == (
        1,
        0,
    )  # 30 points: below the hold threshold on its own
    assert (rules["no_landing"]["fired"], rules["no_landing"]["held"]) == (1, 1)


def test_partner_risk_through_the_api(api, brand, clock, store):
    """An integrating engineer lists the risky partners, reads one's history, and starts a
    scoring job; another brand and a partner's key get nothing."""
    from accord.protect.partner_risk import score_all_partners

    risky, honest = add_partner(brand), add_partner(brand)
    for _ in range(10):
        _order(api, brand, risky, clock)  # each the second its click landed: flagged
        _order(api, brand, honest, clock, after=2 * HOUR)
    assert api.ok(f"/programs/{brand.program_id}/fraud/partners")["data"] == []
    score_all_partners(store, organization_id=brand.caller.organization_id)

    [found] = api.ok(f"/programs/{brand.program_id}/fraud/partners")["data"]
    assert found["partner_id"] == risky.id and found["score"] == 40
    assert found["band"] == "medium" and found["previous"] is None
    [signal] = found["signals"]
    assert signal["code"] == "flagged_share"
    assert (signal["value"], signal["threshold"]) == ("100.0", "30")
    history = api.ok(f"/programs/{brand.program_id}/partners/{honest.id}/risk")["data"]
    assert [(h["score"], h["signals"]) for h in history] == [(0, [])]
    overview = api.ok(f"/programs/{brand.program_id}/fraud")
    flagged = next(r for r in overview["partner_rules"] if r["code"] == "flagged_share")
    assert (flagged["fired"], flagged["unit"]) == (1, "percent")
    assert flagged["fires_when"] == "at_or_above"

    job = api.client.post(
        f"/api/v1/programs/{brand.program_id}/fraud/partners/score", headers=api.headers
    )
    assert job.status_code == 202, job.text
    job_id = job.json()["job_id"]
    state = api.ok(f"/programs/{brand.program_id}/fraud/jobs/{job_id}")
    assert state["job_id"] == job_id and state["status"] in ("queued", "running", "done")

    other = make_brand(store)
    stranger = Api(api.client, other.api_key)
    assert error_of(stranger.get(f"/programs/{brand.program_id}/fraud/partners"), 404)
    assert error_of(stranger.get(f"/programs/{brand.program_id}/partners/{risky.id}/risk"), 404)
    assert error_of(stranger.get(f"/programs/{brand.program_id}/fraud/jobs/{job_id}"), 404)
    assert error_of(Api(api.client, risky.api_key).get(
        f"/programs/{brand.program_id}/fraud/partners"), 403)  # fmt: skip
    assert error_of(api.get(f"/programs/{brand.program_id}/partners/nobody/risk"), 404)
    assert error_of(api.get(f"/programs/{brand.program_id}/fraud/partners?limit=0"), 422)
