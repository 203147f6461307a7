"""The API's growth quality, partner mix and diagnostic metrics, and incrementality tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from accord.api.deps import CallerDep, StoreDep, brands_program
from accord.api.schemas import Amount, ErrorResponse
from accord.errors import InvalidInput
from accord.money import Money
from accord.reports import growth_model as gm
from accord.reports import holdouts
from accord.reports import incrementality_model as im
from accord.reports.growth import growth_quality, parse_promotions, period_of, presets
from accord.reports.mix import partner_mix

if TYPE_CHECKING:  # rows the services return, named in annotations only
    from accord.reports.tables import Holdout

router = APIRouter(tags=["growth"])

ERRORS = {
    401: {"model": ErrorResponse, "description": "Missing or unknown API key"},
    403: {"model": ErrorResponse, "description": "A partner's key: these reports are the brand's"},
    404: {"model": ErrorResponse, "description": "Unknown program (or test)"},
    422: {"model": ErrorResponse, "description": "Bad parameters, named in `field`"},
}
OWN = [Depends(brands_program)]
_MICRO = timedelta(microseconds=1)
Day = Annotated[date | None, Query(description="A UTC day, YYYY-MM-DD (included).")]


def _share(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# Growth ---------------------------------------------------------------------------------
class PeriodOut(BaseModel):
    since: date = Field(description="First UTC day.")
    until: date = Field(description="Last UTC day (included).")


class PartOut(BaseModel):
    key: str = Field(description="new/returning, promotion/steady, top/others/none, or a type")
    previous: Amount
    current: Amount
    change: Amount
    share_of_change: str | None = Field(description="The part's change / the whole change.")


class TopPartnerOut(BaseModel):
    partner_id: str
    name: str
    partner_type: str | None
    previous: Amount
    current: Amount
    change: Amount


class SentenceOut(BaseModel):
    text: str = Field(description="The finding in English, with its numbers.")
    message: str = Field(description="The message id, with %(name)s placeholders.")
    values: dict[str, str | None] = Field(description="Each placeholder's raw value.")
    link: str = Field(description="The console page with the rows behind it.")


class GrowthOut(BaseModel):
    program_id: str
    currency: str
    current: PeriodOut
    previous: PeriodOut
    previous_revenue: Amount
    current_revenue: Amount
    change: Amount
    verdict: str = Field(
        description="broad_lasting, broad_promotion, narrow_lasting, narrow_promotion, "
        "decline or flat"
    )
    breadth: str | None
    durability: str | None
    reasons: list[str]
    promotion_share: str | None
    top_partners_share: str | None
    new_customer_share: str | None
    returning_share: str | None
    partners_grew: int
    partners_shrank: int
    partners_active: int
    promotion_days_current: int
    customers: list[PartOut]
    days: list[PartOut]
    partners: list[PartOut]
    partner_types: list[PartOut]
    top_partners: list[TopPartnerOut]
    sentences: list[SentenceOut]
    rules: list[str]


def _english(sentence: gm.Sentence, currency: str) -> str:
    return gm.render(
        sentence,
        lambda text: text,
        lambda minor: f"{Money.from_minor(minor, currency).amount} {currency}",
        gm.plain_percent,
        str,
    )


def _day_period(since: date | None, until: date | None, name: str):
    if since is None or until is None:
        raise InvalidInput(f"{name}_since", "give both ends of the period, or neither")
    return period_of(since, until, name)


@router.get(
    "/programs/{program_id}/reports/growth",
    response_model=GrowthOut,
    responses=ERRORS,
    dependencies=OWN,
)
def get_growth(
    program_id: str,
    store: StoreDep,
    caller: CallerDep,
    current_since: Day = None,
    current_until: Day = None,
    previous_since: Day = None,
    previous_until: Day = None,
    preset: Annotated[
        Literal["month", "30days", "1111"],
        Query(description="When no dates are given: month, 30days or 1111 (双十一)."),
    ] = "month",
    promotion: Annotated[
        list[str] | None,
        Query(
            max_length=50,
            description="Extra promotion periods, FIRST:LAST (UTC days, both included); "
            "618, 双十一 and Black Friday to Cyber Monday are always promotion days.",
        ),
    ] = None,
) -> GrowthOut:
    """Is growth broad and lasting, or narrow and promotion-bound? The change in net revenue
    between two periods, split exactly by new and returning customers, promotion and steady
    days, the top 3 partners and the rest, and partner type; the verdict and the findings
    behind it. Without dates, the preset's periods."""
    given = (current_since, current_until, previous_since, previous_until)
    if any(v is not None for v in given):
        current = _day_period(current_since, current_until, "current")
        previous = _day_period(previous_since, previous_until, "previous")
    else:
        current, previous = presets(store.clock.now().date())[preset]
    extra = parse_promotions(promotion or [])
    g = growth_quality(store, caller, program_id, current, previous, extra)
    d, j, cur = g.decomposition, g.judgement, g.currency

    def amount(minor: int) -> Amount:
        return Amount.minor(minor, cur)

    def parts(items: list[gm.Part]) -> list[PartOut]:
        return [
            PartOut(
                key=p.key,
                previous=amount(p.previous_minor),
                current=amount(p.current_minor),
                change=amount(p.change_minor),
                share_of_change=_share(gm.share(p.change_minor, d.change_minor)),
            )
            for p in items
        ]

    def period_out(p) -> PeriodOut:
        return PeriodOut(since=p.since.date(), until=(p.until - _MICRO).date())

    return GrowthOut(
        program_id=program_id,
        currency=cur,
        current=period_out(current),
        previous=period_out(previous),
        previous_revenue=amount(d.previous_minor),
        current_revenue=amount(d.current_minor),
        change=amount(d.change_minor),
        verdict=j.verdict.value,
        breadth=None if j.breadth is None else j.breadth.value,
        durability=None if j.durability is None else j.durability.value,
        reasons=list(j.reasons),
        promotion_share=_share(j.promotion_share),
        top_partners_share=_share(j.top_share),
        new_customer_share=_share(j.new_share),
        returning_share=_share(j.returning_share),
        partners_grew=d.partners_grew,
        partners_shrank=d.partners_shrank,
        partners_active=d.partners_active,
        promotion_days_current=d.promotion_days_current,
        customers=parts(d.customers),
        days=parts(d.days),
        partners=parts(d.partners),
        partner_types=parts(d.types),
        top_partners=[
            TopPartnerOut(
                partner_id=p.partner_id,
                name=p.name,
                partner_type=p.partner_type,
                previous=amount(p.previous_minor),
                current=amount(p.current_minor),
                change=amount(p.change_minor),
            )
            for p in d.top_partners
        ],
        sentences=[
            SentenceOut(
                text=_english(s, cur),
                message=s.text,
                values={k: None if v.value is None else str(v.value) for k, v in s.values.items()},
                link=s.link,
            )
            for s in g.sentences
        ],
        rules=gm.rules_text(lambda text: text, gm.plain_percent),
    )


