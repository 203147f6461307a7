"""The console's hand-off to sales: where new MQLs go (the CRM's webhook and its shape, or
the built-in CRM's sales reps), each hand-off with its last attempt (a failed one can be
sent again), the MQLs as a CSV in HubSpot's or Salesforce's import columns, and an upload of
what sales made of them (run as a job, each row with its result).

GET /console/lead-handoff shows it; the forms post to /console/lead-handoff (settings),
/console/lead-handoffs/{id}/retry and /console/lead-handoff/outcomes (the upload); all need
leads:write.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from accord.errors import AccordError
from accord.jobs import service as jobs
from accord.leads import handoff
from accord.leads.handoff_model import FORMATS
from accord.leads.model import STAGES
from accord.web.pages import Form, SignedIn, back_to, render, retry_with, said

router = APIRouter(include_in_schema=False)


def handoff_page_for(request: Request, visitor, status: int = 200, **context):
    store = request.app.state.store
    for name in ("error", "error_field", "typed", "secret", "saved"):
        context.setdefault(name, None)
    return render(
        request, "lead_handoff.html", status, visitor=visitor, section="contacts",
        current=None, programs=[], settings=handoff.handoff_settings(store, visitor.caller),
        items=handoff.recent_handoffs(store, visitor.caller), formats=FORMATS,
        stages=[s.value for s in STAGES],
        uploads=[j for j in jobs.recent_jobs(store, visitor.caller, 20)
                 if j.kind == "import_outcomes"][:5],
        **context,
    )  # fmt: skip


@router.get("/console/lead-handoff")
def handoff_page(request: Request, visitor: SignedIn, saved: str | None = None):
    return handoff_page_for(request, visitor, saved=saved)


@router.post("/console/lead-handoff")
def save_handoff(request: Request, visitor: SignedIn, form: Form):
    def again(error: AccordError):
        return handoff_page_for(request, visitor, status=422, error=said(request, error),
                                error_field=getattr(error, "field", None), typed=form)  # fmt: skip

    retry_with(request, again)
    done = handoff.change_handoff(
        request.app.state.store, visitor.caller, url=form.get("url") or None,
        format=form.get("format", "hubspot"), assign=form.get("assign") == "yes",
        new_secret=form.get("new_secret") == "yes",
        allow_private=request.app.state.settings.postback_allow_private,
    )  # fmt: skip
    if done.secret:  # shown once, on this page, never in a URL
        return handoff_page_for(request, visitor, secret=done.secret, saved="1")
    return RedirectResponse("/console/lead-handoff?saved=1", status_code=303)


@router.post("/console/lead-handoffs/{handoff_id}/retry")
def retry(handoff_id: str, request: Request, visitor: SignedIn, form: Form):
    back_to(request, "/console/lead-handoff")
    handoff.send_again(request.app.state.store, visitor.caller, handoff_id)
    return RedirectResponse("/console/lead-handoff?saved=retry", status_code=303)


@router.get("/console/lead-handoff/leads.csv")
def export(request: Request, visitor: SignedIn, format: str = "hubspot", stage: str = "mql"):
    back_to(request, "/console/lead-handoff")
    text = handoff.handoff_csv(request.app.state.store, visitor.caller, format, stage)
    return Response(
        "\ufeff" + text, media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="leads-{stage}-{format}.csv"'},
    )  # fmt: skip


@router.post("/console/lead-handoff/outcomes")
async def upload_outcomes(request: Request, visitor: SignedIn):
    """A CRM's CSV of outcomes, imported as a job (a leads permission, not conversions')."""
    from accord.web.jobs_pages import start_import

    return await start_import("outcomes", request, visitor)
