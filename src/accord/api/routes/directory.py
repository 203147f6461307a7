"""The API's partner types and partner directory: the taxonomy (and a brand's own types),
listed partners searched by words and facets, suggestions like a program's best partners,
and a partner's own profile."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from accord.api.deps import CallerDep, StoreDep, brands_program
from accord.api.schemas import ErrorResponse
from accord.partners import directory as d
from accord.partners import taxonomy
from accord.partners.types import add_type, brand_own_types
from accord.reports.service import top_partners

router = APIRouter(tags=["directory"])
ERRORS = {
    401: {"model": ErrorResponse, "description": "Missing or unknown API key"},
    403: {"model": ErrorResponse, "description": "Not for this kind of key"},
    404: {"model": ErrorResponse, "description": "Unknown or unlisted partner, or program"},
    422: {"model": ErrorResponse, "description": "Bad input, named in `field`"},
}


class TypeOut(BaseModel):
    code: str
    name_en: str
    name_zh: str
    own: bool = Field(description="A type the brand added itself.")


class GroupOut(BaseModel):
    code: str = Field(description="A group's code: a selector for every type in it.")
    name_en: str
    name_zh: str
    types: list[TypeOut]


class GoalOut(BaseModel):
    code: str
    name_en: str
    name_zh: str
    groups: list[str] = Field(description="The groups that serve the goal, best first.")


class TaxonomyOut(BaseModel):
    groups: list[GroupOut]
    goals: list[GoalOut]


@router.get("/partner-types", response_model=TaxonomyOut, responses=ERRORS)
def partner_types(store: StoreDep, caller: CallerDep) -> TaxonomyOut:
    """Every partner type in its group, in English and Chinese (with the calling brand's
    own types), and the recruiting goals with the groups that serve them."""
    own = brand_own_types(store, caller)
    groups = []
    for group in taxonomy.GROUPS:
        types = [TypeOut(code=k.code, name_en=k.en, name_zh=k.zh, own=False)
                 for k in taxonomy.KINDS if k.group == group.code]  # fmt: skip
        types += [
            TypeOut(code=code, name_en=own.names[code][0], name_zh=own.names[code][1], own=True)
            for code, g in own.groups.items()
            if g == group.code
        ]
        groups.append(GroupOut(code=group.code, name_en=group.en, name_zh=group.zh, types=types))
    goals = [GoalOut(code=g.code, name_en=g.en, name_zh=g.zh, groups=list(g.groups))
             for g in taxonomy.GOALS]  # fmt: skip
    return TaxonomyOut(groups=groups, goals=goals)


class TypeIn(BaseModel):
    code: str = Field(max_length=32, description="Lowercase letters, digits and underscores.")
    group: str = Field(max_length=40, description="The group's code.")
    name_en: str = Field(max_length=80)
    name_zh: str = Field("", max_length=80)


@router.post("/partner-types", response_model=TypeOut, status_code=201, responses=ERRORS)
def new_partner_type(body: TypeIn, store: StoreDep, caller: CallerDep) -> TypeOut:
    """A brand adds a type of its own to a group."""
    made = add_type(store, caller, code=body.code, group=body.group, name_en=body.name_en,
                    name_zh=body.name_zh)  # fmt: skip
    return TypeOut(code=made.code, name_en=made.name_en, name_zh=made.name_zh or "", own=True)


class ListedOut(BaseModel):
    partner_id: str
    name: str
    partner_type: str
    group: str | None
    country: str | None
    website: str | None
    headline: str | None
    about: str | None
    countries: list[str]
    languages: list[str]
    verticals: list[str]
    audience: dict[str, int] = Field(description="Followers or subscribers per platform.")
    audience_total: int
    site_rank: int | None
    monthly_visits: int | None
    traffic_source: str | None = Field(description="entered (by the partner) or imported.")
    social: dict[str, str]
    contact_name: str | None
    contact_email: str | None
    badges: list[str] = Field(
        description="conversions_N (N+ verified), low_reversals, tenure_Ny: thresholds only."
    )
    joined_at: datetime
    status: str | None = Field(
        description="The partner's standing in the program named by program_id, if any."
    )


def listed_out(p: d.Listed) -> ListedOut:
    return ListedOut(
        partner_id=p.partner_id, name=p.name, partner_type=p.partner_type,
        group=taxonomy.group_of(p.partner_type), country=p.country, website=p.website,
        headline=p.headline, about=p.about, countries=p.countries, languages=p.languages,
        verticals=p.verticals, audience=p.audience, audience_total=p.audience_total,
        site_rank=p.site_rank, monthly_visits=p.monthly_visits,
        traffic_source=p.traffic_source, social=p.social, contact_name=p.contact_name,
        contact_email=p.contact_email, badges=p.badges, joined_at=p.joined_at,
        status=p.status,
    )  # fmt: skip


class FacetOut(BaseModel):
    value: str
    count: int


class DirectoryOut(BaseModel):
    total: int
    page: int
    pages: int
    sort: str
    rows: list[ListedOut]
    facets: dict[str, list[FacetOut]] = Field(
        description="Per facet (group, type, country, language, vertical, platform, audience, "
        "badge), each value's count among all the matches."
    )


@router.get("/directory", response_model=DirectoryOut, responses=ERRORS)
def search_directory(
    store: StoreDep,
    caller: CallerDep,
    q: Annotated[str, Query(max_length=200, description="Words, all of them matched.")] = "",
    type: Annotated[str, Query(max_length=40, description="A type or a group.")] = "",
    country: Annotated[str, Query(max_length=2)] = "",
    language: Annotated[str, Query(max_length=2)] = "",
    vertical: Annotated[str, Query(max_length=40)] = "",
    platform: Annotated[str, Query(max_length=40)] = "",
    audience: Annotated[Literal["", "under_10k", "10k_100k", "100k_1m", "over_1m"], Query()] = "",
    badge: Annotated[str, Query(max_length=40)] = "",
    sort: Annotated[Literal["", "relevance", "audience", "performance", "newest"], Query()] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    program_id: Annotated[
        str | None, Query(max_length=40, description="Your program: each row's standing in it.")
    ] = None,
    outside: Annotated[bool, Query(description="Leave out partners in program_id.")] = False,
) -> DirectoryOut:
    """Partners listed in the directory (they opted in), matching every word and filter."""
    query = d.DirectoryQuery(q, type, country, language, vertical, platform, audience, badge,
                             sort, page)  # fmt: skip
    found = d.search(store, caller, query, program_id, outside=outside)
    return DirectoryOut(
        total=found.total,
        page=found.query.page,
        pages=found.pages,
        sort=found.query.sort,
        rows=[listed_out(r) for r in found.rows],
        facets={
            k: [FacetOut(value=f.value, count=f.count) for f in v] for k, v in found.facets.items()
        },
    )


@router.get("/directory/{partner_id}", response_model=ListedOut, responses=ERRORS)
def directory_profile(
    partner_id: str,
    store: StoreDep,
    caller: CallerDep,
    program_id: Annotated[str | None, Query(max_length=40)] = None,
) -> ListedOut:
    """One listed partner's profile."""
    return listed_out(d.listed_profile(store, caller, partner_id, program_id))


