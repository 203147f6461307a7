"""Partner types: about sixty kinds of partner in thirteen groups, named in English and
Chinese, and the goals a brand recruits them for.

A type's code is what partners, contracts, attribution policies and reports store. The
nine codes Accord began with (`affiliate`, `coupon`, `cashback`, `content`, `influencer`,
`b2b_referral`, `reseller`, `agency`, `advocate`) are the general member of their group,
so what was stored under them keeps its meaning. A *selector* names a type or a whole group
(`creators`): contracts meant for partner types, attribution's type priority, holdouts and
report filters take selectors. Brands may add types of their own to a group
(`accord.partners.types`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Group:
    code: str
    en: str
    zh: str


@dataclass(frozen=True, slots=True)
class PartnerKind:
    """One partner type: its code, its group's code, and its names."""

    code: str
    group: str
    en: str
    zh: str

    def name(self, language: str) -> str:
        return self.zh if language.startswith("zh") else self.en


GROUPS: tuple[Group, ...] = (
    Group("content_and_reviews", "Content and reviews", "内容与测评"),
    Group("coupons_and_deals", "Coupons and deals", "优惠券与折扣"),
    Group("cashback_and_loyalty", "Cashback and loyalty", "返利与会员"),
    Group("creators", "Creators", "创作者"),
    Group("comparison_and_shopping", "Comparison and shopping", "比价与导购"),
    Group("email_and_newsletters", "E-mail and newsletters", "邮件与简报"),
    Group("mobile_apps", "Mobile apps", "移动应用"),
    Group("search", "Search", "搜索"),
    Group("business_partners", "Referral, resale and integration", "企业推荐、分销与集成"),
    Group("brand_to_brand", "Brand to brand", "品牌联合"),
    Group("advocates", "Employees and customers", "员工与客户推荐"),
    Group("media_and_publishers", "Media and publishers", "媒体与出版"),
    Group("networks", "Networks and sub-affiliates", "联盟网络与子联盟"),
)

