"""The portal's settings: the partner's payout method, and postbacks (a URL Accord calls
when a commission is created, approved or paid)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from accord.partners.service import (
    PAYOUT_METHODS,
    masked_details,
    own_partner,
    partner_enrollments,
    set_payout_method,
)
from accord.postbacks.service import (
    disable_endpoint,
    list_endpoints,
    recent_deliveries,
    register_endpoint,
    send_test,
)
from accord.postbacks.worker import HttpSender, http_client
from accord.web.pages import Form, FormPairs, SignedIn, back_to, portal_page, render
from accord.web.throttle import POSTBACK_TESTS

router = APIRouter(include_in_schema=False)


def settings_view(request: Request, visitor, saved: str | None = None, tested=None):
    store = request.app.state.store
    enrolled = partner_enrollments(store, visitor.caller)
    partner = own_partner(store, visitor.caller)
    endpoints = list_endpoints(store, visitor.caller)
    return portal_page(
        request,
        "portal/settings.html",
        visitor,
        enrolled,
        None,
        "settings",
        partner=partner,
        details=masked_details(partner.payout_details or {}),
        methods=PAYOUT_METHODS,
        endpoints=endpoints,
        deliveries=recent_deliveries(store, visitor.caller, [e.id for e in endpoints]),
        tested=tested,
        approved=[e.program for e in enrolled if e.status == "approved"],
        saved=saved,
        form={},
        error=None,
    )


@router.get("/portal/settings")
def settings_page(
    request: Request, visitor: SignedIn, saved: str | None = None, secret: str | None = None
):
    return settings_view(request, visitor, saved)


@router.post("/portal/settings/payout-method")
def save_payout_method(request: Request, visitor: SignedIn, form: Form):
    back_to(request, "/portal/settings")
    set_payout_method(request.app.state.store, visitor.caller, form)
    return RedirectResponse("/portal/settings?saved=payout", status_code=303)


@router.post("/portal/settings/postbacks")
def add_postback(request: Request, visitor: SignedIn, pairs: FormPairs):
    back_to(request, "/portal/settings")
    form = dict(pairs)
    endpoint = register_endpoint(
        request.app.state.store,
        visitor.caller,
        url=(form.get("url") or "").strip(),
        program_id=form.get("program") or None,
        events=[v for k, v in pairs if k == "event"] or None,
        allow_private=request.app.state.settings.postback_allow_private,
    )
    return render(
        request,
        "portal/postback_made.html",
        visitor=visitor,
        endpoint=endpoint,
        programs=[],
        current=None,
        section="settings",
    )


@router.post("/portal/settings/postbacks/{endpoint_id}/disable")
def disable_postback(endpoint_id: str, request: Request, visitor: SignedIn, form: Form):
    back_to(request, "/portal/settings")
    disable_endpoint(request.app.state.store, visitor.caller, endpoint_id)
    return RedirectResponse("/portal/settings?saved=postback", status_code=303)


@router.post("/portal/settings/postbacks/{endpoint_id}/test")
def test_postback(endpoint_id: str, request: Request, visitor: SignedIn, form: Form):
    """Call the postback once now with a made-up commission, and show what its server said."""
    back_to(request, "/portal/settings")
    private = request.app.state.settings.postback_allow_private
    store = request.app.state.store
    wait = POSTBACK_TESTS.wait_seconds(visitor.caller.partner_id or "")
    if wait:
        page = settings_view(request, visitor, tested={"id": endpoint_id, "wait": wait})
        page.status_code, page.headers["Retry-After"] = 429, str(wait)
        return page
    POSTBACK_TESTS.hit(visitor.caller.partner_id or "")
    with http_client() as client:
        sent = send_test(store, visitor.caller, endpoint_id, HttpSender(client),
                         allow_private=private)  # fmt: skip
    return settings_view(request, visitor, tested={"id": endpoint_id, "sent": sent})
