"""The console's fraud page: conversions held for a review (release, or decline as a fraud
reversal), those flagged and those reviewed; the program's mode, level, hold threshold and
each rule's threshold and weight, with how often each fired in the last 30 days.

GET /console/fraud?program=...&show=held|flagged|reviewed shows it; the forms post to
/console/programs/{id}/fraud (settings: programs:write) and /console/conversions/{id}/
release|decline (a review: conversions:write).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from accord.errors import AccordError, InvalidInput
from accord.partners.service import partner_names
from accord.protect import partner_risk
from accord.protect import service as protect
from accord.protect.backtests import latest_backtest, start_backtest, start_scoring
from accord.protect.model import CONVERSION_RULES, RULES, Level, Mode
from accord.protect.partners import duplicate_accounts
from accord.web import i18n
from accord.web.pages import (
    PAGE_SIZE,
    Form,
    SignedIn,
    locale_of,
    program_or_first,
    render,
    retry_with,
)

router = APIRouter(include_in_schema=False)


def _page(program_id: str, **extra: str) -> str:
    query = "&".join(f"{k}={quote(v)}" for k, v in {"program": program_id, **extra}.items())
    return f"/console/fraud?{query}"


def fraud_page_for(
    request: Request,
    visitor,
    program: str | None,
    show: str = "held",
    after: str | None = None,
    status: int = 200,
    **context,
):
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    show = show if show in protect.SHOWN else "held"
    base = {"visitor": visitor, "programs": programs, "current": current,
            "section": "fraud", "show": show}  # fmt: skip
    if current is None:
        return render(request, "fraud.html", http_status=status, **base, **context)
    caller = visitor.caller
    view = protect.overview(store, caller, current.id)
    page = protect.queue_page(
        store, caller, current.id, show, limit=PAGE_SIZE, starting_after=after
    )
    names = partner_names(store, caller, {a.partner_id for a in page.rows})
    twins = duplicate_accounts(store, caller, current.id)
    names_all = partner_names(
        store, caller, {d.partner_id for d in twins} | {o for d in twins for o in d.others}
    )
    scores = partner_risk.risk_by_partner(store, caller, current.id)
    today = store.clock.now().date()
    context.setdefault("backtest_since", (today - timedelta(days=90)).isoformat())
    context.setdefault("backtest_until", today.isoformat())
    for name in ("error", "error_field", "typed", "declining", "done", "saved"):
        context.setdefault(name, None)
    return render(
        request,
        "fraud.html",
        http_status=status,
        **base,
        view=view,
        rows=[(a, names.get(a.partner_id or "")) for a in page.rows],
        more=page.next_after,
        rules=CONVERSION_RULES,
        levels=[level.value for level in Level],
        modes=[mode.value for mode in Mode],
        can_change=caller.may("programs:write"),
        can_review=caller.may("conversions:write"),
        backtest=latest_backtest(store, caller, current.id),
        twins=twins,
        names_all=names_all,
        partner_rules=partner_risk.partner_rules(store, caller, current.id),
        risky=partner_risk.riskiest(store, caller, current.id, limit=PAGE_SIZE),
        told=partner_risk.recent_alerts(store, caller, current.id),
        scored_on=next(iter(scores.values())).day if scores else None,
        **context,
    )


@router.get("/console/fraud")
def fraud_page(
    request: Request,
    visitor: SignedIn,
    program: str | None = None,
    show: str = "held",
    after: str | None = None,
    done: str = "",
    saved: str = "",
):
    return fraud_page_for(request, visitor, program, show, after, done=done, saved=saved == "1")


def _field_problem(locale: str, field: str) -> str:
    """What is wrong with a field of the settings form, in the visitor's language."""
    words = i18n.translations(locale)
    _ = words.gettext
    if field == "hold_at":
        return _("The hold threshold must be a whole number from 1 to 100.")
    if field.endswith(".weight"):
        return _("A weight must be a whole number from 0 to 100.")
    if field.endswith(".threshold"):
        return _("A threshold must be a number of at least 0.")
    if field == "note":
        return _("Say why the order is declined: the partner reads it.")
    return _("Check the highlighted field.")


def _overrides(form: dict[str, str], shown_level: Level) -> dict[str, dict]:
    """Per-rule overrides from the form: a value the visitor left at the shown level's
    default is no override, so choosing another level moves it to that level's value."""
    out: dict[str, dict] = {}
    for rule in RULES.values():
        kept: dict[str, object] = {}
        threshold = form.get(f"{rule.code}.threshold", "").strip()
        if threshold:
            try:
                same = Decimal(threshold) == rule.threshold(shown_level)
            except InvalidOperation:
                same = False
            if not same:
                kept["threshold"] = threshold
        weight = form.get(f"{rule.code}.weight", "").strip()
        if weight and weight != str(rule.weight(shown_level)):
            kept["weight"] = weight
        if form.get(f"{rule.code}.enabled") != "on":
            kept["enabled"] = False
        if kept:
            out[rule.code] = kept
    return out