class ReasonOut(BaseModel):
    kind: str = Field(description="type, group, country, vertical, platform, language, audience")
    value: str


class SuggestionOut(BaseModel):
    partner: ListedOut
    score: float = Field(description="Cosine likeness (0 to 1) to the closest top partner.")
    like: str = Field(description="The name of the top partner it is most like.")
    reasons: list[ReasonOut]


@router.get(
    "/programs/{program_id}/directory/suggestions",
    response_model=list[SuggestionOut],
    responses=ERRORS,
    dependencies=[Depends(brands_program)],
)
def suggestions(
    program_id: str,
    store: StoreDep,
    caller: CallerDep,
    limit: Annotated[int, Query(ge=1, le=50)] = 12,
) -> list[SuggestionOut]:
    """Listed partners not in the program most like its best partners (the top fifth by
    net revenue, at most ten), each with why."""
    top = top_partners(store, caller, program_id)
    return [
        SuggestionOut(
            partner=listed_out(s.partner),
            score=s.score,
            like=s.like,
            reasons=[ReasonOut(kind=k, value=v) for k, v in s.reasons],
        )
        for s in d.suggest(store, caller, program_id, top, limit)
    ]


class ProfileBody(BaseModel):
    listed: bool = False
    partner_type: str | None = Field(None, max_length=40)
    headline: str = Field("", max_length=200)
    about: str = Field("", max_length=4000)
    countries: list[str] = Field(default_factory=list, max_length=30)
    languages: list[str] = Field(default_factory=list, max_length=30)
    verticals: list[str] = Field(default_factory=list, max_length=30)
    audience: dict[str, int] = Field(default_factory=dict, max_length=30)
    site_rank: int | None = None
    monthly_visits: int | None = None
    social: dict[str, str] = Field(default_factory=dict, max_length=30)
    contact_name: str = Field("", max_length=200)
    contact_email: str = Field("", max_length=320)


class ProfileOut(ProfileBody):
    partner_id: str
    badges: list[str]


def _profile_out(partner, profile) -> ProfileOut:
    if profile is None:
        return ProfileOut(partner_id=partner.id, partner_type=partner.partner_type, badges=[])
    return ProfileOut(
        partner_id=partner.id, partner_type=partner.partner_type, listed=profile.listed,
        headline=profile.headline or "", about=profile.about or "",
        countries=profile.countries or [], languages=profile.languages or [],
        verticals=profile.verticals or [], audience=profile.audience or {},
        site_rank=profile.site_rank, monthly_visits=profile.monthly_visits,
        social=profile.social or {}, contact_name=profile.contact_name or "",
        contact_email=profile.contact_email or "",
        badges=d.badges_of(profile.verified_conversions, profile.reversal_rate,
                           profile.tenure_months),
    )  # fmt: skip


@router.get("/profile", response_model=ProfileOut, responses=ERRORS)
def own_profile(store: StoreDep, caller: CallerDep) -> ProfileOut:
    """The calling partner's directory profile."""
    return _profile_out(*d.own_profile(store, caller))


@router.put("/profile", response_model=ProfileOut, responses=ERRORS)
def put_profile(body: ProfileBody, store: StoreDep, caller: CallerDep) -> ProfileOut:
    """A partner writes its profile; `listed` puts it in the directory brands search."""
    data = d.ProfileIn(
        listed=body.listed, headline=body.headline, about=body.about,
        countries=body.countries, languages=body.languages, verticals=body.verticals,
        audience=body.audience, site_rank=body.site_rank,
        monthly_visits=body.monthly_visits, social=body.social,
        contact_name=body.contact_name, contact_email=body.contact_email,
    )  # fmt: skip
    d.save_profile(store, caller, data, body.partner_type)
    return _profile_out(*d.own_profile(store, caller))