# Mix and diagnostics ----------------------------------------------------------------------
class MixRowOut(BaseModel):
    partner_type: str = Field(
        description="The group of partner types (GET /v1/partner-types), e.g. creators."
    )
    partners: int = Field(description="Approved partners of the group's types.")
    revenue: Amount = Field(description="Net revenue credited to them in the period.")
    share: str | None = Field(description="Their share of the approved partners' revenue.")
    recommended_share: str
    lacking: bool = Field(description="Recommended at the stage, with no approved partner.")
    under: bool = Field(description="More than 10 points under the recommended share.")


class MixOut(BaseModel):
    program_id: str
    currency: str
    period: PeriodOut
    stage: str
    inferred_stage: str = Field(description="The stage the program's age and partners suggest.")
    age_days: int
    approved_partners: int
    stage_rules: str
    rows: list[MixRowOut]
    lacking: list[str]
    goal: str | None = Field(None, description="The recruiting goal asked about.")
    goal_gaps: list[str] | None = Field(
        None, description="The groups serving the goal, best first, with no approved partner."
    )


def _mix(store, caller, program_id, since, until, stage, goal=None):
    period = None
    if since is not None or until is not None:
        if since is None or until is None:
            raise InvalidInput("since", "give both since and until, or neither")
        period = period_of(since, until, "")
    return partner_mix(store, caller, program_id, period, stage, goal)


