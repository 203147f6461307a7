"""The brand's events for anyone: GET /events/{id} shows an event with its registration
form (on a phone, in the visitor's language), POST /events/{id} registers and leads to the
person's ticket, GET /events/{id}/ticket/{token} is the ticket with its QR code (the code
opens the event's check-in page in the console for the staff at the door).

Hostile input as for hosted forms: answers checked field by field, sends per address
throttled, and a field only robots fill.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from accord.errors import AccordError, NotFound
from accord.leads import events as lead_events
from accord.leads import qr
from accord.leads.visits import check_vid
from accord.web.pages import OpenForm, peer, public_base, render
from accord.web.public_forms import FORM_SENDS, TRAP, UTM, refused

router = APIRouter(include_in_schema=False)


def _page(request: Request, event, status: int = 200, **context) -> HTMLResponse:
    for name in ("error", "error_field", "typed", "ticket"):
        context.setdefault(name, None)
    query = request.query_params
    response = render(request, "event_public.html", http_status=status, event=event,
                      fields=lead_events.FIELDS, trap=TRAP,
                      utm={k: query.get(f"utm_{k}", "")[:200] for k in UTM},
                      vid=check_vid(query.get("vid") or request.cookies.get("_accord_vid")),
                      now=request.app.state.store.clock.now(), **context)  # fmt: skip
    response.headers["Cache-Control"] = "no-store, private"
    return response


def _event(request: Request, event_id: str):
    try:
        return lead_events.public_event(request.app.state.store, event_id)
    except NotFound:
        return None


@router.get("/events/{event_id}")
def show(event_id: str, request: Request) -> HTMLResponse:
    event = _event(request, event_id)
    return _page(request, event, status=200 if event else 404)


@router.post("/events/{event_id}")
def sign_up(event_id: str, request: Request, answers: OpenForm):
    event = _event(request, event_id)
    if event is None:
        return _page(request, None, status=404)
    typed = {k: v[:320] for k, v in answers.items() if k != TRAP}
    if answers.get(TRAP):
        return _page(request, event)
    key = f"{peer(request)}|{event.id}"
    if FORM_SENDS.wait_seconds(key):
        return _page(request, event, status=429, error="too_many", typed=typed)
    FORM_SENDS.hit(key)
    try:
        done = lead_events.register(
            request.app.state.store, event.id, answers,
            utm={k: answers.get(f"utm_{k}", "") for k in UTM},
            referrer=(request.headers.get("referer") or "")[:2000] or None,
            cookie=answers.get("vid") or request.cookies.get("_accord_vid"),
        )  # fmt: skip
    except AccordError as error:
        field, reason = refused(error)
        if field == "event":  # the event, not an answer: closed or full
            reason = "closed" if "closed" in error.message else "full"
        return _page(request, event, status=422, error=reason, error_field=field, typed=typed)
    return RedirectResponse(f"/events/{event.id}/ticket/{done.token}", status_code=303)


@router.get("/events/{event_id}/ticket/{token}")
def ticket(event_id: str, token: str, request: Request) -> HTMLResponse:
    try:
        found = lead_events.ticket(request.app.state.store, event_id, token)
    except NotFound:
        return _page(request, None, status=404)
    return _page(request, found.event, ticket=found)


@router.get("/events/{event_id}/calendar.ics")
def calendar(event_id: str, request: Request) -> Response:
    """The event for the visitor's calendar (iCalendar)."""
    event = _event(request, event_id)
    if event is None:
        return Response(status_code=404)
    body = lead_events.calendar(event, public_base(request), request.app.state.store.clock.now())
    return Response(body, media_type="text/calendar; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{event.id}.ics"'})  # fmt: skip


@router.get("/events/{event_id}/qr/{token}.svg")
def ticket_code(event_id: str, token: str, request: Request) -> Response:
    try:
        found = lead_events.ticket(request.app.state.store, event_id, token)
    except NotFound:
        return Response(status_code=404)
    body, media = qr.image(
        lead_events.check_in_url(public_base(request), event_id, found.token), "svg"
    )
    return Response(body, media_type=media, headers={"Cache-Control": "no-store, private"})
