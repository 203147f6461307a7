"""The partner directory: profiles partners publish to every brand of the installation
(only when they opt in), searched by words and facets, with badges earned in Accord.

A profile's facets (countries promoted to, languages, verticals, platforms, badges) are kept
as rows of `partner_profile_tags` too, so filters and facet counts are plain SQL on either
database. Words are matched in `search_text`, the profile's lowercased words with its name
and its type's names in both languages; a term matches as a substring (Chinese has no
spaces between words), and relevance counts where the terms were found.

Badges are thresholds, never figures: conversions verified across the partner's programs
(10, 100, 1,000 and more), a low share reversed, and its years in Accord. The
`directory_badges` task refreshes them daily.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from babel import Locale
from sqlalchemy import and_, case, delete, exists, func, literal, select
from sqlalchemy.orm import Session

from accord.commissions.service import track_records
from accord.errors import Forbidden, InvalidInput, NotFound, Text, not_one_of
from accord.partners import taxonomy
from accord.partners.model import EnrollmentStatus
from accord.partners.tables import Enrollment, Partner, PartnerProfile, ProfileTag
from accord.programs.service import load_program, programs_of
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand

#: Verticals a partner works in: code, English, Chinese.
VERTICALS: tuple[tuple[str, str, str], ...] = (
    ("fashion", "Fashion and apparel", "服装与时尚"),
    ("beauty", "Beauty and personal care", "美妆个护"),
    ("outdoor", "Outdoor and camping", "户外与露营"),
    ("sports", "Sports and fitness", "运动健身"),
    ("electronics", "Electronics", "数码电子"),
    ("home", "Home and garden", "家居园艺"),
    ("food", "Food and drink", "食品饮料"),
    ("travel", "Travel", "旅行"),
    ("finance", "Finance and insurance", "金融保险"),
    ("software", "Software and SaaS", "软件与云服务"),
    ("education", "Education", "教育"),
    ("health", "Health and wellness", "健康养生"),
    ("parenting", "Parenting and baby", "母婴亲子"),
    ("pets", "Pets", "宠物"),
    ("gaming", "Games", "游戏"),
    ("automotive", "Cars and mobility", "汽车出行"),
    ("luxury", "Luxury", "奢侈品"),
    ("books", "Books and media", "图书影音"),
    ("business", "Business services", "企业服务"),
)
VERTICAL_CODES = {code for code, _, _ in VERTICALS}

#: Platforms a partner may count an audience on or give a handle for: code, name, Chinese.
PLATFORMS: tuple[tuple[str, str, str], ...] = (
    ("website", "Website", "网站"),
    ("newsletter", "Newsletter", "电子简报"),
    ("wechat", "WeChat", "微信"),
    ("douyin", "Douyin", "抖音"),
    ("xiaohongshu", "Xiaohongshu", "小红书"),
    ("bilibili", "Bilibili", "哔哩哔哩"),
    ("weibo", "Weibo", "微博"),
    ("kuaishou", "Kuaishou", "快手"),
    ("youtube", "YouTube", "YouTube"),
    ("instagram", "Instagram", "Instagram"),
    ("tiktok", "TikTok", "TikTok"),
    ("facebook", "Facebook", "Facebook"),
    ("pinterest", "Pinterest", "Pinterest"),
    ("twitch", "Twitch", "Twitch"),
    ("linkedin", "LinkedIn", "LinkedIn"),
    ("x", "X", "X"),
    ("podcast", "Podcast", "播客"),
)
PLATFORM_CODES = {code for code, _, _ in PLATFORMS}

#: Audience ranges for the facet: code, lowest, highest (exclusive; None: no top).
AUDIENCES: tuple[tuple[str, int, int | None], ...] = (
    ("under_10k", 0, 10_000),
    ("10k_100k", 10_000, 100_000),
    ("100k_1m", 100_000, 1_000_000),
    ("over_1m", 1_000_000, None),
)
AUDIENCE_CODES = {code for code, _, _ in AUDIENCES}

#: Badges: conversions verified across programs (at least), the reversal rate at most
#: (with at least LOW_REVERSALS_FROM verified conversions), years since the first approval.
CONVERSION_BADGES = (10, 100, 1000, 10000)
LOW_REVERSALS = Decimal("0.05")
LOW_REVERSALS_FROM = 20
TENURE_BADGES = (1, 2, 5)

SORTS = ("relevance", "audience", "performance", "newest")
PAGE_SIZE = 20
MAX_LIST = 30  # countries, languages, verticals, handles per profile

_COUNTRIES = {code for code in Locale("en").territories if len(code) == 2 and code.isalpha()}
_LANGUAGES = {code for code in Locale("en").languages if len(code) == 2 and code.isalpha()}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def badges_of(verified: int, reversal_rate: Decimal | None, tenure_months: int) -> list[str]:
    """The badges a track record earns: `conversions_100`, `low_reversals`, `tenure_2y`."""
    found = [f"conversions_{n}" for n in CONVERSION_BADGES if verified >= n][-1:]
    if (
        reversal_rate is not None
        and verified >= LOW_REVERSALS_FROM
        and reversal_rate <= LOW_REVERSALS
    ):
        found.append("low_reversals")
    years = [y for y in TENURE_BADGES if tenure_months >= 12 * y]
    if years:
        found.append(f"tenure_{years[-1]}y")
    return found


def audience_range(total: int) -> str:
    for code, low, high in AUDIENCES:
        if total >= low and (high is None or total < high):
            return code
    return AUDIENCES[-1][0]


# --- A partner's own profile ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProfileIn:
    """What a partner enters about itself (every field optional but `listed`)."""

    listed: bool = False
    headline: str = ""
    about: str = ""
    countries: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    verticals: list[str] = field(default_factory=list)
    audience: dict[str, int] = field(default_factory=dict)
    site_rank: int | None = None
    monthly_visits: int | None = None
    social: dict[str, str] = field(default_factory=dict)
    contact_name: str = ""
    contact_email: str = ""


def _codes(values, allowed: set[str], field_name: str, wrong: str, upper: bool) -> list[str]:
    """The codes among `allowed`, each once; `wrong`: the message id of the error for one
    that is not, with its `%(value)s`."""
    out: list[str] = []
    for value in values:
        code = str(value).strip()
        code = code.upper() if upper else code.lower()
        if not code:
            continue
        if code not in allowed:
            raise InvalidInput(field_name, Text(wrong, value=repr(value)))
        if code not in out:
            out.append(code)
    if len(out) > MAX_LIST:
        raise InvalidInput(field_name, Text("name at most %(most)s", most=MAX_LIST))
    return out


def _count(value, field_name: str, lowest: int = 0) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(str(value).replace(",", "").replace("_", "").strip())
    except ValueError:
        raise InvalidInput(
            field_name, Text("%(value)s is not a whole number", value=repr(value))
        ) from None
    if not lowest <= number <= 10**11:
        raise InvalidInput(field_name, Text("give a whole number from %(lowest)s to "
                                            "100,000,000,000", lowest=lowest))  # fmt: skip
    return number


def check_profile(data: ProfileIn) -> ProfileIn:
    """The profile as stored, or InvalidInput naming the first field that is wrong."""
    headline = data.headline.strip()
    if len(headline) > 200:
        raise InvalidInput("headline", "keep the headline under 200 characters")
    about = data.about.strip()
    if len(about) > 4000:
        raise InvalidInput("about", "keep the description under 4,000 characters")
    countries = _codes(data.countries, _COUNTRIES, "countries",
                       "%(value)s is not a country code (ISO 3166)", True)  # fmt: skip
    languages = _codes(data.languages, _LANGUAGES, "languages",
                       "%(value)s is not a language code (ISO 639)", False)  # fmt: skip
    verticals = _codes(data.verticals, VERTICAL_CODES, "verticals",
                       "%(value)s is not a vertical", False)  # fmt: skip
    audience: dict[str, int] = {}
    for platform, size in data.audience.items():
        if platform not in PLATFORM_CODES:
            raise InvalidInput(
                "audience", Text("%(value)s is not a platform", value=repr(platform))
            )
        number = _count(size, f"audience.{platform}")
        if number:
            audience[platform] = number
    social: dict[str, str] = {}
    for platform, handle in data.social.items():
        if platform not in PLATFORM_CODES:
            raise InvalidInput("social", Text("%(value)s is not a platform", value=repr(platform)))
        handle = str(handle or "").strip()
        if len(handle) > 200:
            raise InvalidInput(f"social.{platform}", "keep a handle under 200 characters")
        if handle:
            social[platform] = handle
    contact_email = data.contact_email.strip()
    if contact_email and (len(contact_email) > 320 or not _EMAIL.fullmatch(contact_email)):
        raise InvalidInput(
            "contact_email", Text("%(email)s is not an e-mail address", email=repr(contact_email))
        )
    contact_name = data.contact_name.strip()
    if len(contact_name) > 200:
        raise InvalidInput("contact_name", "keep the name under 200 characters")
    return ProfileIn(
        listed=bool(data.listed),
        headline=headline,
        about=about,
        countries=countries,
        languages=languages,
        verticals=verticals,
        audience=audience,
        site_rank=_count(data.site_rank, "site_rank", 1),
        monthly_visits=_count(data.monthly_visits, "monthly_visits"),
        social=social,
        contact_name=contact_name,
        contact_email=contact_email,
    )


def _search_text(partner: Partner, profile: PartnerProfile) -> str:
    words = [partner.name, profile.headline or "", profile.about or "", partner.country or ""]
    kind = taxonomy.BY_CODE.get(partner.partner_type)
    if kind is not None:
        group = taxonomy.GROUP_BY_CODE[kind.group]
        words += [kind.en, kind.zh, group.en, group.zh]
    else:
        words.append(partner.partner_type)
    for code, en, zh in VERTICALS:
        if code in (profile.verticals or []):
            words += [en, zh]
    for code, en, zh in PLATFORMS:
        if code in (profile.audience or {}) or code in (profile.social or {}):
            words += [en, zh]
    words += list((profile.social or {}).values())
    words += list(profile.countries or [])
    return " ".join(" ".join(w.split()) for w in words if w).lower()


def _tags(partner: Partner, profile: PartnerProfile) -> set[tuple[str, str]]:
    tags = {("country", c) for c in profile.countries or []}
    tags |= {("language", c) for c in profile.languages or []}
    tags |= {("vertical", c) for c in profile.verticals or []}
    tags |= {("platform", p) for p in {*(profile.audience or {}), *(profile.social or {})}}
    tags |= {
        ("badge", b)
        for b in badges_of(
            profile.verified_conversions, profile.reversal_rate, profile.tenure_months
        )
    }
    return tags


def _store_tags(session: Session, partner: Partner, profile: PartnerProfile) -> None:
    session.execute(delete(ProfileTag).where(ProfileTag.partner_id == partner.id))
    if profile.listed:
        session.add_all(
            ProfileTag(partner_id=partner.id, facet=f, value=v)
            for f, v in sorted(_tags(partner, profile))
        )


def own_profile(store: Store, caller: Caller) -> tuple[Partner, PartnerProfile | None]:
    """The calling partner and its profile (None before it wrote one)."""
    if caller.partner_id is None:
        raise Forbidden("a profile is a partner's own: sign in as the partner")
    with store.read() as session:
        partner = session.get(Partner, caller.partner_id)
        if partner is None:
            raise NotFound("partner", caller.partner_id)
        session.expunge(partner)
        profile = session.get(PartnerProfile, caller.partner_id)
        if profile is not None:
            session.expunge(profile)
        return partner, profile


def save_profile(
    store: Store, caller: Caller, data: ProfileIn, partner_type: str | None = None
) -> PartnerProfile:
    """A partner writes its profile (and may change its type to another of the taxonomy's);
    listed profiles are in the directory at once."""
    if caller.partner_id is None:
        raise Forbidden("a profile is a partner's own: sign in as the partner")
    checked = check_profile(data)
    if partner_type is not None:
        partner_type = partner_type.strip()
        if partner_type not in taxonomy.BY_CODE:
            raise InvalidInput("partner_type", Text(
                "%(value)s is not a partner type (GET /v1/partner-types)",
                value=repr(partner_type)))  # fmt: skip
    now = store.clock.now()
    with store.unit() as session:
        partner = session.get(Partner, caller.partner_id)
        if partner is None:
            raise NotFound("partner", caller.partner_id)
        if partner_type is not None:
            partner.partner_type = partner_type
        profile = session.get(PartnerProfile, partner.id)
        if profile is None:
            profile = PartnerProfile(
                partner_id=partner.id,
                audience_total=0,
                verified_conversions=0,
                tenure_months=0,
                search_text="",
                updated_at=now,
            )
            session.add(profile)
        profile.listed = checked.listed
        profile.headline = checked.headline or None
        profile.about = checked.about or None
        profile.countries = checked.countries or None
        profile.languages = checked.languages or None
        profile.verticals = checked.verticals or None
        profile.audience = checked.audience or None
        profile.audience_total = sum(checked.audience.values())
        if (checked.site_rank, checked.monthly_visits) != (
            profile.site_rank,
            profile.monthly_visits,
        ):
            profile.traffic_source = "entered"
        profile.site_rank = checked.site_rank
        profile.monthly_visits = checked.monthly_visits
        profile.social = checked.social or None
        profile.contact_name = checked.contact_name or None
        profile.contact_email = checked.contact_email or None
        profile.updated_at = now
        if profile.badges_at is None:
            _refresh_one(session, partner, profile, now)
        profile.search_text = _search_text(partner, profile)
        session.flush()
        _store_tags(session, partner, profile)
        return profile


# --- Badges -----------------------------------------------------------------------------


def _tenure_months(first: datetime | None, now: datetime) -> int:
    if first is None:
        return 0
    if first.tzinfo is None:
        first = first.replace(tzinfo=now.tzinfo)
    months = (now.year - first.year) * 12 + now.month - first.month
    if now.day < first.day:
        months -= 1
    return max(0, months)


def _first_approvals(session: Session, partner_ids: list[str]) -> dict[str, datetime]:
    rows = session.execute(
        select(Enrollment.partner_id, func.min(Enrollment.decided_at))
        .where(
            Enrollment.partner_id.in_(partner_ids),
            Enrollment.status.in_(
                [EnrollmentStatus.APPROVED.value, EnrollmentStatus.SUSPENDED.value]
            ),
        )
        .group_by(Enrollment.partner_id)
    ).all()
    return {pid: at for pid, at in rows if at is not None}


def _apply_record(profile, verified: int, reversed_: int, first, now) -> None:
    profile.verified_conversions = verified
    base = verified + reversed_
    profile.reversal_rate = (
        (Decimal(reversed_) / Decimal(base)).quantize(Decimal("0.0001")) if base else None
    )
    profile.tenure_months = _tenure_months(first, now)
    profile.badges_at = now


def _refresh_one(session: Session, partner: Partner, profile: PartnerProfile, now) -> None:
    verified, reversed_ = track_records(session, [partner.id]).get(partner.id, (0, 0))
    first = _first_approvals(session, [partner.id]).get(partner.id)
    _apply_record(profile, verified, reversed_, first, now)


@dataclass(frozen=True, slots=True)
class BadgeRun:
    profiles: int
    changed: int


def refresh_badges(store: Store, progress=None) -> BadgeRun:
    """Every listed profile's track record and badges from what Accord verified."""
    now = store.clock.now()
    changed = 0
    with store.unit() as session:
        rows = session.execute(
            select(PartnerProfile, Partner)
            .join(Partner, Partner.id == PartnerProfile.partner_id)
            .where(PartnerProfile.listed.is_(True))
            .order_by(PartnerProfile.partner_id)
        ).all()
        ids = [p.id for _, p in rows]
        records = track_records(session, ids)
        firsts: dict[str, datetime] = {}
        for start in range(0, len(ids), 500):
            firsts.update(_first_approvals(session, ids[start : start + 500]))
        for done, (profile, partner) in enumerate(rows, 1):
            before = (profile.verified_conversions, profile.reversal_rate, profile.tenure_months)
            verified, reversed_ = records.get(partner.id, (0, 0))
            _apply_record(profile, verified, reversed_, firsts.get(partner.id), now)
            after = (profile.verified_conversions, profile.reversal_rate, profile.tenure_months)
            if before != after:
                changed += 1
                _store_tags(session, partner, profile)
            if progress is not None and done % 200 == 0:
                progress(done, len(rows))
    return BadgeRun(len(rows), changed)


# --- Search -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DirectoryQuery:
    text: str = ""
    #: A type or a group of types (`accord.partners.taxonomy`).
    partner_type: str = ""
    country: str = ""
    language: str = ""
    vertical: str = ""
    platform: str = ""
    audience: str = ""  # one of AUDIENCES
    badge: str = ""
    sort: str = ""  # relevance (with words), else performance
    page: int = 1

    def checked(self) -> DirectoryQuery:
        text = " ".join(self.text.split())
        if len(text) > 200:
            raise InvalidInput("q", "search with at most 200 characters")
        if self.partner_type and not taxonomy.is_selector(self.partner_type):
            raise InvalidInput("type", Text("%(value)s is not a partner type or group",
                                            value=repr(self.partner_type)))  # fmt: skip
        if self.audience and self.audience not in AUDIENCE_CODES:
            raise not_one_of("audience", self.audience, AUDIENCE_CODES)
        if self.sort and self.sort not in SORTS:
            raise not_one_of("sort", self.sort, SORTS)
        for name, value, limit in (
            ("country", self.country, 2),
            ("language", self.language, 2),
            ("vertical", self.vertical, 40),
            ("platform", self.platform, 40),
            ("badge", self.badge, 40),
        ):
            if len(value) > limit:
                raise InvalidInput(
                    name, Text("%(value)s is not a value of this filter", value=repr(value))
                )
        if self.page < 1 or self.page > 10_000:
            raise InvalidInput("page", "give a page from 1")
        return DirectoryQuery(
            text,
            self.partner_type,
            self.country.upper(),
            self.language.lower(),
            self.vertical,
            self.platform,
            self.audience,
            self.badge,
            self.sort or ("relevance" if text else "performance"),
            self.page,
        )


@dataclass(frozen=True, slots=True)
class Listed:
    """A partner as the directory shows it."""

    partner_id: str
    name: str
    partner_type: str
    country: str | None
    website: str | None
    headline: str | None
    countries: list[str]
    languages: list[str]
    verticals: list[str]
    audience: dict[str, int]
    audience_total: int
    site_rank: int | None
    monthly_visits: int | None
    traffic_source: str | None
    social: dict[str, str]
    contact_name: str | None
    contact_email: str | None
    about: str | None
    badges: list[str]
    joined_at: datetime
    #: The partner's standing in the asking brand's program, when one was named.
    status: str | None = None


@dataclass(frozen=True, slots=True)
class Facet:
    value: str
    count: int


@dataclass
class DirectoryPage:
    query: DirectoryQuery
    rows: list[Listed]
    total: int
    facets: dict[str, list[Facet]]

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / PAGE_SIZE))


