"""The content library over the API: items (articles, white papers, decks, videos, event and
livestream pages) with their public page, views, downloads and shares, and their files."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from accord.api.deps import CallerDep, StoreDep
from accord.api.schemas import ErrorResponse, Strict
from accord.leads import content as library

router = APIRouter(tags=["leads"])

ERRORS = {
    401: {"model": ErrorResponse, "description": "Missing or unknown API key"},
    403: {"model": ErrorResponse, "description": "Not allowed for this kind of key"},
    404: {"model": ErrorResponse, "description": "Unknown content item"},
    413: {"model": ErrorResponse, "description": "The file is larger than 20 MiB"},
    422: {"model": ErrorResponse, "description": "A field is wrong; `field` names it"},
}


class ContentIn(Strict):
    kind: Literal["article", "white_paper", "deck", "video", "event", "livestream"]
    title: str = Field(max_length=200)
    summary: str | None = Field(default=None, max_length=1000)
    body: str | None = Field(
        default=None, max_length=100_000,
        description="Plain text; a blank line starts a paragraph.",
    )  # fmt: skip
    url: str | None = Field(default=None, max_length=2000,
                            description="The video, livestream or event sign-up.")  # fmt: skip
    tags: list[str] = Field(default_factory=list, max_length=20)
    category: str | None = Field(default=None, max_length=100)
    form_id: str | None = Field(default=None, max_length=40,
                                description="A hosted form that gates the file.")  # fmt: skip
    published: bool = False


class ContentOut(BaseModel):
    id: str
    kind: str
    title: str
    summary: str | None
    body: str | None
    url: str | None
    tags: list[str]
    category: str | None
    form_id: str | None
    published: bool
    file_name: str | None
    file_type: str | None
    file_size: int | None
    views: int
    downloads: int
    shares: int
    created_at: datetime
    updated_at: datetime
    page: str = Field(description="Its public page.")


def _out(item: library.ContentItem, request: Request) -> ContentOut:
    settings = getattr(request.app.state, "settings", None)
    base = (getattr(settings, "public_url", None) or str(request.base_url)).rstrip("/")
    values = {k: v for k, v in item.__dict__.items() if k != "organization_id"}
    return ContentOut(**values | {"tags": list(item.tags)}, page=f"{base}/content/{item.id}")


@router.get("/lead-content", response_model=list[ContentOut], responses=ERRORS)
def list_content(
    request: Request, store: StoreDep, caller: CallerDep,
    kind: str | None = Query(default=None, max_length=16),
    tag: str | None = Query(default=None, max_length=40),
    category: str | None = Query(default=None, max_length=100),
) -> list[ContentOut]:  # fmt: skip
    """The brand's content library, newest first; filter by kind, tag or category."""
    found = library.library(store, caller, kind=kind, tag=tag, category=category)
    return [_out(i, request) for i in found]


@router.post("/lead-content", response_model=ContentOut, status_code=201, responses=ERRORS)
def create_content(body: ContentIn, request: Request, store: StoreDep, caller: CallerDep):
    """An item of the library; `published: true` opens its page (/content/{id})."""
    return _out(library.save_content(store, caller, body.model_dump()), request)


def brands_content(content_id: str, store: StoreDep, caller: CallerDep) -> None:
    library.content_of(store, caller, content_id)


@router.get("/lead-content/{content_id}", response_model=ContentOut, responses=ERRORS)
def get_content(content_id: str, request: Request, store: StoreDep, caller: CallerDep):
    return _out(library.content_of(store, caller, content_id), request)


@router.put("/lead-content/{content_id}", response_model=ContentOut, responses=ERRORS,
            dependencies=[Depends(brands_content)])  # fmt: skip
def change_content(
    content_id: str, body: ContentIn, request: Request, store: StoreDep, caller: CallerDep
) -> ContentOut:
    return _out(library.save_content(store, caller, body.model_dump(), content_id), request)


@router.put(
    "/lead-content/{content_id}/file",
    response_model=ContentOut,
    responses=ERRORS,
    dependencies=[Depends(brands_content)],
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The file itself (at most 20 MiB), with its Content-Type.",
            "content": {
                t: {"schema": {"type": "string", "format": "binary"}} for t in library.FILE_TYPES
            },
        }
    },
)
async def put_file(
    content_id: str, request: Request, store: StoreDep, caller: CallerDep,
    name: str = Query(default="file", max_length=150, description="The file's name."),
) -> ContentOut:  # fmt: skip
    """The item's PDF or slide deck, replacing any before."""
    from starlette.concurrency import run_in_threadpool

    data = await request.body()
    item = await run_in_threadpool(library.put_file, store, caller, content_id, name,
                                   request.headers.get("content-type", ""), data)  # fmt: skip
    return _out(item, request)
