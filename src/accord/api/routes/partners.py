"""Partners, links and promo codes."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, Request

from accord.api.deps import CallerDep, Limit, StartingAfter, StoreDep
from accord.api.schemas import (
    ApplicationIn,
    EnrollmentOut,
    EnrollmentStatusIn,
    LinkIn,
    LinkOut,
    ListingOut,
    NewPartnerOut,
    Page,
    PartnerIn,
    PartnerOut,
    PromoCodeIn,
    PromoCodeOut,
)
from accord.partners import service as partners
from accord.tracking import service as tracking

if TYPE_CHECKING:  # rows the services return, named in annotations only
    from accord.tracking.tables import Link

router = APIRouter()


def brands_enrollment(program_id: str, partner_id: str, store: StoreDep, caller: CallerDep) -> None:
    """The brand's program and a partner in it, checked before the body is read: another
    brand's ids are 404 whatever the body, as ids that do not exist."""
    partners.require_enrollment(store, caller, program_id, partner_id)


@router.get("/partners", response_model=Page[PartnerOut], tags=["partners"])
def list_partners(
    store: StoreDep,
    caller: CallerDep,
    limit: Limit = 100,
    starting_after: StartingAfter = None,
    program_id: str | None = None,
    partner_type: str | None = None,
):
    """Partners enrolled in the brand's programs (a partner key sees only itself)."""
    found = partners.partners_page(
        store, caller, limit=limit, starting_after=starting_after, program_id=program_id,
        partner_type=partner_type,
    )  # fmt: skip
    return Page[PartnerOut](
        data=[PartnerOut.model_validate(r, from_attributes=True) for r in found.rows],
        has_more=found.has_more,
        next_starting_after=found.next_after,
    )


@router.post("/partners", response_model=NewPartnerOut, status_code=201, tags=["partners"])
def create_partner(body: PartnerIn, store: StoreDep, caller: CallerDep):
    """Add a partner, enroll it (approved) and issue its API key, shown once."""
    new = partners.create_partner(
        store,
        caller,
        body.program_id,
        name=body.name,
        partner_type=body.partner_type,
        country=body.country,
        email=body.email,
        contract_id=body.contract_id,
    )
    return NewPartnerOut(
        **PartnerOut.model_validate(new.partner, from_attributes=True).model_dump(),
        enrollment_status=new.enrollment.status,
        api_key=new.api_key,
    )


@router.get("/listed-programs", response_model=list[ListingOut], tags=["applications"])
def listed_programs(store: StoreDep, caller: CallerDep):
    """For a partner's key: programs open to applications, and those it is already in."""
    return [ListingOut(**asdict(listing)) for listing in partners.listed_programs(store, caller)]


@router.post("/applications", response_model=EnrollmentOut, status_code=201, tags=["applications"])
def apply(body: ApplicationIn, store: StoreDep, caller: CallerDep):
    """A partner applies to a listed program, answering its questions; decided at once
    when one of the program's rules holds (or it approves everyone)."""
    enrollment = partners.apply_to_program(store, caller, body.program_id, body.note, body.answers)
    return EnrollmentOut.model_validate(enrollment, from_attributes=True)


@router.get(
    "/programs/{program_id}/applications",
    response_model=list[EnrollmentOut],
    tags=["applications"],
)
def applications(program_id: str, store: StoreDep, caller: CallerDep, status: str = "applied"):
    """A brand's view of who applied to a program (or, with `status`, who is in it)."""
    return [
        EnrollmentOut.model_validate(e, from_attributes=True)
        for e in partners.enrollments(store, caller, program_id, status)
    ]


@router.put(
    "/programs/{program_id}/partners/{partner_id}/status",
    response_model=EnrollmentOut,
    tags=["applications"],
    dependencies=[Depends(brands_enrollment)],
)
def decide(
    program_id: str, partner_id: str, body: EnrollmentStatusIn, store: StoreDep, caller: CallerDep
):
    """Approve or decline an application, or suspend a partner."""
    enrollment = partners.set_enrollment_status(
        store, caller, program_id, partner_id, body.status, body.reason
    )
    return EnrollmentOut.model_validate(enrollment, from_attributes=True)


@router.get("/partners/{partner_id}", response_model=PartnerOut, tags=["partners"])
def get_partner(partner_id: str, store: StoreDep, caller: CallerDep):
    return PartnerOut.model_validate(
        partners.get_partner(store, caller, partner_id), from_attributes=True
    )


def link_out(request: Request, link: Link) -> LinkOut:
    base = request.app.state.settings.links_base(str(request.base_url))
    return LinkOut(
        id=link.id,
        code=link.code,
        url=f"{base}/c/{link.code}",
        program_id=link.program_id,
        partner_id=link.partner_id,
        destination_url=link.destination_url,
        active=link.active,
        created_at=link.created_at,
    )


@router.get("/links", response_model=Page[LinkOut], tags=["links"])
def list_links(
    request: Request,
    store: StoreDep,
    caller: CallerDep,
    limit: Limit = 100,
    starting_after: StartingAfter = None,
    program_id: str | None = None,
    partner_id: str | None = None,
):
    found = tracking.links_page(
        store, caller, limit=limit, starting_after=starting_after, program_id=program_id,
        partner_id=partner_id,
    )  # fmt: skip
    return Page[LinkOut](
        data=[link_out(request, r) for r in found.rows],
        has_more=found.has_more,
        next_starting_after=found.next_after,
    )


@router.post("/links", response_model=LinkOut, status_code=201, tags=["links"])
def create_link(request: Request, body: LinkIn, store: StoreDep, caller: CallerDep):
    """A tracking link. Brands name the partner; a partner's key makes links for itself."""
    link = tracking.create_link(
        store,
        caller,
        body.program_id,
        partner_id=body.partner_id,
        destination_url=body.destination_url,
        code=body.code,
    )
    return link_out(request, link)


@router.get("/promo-codes", response_model=Page[PromoCodeOut], tags=["links"])
def list_promo_codes(
    store: StoreDep,
    caller: CallerDep,
    limit: Limit = 100,
    starting_after: StartingAfter = None,
    program_id: str | None = None,
):
    found = tracking.promo_codes_page(
        store, caller, limit=limit, starting_after=starting_after, program_id=program_id
    )
    return Page[PromoCodeOut](
        data=[PromoCodeOut.model_validate(r, from_attributes=True) for r in found.rows],
        has_more=found.has_more,
        next_starting_after=found.next_after,
    )


@router.post("/promo-codes", response_model=PromoCodeOut, status_code=201, tags=["links"])
def create_promo_code(body: PromoCodeIn, store: StoreDep, caller: CallerDep):
    """A promo code credited to its partner when an order uses it without a qualifying click."""
    promo = tracking.create_promo_code(
        store, caller, body.program_id, body.code, partner_id=body.partner_id
    )
    return PromoCodeOut.model_validate(promo, from_attributes=True)
