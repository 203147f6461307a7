"""Fraud protection: a program's rules and mode, the scores of its conversions, and the
review of held ones (release, or decline as a reversal with reason `fraud`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from accord.api.deps import CallerDep, Limit, StartingAfter, StoreDep
from accord.api.schemas import Amount, ErrorResponse, Page, Strict
from accord.errors import NotFound
from accord.protect import backtests, partner_risk
from accord.protect import service as protect
from accord.protect.model import DEFAULT_HOLD_AT, RULES, Tuning, describe
from accord.tenancy.service import require_brand

router = APIRouter(tags=["fraud"])

ERRORS = {
    401: {"model": ErrorResponse, "description": "Missing or unknown API key"},
    403: {"model": ErrorResponse, "description": "Not allowed for this kind of key"},
    404: {"model": ErrorResponse, "description": "Unknown program, or no held conversion"},
    409: {"model": ErrorResponse, "description": "Already released or declined"},
    422: {"model": ErrorResponse, "description": "A field is wrong; `field` names it"},
}


def brands_program(program_id: str, store: StoreDep, caller: CallerDep) -> None:
    """Checked before the body is read: a partner's key is refused and another brand's
    program is 404 whatever the body."""
    require_brand(caller)
    protect.fraud_settings(store, caller, program_id)


def brands_conversion(conversion_id: str, store: StoreDep, caller: CallerDep) -> None:
    """Checked before the body is read: a partner's key is refused and another brand's
    conversion is 404 whatever the body."""
    require_brand(caller)
    if protect.assessment_of(store, caller, conversion_id) is None:
        raise NotFound("conversion", conversion_id, field="conversion_id")


class RuleIn(Strict):
    threshold: str | float | int | None = Field(
        default=None, description="The rule's threshold at this program (see `unit`)."
    )
    weight: int | None = Field(default=None, ge=0, le=100, description="Points it adds.")
    enabled: bool | None = Field(default=None, description="false: the rule never fires.")


class SettingsIn(Strict):
    mode: Literal["off", "shadow", "active"] = Field(
        description="off: score nothing; shadow: score and keep scores, hold nothing; "
        "active: hold conversions whose score reaches `hold_at`."
    )
    level: Literal["relaxed", "moderate", "strict"] = Field(
        default="moderate", description="Every rule's default threshold and weight."
    )
    hold_at: int = Field(default=DEFAULT_HOLD_AT, ge=1, le=100)
    rules: dict[str, RuleIn] = Field(
        default_factory=dict,
        description="Per-rule overrides by code; a rule left out keeps the level's values.",
    )


class RuleOut(BaseModel):
    code: str
    description: str
    unit: str = Field(description="What the threshold counts: seconds, days, minutes, ...")
    fires_when: str = Field(description="at_or_above or at_or_below the threshold")
    enabled: bool
    threshold: str
    weight: int
    fired: int = Field(description="Conversions it fired on in the last 30 days.")
    held: int = Field(description="Of those, held.")
    amount: Amount = Field(description="The order value of those conversions.")


class FraudOut(BaseModel):
    program_id: str
    mode: str
    level: str
    hold_at: int
    baseline_orders: int = Field(
        description="Orders with a winning click the program's own thresholds are based on."
    )
    baseline_quantiles: dict[str, float] = Field(
        description="Seconds from the winning click to the order, by quantile."
    )
    since: datetime
    scored: int
    flagged: int
    held: int
    waiting: int = Field(description="Held and not reviewed yet.")
    rules: list[RuleOut] = Field(description="The conversion rules.")
    click_rules: list[RuleOut] = Field(
        description="The click rules: `held` counts the clicks judged invalid (not unique, "
        "never winning attribution); `amount` is zero."
    )
    partner_rules: list[RuleOut] = Field(
        description="The partner rules: `fired` counts the partners each fires on in the "
        "latest daily scores; `held` and `amount` are zero (a partner's score holds nothing)."
    )


class SignalOut(BaseModel):
    code: str
    description: str
    value: str
    threshold: str
    weight: int
    detail: str | None = None


class RiskOut(BaseModel):
    conversion_id: str
    program_id: str
    partner_id: str | None
    order_id: str
    occurred_at: datetime
    scored_at: datetime
    amount: Amount
    score: int = Field(description="0 to 100: the weights of the rules that fired.")
    action: str = Field(description="none, flagged or held")
    mode: str
    level: str
    signals: list[SignalOut]
    review: str | None = Field(description="released or declined, once a person decided.")
    reviewed_at: datetime | None
    review_note: str | None
    held: list[Amount] = Field(description="The commissions still held.")


class ReviewIn(Strict):
    note: str | None = Field(
        default=None, max_length=2000, description="Why; the partner reads it."
    )


def _fraud_out(program_id: str, view: protect.Overview, partners) -> FraudOut:
    tuning: Tuning = view.tuning
    return FraudOut(
        program_id=program_id,
        mode=tuning.mode.value,
        level=tuning.level.value,
        hold_at=tuning.hold_at,
        baseline_orders=view.baseline.count,
        baseline_quantiles=dict(view.baseline.quantiles),
        since=view.since,
        scored=view.scored,
        flagged=view.flagged,
        held=view.held,
        waiting=view.waiting,
        rules=[_rule_out(hit) for hit in view.rules],
        click_rules=[_rule_out(hit) for hit in view.click_rules],
        partner_rules=[_rule_out(hit) for hit in partners],
    )


def _rule_out(hit: protect.RuleHits) -> RuleOut:
    return RuleOut(
        code=hit.code,
        description=describe(hit.code),
        unit=hit.counts,
        fires_when="at_or_above" if RULES[hit.code].above else "at_or_below",
        enabled=hit.enabled,
        threshold=str(hit.threshold),
        weight=hit.weight,
        fired=hit.fired,
        held=hit.held,
        amount=Amount(amount=str(hit.amount.amount), currency=hit.amount.currency),
    )


def _signal_out(s) -> SignalOut:
    return SignalOut(
        code=s.code,
        description=describe(s.code),
        value=str(s.value),
        threshold=str(s.threshold),
        weight=s.weight,
        detail=s.detail,
    )


def risk_out(a: protect.Assessment) -> RiskOut:
    return RiskOut(
        conversion_id=a.conversion_id,
        program_id=a.program_id,
        partner_id=a.partner_id,
        order_id=a.order_id,
        occurred_at=a.at,
        scored_at=a.scored_at,
        amount=Amount(amount=str(a.amount.amount), currency=a.amount.currency),
        score=a.score,
        action=a.action,
        mode=a.mode,
        level=a.level,
        signals=[_signal_out(s) for s in a.signals],
        review=a.review,
        reviewed_at=a.reviewed_at,
        review_note=a.review_note,
        held=[Amount(amount=str(m.amount), currency=m.currency) for m in a.held],
    )


@router.get("/programs/{program_id}/fraud", response_model=FraudOut, responses=ERRORS)
def get_fraud(program_id: str, store: StoreDep, caller: CallerDep):
    """The program's fraud settings, its baseline and each rule's hits in the last 30 days."""
    return _fraud_out(
        program_id,
        protect.overview(store, caller, program_id),
        partner_risk.partner_rules(store, caller, program_id),
    )


@router.put(
    "/programs/{program_id}/fraud",
    response_model=FraudOut,
    responses=ERRORS,
    dependencies=[Depends(brands_program)],
)
def put_fraud(program_id: str, body: SettingsIn, store: StoreDep, caller: CallerDep):
    """Set the mode, level, hold threshold and rule overrides (the whole setting at once).

    Start in `shadow` to see what the rules would hold, then go `active`. Changing the
    settings applies to conversions recorded from now on; a held conversion stays held
    until a person reviews it.
    """
    protect.change_fraud_settings(
        store,
        caller,
        program_id,
        mode=body.mode,
        level=body.level,
        hold_at=body.hold_at,
        rules={code: r.model_dump(exclude_none=True) for code, r in body.rules.items()},
    )
    return _fraud_out(
        program_id,
        protect.overview(store, caller, program_id),
        partner_risk.partner_rules(store, caller, program_id),
    )


@router.get("/programs/{program_id}/fraud/queue", response_model=Page[RiskOut], responses=ERRORS)
def fraud_queue(
    program_id: str,
    store: StoreDep,
    caller: CallerDep,
    show: Literal["held", "flagged", "reviewed"] = "held",
    limit: Limit = 100,
    starting_after: StartingAfter = None,
):
    """Scored conversions, oldest first: `held` (waiting for a review), `flagged` (rules
    fired below the hold threshold, or in shadow mode) or `reviewed`."""
    found = protect.queue_page(
        store, caller, program_id, show, limit=limit, starting_after=starting_after
    )
    return Page[RiskOut](
        data=[risk_out(a) for a in found.rows],
        has_more=found.has_more,
        next_starting_after=found.next_after,
    )


@router.get("/conversions/{conversion_id}/risk", response_model=RiskOut, responses=ERRORS)
def conversion_risk(conversion_id: str, store: StoreDep, caller: CallerDep):
    """A conversion's risk score and the rules that fired, with their values and
    thresholds (a partner sees its own conversions' scores)."""
    found = protect.assessment_of(store, caller, conversion_id)
    if found is None:
        raise NotFound("risk score of conversion", conversion_id, field="conversion_id")
    return risk_out(found)


@router.post(
    "/conversions/{conversion_id}/release",
    response_model=RiskOut,
    responses=ERRORS,
    dependencies=[Depends(brands_conversion)],
)
def release(conversion_id: str, store: StoreDep, caller: CallerDep, body: ReviewIn | None = None):
    """Release a held conversion: its commissions are pending again and lock in their
    own time."""
    require_brand(caller)
    return risk_out(protect.release(store, caller, conversion_id, (body or ReviewIn()).note))


@router.post(
    "/conversions/{conversion_id}/decline",
    response_model=RiskOut,
    responses=ERRORS,
    dependencies=[Depends(brands_conversion)],
)
def decline(conversion_id: str, body: ReviewIn, store: StoreDep, caller: CallerDep):
    """Decline a held conversion: the order is reversed in whole with reason `fraud`,
    and `note` (required) tells the partner why."""
    require_brand(caller)
    return risk_out(protect.decline(store, caller, conversion_id, body.note))


class BacktestIn(Strict):
    since: datetime = Field(description="Start of the period replayed (ISO 8601, with zone).")
    until: datetime = Field(description="Its end, excluded; at most 400 days after `since`.")
    level: Literal["relaxed", "moderate", "strict"] | None = Field(
        default=None, description="The level to try (default: the program's)."
    )
    hold_at: int | None = Field(default=None, ge=1, le=100)
    rules: dict[str, RuleIn] | None = Field(
        default=None, description="Rule overrides to try (default: the program's)."
    )


class BacktestOut(BaseModel):
    job_id: str
    status: str = Field(description="queued, running, done or failed")
    done: int = Field(description="Conversions replayed so far.")
    total: int | None
    message: str | None = Field(description="Why it failed, when it did.")
    result: dict | None = Field(
        description="When done: conversions replayed, flagged, would_hold with the order "
        "value and commissions involved (minor units), held_later_reversed (of those held, "
        "how many were reversed since: the rules' precision on this program's history), "
        "each rule's counts, and up to 50 example orders."
    )


def _backtest_out(job) -> BacktestOut:
    return BacktestOut(
        job_id=job.id,
        status=job.status,
        done=job.done,
        total=job.total,
        message=job.message,
        result=job.result,
    )


@router.post(
    "/programs/{program_id}/fraud/backtests",
    response_model=BacktestOut,
    status_code=202,
    responses=ERRORS,
    dependencies=[Depends(brands_program)],
)
def start_backtest(program_id: str, body: BacktestIn, store: StoreDep, caller: CallerDep):
    """Replay the program's conversions of a past period under its rules (or a draft) as a
    job: what would have been held, the money involved, and how much of it was reversed
    anyway since. Nothing is held or changed. Follow it with GET .../backtests/{job_id}."""
    args: dict = {"since": body.since.isoformat(), "until": body.until.isoformat()}
    if body.level is not None:
        args["level"] = body.level
    if body.hold_at is not None:
        args["hold_at"] = body.hold_at
    if body.rules is not None:
        args["rules"] = {code: r.model_dump(exclude_none=True) for code, r in body.rules.items()}
    job = backtests.start_backtest(store, caller, program_id, args)
    return _backtest_out(job)


@router.get(
    "/programs/{program_id}/fraud/backtests/{job_id}",
    response_model=BacktestOut,
    responses=ERRORS,
)
def get_backtest(program_id: str, job_id: str, store: StoreDep, caller: CallerDep):
    """A backtest's progress, and its result once done."""
    require_brand(caller)
    return _backtest_out(backtests.backtest_job(store, caller, program_id, job_id))


class PartnerRiskOut(BaseModel):
    partner_id: str
    partner_name: str
    day: date = Field(description="The day (UTC) it was scored, on the 28 days ending then.")
    score: int = Field(description="0 to 100: the weights of the partner rules that fired.")
    band: str = Field(description="low (below 30), medium, or high (50 and above)")
    previous: int | None = Field(description="The score of the pass before (None: the first).")
    alerted: bool = Field(description="This score told the managers by e-mail.")
    signals: list[SignalOut]


class PartnerRiskList(BaseModel):
    data: list[PartnerRiskOut]


def _partner_risk_out(p: partner_risk.PartnerScore) -> PartnerRiskOut:
    return PartnerRiskOut(
        partner_id=p.partner_id,
        partner_name=p.partner_name,
        day=p.day,
        score=p.score,
        band=p.band,
        previous=p.previous,
        alerted=p.alerted,
        signals=[_signal_out(s) for s in p.signals],
    )


@router.get(
    "/programs/{program_id}/fraud/partners", response_model=PartnerRiskList, responses=ERRORS
)
def risky_partners(
    program_id: str,
    store: StoreDep,
    caller: CallerDep,
    limit: int = Query(default=100, ge=1, le=1000),
):
    """The program's partners with a risk score above 0 in the latest daily scores,
    highest first, each with the partner rules that fired."""
    found = partner_risk.riskiest(store, caller, program_id, limit=limit)
    return PartnerRiskList(data=[_partner_risk_out(p) for p in found])


@router.get(
    "/programs/{program_id}/partners/{partner_id}/risk",
    response_model=PartnerRiskList,
    responses=ERRORS,
)
def partner_risk_history(
    program_id: str,
    partner_id: str,
    store: StoreDep,
    caller: CallerDep,
    days: int = Query(default=90, ge=1, le=730),
):
    """A partner's daily risk scores in the program over the last `days` days, oldest
    first (empty before the first daily pass)."""
    history = partner_risk.partner_history(store, caller, program_id, partner_id, days)
    return PartnerRiskList(data=[_partner_risk_out(p) for p in history])


@router.post(
    "/programs/{program_id}/fraud/partners/score",
    response_model=BacktestOut,
    status_code=202,
    responses=ERRORS,
)
def score_partners(program_id: str, store: StoreDep, caller: CallerDep):
    """Score the program's partners now, as a job (the daily pass does it at 03:47 UTC);
    the managers are e-mailed about partners that reached high risk. Follow it with
    GET .../fraud/jobs/{job_id}; its result counts the alerts and e-mails."""
    return _backtest_out(backtests.start_scoring(store, caller, program_id))


@router.get(
    "/programs/{program_id}/fraud/jobs/{job_id}",
    response_model=BacktestOut,
    responses=ERRORS,
)
def get_fraud_job(program_id: str, job_id: str, store: StoreDep, caller: CallerDep):
    """A fraud job of the program (a backtest, or scoring its partners): its progress,
    and its result once done."""
    require_brand(caller)
    return _backtest_out(
        backtests.backtest_job(store, caller, program_id, job_id, kinds=backtests.KINDS)
    )