@router.post("/console/programs/{program_id}/fraud")
def save_fraud(program_id: str, request: Request, visitor: SignedIn, form: Form):
    """Save the mode, level, hold threshold and rule overrides; a refusal shows the page
    again with what was typed and the field at fault."""

    def again(error: AccordError):
        field = getattr(error, "field", None) or ""
        return fraud_page_for(
            request,
            visitor,
            program_id,
            status=error.status,
            error=_field_problem(locale_of(request), field),
            error_field=field,
            typed=form,
        )

    retry_with(request, again)
    try:
        shown = Level(form.get("shown_level", "moderate"))
    except ValueError:
        shown = Level.MODERATE
    try:
        hold_at = int(form.get("hold_at", "").strip())
    except ValueError:
        raise InvalidInput("hold_at", "must be a whole number from 1 to 100") from None
    protect.change_fraud_settings(
        request.app.state.store,
        visitor.caller,
        program_id,
        mode=form.get("mode", ""),
        level=form.get("level", ""),
        hold_at=hold_at,
        rules=_overrides(form, shown),
    )
    return RedirectResponse(_page(program_id, saved="1") + "#settings", status_code=303)


def _review_problem(locale: str, error: AccordError) -> str:
    """Why a review was refused, in the visitor's language."""
    _ = i18n.translations(locale).gettext
    if getattr(error, "field", None) == "note":
        return _field_problem(locale, "note")
    if error.status == 409 and "already" in error.message:
        return _("This conversion was already reviewed.")
    if error.status in (404, 409):
        return _("This conversion is not held for a review.")
    return _("The review could not be saved.")


def _on_refusal(request: Request, visitor, program: str, conversion_id: str) -> None:
    retry_with(
        request,
        lambda error: fraud_page_for(
            request,
            visitor,
            program,
            status=error.status,
            error=_review_problem(locale_of(request), error),
            error_field=getattr(error, "field", None),
            declining=conversion_id,
        ),
    )


@router.post("/console/conversions/{conversion_id}/release")
def release_held(conversion_id: str, request: Request, visitor: SignedIn, form: Form):
    """Release a held conversion: its commissions are pending again."""
    program = form.get("program", "")
    _on_refusal(request, visitor, program, conversion_id)
    protect.release(request.app.state.store, visitor.caller, conversion_id, form.get("note"))
    return RedirectResponse(_page(program, done="released"), status_code=303)


@router.post("/console/conversions/{conversion_id}/decline")
def decline_held(conversion_id: str, request: Request, visitor: SignedIn, form: Form):
    """Decline a held conversion: reversed in whole, reason fraud; the note is required."""
    program = form.get("program", "")
    _on_refusal(request, visitor, program, conversion_id)
    protect.decline(request.app.state.store, visitor.caller, conversion_id, form.get("note"))
    return RedirectResponse(_page(program, done="declined"), status_code=303)


def _day(form: dict[str, str], field: str) -> datetime:
    try:
        day = date.fromisoformat(form.get(field, "").strip())
    except ValueError:
        raise InvalidInput(field, "give a date such as 2026-11-01") from None
    return datetime.combine(day, time(), tzinfo=UTC)


@router.post("/console/programs/{program_id}/fraud/backtest")
def run_fraud_backtest(program_id: str, request: Request, visitor: SignedIn, form: Form):
    """Start a backtest of the rules (or another level and hold threshold) over whole days
    (UTC), as a job; its page shows the progress and the result."""
    _ = i18n.translations(locale_of(request)).gettext

    def again(error: AccordError):
        field = getattr(error, "field", None) or ""
        if field in ("since", "until"):
            message = _("Choose a period of at most 400 days, the end after the start.")
        elif error.status == 409:
            message = _("Another job of yours is still running: try again when it has finished.")
        else:
            message = _field_problem(locale_of(request), field)
        return fraud_page_for(
            request, visitor, program_id, status=error.status, error=message, error_field=field,
            backtest_since=form.get("since", ""), backtest_until=form.get("until", ""),
        )  # fmt: skip

    retry_with(request, again)
    args: dict = {
        "since": _day(form, "since").isoformat(),
        "until": (_day(form, "until") + timedelta(days=1)).isoformat(),
    }
    if form.get("level"):
        args["level"] = form["level"]
    try:
        args["hold_at"] = int(form.get("hold_at", "").strip())
    except ValueError:
        raise InvalidInput("hold_at", "must be a whole number from 1 to 100") from None
    job = start_backtest(
        request.app.state.store, visitor.caller, program_id, args, user_id=visitor.user_id
    )
    return RedirectResponse(f"/console/jobs/{job.id}", status_code=303)


@router.post("/console/programs/{program_id}/fraud/partners/score")
def score_partners_now(program_id: str, request: Request, visitor: SignedIn, form: Form):
    """Score the program's partners now, as a job; its page shows when it is done."""
    _ = i18n.translations(locale_of(request)).gettext

    def again(error: AccordError):
        message = (
            _("Another job of yours is still running: try again when it has finished.")
            if error.status == 409
            else _("The partners could not be scored.")
        )
        return fraud_page_for(request, visitor, program_id, status=error.status, error=message)

    retry_with(request, again)
    job = start_scoring(
        request.app.state.store, visitor.caller, program_id, user_id=visitor.user_id
    )
    return RedirectResponse(f"/console/jobs/{job.id}", status_code=303)
