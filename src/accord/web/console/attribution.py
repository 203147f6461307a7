"""The console's attribution policy: the model that pays, its window, promo codes, partner-type
priority and split credit, as versions from an effective date, with their history."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from accord.attribution.policies import list_policies, set_policy
from accord.attribution.policy import CodePolicy, Model, Policy
from accord.contracts.model import EventType
from accord.contracts.whatif import what_if
from accord.errors import InvalidInput
from accord.partners.service import partner_names
from accord.partners.types import brand_types
from accord.web.pages import (
    Form,
    SignedIn,
    back_to,
    locale_of,
    program_or_first,
    render,
    retry_with,
    said,
)

router = APIRouter(include_in_schema=False)

PRIORITY_SLOTS = 3
#: Event types a policy may be limited to (a click is not a conversion).
EVENT_TYPES = [e.value for e in EventType if e is not EventType.CLICK]


def policy_page(request: Request, visitor, program: str | None, status: int = 200, **context):
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    versions = list_policies(store, visitor.caller, current.id) if current is not None else []
    live = next((v for v in versions if v.in_force and v.event_type is None), None)
    return render(
        request,
        "attribution_policy.html",
        http_status=status,
        visitor=visitor,
        programs=programs,
        current=current,
        versions=versions,
        shown=(context.pop("typed", None) or (live.policy if live else Policy())),
        models=list(Model),
        code_policies=list(CodePolicy),
        partner_types=brand_types(request.app.state.store, visitor.caller, locale_of(request)),
        event_types=EVENT_TYPES,
        slots=range(PRIORITY_SLOTS),
        section="attribution",
        **context,
    )


@router.get("/console/settings/attribution")
def attribution_settings(
    request: Request, visitor: SignedIn, program: str | None = None, saved: int | None = None
):
    return policy_page(request, visitor, program, saved=saved, error=None)


def _number(form: dict[str, str], field: str, default: str = "") -> int:
    text = form.get(field, default).strip()
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(field, "must be a whole number") from None


def _when(text: str) -> datetime | None:
    """The form's date and time (UTC), or None for now."""
    text = text.strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput(
            "effective_from", "give a date and time such as 2026-12-24 00:00"
        ) from None


def policy_of(form: dict[str, str]) -> Policy:
    """The policy as the form sends it (checked by Policy itself)."""
    window = form.get("window_days", "").strip()
    priority = [form.get(f"priority_{n}", "").strip() for n in range(PRIORITY_SLOTS)]
    return Policy(
        model=form.get("model", "last_click"),
        window_days=_number(form, "window_days") if window else None,
        first_weight=form.get("first_weight", "0.4").strip() or "0",
        last_weight=form.get("last_weight", "0.4").strip() or "0",
        half_life_hours=_number(form, "half_life_hours", "168"),
        code_policy=form.get("code_policy", "without_click"),
        type_priority=tuple(p for p in priority if p),
        priority_hours=_number(form, "priority_hours", "0"),
        split=form.get("split") == "on",
    )


@router.post("/console/settings/attribution")
def save_attribution_policy(request: Request, visitor: SignedIn, form: Form):
    """A new version of the policy; a refusal shows the form again with what was typed."""
    program = form.get("program", "")
    retry_with(
        request,
        lambda error: policy_page(
            request,
            visitor,
            program,
            error.status,
            saved=None,
            error=said(request, error),
            form=form,
        ),
    )
    event_type = form.get("event_type", "").strip() or None
    set_policy(
        request.app.state.store,
        visitor.caller,
        program,
        policy_of(form),
        effective_from=_when(form.get("effective_from", "")),
        event_type=event_type,
        note=form.get("note", "").strip() or None,
    )
    return RedirectResponse(
        f"/console/settings/attribution?program={quote(program)}&saved=1", status_code=303
    )


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(field, "give a date such as 2026-11-01") from None


@router.get("/console/settings/attribution/what-if")
def attribution_what_if(
    request: Request,
    visitor: SignedIn,
    program: str | None = None,
    model: str = "linear",
    split: str = "",
    code_policy: str = "without_click",
    since: str = "",
    until: str = "",
):
    """What each partner would have earned had the program's past conversions been
    attributed under another model (each paid by its own contract). Nothing is written."""
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    today = store.clock.now().date()
    first = _day(since, "since") if since else today - timedelta(days=30)
    last = _day(until, "until") if until else today
    context = {"model": model, "split": split, "code_policy": code_policy,
               "since": first.isoformat(), "until": last.isoformat()}  # fmt: skip
    result, names, chart = None, {}, "{}"
    if current is not None and (since or until):
        back_to(request, f"/console/settings/attribution/what-if?program={quote(current.id)}")
        policy = Policy(model=model, split=split == "on", code_policy=code_policy)
        start = datetime.combine(first, time(), tzinfo=UTC)
        end = datetime.combine(last, time(), tzinfo=UTC) + timedelta(days=1)
        result = what_if(store, visitor.caller, current.id, None, start, end, policy).as_dict()
        names = partner_names(store, visitor.caller, {p["partner_id"] for p in result["partners"]})
        top = result["partners"][:15]
        chart = json.dumps(
            {
                "names": [names.get(p["partner_id"], p["partner_id"]) for p in top],
                "actual": [p["actual"] for p in top],
                "draft": [p["draft"] for p in top],
            }
        )
    return render(
        request,
        "attribution_whatif.html",
        visitor=visitor,
        programs=programs,
        current=current,
        result=result,
        names=names,
        chart_json=chart,
        models=list(Model),
        code_policies=list(CodePolicy),
        section="attribution",
        **context,
    )
