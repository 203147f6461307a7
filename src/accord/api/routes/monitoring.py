"""The API's anomaly alerts, forecasts and digest settings."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from accord.api.deps import CallerDep, StoreDep, brands_program
from accord.api.schemas import Amount, ErrorResponse
from accord.money import Money
from accord.monitoring import service as monitoring
from accord.monitoring.model import THRESHOLD

router = APIRouter(tags=["reports"])

ERRORS = {
    401: {"model": ErrorResponse, "description": "Missing or unknown API key"},
    403: {"model": ErrorResponse, "description": "Not allowed for this kind of key"},
    404: {"model": ErrorResponse, "description": "Unknown program or alert"},
    422: {"model": ErrorResponse, "description": "A field is wrong; `field` names it"},
}


class AlertOut(BaseModel):
    """A partner's metric that was unusual on a day."""

    id: str
    program_id: str
    partner_id: str
    partner_name: str
    metric: str = Field(description="clicks, conversion_rate or reversal_rate")
    day: date = Field(description="The UTC day.")
    value: float = Field(description="The day's value (a rate as a fraction: 0.05 is 5 %).")
    expected: float = Field(
        description="The median of the same weekday in the 8 weeks before: what was usual."
    )
    score: float = Field(
        description=f"Robust z-score 0.6745 (value - median) / MAD; |score| >= {THRESHOLD} "
        "is unusual."
    )
    direction: str = Field(description="up or down")
    how_unusual: str = Field(description="unusual, very unusual or extremely unusual")
    created_at: datetime
    seen_at: datetime | None


class AlertsOut(BaseModel):
    data: list[AlertOut]


def _alert(a: monitoring.AlertView) -> AlertOut:
    return AlertOut(
        id=a.id,
        program_id=a.program_id,
        partner_id=a.partner_id,
        partner_name=a.partner_name,
        metric=a.metric,
        day=a.day,
        value=a.value,
        expected=a.expected,
        score=a.score,
        direction=a.direction,
        how_unusual=a.how_unusual,
        created_at=a.created_at,
        seen_at=a.seen_at,
    )


@router.get(
    "/programs/{program_id}/alerts",
    response_model=AlertsOut,
    responses=ERRORS,
    dependencies=[Depends(brands_program)],
)
def get_alerts(
    program_id: str,
    store: StoreDep,
    caller: CallerDep,
    unseen: bool = Query(False, description="Only alerts nobody has marked seen."),
    since: date | None = Query(None, description="Only alerts of this day (UTC) and after."),
    limit: int = Query(100, ge=1, le=1000, description="At most this many (1-1000)."),
):
    """The program's alerts about unusual days of its partners, newest day first (brand
    keys). A daily pass records them; `accord reports alerts PROGRAM --scan` runs it now."""
    alerts = monitoring.list_alerts(
        store, caller, program_id, unseen_only=unseen, since=since, limit=limit
    )
    return AlertsOut(data=[_alert(a) for a in alerts])


@router.post(
    "/programs/{program_id}/alerts/{alert_id}/seen",
    response_model=AlertOut,
    responses=ERRORS,
    dependencies=[Depends(brands_program)],
)
def alert_seen(program_id: str, alert_id: str, store: StoreDep, caller: CallerDep):
    """Mark an alert seen (marking it again keeps the first time)."""
    return _alert(monitoring.mark_seen(store, caller, program_id, alert_id))


class TypeForecastOut(BaseModel):
    partner_type: str = Field(description="A partner type, or `all` for the whole program.")
    history: list[Amount] = Field(description="Revenue of each month in `months`.")
    expected: Amount | None = Field(description="Next month's expected revenue.")
    low: Amount | None = Field(description="The 95 % prediction interval's lower end.")
    high: Amount | None = Field(description="Its upper end.")
    months_used: int = Field(description="Months since the type's first revenue (6 needed).")


class ForecastOut(BaseModel):
    program_id: str
    currency: str
    months: list[date] = Field(description="The first days of the months of history.")
    month: date = Field(description="The first day of the month forecast.")
    method: str
    total: TypeForecastOut
    types: list[TypeForecastOut]


def _amount(money: Money | None) -> Amount | None:
    if money is None:
        return None
    return Amount(amount=str(money.amount), currency=money.currency)


def _type(t: monitoring.TypeForecast) -> TypeForecastOut:
    return TypeForecastOut(
        partner_type=t.partner_type,
        history=[Amount(amount=str(m.amount), currency=m.currency) for m in t.history],
        expected=_amount(t.expected),
        low=_amount(t.low),
        high=_amount(t.high),
        months_used=t.months_used,
    )


@router.get(
    "/programs/{program_id}/reports/forecast",
    response_model=ForecastOut,
    responses=ERRORS,
    dependencies=[Depends(brands_program)],
)
def get_forecast(
    program_id: str,
    store: StoreDep,
    caller: CallerDep,
    months: int = Query(12, ge=6, le=12, description="Months of history to fit (6-12)."),
):
    """Next month's revenue per partner type and for the program: a least-squares line
    through the monthly totals, with a 95 % prediction interval from its residuals."""
    result = monitoring.revenue_forecast(store, caller, program_id, months)
    return ForecastOut(
        program_id=result.program_id,
        currency=result.currency,
        months=result.months,
        month=result.month,
        method=result.method,
        total=_type(result.total),
        types=[_type(t) for t in result.types],
    )
