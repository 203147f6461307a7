"""The API's creatives, promo-code pools and creator briefs: a brand adds banners and copy,
loads codes and writes briefs; a partner lists what is open to it, takes a code, gets a
creative with its own link and code filled in, and submits posts; the brand decides them
(approval pays the brief's fee once, as a commission)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from accord.api.deps import CallerDep, StoreDep, brands_program
from accord.api.schemas import ErrorResponse, Strict
from accord.engage import bounties as bt
from accord.engage import briefs as br
from accord.engage import creatives as cr
from accord.engage import feeds
from accord.engage import pools as pl
from accord.errors import InvalidInput
from accord.money import Money
from accord.settings import get_settings

router = APIRouter(tags=["creatives and briefs"])
OWN = [Depends(brands_program)]
ERRORS = {
    401: {"model": ErrorResponse, "description": "Missing or unknown API key"},
    403: {"model": ErrorResponse, "description": "Not for this kind of key"},
    404: {"model": ErrorResponse, "description": "Unknown program, creative, pool or brief"},
    409: {"model": ErrorResponse, "description": "No code left, or decided already"},
    413: {"model": ErrorResponse, "description": "The banner is too large"},
    422: {"model": ErrorResponse, "description": "Bad input, named in `field`"},
}


def own_creative(creative_id: str, store: StoreDep, caller: CallerDep) -> None:
    cr.require_own_creative(store, caller, creative_id)


def own_pool(pool_id: str, store: StoreDep, caller: CallerDep) -> None:
    pl.require_own_pool(store, caller, pool_id)


def own_brief(brief_id: str, store: StoreDep, caller: CallerDep) -> None:
    br.require_own_brief(store, caller, brief_id)


def open_brief(brief_id: str, store: StoreDep, caller: CallerDep) -> None:
    br.require_open_brief(store, caller, brief_id)


def own_submission(submission_id: str, store: StoreDep, caller: CallerDep) -> None:
    br.require_own_submission(store, caller, submission_id)


class Switch(Strict):
    active: bool


# --- Creatives ----------------------------------------------------------------------------


class CreativeIn(Strict):
    kind: Literal["banner", "copy"]
    name: str = Field(max_length=200)
    body: str = Field("", max_length=5000, description="Copy: `{link}` and `{code}` are filled "
                      "in for each partner.")  # fmt: skip
    image_base64: str | None = Field(
        None, max_length=2_900_000, description="A banner's PNG, JPEG, GIF or WebP, base64."
    )
    landing_url: str | None = Field(None, max_length=2000)
    group_id: str | None = Field(None, max_length=40)
    promotion: str | None = Field(
        None, max_length=60, description="A promotion's key: a period's id, or `singles_day:2026`."
    )


class CreativeOut(BaseModel):
    id: str
    program_id: str
    kind: str
    name: str
    body: str
    image_type: str | None
    width: int | None
    height: int | None
    landing_url: str | None
    group_id: str | None
    promotion: str | None
    active: bool
    created_at: datetime


class UsedOut(BaseModel):
    creative_id: str
    link_url: str
    code: str | None
    text: str = Field(description="Copy with the link and code filled in, or a banner's HTML.")


def _creative(row) -> CreativeOut:
    return CreativeOut.model_validate(row, from_attributes=True)


@router.get("/programs/{program_id}/creatives", response_model=list[CreativeOut],
            responses=ERRORS)  # fmt: skip
def get_creatives(program_id: str, store: StoreDep, caller: CallerDep):
    """The program's creatives: all of them for its brand; the active ones open to it for a
    partner."""
    rows = (cr.creatives if caller.is_brand else cr.partner_creatives)(store, caller, program_id)
    return [_creative(r) for r in rows]


@router.post("/programs/{program_id}/creatives", response_model=CreativeOut, status_code=201,
             responses=ERRORS, dependencies=OWN)  # fmt: skip
def post_creative(program_id: str, body: CreativeIn, store: StoreDep, caller: CallerDep):
    image = None
    if body.image_base64:
        try:
            image = base64.b64decode(body.image_base64, validate=True)
        except (binascii.Error, ValueError) as error:
            raise InvalidInput("image_base64", "not base64") from error
    row = cr.create_creative(store, caller, program_id, kind=body.kind, name=body.name,
                             body=body.body, image=image, landing_url=body.landing_url,
                             group_id=body.group_id, promotion=body.promotion)  # fmt: skip
    return _creative(row)


@router.patch("/creatives/{creative_id}", response_model=CreativeOut, responses=ERRORS,
              dependencies=[Depends(own_creative)])  # fmt: skip
def patch_creative(creative_id: str, body: Switch, store: StoreDep, caller: CallerDep):
    """Switch a creative off (partners no longer see it, its banner is no longer served) or
    on."""
    return _creative(cr.set_active(store, caller, creative_id, body.active))


@router.post("/creatives/{creative_id}/use", response_model=UsedOut, responses=ERRORS)
def use_creative(creative_id: str, request: Request, store: StoreDep, caller: CallerDep):
    """For a partner: the creative with its own link (made the first time) and code."""
    settings = get_settings()
    base = str(request.base_url)
    used = cr.use(store, caller, creative_id, settings.links_base(base),
                  (settings.public_url or base).rstrip("/"))  # fmt: skip
    return UsedOut(creative_id=used.creative.id, link_url=used.link_url, code=used.code,
                   text=used.text)  # fmt: skip


# --- Pools --------------------------------------------------------------------------------


class PoolIn(Strict):
    name: str = Field(max_length=120)
    description: str = Field("", max_length=500)
    group_id: str | None = Field(None, max_length=40)
    promotion: str | None = Field(
        None, max_length=60, description="A promotion's key: a period's id, or `singles_day:2026`."
    )
    codes: list[str] = Field(default_factory=list, max_length=pl.MAX_CODES)


class CodesIn(Strict):
    codes: list[str] = Field(max_length=pl.MAX_CODES)


class PoolOut(BaseModel):
    id: str
    program_id: str
    name: str
    description: str
    group_id: str | None
    promotion: str | None
    active: bool
    total: int
    taken: int
    left: int
    mine: str | None = Field(None, description="For a partner: the code it took.")


class LeftOut(BaseModel):
    line: int
    code: str
    reason: str


class LoadedOut(BaseModel):
    pool: PoolOut
    added: int
    left_out: list[LeftOut]


class TakenOut(BaseModel):
    code: str


def _pool(view) -> PoolOut:
    return PoolOut(id=view.id, program_id=view.program_id, name=view.name,
                   description=view.description, group_id=view.group_id,
                   promotion=view.promotion, active=view.active,
                   total=view.total, taken=view.taken, left=view.left, mine=view.mine)  # fmt: skip


def _loaded(view, loaded) -> LoadedOut:
    return LoadedOut(pool=_pool(view), added=loaded.added,
                     left_out=[LeftOut(**r) for r in loaded.left_out])  # fmt: skip


def _lines(codes: list[str]) -> str:
    if any("\n" in c or "\r" in c for c in codes):
        raise InvalidInput("codes", "one code an item, without line breaks")
    return "\n".join(codes)


@router.get("/programs/{program_id}/code-pools", response_model=list[PoolOut], responses=ERRORS)
def get_pools(program_id: str, store: StoreDep, caller: CallerDep):
    """The program's pools with their counts; for a partner, those open to it, with its
    code."""
    views = (pl.pools if caller.is_brand else pl.partner_pools)(store, caller, program_id)
    return [_pool(v) for v in views]


@router.post("/programs/{program_id}/code-pools", response_model=LoadedOut, status_code=201,
             responses=ERRORS, dependencies=OWN)  # fmt: skip
def post_pool(program_id: str, body: PoolIn, store: StoreDep, caller: CallerDep):
    """A pool with its first codes; each code left out is listed with why."""
    view, loaded = pl.create_pool(store, caller, program_id, name=body.name,
                                  codes=_lines(body.codes), description=body.description,
                                  group_id=body.group_id, promotion=body.promotion)  # fmt: skip
    return _loaded(view, loaded)


@router.post("/code-pools/{pool_id}/codes", response_model=LoadedOut, responses=ERRORS,
             dependencies=[Depends(own_pool)])  # fmt: skip
def post_codes(pool_id: str, body: CodesIn, store: StoreDep, caller: CallerDep):
    view, loaded = pl.add_codes(store, caller, pool_id, _lines(body.codes))
    return _loaded(view, loaded)


@router.patch("/code-pools/{pool_id}", response_model=PoolOut, responses=ERRORS,
              dependencies=[Depends(own_pool)])  # fmt: skip
def patch_pool(pool_id: str, body: Switch, store: StoreDep, caller: CallerDep):
    return _pool(pl.set_active(store, caller, pool_id, body.active))


@router.post("/code-pools/{pool_id}/take", response_model=TakenOut, responses=ERRORS)
def take(pool_id: str, store: StoreDep, caller: CallerDep):
    """For a partner: its code from the pool (the same one if it took one before), now its
    promo code in the program."""
    return TakenOut(code=pl.take_code(store, caller, pool_id))


# --- Briefs -------------------------------------------------------------------------------


class BriefIn(Strict):
    title: str = Field(max_length=200)
    deliverables: str = Field("", max_length=br.MAX_TEXT)
    starts_on: datetime | None = None
    due_on: datetime | None = None
    keywords: list[str] = Field(default_factory=list, max_length=50)
    hashtags: list[str] = Field(default_factory=list, max_length=50)
    disclosure: list[str] = Field(default_factory=list, max_length=50,
                                  description="The post must carry one of these.")  # fmt: skip
    forbidden: list[str] = Field(default_factory=list, max_length=50)
    fee: str | None = Field(None, max_length=40, examples=["150.00"])
    group_id: str | None = Field(None, max_length=40)
    promotion: str | None = Field(
        None, max_length=60, description="A promotion's key: a period's id, or `singles_day:2026`."
    )


class BriefOut(BaseModel):
    id: str
    program_id: str
    title: str
    deliverables: str
    starts_on: datetime | None
    due_on: datetime | None
    keywords: list[str]
    hashtags: list[str]
    disclosure: list[str]
    forbidden: list[str]
    fee: str
    currency: str
    group_id: str | None
    promotion: str | None
    active: bool


class BriefListed(BriefOut):
    submissions: int | None = Field(None, description="For the brand.")
    waiting: int | None = Field(None, description="For the brand: posts to decide.")
    approved: int | None = Field(None, description="For the brand.")
    mine: str | None = Field(None, description="For a partner: its latest post's status.")


class Check(BaseModel):
    kind: Literal["keyword", "hashtag", "disclosure", "forbidden"]
    value: str
    met: bool


class SubmissionOut(BaseModel):
    id: str
    brief_id: str
    partner_id: str
    url: str | None
    text: str
    checks: list[Check]
    passes: bool
    status: Literal["submitted", "approved", "rejected"]
    note: str
    commission_id: str | None
    submitted_at: datetime
    decided_at: datetime | None


class BriefDetail(BaseModel):
    brief: BriefOut
    submissions: list[SubmissionOut]


class SubmissionIn(Strict):
    url: str | None = Field(None, max_length=2000)
    text: str = Field(max_length=br.MAX_TEXT)


class DecisionIn(Strict):
    approve: bool
    note: str = Field("", max_length=2000)


def _brief(row, **extra) -> dict:
    fee = Money.from_minor(row.fee_minor, row.currency)
    return {"id": row.id, "program_id": row.program_id, "title": row.title,
            "deliverables": row.deliverables, "starts_on": row.starts_on, "due_on": row.due_on,
            **br.requirements(row), "fee": str(fee.amount), "currency": row.currency,
            "group_id": row.group_id, "promotion": row.promotion, "active": row.active,
            **extra}  # fmt: skip


def _submission(row) -> SubmissionOut:
    return SubmissionOut(id=row.id, brief_id=row.brief_id, partner_id=row.partner_id,
                         url=row.url, text=row.text, checks=row.checks,
                         passes=all(c["met"] for c in row.checks), status=row.status,
                         note=row.note, commission_id=row.commission_id,
                         submitted_at=row.submitted_at, decided_at=row.decided_at)  # fmt: skip


@router.get("/programs/{program_id}/briefs", response_model=list[BriefListed], responses=ERRORS)
def get_briefs(program_id: str, store: StoreDep, caller: CallerDep):
    """The program's briefs: all of them with counts for its brand; for a partner, the open
    ones it may answer with its latest post's status."""
    if caller.is_brand:
        return [BriefListed(**_brief(v.brief, submissions=v.submissions, waiting=v.waiting,
                                     approved=v.approved))
                for v in br.briefs(store, caller, program_id)]  # fmt: skip
    return [BriefListed(**_brief(b, mine=status))
            for b, status in br.partner_briefs(store, caller, program_id)]  # fmt: skip