def _listed(profile: PartnerProfile, partner: Partner, status: str | None = None) -> Listed:
    return Listed(
        partner.id,
        partner.name,
        partner.partner_type,
        partner.country,
        partner.website,
        profile.headline,
        list(profile.countries or []),
        list(profile.languages or []),
        list(profile.verticals or []),
        dict(profile.audience or {}),
        profile.audience_total,
        profile.site_rank,
        profile.monthly_visits,
        profile.traffic_source,
        dict(profile.social or {}),
        profile.contact_name,
        profile.contact_email,
        profile.about,
        badges_of(profile.verified_conversions, profile.reversal_rate, profile.tenure_months),
        partner.created_at,
        status,
    )


def _conditions(query: DirectoryQuery) -> list:
    where = [PartnerProfile.listed.is_(True)]
    for term in query.text.lower().split():
        where.append(PartnerProfile.search_text.contains(term, autoescape=True))
    if query.partner_type:
        where.append(Partner.partner_type.in_(taxonomy.types_in(query.partner_type)))
    for facet, value in (
        ("country", query.country),
        ("language", query.language),
        ("vertical", query.vertical),
        ("platform", query.platform),
        ("badge", query.badge),
    ):
        if value:
            where.append(
                exists().where(
                    ProfileTag.partner_id == PartnerProfile.partner_id,
                    ProfileTag.facet == facet,
                    ProfileTag.value == value,
                )
            )
    if query.audience:
        _, low, high = next(a for a in AUDIENCES if a[0] == query.audience)
        where.append(PartnerProfile.audience_total >= low)
        if high is not None:
            where.append(PartnerProfile.audience_total < high)
    return where


