"""A banner's image for anyone: GET /creatives/{id}.{ext}. Partners' pages embed it, so it
is served without a session; only active banners answer, with their own media type, and
nothing is ever sniffed or run from it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from accord.engage import creatives as cr
from accord.errors import NotFound

router = APIRouter(include_in_schema=False)


@router.get("/creatives/{name}")
def image(request: Request, name: str) -> Response:
    creative_id, _, ext = name.rpartition(".")
    headers = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'"}
    if not creative_id or ext not in cr.EXTENSIONS or len(creative_id) > 40:
        return Response("not found", status_code=404, media_type="text/plain", headers=headers)
    try:
        data, media = cr.public_image(request.app.state.store, creative_id, ext)
    except NotFound:
        return Response("not found", status_code=404, media_type="text/plain", headers=headers)
    headers["Cache-Control"] = "public, max-age=3600"
    return Response(data, media_type=media, headers=headers)
