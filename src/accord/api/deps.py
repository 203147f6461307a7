"""Shared request plumbing: the store, the caller, paging."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Select
from sqlalchemy.orm import Session

from accord.errors import Unauthenticated
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import authenticate

bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer acc_...`")


def get_store(request: Request) -> Store:
    return request.app.state.store


def get_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    if credentials is None:
        raise Unauthenticated("send your API key as 'Authorization: Bearer acc_...'")
    caller = authenticate(request.app.state.store, credentials.credentials)
    request.state.caller = caller
    return caller


StoreDep = Annotated[Store, Depends(get_store)]
CallerDep = Annotated[Caller, Depends(get_caller)]
Limit = Annotated[int, Query(ge=1, le=500, description="Rows per page (1-500).")]
StartingAfter = Annotated[
    str | None, Query(description="Return rows after this id (the previous page's last).")
]


def page(session: Session, query: Select, id_column, limit: int, starting_after: str | None):
    """Keyset paging on a time-ordered id column: stable under inserts, no OFFSET scans."""
    if starting_after:
        query = query.where(id_column > starting_after)
    rows = list(session.scalars(query.order_by(id_column).limit(limit + 1)))
    has_more = len(rows) > limit
    rows = rows[:limit]
    return rows, has_more, (rows[-1].id if has_more and rows else None)