def _relevance(query: DirectoryQuery):
    score = literal(0)
    for term in query.text.lower().split():
        headline = func.lower(func.coalesce(PartnerProfile.headline, ""))
        score = (
            score
            + case((func.lower(Partner.name).contains(term, autoescape=True), 3), else_=0)
            + case((headline.contains(term, autoescape=True), 2), else_=0)
        )
    return score


def _order(query: DirectoryQuery) -> list:
    performance = [
        PartnerProfile.verified_conversions.desc(),
        PartnerProfile.audience_total.desc(),
    ]
    if query.sort == "relevance":
        return [_relevance(query).desc(), *performance, Partner.name, Partner.id]
    if query.sort == "audience":
        return [PartnerProfile.audience_total.desc(), Partner.name, Partner.id]
    if query.sort == "newest":
        return [Partner.created_at.desc(), Partner.id]
    return [*performance, Partner.name, Partner.id]


def _statuses(session: Session, program_id: str | None, partner_ids: list[str]) -> dict:
    if program_id is None or not partner_ids:
        return {}
    return dict(
        session.execute(
            select(Enrollment.partner_id, Enrollment.status).where(
                Enrollment.program_id == program_id, Enrollment.partner_id.in_(partner_ids)
            )
        ).all()
    )


def search(
    store: Store,
    caller: Caller,
    query: DirectoryQuery,
    program_id: str | None = None,
    *,
    outside: bool = False,
) -> DirectoryPage:
    """Listed partners matching every word and filter, a page of them in the query's order,
    with the count of each facet value among all the matches. With `program_id` (the
    brand's), each row says whether the partner is already in the program, and `outside`
    leaves out those who are."""
    require_brand(caller)
    query = query.checked()
    where = _conditions(query)
    if outside and program_id is not None:
        where.append(
            PartnerProfile.partner_id.not_in(
                select(Enrollment.partner_id).where(Enrollment.program_id == program_id)
            )
        )
    with store.read() as session:
        if program_id is not None:
            load_program(session, caller, program_id)
        base = (
            select(PartnerProfile.partner_id)
            .join(Partner, Partner.id == PartnerProfile.partner_id)
            .where(*where)
        )
        total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
        rows = session.execute(
            select(PartnerProfile, Partner)
            .join(Partner, Partner.id == PartnerProfile.partner_id)
            .where(*where)
            .order_by(*_order(query))
            .limit(PAGE_SIZE)
            .offset((query.page - 1) * PAGE_SIZE)
        ).all()
        matching = base.subquery()
        facets: dict[str, list[Facet]] = {}
        for facet, value, count in session.execute(
            select(ProfileTag.facet, ProfileTag.value, func.count())
            .where(ProfileTag.partner_id.in_(select(matching.c.partner_id)))
            .group_by(ProfileTag.facet, ProfileTag.value)
            .order_by(func.count().desc(), ProfileTag.value)
        ).all():
            facets.setdefault(facet, []).append(Facet(value, int(count)))
        types = session.execute(
            select(Partner.partner_type, func.count())
            .where(Partner.id.in_(select(matching.c.partner_id)))
            .group_by(Partner.partner_type)
            .order_by(func.count().desc(), Partner.partner_type)
        ).all()
        facets["type"] = [Facet(t, int(n)) for t, n in types]
        by_group: dict[str, int] = {}
        for t, n in types:
            group = taxonomy.group_of(t) or ""
            by_group[group] = by_group.get(group, 0) + int(n)
        facets["group"] = [
            Facet(g.code, by_group[g.code]) for g in taxonomy.GROUPS if by_group.get(g.code)
        ]
        bucket = case(
            *[
                (
                    and_(
                        PartnerProfile.audience_total >= low,
                        *([PartnerProfile.audience_total < high] if high is not None else []),
                    ),
                    literal(code),
                )
                for code, low, high in AUDIENCES
            ]
        ).label("bucket")
        ranges = dict(
            session.execute(
                select(bucket, func.count())
                .where(PartnerProfile.partner_id.in_(select(matching.c.partner_id)))
                .group_by(bucket)
            ).all()
        )
        facets["audience"] = [
            Facet(code, int(ranges[code])) for code, _, _ in AUDIENCES if ranges.get(code)
        ]
        statuses = _statuses(session, program_id, [p.id for _, p in rows])
        listed = [_listed(profile, p, statuses.get(p.id)) for profile, p in rows]
    return DirectoryPage(query, listed, int(total), facets)


