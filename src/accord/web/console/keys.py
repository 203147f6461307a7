"""The console's API keys: the brand's keys, a new one (its token shown once) with the
scopes the visitor's role may give, and revoking one."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from accord.tenancy.permissions import ALL, KEY_SCOPES
from accord.tenancy.service import create_api_key, list_api_keys, revoke_api_key
from accord.web.pages import Form, SignedIn, back_to, program_or_first, refuse, render

router = APIRouter(include_in_schema=False)


def scopes_offered(visitor) -> list[str]:
    """The scopes this visitor's role may give a key: what it holds itself."""
    return [s for s in (ALL, *KEY_SCOPES) if visitor.caller.may(s)]


def keys_page(request: Request, visitor, program: str | None, token: str | None):
    store = request.app.state.store
    programs, current = program_or_first(store, visitor, program)
    return render(
        request,
        "api_keys.html",
        visitor=visitor,
        programs=programs,
        current=current,
        section="api-keys",
        keys=list_api_keys(store, visitor.caller),
        token=token,
        scopes=scopes_offered(visitor),
    )


@router.get("/console/api-keys")
def api_keys_page(request: Request, visitor: SignedIn, program: str | None = None):
    return keys_page(request, visitor, program, None)


@router.post("/console/api-keys")
def make_api_key(request: Request, visitor: SignedIn, form: Form):
    back_to(request, "/console/api-keys")
    name = form.get("name", "").strip()
    if not name or len(name) > 100:
        raise refuse("name: give the key a name (up to 100 characters)", 422)
    scopes = [s for s in scopes_offered(visitor) if form.get(f"scope:{s}")]
    token = create_api_key(
        request.app.state.store,
        visitor.caller,
        name,
        scopes,
        created_by=f"user:{visitor.user_id}",
    )
    return keys_page(request, visitor, form.get("program"), token)


@router.post("/console/api-keys/{key_id}/revoke")
def revoke(key_id: str, request: Request, visitor: SignedIn, form: Form):
    back_to(request, "/console/api-keys")
    revoke_api_key(request.app.state.store, visitor.caller, key_id)
    return RedirectResponse("/console/api-keys", status_code=303)