@router.post("/programs/{program_id}/briefs", response_model=BriefOut, status_code=201,
             responses=ERRORS, dependencies=OWN)  # fmt: skip
def post_brief(program_id: str, body: BriefIn, store: StoreDep, caller: CallerDep):
    row = br.create_brief(store, caller, program_id, br.BriefIn(**body.model_dump()))
    return BriefOut(**_brief(row))


@router.get("/briefs/{brief_id}", response_model=BriefDetail, responses=ERRORS)
def get_brief(brief_id: str, store: StoreDep, caller: CallerDep):
    """A brief with its posts: every post for its brand, the partner's own for a partner."""
    brief, rows = br.brief_of(store, caller, brief_id)
    return BriefDetail(brief=BriefOut(**_brief(brief)),
                       submissions=[_submission(r) for r in rows])  # fmt: skip


@router.patch("/briefs/{brief_id}", response_model=BriefOut, responses=ERRORS,
              dependencies=[Depends(own_brief)])  # fmt: skip
def patch_brief(brief_id: str, body: Switch, store: StoreDep, caller: CallerDep):
    return BriefOut(**_brief(br.set_active(store, caller, brief_id, body.active)))


@router.post("/briefs/{brief_id}/submissions", response_model=SubmissionOut, status_code=201,
             responses=ERRORS, dependencies=[Depends(open_brief)])  # fmt: skip