def listed_profile(
    store: Store, caller: Caller, partner_id: str, program_id: str | None = None
) -> Listed:
    """One partner's profile as brands see it: a listed partner's for every brand, and an
    unlisted one's only for the brands whose programs it is in; else not found."""
    require_brand(caller)
    with store.read() as session:
        if program_id is not None:
            load_program(session, caller, program_id)
        row = session.execute(
            select(Partner, PartnerProfile)
            .outerjoin(PartnerProfile, PartnerProfile.partner_id == Partner.id)
            .where(Partner.id == partner_id)
        ).first()
        if row is None:
            raise NotFound("partner", partner_id)
        partner, profile = row
        if profile is None or not profile.listed:
            ours = session.scalar(
                select(Enrollment.id)
                .where(
                    Enrollment.partner_id == partner.id,
                    Enrollment.program_id.in_(programs_of(caller.organization_id)),
                )
                .limit(1)
            )
            if ours is None:
                raise NotFound("partner", partner_id)
        if profile is None:
            profile = PartnerProfile(partner_id=partner.id, listed=False, audience_total=0,
                                     verified_conversions=0, tenure_months=0)  # fmt: skip
        status = _statuses(session, program_id, [partner.id]).get(partner.id)
        return _listed(profile, partner, status)


# --- Partners like my best ones ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Features:
    """What the suggestions compare: a partner's type, group, countries, languages,
    verticals, platforms and size of audience."""

    partner_id: str
    name: str
    partner_type: str
    countries: frozenset[str]
    languages: frozenset[str]
    verticals: frozenset[str]
    platforms: frozenset[str]
    audience_total: int
    verified_conversions: int = 0

    def as_dict(self) -> dict[str, float]:
        out: dict[str, float] = {f"type={self.partner_type}": 1.0}
        group = taxonomy.group_of(self.partner_type)
        if group:
            out[f"group={group}"] = 1.0
        for prefix, values in (
            ("country", self.countries),
            ("language", self.languages),
            ("vertical", self.verticals),
            ("platform", self.platforms),
        ):
            for v in values:
                out[f"{prefix}={v}"] = 1.0
        # the order of magnitude of the audience, 0 to 1 (10 to 10 billion)
        out["audience"] = min(1.0, math.log10(self.audience_total + 1) / 10)
        return out


