"""Migration 0042 on a store with data: a creator whose website shows its platform becomes
that platform's creator type, the others keep their type, and a contract meant for the old
creator type is meant for the whole creators group."""

from __future__ import annotations

import json
from types import SimpleNamespace

from sqlalchemy import text

from accord.clock import FixedClock
from accord.contracts.service import contract_for_type
from accord.store.engine import Store
from accord.store.migrate import upgrade
from tests.conftest import START
from tests.integration.test_roles_migration import old_store  # noqa: F401 - fixture

PARTNERS = {
    "prt_dy": ("influencer", "https://v.douyin.com/abc"),
    "prt_yt": ("influencer", "https://www.youtube.com/@trailmei"),
    "prt_plain": ("influencer", None),
    "prt_blog": ("influencer", "https://myblog.example"),
    "prt_coupon": ("coupon", "https://www.youtube.com/@coupons"),  # not a creator: kept
}


def test_creators_move_to_their_platform_and_old_selectors_name_the_group(old_store):  # noqa: F811
    upgrade(old_store, "0041")
    at = START.isoformat(" ")
    with old_store.begin() as conn:  # the rows as 0041 had them (today's models have more)
        conn.execute(text("INSERT INTO organizations (id, kind, name, created_at) "
                          "VALUES ('org_m', 'brand', 'Brand', :at)"), {"at": at})  # fmt: skip
        conn.execute(
            text("INSERT INTO programs (id, organization_id, name, currency, "
                 "attribution_window_days, locking_days, default_landing_url, click_id_param, "
                 "payout_threshold_minor, created_at) VALUES ('prg_m', 'org_m', 'P', 'USD', 30, "
                 "30, 'https://brand.example/', 'accord_click', 0, :at)"),
            {"at": at},
        )  # fmt: skip
        conn.execute(text("INSERT INTO contracts (id, program_id, name, is_default, created_at) "
                          "VALUES ('ctr_m', 'prg_m', 'Default', :no, :at)"),
                     {"no": False, "at": at})  # fmt: skip
    brand = SimpleNamespace(program_id="prg_m", contract_id="ctr_m",
                            caller=SimpleNamespace(organization_id="org_m"))  # fmt: skip
    with old_store.begin() as conn:
        for pid, (kind, site) in PARTNERS.items():
            conn.execute(
                text("INSERT INTO partners (id, organization_id, name, partner_type, website, "
                     "created_at) VALUES (:id, :org, :id, :kind, :site, :at)"),
                {"id": pid, "org": brand.caller.organization_id, "kind": kind, "site": site,
                 "at": START.isoformat(" ")},
            )  # fmt: skip
        conn.execute(
            text("UPDATE contracts SET partner_types = :types WHERE id = :id"),
            {"types": json.dumps(["coupon", "influencer"]), "id": brand.contract_id},
        )
    upgrade(old_store)
    with old_store.connect() as conn:
        types = dict(conn.execute(text("SELECT id, partner_type FROM partners")).all())
        selectors = conn.execute(
            text("SELECT partner_types FROM contracts WHERE id = :id"), {"id": brand.contract_id}
        ).scalar()
    assert types == {
        "prt_dy": "creator_douyin",
        "prt_yt": "creator_youtube",
        "prt_plain": "influencer",
        "prt_blog": "influencer",
        "prt_coupon": "coupon",
    }
    if isinstance(selectors, str):
        selectors = json.loads(selectors)
    assert selectors == ["coupon", "creators"]
    store = Store(old_store, FixedClock(START))
    with store.read() as session:  # every creator is still offered the contract
        for kind in ("creator_douyin", "influencer", "live_commerce", "coupon"):
            assert contract_for_type(session, brand.program_id, kind) == brand.contract_id
        assert contract_for_type(session, brand.program_id, "deal_site") is None
