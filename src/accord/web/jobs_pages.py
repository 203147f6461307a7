"""Long operations in the console: CSV imports of offline conversions and of returns, and
payout batches, each run as a job on the queue whose page shows a progress bar until it is
done (the work itself is in accord.jobs.work)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from accord.errors import AccordError
from accord.jobs import service as jobs
from accord.web import exports_table
from accord.web.pages import (
    expired,
    forged,
    problem_page,
    program_or_first,
    read_form,
    render,
    visitor_or_refusal,
)

router = APIRouter(include_in_schema=False)

#: Largest CSV the console takes in one upload.
MAX_UPLOAD = 50 * 1024 * 1024
IMPORTS = ("conversions", "reversals")
TOO_BIG = f"file: larger than {MAX_UPLOAD // (1024 * 1024)} MB; split it into smaller files"


@router.get("/console/imports")
def imports_page(request: Request, program: str | None = None):
    visitor, refusal = visitor_or_refusal(request)
    if refusal is not None:
        return refusal
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
    )


@router.post("/console/imports/{kind}")
async def start_import(kind: str, request: Request):
    """Upload a CSV (multipart, field `file`) and import it row by row as a job."""
    visitor, refusal = visitor_or_refusal(request)
    if refusal is not None:
        return refusal
    if kind not in IMPORTS:
        return Response(f"use one of: {', '.join(IMPORTS)}", status_code=404)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_UPLOAD + 64 * 1024:
        return problem_page(request, visitor, TOO_BIG, "/console/imports", 413)
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    if forged(visitor, fields, request):
        return expired()
    program = fields.get("program", "")
    back = f"/console/imports?program={quote(program)}"
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return problem_page(request, visitor, "file: choose a CSV file to upload", back, 422)
    raw = await upload.read(MAX_UPLOAD + 1)  # a file sent without a length stops here too
    await upload.close()
    if len(raw) > MAX_UPLOAD:
        return problem_page(request, visitor, TOO_BIG, back, 413)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return problem_page(
            request, visitor, "file: is not UTF-8 text; save it as CSV UTF-8", back, 422
        )
    store = request.app.state.store
    recorder = getattr(request.app.state, "recorder", None)
    if kind == "conversions" and recorder is not None:
        recorder.flush()  # clicks still in this process's memory must be found by their id
    try:
        job = jobs.start(
            store,
            visitor.caller,
            f"import_{kind}",
            {"program_id": program, "file": upload.filename},
            payload=text,
            program_id=program,
            user_id=visitor.user_id,
        )
    except AccordError as error:
        return problem_page(request, visitor, error.message, back, error.status)
    return RedirectResponse(f"/console/jobs/{job.id}", status_code=303)


@router.post("/console/payouts/run")
async def run_payouts(request: Request):
    """Run a payout batch as a job: a large program pays thousands of partners."""
    visitor, refusal = visitor_or_refusal(request)
    if refusal is not None:
        return refusal
    form = await read_form(request)
    if forged(visitor, form, request):
        return expired()
    program = form.get("program", "")
    try:
        job = jobs.start(
            request.app.state.store,
            visitor.caller,
            "payout_batch",
            {"program_id": program},
            program_id=program,
            user_id=visitor.user_id,
        )
    except AccordError as error:
        return problem_page(request, visitor, error.message, "/console/payouts", error.status)
    return RedirectResponse(f"/console/jobs/{job.id}", status_code=303)


def _job_context(request: Request, job_id: str):
    visitor, refusal = visitor_or_refusal(request)
    if refusal is not None:
        return None, refusal
    store = request.app.state.store
    try:
        job = jobs.get_job(store, visitor.caller, job_id)
    except AccordError as error:
        return None, problem_page(request, visitor, error.message, "/console", error.status)
    return {"visitor": visitor, "job": job, "stalled": jobs.stalled(store, job)}, None


@router.get("/console/jobs/{job_id}")
def job_page(job_id: str, request: Request):
    context, refusal = _job_context(request, job_id)
    if refusal is not None:
        return refusal
    programs, current = program_or_first(
        request.app.state.store, context["visitor"], context["job"].program_id
    )
    return render(
        request, "job.html", programs=programs, current=current, section="jobs", **context
    )


@router.get("/console/jobs/{job_id}/status")
def job_status(job_id: str, request: Request):
    """The job's progress as a fragment, polled by the page until the job ends."""
    context, refusal = _job_context(request, job_id)
    if refusal is not None:
        return refusal
    return render(request, "_job_status.html", **context)


@router.get("/console/jobs/{job_id}/results.csv")
def job_results(job_id: str, request: Request):
    """An import's result for every row, to fix the rejected ones and upload them again."""
    context, refusal = _job_context(request, job_id)
    if refusal is not None:
        return refusal
    rows = (context["job"].result or {}).get("rows", [])
    table = [(r["row"], r["status"], r["id"] or "", r["field"] or "", r["message"] or "")
             for r in rows]  # fmt: skip
    return exports_table.download(
        f"{job_id}-results", "csv", ("row", "status", "id", "field", "message"), table
    )
