"""A brand's hosted forms, for anyone: GET /f/{id} shows the form (in the visitor's
language, on a phone or framed in the brand's site with ?embed=1), POST /f/{id} records
the person. Hostile input: no session, answers checked and refused field by field, at most
FORM_SENDS per address an hour, and a hidden field that only robots fill."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from accord.errors import AccordError, NotFound
from accord.leads import forms as lead_forms
from accord.leads.qr import count_scan
from accord.leads.visits import check_vid
from accord.web.pages import OpenForm, peer, render
from accord.web.throttle import Throttle

router = APIRouter(include_in_schema=False)

#: Submissions per address and form in an hour.
FORM_SENDS = Throttle(30, 60 * 60)
UTM = ("source", "medium", "campaign", "term", "content")
#: A field no person sees or fills.
TRAP = "website_url"


def refused(error: AccordError) -> tuple[str, str]:
    """(the field, what the page says of it) for an answer a service refused: a consent not
    ticked, a field left empty, or one that does not look right."""
    field = getattr(error, "field", None) or ""
    reason = (
        "consent" if field.startswith("consent.")
        else "required" if error.message.endswith("is required")
        else "invalid"
    )  # fmt: skip
    return field, reason


def _framable(response: HTMLResponse) -> HTMLResponse:
    """Hosted forms may be framed by the brand's site (they change nothing of the brand's)."""
    del response.headers["X-Frame-Options"]
    response.headers["Content-Security-Policy"] = "frame-ancestors *"
    return response


def _page(request: Request, form, status: int = 200, **context) -> HTMLResponse:
    for name in ("error", "error_field", "typed", "done"):
        context.setdefault(name, None)
    query = request.query_params
    return _framable(
        render(
            request,
            "form_public.html",
            http_status=status,
            form=form,
            embed=query.get("embed") == "1",
            utm={k: query.get(f"utm_{k}", "")[:200] for k in UTM},
            qr=(context.pop("qr", None) or query.get("qr") or "")[:40],
            vid=check_vid(context.pop("vid", None) or query.get("vid")),
            came_from=(request.headers.get("referer") or "")[:2000],
            trap=TRAP,
            **context,
        )
    )


@router.get("/f/{form_id}")
def show(form_id: str, request: Request):
    try:
        form = lead_forms.public_form(request.app.state.store, form_id)
    except NotFound:
        return _framable(render(request, "form_public.html", http_status=404, form=None,
                                embed=False, utm={}, qr="", vid=None, came_from="", trap=TRAP,
                                error=None, error_field=None, typed=None, done=None))  # fmt: skip
    if request.query_params.get("qr"):  # opened from a printed code: count the scan
        count_scan(request.app.state.store, form.id, request.query_params["qr"])
    return _page(request, form)


@router.post("/f/{form_id}")
def send(form_id: str, request: Request, answers: OpenForm):
    store = request.app.state.store
    try:
        form = lead_forms.public_form(store, form_id)
    except NotFound:
        return show(form_id, request)
    typed = {k: v[:320] for k, v in answers.items() if k != TRAP}
    if answers.get(TRAP):  # a robot: thank it and keep nothing
        return _page(request, form, done=True)
    key = f"{peer(request)}|{form.id}"
    if FORM_SENDS.wait_seconds(key):
        return _page(
            request,
            form,
            status=429,
            error="too_many",
            typed=typed,
            qr=answers.get("qr"),
            vid=answers.get("vid"),
        )
    FORM_SENDS.hit(key)
    try:
        lead_forms.submit(
            store,
            form.id,
            answers,
            utm={k: answers.get(f"utm_{k}", "") for k in UTM},
            referrer=answers.get("came_from") or None,
            qr=answers.get("qr") or None,
            cookie=answers.get("vid") or None,
        )
    except AccordError as error:
        field, reason = refused(error)
        return _page(
            request,
            form,
            status=422,
            error=reason,
            error_field=field,
            typed=typed,
            qr=answers.get("qr"),
            vid=answers.get("vid"),
        )
    return _page(request, form, done=True)
