"""Shared request plumbing: the store, the caller, paging."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from accord.audit.context import Actor, act_as
from accord.errors import Forbidden, NotFound, Unauthenticated
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.permissions import required_permission
from accord.tenancy.service import authenticate, require_brand

bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer acc_...`")


def get_store(request: Request) -> Store:
    return request.app.state.store


async def get_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    """The key's organization, refused with 403 unless its scopes hold the permission the
    route needs (accord.tenancy.permissions derives it from the route). Every change the
    request makes is recorded in the audit log as this key's, from the client's address.

    Async, so that the audit actor it sets is seen by the route that runs after it."""
    if credentials is None:
        raise Unauthenticated("send your API key as 'Authorization: Bearer acc_...'")
    store = request.app.state.store
    caller = await run_in_threadpool(authenticate, store, credentials.credentials)
    route = request.scope.get("route")
    needed = required_permission(request.method, getattr(route, "path", request.url.path))
    if needed is None:  # a route nobody said anything about: refused, never let through
        raise Forbidden("this route has no permission defined; it is refused to every key")
    caller.require(needed)
    request.state.caller = caller
    from accord.web.pages import peer

    act_as(Actor("key", caller.key_id, None, caller.organization_id, peer(request)))
    return caller


StoreDep = Annotated[Store, Depends(get_store)]
CallerDep = Annotated[Caller, Depends(get_caller)]


# Guards: the objects in the path are checked before the query or body is read, so a key
# that may not use them is refused the same way whatever it sends: 403 for a partner's key
# on a brand's action, 404 for another organization's id, as for an id that does not exist.
def brands_program(program_id: str, store: StoreDep, caller: CallerDep) -> None:
    """The path's program is the calling brand's own."""
    from accord.programs.service import load_program

    require_brand(caller)
    with store.read() as session:
        load_program(session, caller, program_id)


def brands_conversion(conversion_id: str, store: StoreDep, caller: CallerDep) -> None:
    """The path's conversion is the calling brand's own."""
    from accord.conversions.tables import Conversion

    require_brand(caller)
    with store.read() as session:
        owner = session.scalar(
            select(Conversion.organization_id).where(Conversion.id == conversion_id)
        )
    if owner != caller.organization_id:
        raise NotFound("conversion", conversion_id, field="conversion_id")


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
