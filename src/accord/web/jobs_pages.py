"""Long operations in the console: CSV imports of offline conversions and of returns, and
payout batches, each run as a job whose page shows a progress bar until it is done."""

from __future__ import annotations

from collections import Counter
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from accord.errors import AccordError
from accord.jobs import service as jobs
from accord.web import exports_table
from accord.web.pages import expired as _expired
from accord.web.pages import forged as _forged
from accord.web.pages import problem_page as _problem
from accord.web.pages import program_or_first as _program_or_first
from accord.web.pages import render
from accord.web.pages import visitor_or_refusal as _brand_visitor

router = APIRouter(include_in_schema=False)

#: Largest CSV the console takes in one upload.
MAX_UPLOAD = 50 * 1024 * 1024
IMPORTS = ("conversions", "reversals")
TOO_BIG = f"file: larger than {MAX_UPLOAD // (1024 * 1024)} MB; split it into smaller files"


@router.get("/console/imports")
def imports_page(request: Request, program: str | None = None):
    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    store = request.app.state.store
    programs, current = _program_or_first(store, visitor, program)
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
    from accord.conversions.imports import import_conversions, import_reversals

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    if kind not in IMPORTS:
        return Response(f"use one of: {', '.join(IMPORTS)}", status_code=404)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_UPLOAD + 64 * 1024:
        return _problem(request, visitor, TOO_BIG, "/console/imports", 413)
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    if _forged(visitor, fields, request):
        return _expired()
    program = fields.get("program", "")
    back = f"/console/imports?program={quote(program)}"
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return _problem(request, visitor, "file: choose a CSV file to upload", back, 422)
    raw = await upload.read(MAX_UPLOAD + 1)  # a file sent without a length stops here too
    await upload.close()
    if len(raw) > MAX_UPLOAD:
        return _problem(request, visitor, TOO_BIG, back, 413)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _problem(
            request, visitor, "file: is not UTF-8 text; save it as CSV UTF-8", back, 422
        )
    store = request.app.state.store
    caller = visitor.caller
    recorder = getattr(request.app.state, "recorder", None)

    def work(progress) -> dict:
        if kind == "conversions":
            if recorder is not None:
                recorder.flush()  # clicks still in memory must be found by their id
            rows = import_conversions(store, caller, text, program_id=program, progress=progress)
        else:
            rows = import_reversals(store, caller, text, program_id=program, progress=progress)
        return {
            "file": upload.filename,
            "counts": dict(Counter(r.status for r in rows)),
            "rows": [
                {
                    "row": r.row,
                    "status": r.status,
                    "id": getattr(r, "reversal_id", None) or r.conversion_id,
                    "field": (r.error or {}).get("field"),
                    "message": (r.error or {}).get("message"),
                }
                for r in rows
            ],
        }

    try:
        job = jobs.start(
            store, caller, f"import_{kind}", work, program_id=program, user_id=visitor.user_id
        )
    except AccordError as error:
        return _problem(request, visitor, error.message, back, error.status)
    return RedirectResponse(f"/console/jobs/{job.id}", status_code=303)


@router.post("/console/payouts/run")
async def run_payouts(request: Request):
    """Run a payout batch as a job: a large program pays thousands of partners."""
    from accord.payouts.service import run_batch
    from accord.web.pages import read_form as _form

    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return refusal
    form = await _form(request)
    if _forged(visitor, form, request):
        return _expired()
    program = form.get("program", "")
    store = request.app.state.store
    caller = visitor.caller

    def work(progress) -> dict:
        result = run_batch(store, caller, program, progress=progress)
        if result.batch is None:
            return {"batch_id": None, "payouts": 0}
        return {
            "batch_id": result.batch.id,
            "payouts": len(result.payouts),
            "total_minor": result.batch.total_minor,
            "currency": result.batch.currency,
        }

    try:
        job = jobs.start(
            store, caller, "payout_batch", work, program_id=program, user_id=visitor.user_id
        )
    except AccordError as error:
        return _problem(request, visitor, error.message, "/console/payouts", error.status)
    return RedirectResponse(f"/console/jobs/{job.id}", status_code=303)


def _job_context(request: Request, job_id: str):
    visitor, refusal = _brand_visitor(request)
    if refusal is not None:
        return None, refusal
    store = request.app.state.store
    try:
        job = jobs.get_job(store, visitor.caller, job_id)
    except AccordError as error:
        return None, _problem(request, visitor, error.message, "/console", error.status)
    return {"visitor": visitor, "job": job, "stalled": jobs.stalled(store, job)}, None


@router.get("/console/jobs/{job_id}")
def job_page(job_id: str, request: Request):
    context, refusal = _job_context(request, job_id)
    if refusal is not None:
        return refusal
    programs, current = _program_or_first(
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