@router.get(
    "/programs/{program_id}/reports/mix",
    response_model=MixOut,
    responses=ERRORS,
    dependencies=OWN,
)
def get_mix(
    program_id: str,
    store: StoreDep,
    caller: CallerDep,
    stage: Annotated[
        Literal["starting", "growing", "mature"] | None,
        Query(description="The program's stage; default: inferred from its age and partners."),
    ] = None,
    since: Day = None,
    until: Day = None,
    goal: Annotated[
        Literal["clear_stock", "brand_story", "new_customers", "reach_businesses"] | None,
        Query(description="A recruiting goal: the groups serving it that the program lacks."),
    ] = None,
) -> MixOut:
    """Revenue and approved partners by group of partner types against the shares
    recommended for the program's stage, and the recommended groups it has no partner in.
    Default period: the last 90 days."""
    report = _mix(store, caller, program_id, since, until, stage, goal)
    values = {
        "starting_days": gm.STARTING_DAYS,
        "starting_partners": gm.STARTING_PARTNERS,
        "mature_days": gm.MATURE_DAYS,
        "mature_partners": gm.MATURE_PARTNERS,
    }
    return MixOut(
        program_id=program_id,
        currency=report.currency,
        period=PeriodOut(
            since=report.period.since.date(),  # type: ignore[union-attr]
            until=(report.period.until - _MICRO).date(),  # type: ignore[operator]
        ),
        stage=report.stage.value,
        inferred_stage=report.inferred_stage.value,
        age_days=report.age_days,
        approved_partners=report.approved_partners,
        stage_rules=gm.STAGE_RULES[0] % values,
        rows=[
            MixRowOut(
                partner_type=r.partner_type,
                partners=r.partners,
                revenue=Amount.minor(r.revenue_minor, report.currency),
                share=_share(r.share),
                recommended_share=str(r.recommended),
                lacking=r.lacking,
                under=r.under,
            )
            for r in report.rows
        ],
        lacking=report.lacking,
        goal=report.goal,
        goal_gaps=report.goal_gaps,
    )


class DiagnosticsRowOut(BaseModel):
    key: str = Field(description="The partner id, the partner type, or `program`.")
    name: str
    partner_type: str | None
    partners: int
    engaged_partners: int
    engagement_rate: str | None
    clicks: int
    conversions: int
    revenue: Amount
    lifetime_value: Amount = Field(
        description="Net revenue since joining minus the commissions earned on it."
    )
    new_customer_share: str | None
    assist_rate: str | None


class DiagnosticsOut(BaseModel):
    program_id: str
    currency: str
    period: PeriodOut
    definitions: list[str]
    program: DiagnosticsRowOut
    partner_types: list[DiagnosticsRowOut]
    partners: list[DiagnosticsRowOut]


@router.get(
    "/programs/{program_id}/reports/diagnostics",
    response_model=DiagnosticsOut,
    responses=ERRORS,
    dependencies=OWN,
)
def get_diagnostics(
    program_id: str, store: StoreDep, caller: CallerDep, since: Day = None, until: Day = None
) -> DiagnosticsOut:
    """Engagement rate, partner lifetime value, new-customer share and assist rate per
    approved partner, per partner type and for the program (default: the last 90 days)."""
    report = _mix(store, caller, program_id, since, until, None)

    def row(r: gm.Diagnostics) -> DiagnosticsRowOut:
        return DiagnosticsRowOut(
            key=r.key,
            name=r.name,
            partner_type=r.partner_type,
            partners=r.partners,
            engaged_partners=r.engaged,
            engagement_rate=_share(r.engagement_rate),
            clicks=r.clicks,
            conversions=r.conversions,
            revenue=Amount.minor(r.revenue_minor, report.currency),
            lifetime_value=Amount.minor(r.lifetime_value_minor, report.currency),
            new_customer_share=_share(r.new_customer_share),
            assist_rate=_share(r.assist_rate),
        )

    return DiagnosticsOut(
        program_id=program_id,
        currency=report.currency,
        period=PeriodOut(
            since=report.period.since.date(),  # type: ignore[union-attr]
            until=(report.period.until - _MICRO).date(),  # type: ignore[operator]
        ),
        definitions=list(gm.DIAGNOSTIC_DEFINITIONS),
        program=row(report.program),
        partner_types=[row(r) for r in report.types],
        partners=[row(r) for r in report.partners],
    )


