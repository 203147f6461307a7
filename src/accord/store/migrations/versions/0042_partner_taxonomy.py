"""Partner types of the taxonomy: brands' own types (partner_types), partner profiles for
the directory (partner_profiles, partner_profile_tags); creators whose website shows their
platform move to that platform's creator type, and what named the old creator type as a
selector (contracts meant for types, attribution's type priority, holdouts) names the whole
creators group, as it meant before.

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-05 02:10:00
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None

#: Website hosts that show a creator's platform (as `accord.partners.taxonomy` has them on
#: this day; a migration keeps its own copy).
HOSTS = {
    "douyin.com": "creator_douyin", "iesdouyin.com": "creator_douyin",
    "xiaohongshu.com": "creator_xiaohongshu", "xhslink.com": "creator_xiaohongshu",
    "bilibili.com": "creator_bilibili", "b23.tv": "creator_bilibili",
    "weibo.com": "creator_weibo", "weibo.cn": "creator_weibo",
    "kuaishou.com": "creator_kuaishou", "mp.weixin.qq.com": "creator_wechat",
    "channels.weixin.qq.com": "creator_wechat", "youtube.com": "creator_youtube",
    "youtu.be": "creator_youtube", "instagram.com": "creator_instagram",
    "tiktok.com": "creator_tiktok", "facebook.com": "creator_facebook",
    "pinterest.com": "creator_pinterest", "twitch.tv": "creator_twitch",
    "linkedin.com": "creator_linkedin",
}  # fmt: skip


def _platform(website: str | None) -> str | None:
    host = (urlsplit(website or "").hostname or "").lower()
    while host:
        if host in HOSTS:
            return HOSTS[host]
        if "." not in host:
            return None
        host = host.split(".", 1)[1]
    return None


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, str):
        value = json.loads(value)
    return list(value or [])


def upgrade() -> None:
    op.create_table(
        "partner_types",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "organization_id", sa.String(40), sa.ForeignKey("organizations.id"), nullable=False
        ),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("group_code", sa.String(40), nullable=False),
        sa.Column("name_en", sa.String(80), nullable=False),
        sa.Column("name_zh", sa.String(80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("organization_id", "code"),
    )
    op.create_index("ix_partner_types_organization_id", "partner_types", ["organization_id"])
    op.create_table(
        "partner_profiles",
        sa.Column("partner_id", sa.String(40), sa.ForeignKey("partners.id"), primary_key=True),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("headline", sa.String(200), nullable=True),
        sa.Column("about", sa.Text(), nullable=True),
        sa.Column("countries", sa.JSON(), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=True),
        sa.Column("verticals", sa.JSON(), nullable=True),
        sa.Column("audience", sa.JSON(), nullable=True),
        sa.Column("audience_total", sa.BigInteger(), nullable=False),
        sa.Column("site_rank", sa.BigInteger(), nullable=True),
        sa.Column("monthly_visits", sa.BigInteger(), nullable=True),
        sa.Column("traffic_source", sa.String(16), nullable=True),
        sa.Column("social", sa.JSON(), nullable=True),
        sa.Column("contact_name", sa.String(200), nullable=True),
        sa.Column("contact_email", sa.String(320), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("verified_conversions", sa.Integer(), nullable=False),
        sa.Column("reversal_rate", sa.String(40), nullable=True),
        sa.Column("tenure_months", sa.Integer(), nullable=False),
        sa.Column("badges_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_partner_profiles_listed", "partner_profiles", ["listed"])
    op.create_index("ix_partner_profiles_audience_total", "partner_profiles", ["audience_total"])
    op.create_index(
        "ix_partner_profiles_verified_conversions", "partner_profiles", ["verified_conversions"]
    )
    op.create_table(
        "partner_profile_tags",
        sa.Column("partner_id", sa.String(40), sa.ForeignKey("partners.id"), primary_key=True),
        sa.Column("facet", sa.String(16), primary_key=True),
        sa.Column("value", sa.String(40), primary_key=True),
    )
    op.create_index("ix_partner_profile_tags_value", "partner_profile_tags", ["value"])

    bind = op.get_bind()
    creators = bind.execute(
        sa.text("SELECT id, website FROM partners WHERE partner_type = 'influencer'")
    ).all()
    for partner_id, website in creators:
        platform = _platform(website)
        if platform:
            bind.execute(
                sa.text("UPDATE partners SET partner_type = :t WHERE id = :id"),
                {"t": platform, "id": partner_id},
            )
    for table, column in (
        ("contracts", "partner_types"),
        ("attribution_policies", "type_priority"),
    ):
        rows = bind.execute(sa.text(f"SELECT id, {column} FROM {table}")).all()
        for row_id, value in rows:
            old = _as_list(value)
            if "influencer" not in old:
                continue
            new: list[str] = []
            for selector in old:
                selector = "creators" if selector == "influencer" else selector
                if selector not in new:
                    new.append(selector)
            update = sa.text(f"UPDATE {table} SET {column} = :v WHERE id = :id")
            bind.execute(
                update.bindparams(sa.bindparam("v", type_=sa.JSON())), {"v": new, "id": row_id}
            )
    bind.execute(
        sa.text(
            "UPDATE holdouts SET scope = 'creators' "
            "WHERE scope_kind = 'partner_type' AND scope = 'influencer'"
        )
    )


def downgrade() -> None:
    op.drop_table("partner_profile_tags")
    op.drop_table("partner_profiles")
    op.drop_table("partner_types")
