"""The console's reports: growth quality, partner mix and diagnostic metrics, and the
program's incrementality tests."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from accord.errors import InvalidInput
from accord.partners import taxonomy
from accord.partners.types import brand_types
from accord.reports import growth_model as gm
from accord.reports import incrementality_model as im
from accord.reports.growth import growth_quality, parse_promotions, period_of, presets
from accord.reports.holdouts import (
    HoldoutSpec,
    define_holdout,
    delete_holdout,
    holdout_result,
    list_holdouts,
    parse_share,
    update_counts,
)
from accord.reports.mix import partner_mix
from accord.reports.runner import Period
from accord.web import i18n
from accord.web.pages import Form, SignedIn, back_to, locale_of, program_or_first, render

router = APIRouter(include_in_schema=False)

PRESETS = ("month", "30days", "1111")
SPLITS = ("customers", "days", "partners", "types")


def parse_day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(field, "give a date as YYYY-MM-DD") from None


def last_day(period: Period) -> date:
    assert period.until is not None
    return (period.until - timedelta(microseconds=1)).date()


def _periods(today: date, preset: str, fields: dict[str, str]) -> tuple[Period, Period, str]:
    """The two periods asked for: four dates if all are given, else a preset."""
    if all(fields.get(k) for k in fields):
        current = period_of(
            parse_day(fields["current_since"], "current_since"),
            parse_day(fields["current_until"], "current_until"),
            "current",
        )
        previous = period_of(
            parse_day(fields["previous_since"], "previous_since"),
            parse_day(fields["previous_until"], "previous_until"),
            "previous",
        )
        return current, previous, ""
    chosen = preset if preset in PRESETS else "month"
    current, previous = presets(today)[chosen]
    return current, previous, chosen


def _texts(request: Request, currency: str):
    locale = locale_of(request)
    fmt = i18n.Formatter(locale)
    gettext = i18n.translations(locale).gettext

    def say(sentence: gm.Sentence) -> str:
        return gm.render(
            sentence, gettext, lambda m: fmt.minor(m, currency), fmt.percent, fmt.number
        )

    return say, gettext, fmt


def _waterfall(g, gettext) -> str:
    """Each split as the steps of a waterfall: previous revenue, each part's change, and
    the current revenue (amounts in major units, as text)."""
    money = g.money
    labels = {
        "new": "New customers",
        "returning": "Returning customers",
        "promotion": "Promotion days",
        "steady": "Steady days",
        "top": "Top partners",
        "others": "Other partners",
        "none": "No partner",
    }
    d = g.decomposition
    data = {}
    for split in SPLITS:
        steps = [
            {
                "name": gettext(labels.get(p.key, p.key)),
                "value": str(money(p.change_minor).amount),
            }
            for p in getattr(d, split)
            if p.previous_minor or p.current_minor
        ]
        data[split] = steps
    return json.dumps(
        {
            "previous": str(money(d.previous_minor).amount),
            "current": str(money(d.current_minor).amount),
            "previous_label": gettext("Previous period"),
            "current_label": gettext("Current period"),
            "splits": data,
        }
    )


@router.get("/console/reports/growth")
def growth_page(
    request: Request,
    visitor: SignedIn,
    program: str | None = None,
    preset: str = "",
    current_since: str = "",
    current_until: str = "",
    previous_since: str = "",
    previous_until: str = "",
    split: str = "customers",
    promotions: str = "",
):
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    context = {"visitor": visitor, "programs": programs, "current": current, "section": "growth"}
    if current is None:
        return render(request, "growth.html", **context)
    back_to(request, f"/console/reports/growth?program={quote(current.id)}")
    fields = {
        "current_since": current_since,
        "current_until": current_until,
        "previous_since": previous_since,
        "previous_until": previous_until,
    }
    cur, prev, chosen = _periods(store.clock.now().date(), preset, fields)
    extra = parse_promotions(promotions.replace(",", " ").split(), "promotions")
    g = growth_quality(store, visitor.caller, current.id, cur, prev, extra)
    say, gettext, fmt = _texts(request, g.currency)
    d = g.decomposition
    return render(
        request,
        "growth.html",
        **context,
        g=g,
        d=d,
        preset=chosen,
        promotions=promotions,
        split=split if split in SPLITS else "customers",
        dates={
            "current_since": cur.since.date(),  # type: ignore[union-attr]
            "current_until": last_day(cur),
            "previous_since": prev.since.date(),  # type: ignore[union-attr]
            "previous_until": last_day(prev),
        },
        said=[(say(s), s.link) for s in g.sentences],
        rules=gm.rules_text(gettext, fmt.percent),
        share=gm.share,
        chart_json=_waterfall(g, gettext),
        empty=d.previous_minor == 0 and d.current_minor == 0,
    )


def _mix_chart(report, gettext) -> str:
    return json.dumps(
        {
            "types": [gettext(r.partner_type) for r in report.rows],
            "actual": [float(r.share or 0) * 100 for r in report.rows],
            "recommended": [float(r.recommended) * 100 for r in report.rows],
            "actual_label": gettext("Revenue share"),
            "recommended_label": gettext("Recommended share"),
        }
    )


def _result_view(result, fmt) -> dict:
    """What the page shows of one test's result."""
    t = result.test
    if t is None:
        return {"missing": result.missing}
    rate = isinstance(t, im.RateTest)
    number = lambda v: fmt.number(Decimal(repr(round(v, 4))))  # noqa: E731
    return {
        "rate": rate,
        "on": number(t.rate_on if rate else t.p1),
        "off": number(t.rate_off if rate else t.p2),
        "lift": fmt.percent(None if t.lift is None else Decimal(repr(t.lift))),
        "p": "\u2013" if t.p_value is None else f"{t.p_value:.4f}",
        "ci": f"{number(t.ci_low)} \u2026 {number(t.ci_high)}",
        "incremental": number(t.incremental_conversions),
        "revenue": result.incremental_revenue,
        "too_small": t.too_small,
        "significant": t.significant,
    }


