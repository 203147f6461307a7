"""The links in nurturing mail, for anyone who holds the mail: its open pixel
(GET /n/o/{send}/{token}.gif), its counted links (GET /n/c/{send}/{token}/{n}, which go on to
the address the marketer wrote, never to one given in the request) and its unsubscribe
(GET /n/u/{send}/{token} asks, POST does it; a mail program's one-click POST of RFC 8058
too). A wrong send or token finds nothing and says so without telling which part was wrong.
"""

from __future__ import annotations

import base64

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from accord.leads import nurture
from accord.web.pages import render

router = APIRouter(include_in_schema=False)

#: A transparent 1x1 GIF.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = {"Cache-Control": "no-store, private", "Referrer-Policy": "no-referrer"}


@router.get("/n/o/{send_id}/{name}")
def pixel(send_id: str, name: str, request: Request) -> Response:
    nurture.opened(request.app.state.store, send_id, name.removesuffix(".gif"))
    return Response(PIXEL, media_type="image/gif", headers=NO_STORE)


@router.get("/n/c/{send_id}/{token}/{number}")
def follow(send_id: str, token: str, number: str, request: Request):
    url = nurture.clicked(request.app.state.store, send_id, token, number[:6])
    if url is None:
        return _page(request, None, status=404)
    return RedirectResponse(url, status_code=302, headers=NO_STORE)


def _page(request: Request, info, status: int = 200, done: bool = False) -> HTMLResponse:
    response = render(request, "unsubscribe.html", http_status=status, info=info, done=done,
                      action=request.url.path)  # fmt: skip
    response.headers.update(NO_STORE)
    return response


@router.get("/n/u/{send_id}/{token}")
def ask(send_id: str, token: str, request: Request) -> HTMLResponse:
    info = nurture.unsubscribe_info(request.app.state.store, send_id, token)
    return _page(request, info, status=200 if info else 404, done=bool(info and info.done))


@router.post("/n/u/{send_id}/{token}")
def leave(send_id: str, token: str, request: Request) -> HTMLResponse:
    store = request.app.state.store
    if not nurture.unsubscribe(store, send_id, token):
        return _page(request, None, status=404)
    return _page(request, nurture.unsubscribe_info(store, send_id, token), done=True)
