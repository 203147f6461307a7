"""The console's recruiting: Settings, Applications (the questions applicants answer and
the rules that decide applications at once), Invitations (by e-mail, to a partner of the
directory, or a link to share), and Groups of partners with their own contract."""

from __future__ import annotations

import re
from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from accord.contracts.service import list_contracts
from accord.errors import AccordError, InvalidInput, Text
from accord.notices.subscribers import program_invitation
from accord.partners import recruiting as rc
from accord.partners.groups import set_members as set_members_of
from accord.partners.types import brand_types
from accord.reports.service import partner_figures
from accord.web.pages import (
    Form,
    FormPairs,
    SignedIn,
    locale_of,
    program_or_first,
    public_base,
    render_for_program,
    retry_with,
)

router = APIRouter(include_in_schema=False)
BLANK_QUESTIONS = 3
MAX_ADDRESSES = 50


def _split(text: str) -> list[str]:
    return [p for p in re.split(r"[\s,;\u3001\uff0c]+", text or "") if p]


# --- Settings, Applications ---------------------------------------------------------------


def applications_page(request: Request, visitor, program: str | None, *, form=None,
                      error=None, saved=None, status: int = 200, rule_form=None):  # fmt: skip
    def gather(store, current) -> dict:
        return {
            "questions": rc.questions_of(store, visitor.caller, current.id),
            "rules": rc.list_rules(store, visitor.caller, current.id),
        }

    store = request.app.state.store
    return render_for_program(
        request, visitor, program, "applications.html", gather=gather, http_status=status,
        section="applications", questions=[], rules=[], blanks=BLANK_QUESTIONS,
        types=brand_types(store, visitor.caller, locale_of(request)), form=form,
        rule_form=rule_form or {}, error=error, saved=saved,
    )  # fmt: skip


@router.get("/console/settings/applications")
def applications(request: Request, visitor: SignedIn, program: str | None = None,
                 saved: str | None = None):  # fmt: skip
    return applications_page(request, visitor, program, saved=saved)


def questions_in(form: dict) -> list[dict]:
    """The questions typed in the editor's rows (q1.text, q1.kind, ...), blank rows left out."""
    out = []
    numbers = sorted({int(m.group(1)) for k in form if (m := re.fullmatch(r"q(\d+)\.text", k))})
    for n in numbers:
        text = (form.get(f"q{n}.text") or "").strip()
        if not text:
            continue
        out.append({
            "id": form.get(f"q{n}.id") or None,
            "text": text,
            "kind": form.get(f"q{n}.kind") or "text",
            "choices": [c.strip() for c in re.split(r"[\n,]", form.get(f"q{n}.choices") or "")
                        if c.strip()],
            "required": bool(form.get(f"q{n}.required")),
        })  # fmt: skip
    return out


@router.post("/console/settings/applications")
def save_questions(request: Request, visitor: SignedIn, form: Form):
    program = form.get("program") or None

    def again(error: AccordError):
        return applications_page(request, visitor, program, form=form, error=error,
                                 status=error.status)  # fmt: skip

    retry_with(request, again)
    store = request.app.state.store
    _, current = program_or_first(store, visitor, program)
    if current is None:
        raise InvalidInput("program", "create a program first")
    rc.set_questions(store, visitor.caller, current.id, questions_in(form))
    return RedirectResponse(
        f"/console/settings/applications?program={current.id}&saved=questions", status_code=303
    )


@router.post("/console/application-rules")
def add_rule(request: Request, visitor: SignedIn, pairs: FormPairs):
    form = dict(pairs)
    program = form.get("program") or None
    types = [v for k, v in pairs if k == "types" and v]

    def again(error: AccordError):
        return applications_page(request, visitor, program, error=error, status=error.status,
                                 rule_form={**form, "types": types})  # fmt: skip

    retry_with(request, again)
    store = request.app.state.store
    _, current = program_or_first(store, visitor, program)
    if current is None:
        raise InvalidInput("program", "create a program first")
    conditions: dict = {
        "types": types,
        "countries": _split(form.get("countries", "")),
        "min_audience": form.get("min_audience") or None,
        "max_audience": form.get("max_audience") or None,
        "max_risk": form.get("max_risk") or None,
    }
    if form.get("answer_q") and form.get("answer_value", "").strip():
        conditions["answers"] = {form["answer_q"]: form["answer_value"].strip()}
    rc.add_rule(store, visitor.caller, current.id, name=form.get("name", ""),
                action=form.get("action", ""), conditions=conditions,
                reason=form.get("reason"))  # fmt: skip
    return RedirectResponse(
        f"/console/settings/applications?program={current.id}&saved=rule#rules", status_code=303
    )


@router.post("/console/application-rules/{rule_id}")
def change_rule(request: Request, visitor: SignedIn, rule_id: str, form: Form):
    op = form.get("op", "")
    program = form.get("program", "")
    if op not in ("up", "down", "on", "off", "delete"):
        raise InvalidInput("op", "up, down, on, off or delete")
    rc.change_rule(request.app.state.store, visitor.caller, rule_id,
                   active={"on": True, "off": False}.get(op),
                   move={"up": -1, "down": 1}.get(op, 0), delete_it=op == "delete")  # fmt: skip
    return RedirectResponse(
        f"/console/settings/applications?program={program}#rules", status_code=303
    )


# --- Invitations --------------------------------------------------------------------------


def invitations_page(request: Request, visitor, program: str | None, *, form=None, error=None,
                     made_link=None, sent=0, status: int = 200):  # fmt: skip
    def gather(store, current) -> dict:
        return {
            "rows": rc.invitations(store, visitor.caller, current.id),
            "contracts": list_contracts(store, visitor.caller, current.id),
            "names": rc.invited_names(store, visitor.caller, current.id),
        }

    return render_for_program(
        request, visitor, program, "invitations.html", gather=gather, http_status=status,
        section="invitations", rows=[], names={}, contracts=[], form=form or {}, error=error,
        made_link=made_link, sent=sent, now=request.app.state.store.clock.now(),
    )  # fmt: skip


