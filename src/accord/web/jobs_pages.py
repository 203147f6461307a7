"""Long operations in the console: CSV imports of offline conversions and of returns, and
payout batches, each run as a job on the queue whose page shows a progress bar until it is
done (the work itself is in accord.jobs.work)."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from accord.jobs import service as jobs
from accord.partners.types import brand_types
from accord.web import exports_table
from accord.web.pages import (
    Form,
    SignedIn,
    back_to,
    expired,
    forged,
    locale_of,
    program_or_first,
    refuse,
    render,
)

router = APIRouter(include_in_schema=False)

#: Largest CSV the console takes in one upload.
MAX_UPLOAD = 50 * 1024 * 1024
IMPORTS = ("conversions", "reversals", "leads", "outcomes", "partners", "history")
#: What a leads upload may say once for every row.
LEAD_DEFAULTS = ("type", "channel", "source", "campaign", "subject")
TOO_BIG = "file: larger than %(mb)s MB; split it into smaller files"


@router.get("/console/imports")
def imports_page(request: Request, visitor: SignedIn, program: str | None = None):
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    return render(
        request,
        "imports.html",
        visitor=visitor,
        programs=programs,
        current=current,
        section="conversions",
        recent=jobs.recent_jobs(store, visitor.caller),
        types=brand_types(store, visitor.caller, locale_of(request)),
    )


@router.post("/console/imports/{kind}")
async def start_import(kind: str, request: Request, visitor: SignedIn):
    """Upload a CSV (multipart, field `file`) and import it row by row as a job."""
    if kind not in IMPORTS:
        return Response(f"use one of: {', '.join(IMPORTS)}", status_code=404)
    back_to(request, "/console/imports")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_UPLOAD + 64 * 1024:
        raise refuse(TOO_BIG, 413, mb=MAX_UPLOAD // (1024 * 1024))
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    if forged(visitor, fields, request):
        return expired()
    program = fields.get("program", "")
    back_to(
        request,
        {"leads": "/console/contacts", "outcomes": "/console/lead-handoff"}.get(
            kind, f"/console/imports?program={quote(program)}"
        ),
    )
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        raise refuse("file: choose a CSV file to upload", 422)
    raw = await upload.read(MAX_UPLOAD + 1)  # a file sent without a length stops here too
    await upload.close()
    if len(raw) > MAX_UPLOAD:
        raise refuse(TOO_BIG, 413, mb=MAX_UPLOAD // (1024 * 1024))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise refuse("file: is not UTF-8 text; save it as CSV UTF-8", 422) from None
    recorder = getattr(request.app.state, "recorder", None)
    if kind == "conversions" and recorder is not None:
        recorder.flush()  # clicks still in this process's memory must be found by their id
    args: dict = {"program_id": program, "file": upload.filename}
    if kind == "leads":
        args = {
            "file": upload.filename,
            "defaults": {k: fields[k].strip()[:200] for k in LEAD_DEFAULTS if fields.get(k)},
        }
    elif kind == "outcomes":
        args = {"file": upload.filename}
    elif kind == "partners":
        args["partner_type"] = (fields.get("partner_type") or "affiliate")[:40]
    job = jobs.start(
        request.app.state.store,
        visitor.caller,
        f"import_{kind}",
        args,
        payload=text,
        program_id=None if kind in ("leads", "outcomes") else program,
        user_id=visitor.user_id,
    )
    return RedirectResponse(f"/console/jobs/{job.id}", status_code=303)


@router.post("/console/payouts/run")
def run_payouts(request: Request, visitor: SignedIn, form: Form):
    """Run a payout batch as a job: a large program pays thousands of partners."""
    back_to(request, "/console/payouts")
    program = form.get("program", "")
    job = jobs.start(
        request.app.state.store,
        visitor.caller,
        "payout_batch",
        # partners without payout details wait, unless the manager pays them by hand
        {"program_id": program, "hold_without_method": form.get("manual") != "1"},
        program_id=program,
        user_id=visitor.user_id,
    )
    return RedirectResponse(f"/console/jobs/{job.id}", status_code=303)


def job_context(request: Request, visitor, job_id: str) -> dict:
    """The visitor's job with its latest progress, for the job's page and its parts."""
    back_to(request, "/console")
    store = request.app.state.store
    job = jobs.get_job(store, visitor.caller, job_id)
    return {"visitor": visitor, "job": job, "stalled": jobs.stalled(store, job)}


@router.get("/console/jobs/{job_id}")
def job_page(job_id: str, request: Request, visitor: SignedIn):
    context = job_context(request, visitor, job_id)
    programs, current = program_or_first(
        request.app.state.store, visitor, context["job"].program_id
    )
    return render(
        request, "job.html", programs=programs, current=current, section="jobs", **context
    )


@router.get("/console/jobs/{job_id}/status")
def job_status(job_id: str, request: Request, visitor: SignedIn):
    """The job's progress as a fragment, polled by the page until the job ends."""
    return render(request, "_job_status.html", **job_context(request, visitor, job_id))


@router.get("/console/jobs/{job_id}/results.csv")
def job_results(job_id: str, request: Request, visitor: SignedIn):
    """An import's result for every row, to fix the rejected ones and upload them again."""
    job = job_context(request, visitor, job_id)["job"]
    owing = job.kind == "import_history"  # its rows may name the commission owed
    columns = ("row", "status", "id", *(("commission_id",) if owing else ()), "field", "message")
    table = [(r["row"], r["status"], r["id"] or "",
              *((r["commission_id"] or "",) if owing else ()), r["field"] or "",
              r["message"] or "") for r in (job.result or {}).get("rows", [])]  # fmt: skip
    return exports_table.download(f"{job_id}-results", "csv", columns, table)


@router.get("/console/jobs/{job_id}/what-if.csv")
def what_if_csv(job_id: str, request: Request, visitor: SignedIn):
    """A what-if of draft terms, one partner a row."""
    result = job_context(request, visitor, job_id)["job"].result or {}
    table = [(p["partner_id"], p.get("name", ""), p["conversions"], Decimal(p["actual"]),
              Decimal(p["draft"]), Decimal(p["difference"]), p["over_cap"])
             for p in result.get("partners", [])]  # fmt: skip
    return exports_table.download(
        f"{job_id}-what-if", "csv",
        ("partner_id", "partner", "conversions", "actual", "draft", "difference", "over_cap"),
        table,
    )  # fmt: skip