@router.get("/console/reports/mix")
def mix_page(
    request: Request,
    visitor: SignedIn,
    program: str | None = None,
    stage: str = "",
    since: str = "",
    until: str = "",
    goal: str = "",
):
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    context = {"visitor": visitor, "programs": programs, "current": current, "section": "mix"}
    if current is None:
        return render(request, "mix.html", **context)
    back_to(request, f"/console/reports/mix?program={quote(current.id)}")
    period = None
    if since and until:
        period = period_of(parse_day(since, "since"), parse_day(until, "until"), "")
    report = partner_mix(store, visitor.caller, current.id, period, stage or None, goal or None)
    locale = locale_of(request)
    fmt = i18n.Formatter(locale)
    gettext = i18n.translations(locale).gettext
    tests = [
        (h, _result_view(holdout_result(store, visitor.caller, current.id, h.id), fmt))
        for h in list_holdouts(store, visitor.caller, current.id)
    ]
    stage_rules = [
        gettext(rule)
        % {
            "starting_days": fmt.number(gm.STARTING_DAYS),
            "starting_partners": fmt.number(gm.STARTING_PARTNERS),
            "mature_days": fmt.number(gm.MATURE_DAYS),
            "mature_partners": fmt.number(gm.MATURE_PARTNERS),
        }
        for rule in gm.STAGE_RULES
    ]
    return render(
        request,
        "mix.html",
        **context,
        report=report,
        stages=list(gm.Stage),
        goals=[(g.code, g.name(locale), g.groups) for g in taxonomy.GOALS],
        since=report.period.since.date(),  # type: ignore[union-attr]
        until=last_day(report.period),
        chart_json=_mix_chart(report, gettext),
        definitions=[gettext(t) for t in gm.DIAGNOSTIC_DEFINITIONS],
        stage_rules=stage_rules,
        sample_rule=gettext(im.SAMPLE_RULE)
        % {"conversions": fmt.number(im.MIN_CONVERSIONS), "expected": fmt.number(5)},
        tests=tests,
        types=brand_types(store, visitor.caller, locale),
        partners=sorted(report.partners, key=lambda p: p.name.casefold()),
        today=store.clock.now().date(),
        under_by=fmt.percent(gm.UNDER_BY),
    )


def _day_start(value: str, field: str) -> datetime:
    day = parse_day(value, field)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _count(value: str | None, field: str) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        return int(value.strip())
    except ValueError:
        raise InvalidInput(field, "give a whole number") from None


# The forms post under /console/programs/...: changing a program's tests needs programs:write.
@router.post("/console/programs/{program}/holdouts")
def define_test(program: str, request: Request, visitor: SignedIn, form: Form):
    """Define an incrementality test; dates are whole days (the last one included)."""
    back = f"/console/reports/mix?program={quote(program)}"
    back_to(request, back)
    scope_kind = form.get("scope_kind", "")
    scope = form.get("partner", "") if scope_kind == "partner" else form.get("partner_type", "")
    until = _day_start(form.get("until", ""), "until") + timedelta(days=1)
    on_since = on_until = None
    if form.get("on_since") and form.get("on_until"):
        on_since = _day_start(form["on_since"], "on_since")
        on_until = _day_start(form["on_until"], "on_until") + timedelta(days=1)
    spec = HoldoutSpec(
        name=form.get("name", ""),
        design=form.get("design", ""),
        scope_kind=scope_kind,
        scope=scope,
        since=_day_start(form.get("since", ""), "since"),
        until=until,
        share=parse_share(form.get("share")) if form.get("design") == "traffic" else None,
        on_since=on_since,
        on_until=on_until,
        held_visitors=_count(form.get("held_visitors"), "held_visitors"),
        held_conversions=_count(form.get("held_conversions"), "held_conversions"),
        exposed_visitors=_count(form.get("exposed_visitors"), "exposed_visitors"),
        exposed_conversions=_count(form.get("exposed_conversions"), "exposed_conversions"),
    )
    store = request.app.state.store
    define_holdout(store, visitor.caller, program, spec)
    return RedirectResponse(back + "#tests", status_code=303)


@router.post("/console/programs/{program}/holdouts/{holdout_id}/counts")
def enter_counts(program: str, holdout_id: str, request: Request, visitor: SignedIn, form: Form):
    back = f"/console/reports/mix?program={quote(program)}"
    back_to(request, back)
    held_v = _count(form.get("held_visitors"), "held_visitors")
    held_c = _count(form.get("held_conversions"), "held_conversions")
    if held_v is None or held_c is None:
        raise InvalidInput("held_visitors", "give the held-out visitors and conversions")
    update_counts(request.app.state.store, visitor.caller, program, holdout_id, (held_v, held_c))
    return RedirectResponse(back + "#tests", status_code=303)


@router.post("/console/programs/{program}/holdouts/{holdout_id}/delete")
def remove_test(program: str, holdout_id: str, request: Request, visitor: SignedIn, form: Form):
    back = f"/console/reports/mix?program={quote(program)}"
    back_to(request, back)
    delete_holdout(request.app.state.store, visitor.caller, program, holdout_id)
    return RedirectResponse(back + "#tests", status_code=303)