@dataclass(frozen=True, slots=True)
class Suggestion:
    partner: Listed
    score: float  # 0 to 1: the cosine similarity to the closest top partner
    like: str  # the top partner it is most like (its name)
    reasons: list[tuple[str, str]]  # (kind, value): type, group, country, vertical, ...


def _features(partner: Partner, profile: PartnerProfile | None) -> Features:
    if profile is None:
        countries = frozenset([partner.country] if partner.country else [])
        return Features(partner.id, partner.name, partner.partner_type, countries,
                        frozenset(), frozenset(), frozenset(), 0)  # fmt: skip
    return Features(
        partner.id,
        partner.name,
        partner.partner_type,
        frozenset(profile.countries or ([partner.country] if partner.country else [])),
        frozenset(profile.languages or []),
        frozenset(profile.verticals or []),
        frozenset({*(profile.audience or {}), *(profile.social or {})}),
        profile.audience_total,
        profile.verified_conversions,
    )


def _reasons(top: Features, candidate: Features) -> list[tuple[str, str]]:
    reasons: list[tuple[str, str]] = []
    if top.partner_type == candidate.partner_type:
        reasons.append(("type", candidate.partner_type))
    elif taxonomy.group_of(top.partner_type) == taxonomy.group_of(candidate.partner_type):
        reasons.append(("group", taxonomy.group_of(candidate.partner_type) or ""))
    reasons += [("country", c) for c in sorted(top.countries & candidate.countries)]
    reasons += [("vertical", v) for v in sorted(top.verticals & candidate.verticals)]
    reasons += [("platform", p) for p in sorted(top.platforms & candidate.platforms)]
    reasons += [("language", lang) for lang in sorted(top.languages & candidate.languages)]
    if top.audience_total and candidate.audience_total:
        ratio = candidate.audience_total / top.audience_total
        if 0.5 <= ratio <= 2:
            reasons.append(("audience", audience_range(candidate.audience_total)))
    return reasons