_K = PartnerKind
KINDS: tuple[PartnerKind, ...] = (
    # content and reviews
    _K("content", "content_and_reviews", "Content site or blog", "内容网站与博客"),
    _K("affiliate", "content_and_reviews", "Affiliate site", "联盟推广网站"),
    _K("review_site", "content_and_reviews", "Review site", "测评网站"),
    _K("gift_guide", "content_and_reviews", "Gift guide", "礼品指南"),
    _K("tutorial_site", "content_and_reviews", "Tutorials and how-to", "教程与攻略"),
    _K("forum", "content_and_reviews", "Forum or community", "论坛与社区"),
    _K("podcast", "content_and_reviews", "Podcast", "播客"),
    # coupons and deals
    _K("coupon", "coupons_and_deals", "Coupon site", "优惠券网站"),
    _K("deal_site", "coupons_and_deals", "Deal site", "折扣资讯网站"),
    _K("flash_sale", "coupons_and_deals", "Flash-sale site", "限时抢购网站"),
    _K("browser_extension", "coupons_and_deals", "Browser extension", "浏览器插件"),
    _K("group_buying", "coupons_and_deals", "Group buying", "拼团"),
    # cashback and loyalty
    _K("cashback", "cashback_and_loyalty", "Cashback site", "返利网站"),
    _K("loyalty_program", "cashback_and_loyalty", "Loyalty or points program", "积分与会员计划"),
    _K("rewards_app", "cashback_and_loyalty", "Rewards app", "奖励应用"),
    _K("employee_benefits", "cashback_and_loyalty", "Employee benefits", "员工福利平台"),
    _K("card_linked_offers", "cashback_and_loyalty", "Card-linked offers", "银行卡优惠"),
    # creators, by platform
    _K("influencer", "creators", "Creator (other platform)", "创作者\uff08其他平台\uff09"),
    _K("creator_wechat", "creators", "WeChat creator", "微信创作者"),
    _K("creator_douyin", "creators", "Douyin creator", "抖音创作者"),
    _K("creator_xiaohongshu", "creators", "Xiaohongshu creator", "小红书创作者"),
    _K("creator_bilibili", "creators", "Bilibili creator", "哔哩哔哩创作者"),
    _K("creator_weibo", "creators", "Weibo creator", "微博创作者"),
    _K("creator_kuaishou", "creators", "Kuaishou creator", "快手创作者"),
    _K("creator_youtube", "creators", "YouTube creator", "YouTube 创作者"),
    _K("creator_instagram", "creators", "Instagram creator", "Instagram 创作者"),
    _K("creator_tiktok", "creators", "TikTok creator", "TikTok 创作者"),
    _K("creator_facebook", "creators", "Facebook creator", "Facebook 创作者"),
    _K("creator_pinterest", "creators", "Pinterest creator", "Pinterest 创作者"),
    _K("creator_twitch", "creators", "Twitch streamer", "Twitch 主播"),
    _K("creator_linkedin", "creators", "LinkedIn creator", "LinkedIn 创作者"),
    _K("live_commerce", "creators", "Live-stream seller", "直播带货主播"),
    # comparison and shopping
    _K("comparison_site", "comparison_and_shopping", "Price comparison", "比价网站"),
    _K("shopping_guide", "comparison_and_shopping", "Shopping guide", "导购网站"),
    _K("shopping_search", "comparison_and_shopping", "Shopping search engine", "购物搜索引擎"),
    # e-mail and newsletters
    _K("newsletter", "email_and_newsletters", "Newsletter", "电子简报"),
    _K("email_marketing", "email_and_newsletters", "E-mail marketing", "邮件营销"),
    _K("messaging", "email_and_newsletters", "SMS and messaging", "短信与消息推送"),
    _K("private_community", "email_and_newsletters", "Private community", "私域社群"),
    # mobile apps
    _K("mobile_app", "mobile_apps", "Mobile app", "移动应用"),
    _K("mini_program", "mobile_apps", "Mini program", "小程序"),
    _K("in_app_ads", "mobile_apps", "In-app advertising", "应用内广告"),
    # search
    _K("paid_search", "search", "Paid search", "搜索广告"),
    _K("seo_site", "search", "Search-optimised site", "搜索优化网站"),
    # referral, resale and integration
    _K("b2b_referral", "business_partners", "B2B referral", "企业推荐"),
    _K("reseller", "business_partners", "Reseller", "经销商"),
    _K("agency", "business_partners", "Agency", "代理机构"),
    _K("saas_integration", "business_partners", "SaaS integration", "软件集成伙伴"),
    _K("app_marketplace", "business_partners", "App marketplace", "应用市场"),
    _K("consultant", "business_partners", "Consultant", "顾问"),
    _K("system_integrator", "business_partners", "System integrator", "系统集成商"),
    _K("distributor", "business_partners", "Distributor", "分销商"),
    # brand to brand
    _K("brand_partner", "brand_to_brand", "Brand partnership", "品牌合作"),
    _K("co_marketing", "brand_to_brand", "Co-marketing", "联合营销"),
    _K("bundle_partner", "brand_to_brand", "Bundle partner", "捆绑销售伙伴"),
    # employees and customers
    _K("advocate", "advocates", "Customer advocate", "客户推荐官"),
    _K("employee_advocate", "advocates", "Employee advocate", "员工推荐"),
    _K("ambassador", "advocates", "Brand ambassador", "品牌大使"),
    _K("campus_ambassador", "advocates", "Campus ambassador", "校园大使"),
    # media and publishers
    _K("media_publisher", "media_and_publishers", "Media publisher", "媒体出版商"),
    _K("news_site", "media_and_publishers", "News site", "新闻网站"),
    _K("magazine", "media_and_publishers", "Magazine", "杂志"),
    _K("commerce_desk", "media_and_publishers", "Commerce content desk", "电商内容频道"),
    # networks and sub-affiliates
    _K("affiliate_network", "networks", "Affiliate network", "联盟网络"),
    _K("sub_network", "networks", "Sub-affiliate network", "子联盟网络"),
    _K("ad_network", "networks", "Ad network", "广告网络"),
    _K("creator_agency", "networks", "Creator agency (MCN)", "达人经纪机构"),
)
del _K

BY_CODE: dict[str, PartnerKind] = {k.code: k for k in KINDS}
GROUP_BY_CODE: dict[str, Group] = {g.code: g for g in GROUPS}
#: The nine types Accord began with, each the general member of its group.
FIRST_TYPES = (
    "affiliate", "coupon", "cashback", "content", "influencer", "b2b_referral", "reseller",
    "agency", "advocate",
)  # fmt: skip

#: A brand's own type code: lowercase letters, digits and underscores.
CODE = re.compile(r"[a-z][a-z0-9_]{1,31}")