def post_submission(brief_id: str, body: SubmissionIn, store: StoreDep, caller: CallerDep):
    """For a partner: a post for the brief, checked against each requirement at once."""
    return _submission(br.submit(store, caller, brief_id, url=body.url, text=body.text))


@router.post("/brief-submissions/{submission_id}/decision", response_model=SubmissionOut,
             responses=ERRORS, dependencies=[Depends(own_submission)])  # fmt: skip
def post_decision(submission_id: str, body: DecisionIn, store: StoreDep, caller: CallerDep):
    """Approve a post that meets every requirement (paying the brief's fee, once), or reject
    it with a note."""
    return _submission(br.decide(store, caller, submission_id, body.approve, body.note))


# --- Bounties -----------------------------------------------------------------------------


def own_bounty(bounty_id: str, store: StoreDep, caller: CallerDep) -> None:
    bt.require_own_bounty(store, caller, bounty_id)


def open_bounty(bounty_id: str, store: StoreDep, caller: CallerDep) -> None:
    bt.require_open_bounty(store, caller, bounty_id)


class BountyIn(Strict):
    title: str = Field(max_length=200)
    kind: Literal["sales", "revenue", "content"]
    target: str | None = Field(
        None, max_length=40, description="Sales: a whole number; revenue: an amount; content: "
        "none.", examples=["10"],
    )  # fmt: skip
    starts_at: datetime
    ends_at: datetime = Field(description="The first instant after the period.")
    reward: str = Field(max_length=40, examples=["50.00"])
    description: str = Field("", max_length=5000)
    group_id: str | None = Field(None, max_length=40)
    promotion: str | None = Field(None, max_length=60)