@router.get("/console/invitations")
def invitations(request: Request, visitor: SignedIn, program: str | None = None,
                sent: int = 0):  # fmt: skip
    return invitations_page(request, visitor, program, sent=sent)


def _int(value: str | None, field: str, default: int | None) -> int | None:
    if not (value or "").strip():
        return default
    try:
        return int(value.strip())
    except ValueError:
        raise InvalidInput(
            field, Text("%(value)s is not a whole number", value=repr(value))
        ) from None


@router.post("/console/invitations")
def invite(request: Request, visitor: SignedIn, form: Form):
    program = form.get("program") or None

    def again(error: AccordError):
        if form.get("from") == "directory" and form.get("partner_id"):
            from accord.web.console.directory import profile_view

            return profile_view(request, visitor, form["partner_id"], program, error=error,
                                status=error.status, invite_form=form)  # fmt: skip
        return invitations_page(request, visitor, program, form=form, error=error,
                                status=error.status)  # fmt: skip

    retry_with(request, again)
    store = request.app.state.store
    _, current = program_or_first(store, visitor, program)
    if current is None:
        raise InvalidInput("program", "create a program first")
    common = {
        "message": form.get("message"),
        "contract_id": form.get("contract_id") or None,
        "preapproved": bool(form.get("preapproved")),
        "days": _int(form.get("days"), "days", rc.INVITATION_DAYS),
        "user_id": visitor.user_id,
        "mail": partial(program_invitation, base=public_base(request)),
    }
    kind = form.get("kind", "email")
    if kind == "link":
        uses = _int(form.get("max_uses"), "max_uses", None)
        made = rc.invite(store, visitor.caller, current.id, link=True, max_uses=uses, **common)
        link = f"{public_base(request)}/portal/invitations/{made.token}"
        return invitations_page(request, visitor, current.id, made_link=link)
    if kind == "partner":
        rc.invite(store, visitor.caller, current.id, partner_id=form.get("partner_id"), **common)
        target = f"/console/directory/{form.get('partner_id')}?program={current.id}&invited=1"
        return RedirectResponse(target, status_code=303)
    addresses = _split(form.get("emails", ""))
    if not addresses:
        raise InvalidInput("emails", "write at least one e-mail address")
    if len(addresses) > MAX_ADDRESSES:
        raise InvalidInput("emails", Text("invite at most %(most)s addresses at a time",
                                          most=MAX_ADDRESSES))  # fmt: skip
    for address in addresses:  # each checked before any is sent
        if "@" not in address or len(address) > 320:
            raise InvalidInput("emails", Text("%(address)s is not an e-mail address",
                                              address=repr(address)))  # fmt: skip
    for address in addresses:
        rc.invite(store, visitor.caller, current.id, email=address, **common)
    return RedirectResponse(
        f"/console/invitations?program={current.id}&sent={len(addresses)}", status_code=303
    )


@router.post("/console/invitations/{invitation_id}/revoke")
def revoke(request: Request, visitor: SignedIn, invitation_id: str, form: Form):
    rc.revoke_invitation(request.app.state.store, visitor.caller, invitation_id)
    return RedirectResponse(
        f"/console/invitations?program={form.get('program', '')}", status_code=303
    )


# --- Groups -------------------------------------------------------------------------------


def groups_page(request: Request, visitor, program: str | None, *, form=None, error=None,
                status: int = 200, saved=None):  # fmt: skip
    def gather(store, current) -> dict:
        approved = (
            p for p in partner_figures(store, visitor.caller, current.id) if p.status == "approved"
        )
        return {
            "groups": rc.groups(store, visitor.caller, current.id),
            "contracts": list_contracts(store, visitor.caller, current.id),
            "partners": sorted(approved, key=lambda p: p.name.casefold()),
        }

    return render_for_program(
        request, visitor, program, "groups.html", gather=gather, http_status=status,
        section="partners", groups=[], contracts=[], partners=[], form=form or {}, error=error,
        saved=saved,
    )  # fmt: skip


@router.get("/console/groups")
def groups(request: Request, visitor: SignedIn, program: str | None = None,
           saved: str | None = None):  # fmt: skip
    return groups_page(request, visitor, program, saved=saved)


@router.post("/console/groups")
def add_group(request: Request, visitor: SignedIn, form: Form):
    program = form.get("program") or None
    retry_with(request, lambda error: groups_page(request, visitor, program, form=form,
                                                  error=error, status=error.status))  # fmt: skip
    store = request.app.state.store
    _, current = program_or_first(store, visitor, program)
    if current is None:
        raise InvalidInput("program", "create a program first")
    rc.add_group(store, visitor.caller, current.id, name=form.get("name", ""),
                 description=form.get("description"),
                 contract_id=form.get("contract_id") or None)  # fmt: skip
    return RedirectResponse(f"/console/groups?program={current.id}&saved=group", status_code=303)


@router.post("/console/groups/{group_id}/members")
def set_members(request: Request, visitor: SignedIn, group_id: str, pairs: FormPairs):
    form = dict(pairs)
    program = form.get("program") or None
    retry_with(request, lambda error: groups_page(request, visitor, program, error=error,
                                                  status=error.status))  # fmt: skip
    set_members_of(request.app.state.store, visitor.caller, group_id,
                   [v for k, v in pairs if k == "partner_id"])  # fmt: skip
    return RedirectResponse(f"/console/groups?program={program}&saved=members", status_code=303)
