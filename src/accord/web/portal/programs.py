"""The portal's programs: the listed programs to apply to, applying, the contract a
partner earns under, and accepting new terms."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from accord.contracts.diff import diff_terms, flatten
from accord.contracts.service import accept_version, partner_contract
from accord.contracts.terms import parse_terms
from accord.errors import AccordError
from accord.partners.service import apply_to_program, listed_programs, partner_enrollments
from accord.web.pages import Form, SignedIn, back_to, pick, portal_page, retry_with

router = APIRouter(include_in_schema=False)


def programs_view(request: Request, visitor, *, welcome=None, applied=None, form=None,
                  error=None, failed: str | None = None, status: int = 200):  # fmt: skip
    store = request.app.state.store
    return portal_page(
        request,
        "portal/programs.html",
        visitor,
        partner_enrollments(store, visitor.caller),
        None,
        "programs",
        http_status=status,
        listings=listed_programs(store, visitor.caller),
        welcome=welcome,
        applied=applied,
        form=form or {},
        error=error,
        failed=failed,
    )


@router.get("/portal/programs")
def programs_page(
    request: Request, visitor: SignedIn, welcome: int | None = None, applied: str | None = None
):
    return programs_view(request, visitor, welcome=welcome, applied=applied)


def answers_in(form: dict) -> dict[str, str]:
    """The answers to a program's questions in a form (fields `answer.<question id>`)."""
    return {k.split(".", 1)[1]: v for k, v in form.items() if k.startswith("answer.")}


@router.post("/portal/programs/{program_id}/apply")
def apply(program_id: str, request: Request, visitor: SignedIn, form: Form):
    def again(error: AccordError):
        return programs_view(request, visitor, form=form, error=error, failed=program_id,
                             status=error.status)  # fmt: skip

    retry_with(request, again)
    store = request.app.state.store
    enrollment = apply_to_program(
        store, visitor.caller, program_id, form.get("note"), answers_in(form)
    )
    return RedirectResponse(
        f"/portal/programs?applied={quote(enrollment.status)}#p-{quote(program_id)}",
        status_code=303,
    )


@router.post("/portal/programs/{program_id}/accept")
def accept(program_id: str, request: Request, visitor: SignedIn, form: Form):
    back = f"/portal?program={quote(program_id)}"
    back_to(request, back)
    accept_version(
        request.app.state.store,
        visitor.caller,
        form.get("version_id", ""),
        accepted_by=visitor.email,
        ip=request.client.host if request.client else None,
    )
    return RedirectResponse(f"{back}&accepted=1", status_code=303)


def describe_when(when) -> list[tuple[str, object]]:
    """A rule's conditions, only those that narrow it, as (dotted field, value) pairs the
    page writes in words."""
    return sorted(flatten(when.model_dump(mode="json", exclude_defaults=True)).items())


@router.get("/portal/contract")
def contract_page(request: Request, visitor: SignedIn, program: str | None = None):
    store = request.app.state.store
    enrolled = partner_enrollments(store, visitor.caller)
    current = pick(enrolled, program, approved_only=True)
    contract = terms = None
    if current is not None:
        contract = partner_contract(store, visitor.caller, current.program.id)
        if contract is not None and contract.shown is not None:
            terms = parse_terms(contract.shown.terms)
    return portal_page(
        request,
        "portal/contract.html",
        visitor,
        enrolled,
        current,
        "contract",
        contract=contract,
        terms=terms,
        describe=describe_when,
        changes=diff_terms(contract.in_force.terms, contract.awaiting.terms)
        if contract and contract.awaiting and contract.in_force
        else [],
    )