class BountyOut(BaseModel):
    id: str
    program_id: str
    title: str
    kind: str
    target: str = Field(description="Sales as a count, revenue as an amount, content: 1.")
    starts_at: datetime
    ends_at: datetime
    reward: str
    currency: str
    description: str
    group_id: str | None
    promotion: str | None
    active: bool
    settled_at: datetime | None


class ProgressOut(BaseModel):
    partner_id: str
    value: str = Field(description="Sales as a count, revenue as an amount, content: 0 or 1.")
    share: float
    reached: bool
    paid: bool
    status: str | None = Field(None, description="A claim's status, if any.")
    url: str | None = None
    commission_id: str | None = None


class BountyProgressOut(BaseModel):
    bounty: BountyOut
    progress: list[ProgressOut]


class ContentIn(Strict):
    url: str = Field(max_length=2000)


class ClaimDecisionIn(Strict):
    approve: bool
    note: str = Field("", max_length=2000)


def _amount(bounty, value: int) -> str:
    if bounty.kind == "revenue":
        return str(Money.from_minor(value, bounty.currency).amount)
    return str(value)


def _bounty(row) -> BountyOut:
    return BountyOut(id=row.id, program_id=row.program_id, title=row.title, kind=row.kind,
                     target=_amount(row, row.target), starts_at=row.starts_at,
                     ends_at=row.ends_at,
                     reward=str(Money.from_minor(row.reward_minor, row.currency).amount),
                     currency=row.currency, description=row.description, group_id=row.group_id,
                     promotion=row.promotion, active=row.active,
                     settled_at=row.settled_at)  # fmt: skip