def group_of(code: str, custom: dict[str, str] | None = None) -> str | None:
    """The group of a built-in type, or of a brand's own (`custom`: code -> group)."""
    kind = BY_CODE.get(code)
    if kind is not None:
        return kind.group
    return (custom or {}).get(code)


def is_selector(value: str, custom: dict[str, str] | None = None) -> bool:
    """Whether `value` names a type (built-in or the brand's own) or a group."""
    return value in BY_CODE or value in GROUP_BY_CODE or value in (custom or {})


def covers(selector: str, code: str | None, custom: dict[str, str] | None = None) -> bool:
    """Whether a selector (a type or a group) takes in a partner of type `code`."""
    if code is None:
        return False
    return selector == code or (selector in GROUP_BY_CODE and group_of(code, custom) == selector)


def rank(selectors, code: str | None, custom: dict[str, str] | None = None) -> int | None:
    """The position of the first selector that takes in `code`, or None."""
    for i, selector in enumerate(selectors):
        if covers(selector, code, custom):
            return i
    return None


def types_in(selector: str, custom: dict[str, str] | None = None) -> list[str]:
    """The type codes a selector takes in (a type: itself)."""
    if selector in GROUP_BY_CODE:
        return [k.code for k in KINDS if k.group == selector] + sorted(
            c for c, g in (custom or {}).items() if g == selector
        )
    return [selector]


def name(code: str, language: str, custom_names: dict[str, tuple[str, str]] | None = None):
    """A type's or a group's name in a language (`custom_names`: code -> (en, zh))."""
    zh = language.startswith("zh")
    kind = BY_CODE.get(code)
    if kind is not None:
        return kind.zh if zh else kind.en
    group = GROUP_BY_CODE.get(code)
    if group is not None:
        return group.zh if zh else group.en
    if custom_names and code in custom_names:
        en, cn = custom_names[code]
        return (cn or en) if zh else en
    return code


#: Website hosts that show which platform a creator publishes on.
PLATFORM_HOSTS = {
    "douyin.com": "creator_douyin",
    "iesdouyin.com": "creator_douyin",
    "xiaohongshu.com": "creator_xiaohongshu",
    "xhslink.com": "creator_xiaohongshu",
    "bilibili.com": "creator_bilibili",
    "b23.tv": "creator_bilibili",
    "weibo.com": "creator_weibo",
    "weibo.cn": "creator_weibo",
    "kuaishou.com": "creator_kuaishou",
    "mp.weixin.qq.com": "creator_wechat",
    "channels.weixin.qq.com": "creator_wechat",
    "youtube.com": "creator_youtube",
    "youtu.be": "creator_youtube",
    "instagram.com": "creator_instagram",
    "tiktok.com": "creator_tiktok",
    "facebook.com": "creator_facebook",
    "pinterest.com": "creator_pinterest",
    "twitch.tv": "creator_twitch",
    "linkedin.com": "creator_linkedin",
}


def creator_type_for(host: str | None) -> str | None:
    """The creator type a website's host shows (www.youtube.com/@x: creator_youtube)."""
    host = (host or "").lower().rstrip(".")
    while host:
        if host in PLATFORM_HOSTS:
            return PLATFORM_HOSTS[host]
        if "." not in host:
            return None
        host = host.split(".", 1)[1]
    return None


@dataclass(frozen=True, slots=True)
class Goal:
    """What a brand recruits for, and the groups that serve it, best first."""

    code: str
    en: str
    zh: str
    groups: tuple[str, ...]

    def name(self, language: str) -> str:
        return self.zh if language.startswith("zh") else self.en


GOALS: tuple[Goal, ...] = (
    Goal(
        "clear_stock",
        "Clear stock",
        "清库存",
        (
            "coupons_and_deals",
            "cashback_and_loyalty",
            "comparison_and_shopping",
            "email_and_newsletters",
            "networks",
        ),
    ),
    Goal(
        "brand_story",
        "Tell the brand's story",
        "讲述品牌故事",
        ("content_and_reviews", "creators", "media_and_publishers", "brand_to_brand"),
    ),
    Goal(
        "new_customers",
        "Win new customers",
        "获取新客户",
        ("creators", "advocates", "search", "comparison_and_shopping", "mobile_apps"),
    ),
    Goal(
        "reach_businesses",
        "Reach businesses",
        "拓展企业客户",
        ("business_partners", "brand_to_brand", "media_and_publishers"),
    ),
)
GOAL_BY_CODE = {g.code: g for g in GOALS}
