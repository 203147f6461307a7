"""API keys of the caller's own organization."""

from __future__ import annotations

from fastapi import APIRouter, Response

from accord.api.deps import CallerDep, StoreDep
from accord.api.schemas import ApiKeyIn, ApiKeyOut, NewApiKeyOut
from accord.tenancy import service as tenancy
from accord.tenancy.model import parse_token

router = APIRouter(tags=["api keys"])


@router.get("/api-keys", response_model=list[ApiKeyOut])
def list_keys(store: StoreDep, caller: CallerDep):
    return [
        ApiKeyOut.model_validate(k, from_attributes=True)
        for k in tenancy.list_api_keys(store, caller)
    ]


@router.post("/api-keys", response_model=NewApiKeyOut, status_code=201)
def create_key(body: ApiKeyIn, store: StoreDep, caller: CallerDep):
    """A new key with the scopes given (at most the calling key's own); the token is shown
    in this response only and stored hashed."""
    token = tenancy.create_api_key(store, caller, body.name, body.scopes)
    key_id, _ = parse_token(token)
    key = next(k for k in tenancy.list_api_keys(store, caller) if k.key_id == key_id)
    return NewApiKeyOut(
        **ApiKeyOut.model_validate(key, from_attributes=True).model_dump(), token=token
    )


@router.delete("/api-keys/{key_id}", status_code=204)
def revoke_key(key_id: str, store: StoreDep, caller: CallerDep):
    """Revoke a key; requests with it are refused from now on."""
    tenancy.revoke_api_key(store, caller, key_id)
    return Response(status_code=204)