def _progress(p) -> ProgressOut:
    claim = p.claim
    return ProgressOut(partner_id=p.partner_id, value=_amount(p.bounty, p.value), share=p.share,
                       reached=p.reached, paid=p.paid, status=claim.status if claim else None,
                       url=claim.url if claim else None,
                       commission_id=claim.commission_id if claim else None)  # fmt: skip


@router.get("/programs/{program_id}/bounties", response_model=list[BountyProgressOut],
            responses=ERRORS)  # fmt: skip
def get_bounties(program_id: str, store: StoreDep, caller: CallerDep):
    """The program's bounties: each with every partner's progress for its brand; the open
    ones with its own progress for a partner."""
    if caller.is_brand:
        return [BountyProgressOut(bounty=_bounty(b), progress=[_progress(p) for p in rows])
                for b, rows in bt.bounties(store, caller, program_id)]  # fmt: skip
    return [BountyProgressOut(bounty=_bounty(p.bounty), progress=[_progress(p)])
            for p in bt.partner_bounties(store, caller, program_id)]  # fmt: skip


@router.post("/programs/{program_id}/bounties", response_model=BountyOut, status_code=201,
             responses=ERRORS, dependencies=OWN)  # fmt: skip
def post_bounty(program_id: str, body: BountyIn, store: StoreDep, caller: CallerDep):
    return _bounty(bt.create_bounty(store, caller, program_id, bt.BountyIn(**body.model_dump())))


@router.patch("/bounties/{bounty_id}", response_model=BountyOut, responses=ERRORS,
              dependencies=[Depends(own_bounty)])  # fmt: skip
