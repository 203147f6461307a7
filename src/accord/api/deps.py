"""Shared request plumbing: the store, the caller, paging."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from accord.audit.context import Actor, act_as
from accord.conversions.service import require_brands_conversion
from accord.errors import Forbidden, Unauthenticated
from accord.programs.service import get_program
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.permissions import required_permission
from accord.tenancy.service import authenticate, require_brand
from accord.web.pages import peer

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

    act_as(Actor("key", caller.key_id, None, caller.organization_id, peer(request)))
    return caller


StoreDep = Annotated[Store, Depends(get_store)]
CallerDep = Annotated[Caller, Depends(get_caller)]


# Guards: the objects in the path are checked before the query or body is read, so a key
# that may not use them is refused the same way whatever it sends: 403 for a partner's key
# on a brand's action, 404 for another organization's id, as for an id that does not exist.
def brands_program(program_id: str, store: StoreDep, caller: CallerDep) -> None:
    """The path's program is the calling brand's own."""
    require_brand(caller)
    get_program(store, caller, program_id)


def brands_conversion(conversion_id: str, store: StoreDep, caller: CallerDep) -> None:
    """The path's conversion is the calling brand's own."""
    require_brands_conversion(store, caller, conversion_id)


Limit = Annotated[int, Query(ge=1, le=500, description="Rows per page (1-500).")]
StartingAfter = Annotated[
    str | None, Query(description="Return rows after this id (the previous page's last).")
]