def rank_like(
    tops: list[tuple[Features, float]], candidates: list[Features], limit: int
) -> list[tuple[Features, float, Features]]:
    """Candidates by their likeness to the top partners: the cosine similarity of their
    features to the closest top partner, weighted by that partner's share of the top's
    revenue (so the best partner counts most); ties by verified conversions. Returns
    (candidate, similarity, the top partner it is most like)."""
    if not tops or not candidates:
        return []
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    vectorizer = DictVectorizer(sparse=True)
    matrix = vectorizer.fit_transform([f.as_dict() for f, _ in tops] +
                                      [c.as_dict() for c in candidates])  # fmt: skip
    similarity = cosine_similarity(matrix[len(tops) :], matrix[: len(tops)])
    heaviest = max(w for _, w in tops) or 1.0
    weights = [0.5 + 0.5 * (w / heaviest) for _, w in tops]
    ranked = []
    for i, candidate in enumerate(candidates):
        scored = [(float(similarity[i, j]) * weights[j], j) for j in range(len(tops))]
        best, j = max(scored)
        ranked.append((candidate, round(float(similarity[i, j]), 4), tops[j][0], best))
    ranked.sort(key=lambda r: (-r[3], -r[0].verified_conversions, r[0].name, r[0].partner_id))
    return [(c, s, top) for c, s, top, _ in ranked[:limit]]