def patch_bounty(bounty_id: str, body: Switch, store: StoreDep, caller: CallerDep):
    return _bounty(bt.set_active(store, caller, bounty_id, body.active))


@router.post("/bounties/{bounty_id}/content", response_model=ProgressOut, status_code=201,
             responses=ERRORS, dependencies=[Depends(open_bounty)])  # fmt: skip
def post_content(bounty_id: str, body: ContentIn, store: StoreDep, caller: CallerDep):
    """For a partner: where its content for a content bounty is published."""
    return _claim_out(bt.submit_content(store, caller, bounty_id, body.url))


def _claim_out(claim) -> ProgressOut:
    """A content bounty's claim as progress: done (1) once approved."""
    done = claim.status == "approved"
    return ProgressOut(partner_id=claim.partner_id, value=str(int(done)), share=float(done),
                       reached=done, paid=claim.commission_id is not None, status=claim.status,
                       url=claim.url, commission_id=claim.commission_id)  # fmt: skip


@router.post("/bounties/{bounty_id}/claims/{partner_id}/decision", response_model=ProgressOut,
             responses=ERRORS, dependencies=[Depends(own_bounty)])  # fmt: skip
def post_claim_decision(bounty_id: str, partner_id: str, body: ClaimDecisionIn,
                        store: StoreDep, caller: CallerDep):  # fmt: skip
    """Approve a partner's content (paying the reward, once) or reject it with a note."""
    return _claim_out(bt.decide(store, caller, bounty_id, partner_id, body.approve, body.note))


# --- Product feed -------------------------------------------------------------------------


class FeedIn(Strict):
    csv: str = Field(max_length=16 * 1024 * 1024, description="The products as CSV text, a "
                     "header row first: sku, title, price, url (and description, image_url, "
                     "category, availability).")  # fmt: skip


class FeedRowOut(BaseModel):
    line: int
    sku: str
    field: str | None
    reason: str


class FeedLoadOut(BaseModel):
    loaded: int
    removed: int
    left_out: list[FeedRowOut]


class ProductOut(BaseModel):
    sku: str
    title: str
    description: str
    price: str
    currency: str
    url: str
    image_url: str | None
    category: str
    in_stock: bool


@router.put("/programs/{program_id}/products", response_model=FeedLoadOut, responses=ERRORS,
            dependencies=OWN)  # fmt: skip
def put_products(program_id: str, body: FeedIn, store: StoreDep, caller: CallerDep):
    """Replace the program's product feed; each row left out is named with why."""
    result = feeds.load_feed(store, caller, program_id, body.csv)
    return FeedLoadOut(loaded=result.loaded, removed=result.removed,
                       left_out=[FeedRowOut(**r) for r in result.left_out])  # fmt: skip


@router.get("/programs/{program_id}/products", response_model=list[ProductOut],
            responses=ERRORS, dependencies=OWN)  # fmt: skip
def get_products(program_id: str, store: StoreDep, caller: CallerDep):
    return [ProductOut(sku=p.sku, title=p.title, description=p.description,
                       price=str(Money.from_minor(p.price_minor, p.currency).amount),
                       currency=p.currency, url=p.url, image_url=p.image_url,
                       category=p.category, in_stock=p.in_stock)
            for p in feeds.products(store, caller, program_id)]  # fmt: skip


@router.get("/programs/{program_id}/product-feed", responses={
    **ERRORS, 200: {"description": "The feed as CSV or XML (RSS 2.0 with g: fields)",
                    "content": {"text/csv": {}, "application/xml": {}}}})  # fmt: skip
def get_product_feed(program_id: str, request: Request, store: StoreDep, caller: CallerDep,
                     format: Literal["csv", "xml"] = "csv"):  # fmt: skip
    """For a partner: the program's products, each with its own link to the product's page."""
    links_base = get_settings().links_base(str(request.base_url))
    body, media = feeds.partner_feed(store, caller, program_id, links_base, format)
    return Response(body, media_type=media)
