"""The console's nurturing: the brand's sequences with how their mail does (sent, opened,
clicked, unsubscribed), a sequence's editor (its steps as rows of a form: an e-mail, a wait
or a branch; who it is for; the consent it needs; how fast it sends) and each e-mail step's
funnel; and, on a person's page, the sequences they are in, to add them to one or take them
out.

GET /console/nurture lists them with an empty editor; GET /console/nurture/{id} edits one.
The editors post to /console/nurture and /console/nurture/{id} (leads:write);
/console/contacts/{id}/nurture enrols a person, /console/contacts/{id}/nurture/stop stops.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from accord.errors import AccordError, InvalidInput
from accord.leads import nurture
from accord.leads.model import STAGES
from accord.leads.nurture_model import CONDITIONS, KINDS, LANGUAGES, MAX_STEPS
from accord.web.pages import Form, FormPairs, SignedIn, back_to, render, retry_with, said

router = APIRouter(include_in_schema=False)

#: What a new sequence starts with: a welcome, a wait, and a nudge to those who did not click.
BLANK: dict[str, Any] = {
    "name": "", "status": "draft", "stages": ["new"], "auto_enrol": False,
    "purpose": "marketing", "needs_consent": True, "language": "en", "from_name": "",
    "per_hour": nurture.DEFAULT_PER_HOUR,
    "steps": [
        {"kind": "email", "subject": "", "body": ""},
        {"kind": "wait", "days": 3},
        {"kind": "branch", "condition": "clicked", "then": "exit"},
        {"kind": "email", "subject": "", "body": ""},
    ],
}  # fmt: skip
#: Empty rows under a sequence's steps, to add steps with.
SPARE_ROWS = 2


def _mailer_ready(request: Request) -> bool:
    from accord.settings import get_settings

    settings = getattr(request.app.state, "settings", None) or get_settings()
    return bool(getattr(settings, "smtp_host", None))


def _spec_of(view) -> dict[str, Any]:
    return {
        "name": view.name, "status": view.status, "stages": list(view.stages),
        "auto_enrol": view.auto_enrol, "purpose": view.purpose,
        "needs_consent": view.needs_consent, "language": view.language,
        "from_name": view.from_name or "", "per_hour": view.per_hour,
        "steps": [s.as_dict() for s in view.steps],
    }  # fmt: skip


def page_for(request: Request, visitor, sequence_id: str | None, status: int = 200, **context):
    store = request.app.state.store
    editing = nurture.sequence_of(store, visitor.caller, sequence_id) if sequence_id else None
    spec = context.pop("spec", None) or (_spec_of(editing) if editing else BLANK)
    rows = min(MAX_STEPS, len(spec["steps"]) + SPARE_ROWS)
    for name in ("error", "error_field", "saved"):
        context.setdefault(name, None)
    return render(
        request,
        "nurture.html",
        http_status=status,
        visitor=visitor,
        section="contacts",
        current=None,
        programs=[],
        sequences=nurture.sequences_of(store, visitor.caller),
        editing=editing,
        spec=spec,
        rows=rows,
        kinds=KINDS,
        conditions=CONDITIONS,
        stages=[s.value for s in STAGES],
        mail_languages=LANGUAGES,
        reasons=nurture.REASONS,
        mailer_ready=_mailer_ready(request),
        **context,
    )


@router.get("/console/nurture")
def sequences_page(request: Request, visitor: SignedIn, saved: str | None = None):
    return page_for(request, visitor, None, saved=saved)


@router.get("/console/nurture/{sequence_id}")
def sequence_page(sequence_id: str, request: Request, visitor: SignedIn, saved: str | None = None):
    back_to(request, "/console/nurture")
    return page_for(request, visitor, sequence_id, saved=saved)


def spec_from_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """The sequence the editor's rows describe. Rows left without a kind are dropped, and a
    branch's "go on at step N" follows its row to where it lands once they are."""
    values: Mapping[str, str] = dict(pairs)
    rows = []
    for n in range(MAX_STEPS):
        kind = (values.get(f"step{n}.kind") or "").strip()
        if kind:
            rows.append((n, kind))
    landing = {n + 1: i + 1 for i, (n, _) in enumerate(rows)}
    steps = []
    for n, kind in rows:
        get = lambda name, n=n: (values.get(f"step{n}.{name}") or "").strip()  # noqa: E731
        if kind == "email":
            steps.append({"kind": kind, "subject": get("subject"), "body": get("body")})
        elif kind == "wait":
            steps.append({"kind": kind, "days": get("days")})
        else:
            then = get("then")
            if then.isdigit():
                then = str(landing.get(int(then), then))
            condition, value = get("condition"), get("value")
            score = condition == "score"
            steps.append({"kind": kind, "condition": condition, "then": then,
                          "activity": value if condition == "activity" else None,
                          "at_least": (value or None) if score else None})  # fmt: skip
    return {
        "name": values.get("name", ""), "status": values.get("status") or "draft",
        "stages": [v for k, v in pairs if k == "stage"],
        "auto_enrol": values.get("auto_enrol") == "yes",
        "purpose": (values.get("purpose") or "").strip() or "marketing",
        "needs_consent": values.get("needs_consent") == "yes",
        "language": values.get("language") or "en",
        "from_name": values.get("from_name", ""), "per_hour": values.get("per_hour", ""),
        "steps": steps,
    }  # fmt: skip


def _save(request: Request, visitor, pairs, sequence_id: str | None):
    spec = spec_from_form(list(pairs))

    def again(error: AccordError):
        return page_for(request, visitor, sequence_id, status=422, error=said(request, error),
                        error_field=getattr(error, "field", None), spec=spec)  # fmt: skip

    retry_with(request, again)
    saved = nurture.save_sequence(request.app.state.store, visitor.caller, spec, sequence_id)
    return RedirectResponse(f"/console/nurture/{saved.id}?saved=1", status_code=303)


@router.post("/console/nurture")
def create_sequence(request: Request, visitor: SignedIn, pairs: FormPairs):
    return _save(request, visitor, pairs, None)


@router.post("/console/nurture/{sequence_id}")
def change_sequence(sequence_id: str, request: Request, visitor: SignedIn, pairs: FormPairs):
    back_to(request, "/console/nurture")
    return _save(request, visitor, pairs, sequence_id)


# on a person's page ------------------------------------------------------------------------
def _back_to_person(request: Request, visitor, contact_id: str) -> None:
    from accord.web.console.contacts import contact_page_for

    def again(error: AccordError):
        return contact_page_for(
            request, visitor, contact_id, status=422, error=said(request, error)
        )

    retry_with(request, again)


@router.post("/console/contacts/{contact_id}/nurture")
def enrol_person(contact_id: str, request: Request, visitor: SignedIn, form: Form):
    _back_to_person(request, visitor, contact_id)
    sequence_id = form.get("sequence") or ""
    if not sequence_id:
        raise InvalidInput("sequence", "choose a sequence")
    result = nurture.enrol(request.app.state.store, visitor.caller, sequence_id, [contact_id])
    return RedirectResponse(
        f"/console/contacts/{contact_id}?nurture={result[contact_id]}#nurture-title",
        status_code=303,
    )


@router.post("/console/contacts/{contact_id}/nurture/stop")
def stop_person(contact_id: str, request: Request, visitor: SignedIn, form: Form):
    _back_to_person(request, visitor, contact_id)
    nurture.stop(request.app.state.store, visitor.caller, contact_id, form.get("sequence") or "")
    return RedirectResponse(f"/console/contacts/{contact_id}?nurture=stopped#nurture-title",
                            status_code=303)  # fmt: skip