def suggest(
    store: Store, caller: Caller, program_id: str, top: list[tuple[str, int]], limit: int = 12
) -> list[Suggestion]:
    """Listed partners not yet in the program most like its top partners (`top`: partner
    id and revenue, best first), each with the reasons it was suggested."""
    require_brand(caller)
    with store.read() as session:
        load_program(session, caller, program_id)
        top_ids = [pid for pid, _ in top]
        top_rows = {
            p.id: (p, profile)
            for p, profile in session.execute(
                select(Partner, PartnerProfile)
                .outerjoin(PartnerProfile, PartnerProfile.partner_id == Partner.id)
                .where(Partner.id.in_(top_ids))
            ).all()
        }
        tops = [
            (_features(*top_rows[pid]), float(revenue)) for pid, revenue in top if pid in top_rows
        ]
        enrolled = select(Enrollment.partner_id).where(Enrollment.program_id == program_id)
        rows = session.execute(
            select(PartnerProfile, Partner)
            .join(Partner, Partner.id == PartnerProfile.partner_id)
            .where(PartnerProfile.listed.is_(True), Partner.id.not_in(enrolled))
        ).all()
        by_id = {p.id: (profile, p) for profile, p in rows}
        candidates = [_features(p, profile) for profile, p in rows]
        ranked = rank_like(tops, candidates, limit)
        return [
            Suggestion(_listed(*by_id[c.partner_id]), similarity, like.name, _reasons(like, c))
            for c, similarity, like in ranked
            if similarity > 0
        ]