# Incrementality tests ---------------------------------------------------------------------
class ArmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    visitors: int = Field(ge=1, le=10**12)
    conversions: int = Field(ge=0, le=10**12)


class HoldoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    design: Literal["switched_off", "traffic"]
    scope_kind: Literal["partner", "partner_type"]
    scope: str = Field(min_length=1, max_length=40, description="A partner id or a type.")
    since: date = Field(description="First UTC day of the test (off or held-out period).")
    until: date = Field(description="Last UTC day of the test (included).")
    on_since: date | None = Field(
        default=None, description="Switched off: first day of the matched on period."
    )
    on_until: date | None = Field(default=None, description="Switched off: its last day.")
    share: Decimal | None = Field(
        default=None, gt=0, lt=1, description="Traffic: the share of visitors held out."
    )
    held: ArmIn | None = Field(default=None, description="Traffic: the held-out arm's counts.")
    exposed: ArmIn | None = Field(
        default=None,
        description="Traffic: the exposed arm's counts; none: the scope's unique clicks "
        "and credited conversions in the period.",
    )


class CountsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    held: ArmIn
    exposed: ArmIn | None = None


class HoldoutOut(BaseModel):
    id: str
    program_id: str
    name: str
    design: str
    scope_kind: str
    scope: str
    since: datetime
    until: datetime = Field(description="End of the period (excluded).")
    on_since: datetime | None
    on_until: datetime | None
    share: str | None
    held_visitors: int | None
    held_conversions: int | None
    exposed_visitors: int | None
    exposed_conversions: int | None
    created_at: datetime


class HoldoutResultOut(BaseModel):
    holdout: HoldoutOut
    ready: bool = Field(description="False until a traffic test's held-out counts are in.")
    statistic: str | None = Field(
        description="two_proportion_z (traffic) or poisson_rate_z (switched off)."
    )
    treated: str | None = Field(description="Exposed rate per visitor, or on rate per day.")
    control: str | None = Field(description="Held-out rate per visitor, or off rate per day.")
    difference: str | None
    ci_low: str | None = Field(description="95% interval of the difference, low end.")
    ci_high: str | None
    lift: str | None
    z: str | None
    p_value: str | None
    significant: bool
    incremental_conversions: str | None
    incremental_revenue: Amount | None
    average_order: Amount | None
    too_small: bool
    warning: str | None


def _at(day: date | None, *, end: bool = False) -> datetime | None:
    if day is None:
        return None
    period = period_of(day, day, "")
    return period.until if end else period.since


def holdout_out(h: Holdout) -> HoldoutOut:
    return HoldoutOut(
        id=h.id,
        program_id=h.program_id,
        name=h.name,
        design=h.design,
        scope_kind=h.scope_kind,
        scope=h.scope,
        since=h.since,
        until=h.until,
        on_since=h.on_since,
        on_until=h.on_until,
        share=None if h.share is None else str(h.share),
        held_visitors=h.held_visitors,
        held_conversions=h.held_conversions,
        exposed_visitors=h.exposed_visitors,
        exposed_conversions=h.exposed_conversions,
        created_at=h.created_at,
    )


@router.get(
    "/programs/{program_id}/holdouts",
    response_model=list[HoldoutOut],
    responses=ERRORS,
    dependencies=OWN,
)
def list_tests(program_id: str, store: StoreDep, caller: CallerDep) -> list[HoldoutOut]:
    """The program's incrementality tests, newest first."""
    return [holdout_out(h) for h in holdouts.list_holdouts(store, caller, program_id)]


