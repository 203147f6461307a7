"""The console and the portal as one piece of the application: their pages, and what a
page's dependencies refuse. (An `AccordError` a page raises becomes the problem page in the
application's one handler for it: `accord.web.pages.problem_response`.)"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response

from accord.web import (
    console,
    jobs_pages,
    portal,
    public_content,
    public_creatives,
    public_events,
    public_forms,
    public_nurture,
    users,
)
from accord.web.pages import STATIC, Refused, refused_response, render, signed_in


def include_pages(app: FastAPI) -> None:
    """Add every console and portal page to `app`."""
    for router in (console.router, portal.router, jobs_pages.router, users.router,
                   public_forms.router, public_nurture.router, public_content.router,
                   public_events.router, public_creatives.router):  # fmt: skip
        app.include_router(router)
    app.add_exception_handler(Refused, refused_response)
    app.add_api_route("/favicon.ico", favicon, include_in_schema=False)


def favicon() -> FileResponse:
    """The icon browsers ask for on their own (pages name it in their head as well)."""
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})  # fmt: skip


def is_page(request: Request) -> bool:
    """Whether a request is for a console or portal page (not the API's JSON)."""
    return request.url.path.startswith(("/console", "/portal"))


def missing_page(request: Request) -> Response:
    """An address under the console or the portal that leads nowhere: a page in the
    visitor's language with a way to the area's home, not the API's JSON."""
    home = "/portal" if request.url.path.startswith("/portal") else "/console"
    return render(request, "problem.html", http_status=404, visitor=signed_in(request),
                  message=None, back=home)  # fmt: skip
