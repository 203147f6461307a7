"""The API's partner lifecycle, promotion periods and concentration."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from accord.api.deps import CallerDep, StoreDep, brands_program
from accord.api.schemas import Amount, Strict
from accord.programs import promotions
from accord.programs.promotions import Promotion
from accord.reports.concentration import concentration_report, share
from accord.reports.lifecycle import PartnerLine, lifecycle_report

router = APIRouter(tags=["reports"], dependencies=[Depends(brands_program)])


class PromotionOut(BaseModel):
    id: str | None = Field(description="None for a predefined festival (it cannot be removed).")
    name: str
    kind: str = Field(examples=["singles_day", "618", "black_friday", "cyber_monday", "custom"])
    starts_at: datetime
    ends_at: datetime = Field(description="The first instant after the period.")
    predefined: bool


class PromotionIn(Strict):
    name: str = Field(min_length=1, max_length=100, examples=["Spring sale"])
    starts_at: datetime
    ends_at: datetime = Field(description="The first instant after the period; after starts_at.")


class LifecyclePartnerOut(BaseModel):
    partner_id: str
    partner_name: str
    partner_type: str
    status: str
    segment: str
    conversions_30d: int
    revenue_30d: Amount
    revenue_year: Amount
    last_conversion_at: datetime | None
    days_to_first_conversion: Decimal | None
    variation: Decimal | None = Field(
        None, description="Coefficient of variation of conversions over the last 6 periods."
    )


class WakeupOut(BaseModel):
    promotion: PromotionOut
    partner_id: str
    partner_name: str
    first_conversion_in_period_at: datetime
    dormant_days: int


class LifecycleOut(BaseModel):
    program_id: str
    currency: str
    as_of: datetime
    partners: int
    counts: dict[str, int]
    rules: dict[str, str]
    segments: dict[str, list[LifecyclePartnerOut]]
    promotion_wakeups: list[WakeupOut]
    deeper_deal: list[LifecyclePartnerOut]
    median_days_to_first_conversion: Decimal | None


class LossOut(BaseModel):
    rank: int
    partner_id: str
    partner_name: str
    partner_type: str
    revenue: Amount
    share_lost: Decimal
    cumulative_share: Decimal
    core: bool
    top: bool


class ConcentrationOut(BaseModel):
    program_id: str
    currency: str
    since: datetime | None
    until: datetime | None
    partners: int
    revenue: Amount
    top_count: int
    top_share: Decimal | None = Field(description="Share of revenue from the top 20% of partners.")
    core_count: int
    core_share_of_partners: Decimal | None
    losses: list[LossOut]
    lorenz: list[tuple[Decimal, Decimal]]
    gini: Decimal | None


def promotion_out(p: Promotion) -> PromotionOut:
    return PromotionOut(
        id=p.id,
        name=p.name,
        kind=p.kind,
        starts_at=p.starts_at,
        ends_at=p.ends_at,
        predefined=p.predefined,
    )


def _partner(line: PartnerLine) -> LifecyclePartnerOut:
    currency = line.revenue_30d.currency
    return LifecyclePartnerOut(
        partner_id=line.partner_id,
        partner_name=line.name,
        partner_type=line.partner_type,
        status=line.status,
        segment=line.segment,
        conversions_30d=line.conversions_30d,
        revenue_30d=Amount(amount=str(line.revenue_30d.amount), currency=currency),
        revenue_year=Amount(amount=str(line.revenue_year.amount), currency=currency),
        last_conversion_at=line.last_conversion_at,
        days_to_first_conversion=line.days_to_first,
        variation=line.variation,
    )


@router.get("/programs/{program_id}/reports/lifecycle", response_model=LifecycleOut)
def lifecycle(program_id: str, store: StoreDep, caller: CallerDep):
    """Enrolled partners by lifecycle segment (new, not started, ramping, steady, active,
    reactivated, declining, dormant, churned) with the rules, the partners each promotion
    period woke up, steady performers worth a deeper deal and the median days from joining
    to the first conversion."""
    report = lifecycle_report(store, caller, program_id)
    return LifecycleOut(
        program_id=report.program_id,
        currency=report.currency,
        as_of=report.now,
        partners=report.partners,
        counts=report.counts,
        rules=report.rules,
        segments={s: [_partner(x) for x in lines] for s, lines in report.segments.items()},
        promotion_wakeups=[
            WakeupOut(
                promotion=promotion_out(w.promotion),
                partner_id=w.partner.partner_id,
                partner_name=w.partner.name,
                first_conversion_in_period_at=w.first_in_period_at,
                dormant_days=w.dormant_days,
            )
            for w in report.wakeups
        ],
        deeper_deal=[_partner(x) for x in report.deeper_deal],
        median_days_to_first_conversion=report.median_days_to_first,
    )


@router.get("/programs/{program_id}/reports/concentration", response_model=ConcentrationOut)
def concentration(
    program_id: str,
    store: StoreDep,
    caller: CallerDep,
    since: datetime | None = None,
    until: datetime | None = None,
):
    """How much revenue comes from how few partners over [since, until) (default: the last
    365 days): the top 20%'s share, the core partners making 80%, what is lost if each
    leaves, the Lorenz curve and the Gini coefficient."""
    report = concentration_report(store, caller, program_id, since, until)
    r = report.result
    return ConcentrationOut(
        program_id=report.program_id,
        currency=report.currency,
        since=report.since,
        until=report.until,
        partners=r.partners,
        revenue=Amount.minor(r.total_minor, report.currency),
        top_count=r.top_count,
        top_share=share(r.top_share),
        core_count=len(r.core),
        core_share_of_partners=share(r.core_share_of_partners),
        losses=[
            LossOut(
                **{k: v for k, v in row.items() if k != "revenue"},
                revenue=Amount(amount=str(row["revenue"].amount), currency=report.currency),
            )
            for row in report.losses()
        ],
        lorenz=report.lorenz(),
        gini=share(r.gini),
    )


@router.get("/programs/{program_id}/promotions", response_model=list[PromotionOut])
def list_promotions(program_id: str, store: StoreDep, caller: CallerDep):
    """The predefined festivals (双十一 20 Oct - 11 Nov, 618 1 - 18 Jun, Black Friday, Cyber
    Monday, each year) and the program's own periods, newest first."""
    return [promotion_out(p) for p in promotions.list_promotions(store, caller, program_id)]


@router.post("/programs/{program_id}/promotions", response_model=PromotionOut, status_code=201)
def add_promotion(program_id: str, body: PromotionIn, store: StoreDep, caller: CallerDep):
    """Name a promotion period of the program's own (periods may overlap)."""
    added = promotions.add_promotion(
        store, caller, program_id, body.name, body.starts_at, body.ends_at
    )
    return promotion_out(added)


@router.delete("/programs/{program_id}/promotions/{promotion_id}", status_code=204)
def remove_promotion(program_id: str, promotion_id: str, store: StoreDep, caller: CallerDep):
    """Remove one of the program's own periods (the predefined ones cannot be removed)."""
    promotions.remove_promotion(store, caller, program_id, promotion_id)
    return Response(status_code=204)
