"""Migration 0042 on a store with data: a creator whose website shows its platform becomes
that platform's creator type, the others keep their type, and a contract meant for the old
creator type is meant for the whole creators group."""

from __future__ import annotations

import json

from sqlalchemy import text

from accord.clock import FixedClock
from accord.contracts.service import contract_for_type
from accord.store.engine import Store
from accord.store.migrate import upgrade
from tests.conftest import START
from tests.factories import make_brand
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
    brand = make_brand(Store(old_store, FixedClock(START)))
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
