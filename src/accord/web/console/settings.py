"""The console's program settings: windows, locking, payouts, domains and listing (the
currency is shown but fixed once a program exists), and the browser events' signing key."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from accord.conversions.browser import SIGNING_RECIPE
from accord.errors import InvalidInput
from accord.money import Money, to_decimal
from accord.programs.service import max_order_amount, new_browser_secret, update_program
from accord.web.pages import Form, SignedIn, back_to, program_or_first, render, retry_with, said

router = APIRouter(include_in_schema=False)


def settings_page_for(request: Request, visitor, program: str | None, status: int = 200, **context):
    """The settings page of a program, with its threshold and order cap as typed."""
    programs, current = program_or_first(request.app.state.store, visitor, program)
    if current is not None:
        threshold = Money.from_minor(current.payout_threshold_minor, current.currency)
        context["fmt_threshold"] = str(threshold.amount)
        context["fmt_max_order"] = str(max_order_amount(current).amount)
    return render(
        request,
        "settings.html",
        http_status=status,
        visitor=visitor,
        programs=programs,
        current=current,
        section="settings",
        **context,
    )


@router.get("/console/settings")
def settings_page(
    request: Request, visitor: SignedIn, program: str | None = None, saved: int | None = None
):
    return settings_page_for(request, visitor, program, saved=saved, error=None)


def integer(form: dict[str, str], field: str) -> int:
    try:
        return int(form.get(field, "").strip())
    except ValueError:
        raise InvalidInput(field, "must be a whole number") from None


def decimal(form: dict[str, str], field: str):
    text = form.get(field, "").strip() or "0"
    try:
        return to_decimal(text, field=field)
    except InvalidInput:
        raise InvalidInput(field, "must be a number such as 25.00") from None


def changes_of(form: dict[str, str]) -> dict:
    """The program's settings as the form sends them."""
    domains = form.get("permitted_domains", "").replace(",", "\n").splitlines()
    return {
        "name": form.get("name", ""),
        "default_landing_url": form.get("default_landing_url", "").strip(),
        "attribution_window_days": integer(form, "attribution_window_days"),
        "locking_days": integer(form, "locking_days"),
        "lock_policy": form.get("lock_policy", "after_event"),
        "auto_approve": form.get("auto_approve") == "on",
        "payout_threshold": decimal(form, "payout_threshold"),
        "payout_schedule": form.get("payout_schedule", "manual"),
        "duplicate_click_seconds": integer(form, "duplicate_click_seconds"),
        "view_through_hours": integer(form, "view_through_hours"),
        "click_id_param": form.get("click_id_param", "").strip(),
        "permitted_domains": [d.strip() for d in domains if d.strip()],
        "listed": form.get("listed") == "on",
        "auto_approve_partners": form.get("auto_approve_partners") == "on",
        "description": form.get("description", ""),
        "browser_events": form.get("browser_events", "off"),
        "browser_event_max_age_minutes": integer(form, "browser_event_max_age_minutes"),
        "max_order_amount": decimal(form, "max_order_amount"),
        "order_total_tolerance_percent": decimal(form, "order_total_tolerance_percent"),
    }


@router.post("/console/settings")
def save_settings(request: Request, visitor: SignedIn, form: Form):
    """Change the program's settings; a refusal shows the page again with the reason."""
    program = form.get("program", "")
    retry_with(
        request,
        lambda error: settings_page_for(
            request, visitor, program, error.status, saved=None, error=said(request, error)
        ),
    )
    update_program(request.app.state.store, visitor.caller, program, changes_of(form))
    return RedirectResponse(f"/console/settings?program={quote(program)}&saved=1", status_code=303)


@router.post("/console/settings/browser-signing-key")
def make_browser_signing_key(request: Request, visitor: SignedIn, form: Form):
    """Make a new key for the brand's server to sign browser events with; shown once."""
    program = form.get("program", "")
    back_to(request, "/console/settings")
    key = new_browser_secret(request.app.state.store, visitor.caller, program)
    page = settings_page_for(
        request,
        visitor,
        program,
        saved=None,
        error=None,
        signing_key=key,
        signing_recipe=SIGNING_RECIPE,
    )
    page.headers["cache-control"] = "no-store"
    return page