@router.post(
    "/programs/{program_id}/holdouts",
    response_model=HoldoutOut,
    status_code=201,
    responses=ERRORS,
    dependencies=OWN,
)
def define_test(program_id: str, body: HoldoutIn, store: StoreDep, caller: CallerDep) -> HoldoutOut:
    """Define a test: a partner or type switched off for a period (against a matched on
    period; default the same length just before), or a share of its traffic held out."""
    if body.until < body.since:
        raise InvalidInput("until", "must not be before since")
    spec = holdouts.HoldoutSpec(
        name=body.name,
        design=body.design,
        scope_kind=body.scope_kind,
        scope=body.scope,
        since=_at(body.since),  # type: ignore[arg-type]
        until=_at(body.until, end=True),  # type: ignore[arg-type]
        share=body.share,
        on_since=_at(body.on_since),
        on_until=_at(body.on_until, end=True),
        held_visitors=body.held.visitors if body.held else None,
        held_conversions=body.held.conversions if body.held else None,
        exposed_visitors=body.exposed.visitors if body.exposed else None,
        exposed_conversions=body.exposed.conversions if body.exposed else None,
    )
    return holdout_out(holdouts.define_holdout(store, caller, program_id, spec))


@router.get(
    "/programs/{program_id}/holdouts/{holdout_id}",
    response_model=HoldoutOut,
    responses=ERRORS,
    dependencies=OWN,
)
def get_test(program_id: str, holdout_id: str, store: StoreDep, caller: CallerDep) -> HoldoutOut:
    return holdout_out(holdouts.get_holdout(store, caller, program_id, holdout_id))


@router.put(
    "/programs/{program_id}/holdouts/{holdout_id}/counts",
    response_model=HoldoutOut,
    responses=ERRORS,
    dependencies=OWN,
)
def put_counts(
    program_id: str, holdout_id: str, body: CountsIn, store: StoreDep, caller: CallerDep
) -> HoldoutOut:
    """Enter a traffic test's counts: the held-out arm, and the exposed arm if counted
    elsewhere."""
    held = (body.held.visitors, body.held.conversions)
    exposed = (body.exposed.visitors, body.exposed.conversions) if body.exposed else None
    return holdout_out(holdouts.update_counts(store, caller, program_id, holdout_id, held, exposed))


def _num(value: float | None) -> str | None:
    return None if value is None else format(value, ".6g")


@router.get(
    "/programs/{program_id}/holdouts/{holdout_id}/result",
    response_model=HoldoutResultOut,
    responses=ERRORS,
    dependencies=OWN,
)
def get_result(
    program_id: str, holdout_id: str, store: StoreDep, caller: CallerDep
) -> HoldoutResultOut:
    """The test's statistics: rates, difference with its 95% interval, lift, z and
    p-value, incremental conversions and revenue, and a warning when the sample is too
    small (fewer than 30 conversions in an arm, or an expected count under 5)."""
    r = holdouts.holdout_result(store, caller, program_id, holdout_id)
    t = r.test
    rate = isinstance(t, im.RateTest)

    def money(m: Money | None) -> Amount | None:
        return None if m is None else Amount(amount=str(m.amount), currency=m.currency)

    warning = None
    if t is not None and t.too_small:
        warning = im.SAMPLE_RULE % {
            "conversions": im.MIN_CONVERSIONS,
            "expected": format(im.MIN_EXPECTED, "g"),
        }
    return HoldoutResultOut(
        holdout=holdout_out(r.holdout),
        ready=t is not None,
        statistic=None if t is None else ("poisson_rate_z" if rate else "two_proportion_z"),
        treated=None if t is None else _num(t.rate_on if rate else t.p1),  # type: ignore[union-attr]
        control=None if t is None else _num(t.rate_off if rate else t.p2),  # type: ignore[union-attr]
        difference=None if t is None else _num(t.difference),
        ci_low=None if t is None else _num(t.ci_low),
        ci_high=None if t is None else _num(t.ci_high),
        lift=None if t is None else _num(t.lift),
        z=None if t is None else _num(t.z),
        p_value=None if t is None else _num(t.p_value),
        significant=t is not None and t.significant,
        incremental_conversions=None if t is None else _num(t.incremental_conversions),
        incremental_revenue=money(r.incremental_revenue),
        average_order=money(r.average_order),
        too_small=r.too_small,
        warning=warning,
    )


@router.delete(
    "/programs/{program_id}/holdouts/{holdout_id}",
    status_code=204,
    response_class=Response,
    responses=ERRORS,
    dependencies=OWN,
)
def delete_test(program_id: str, holdout_id: str, store: StoreDep, caller: CallerDep) -> Response:
    holdouts.delete_holdout(store, caller, program_id, holdout_id)
    return Response(status_code=204)
