"""The console and the portal as one piece of the application: their pages, and what a
page's dependencies refuse. (An `AccordError` a page raises becomes the problem page in the
application's one handler for it: `accord.web.pages.problem_response`.)"""

from __future__ import annotations

from fastapi import FastAPI

from accord.web import (
    console,
    jobs_pages,
    portal,
    public_content,
    public_events,
    public_forms,
    public_nurture,
    users,
)
from accord.web.pages import Refused, refused_response


def include_pages(app: FastAPI) -> None:
    """Add every console and portal page to `app`."""
    for router in (console.router, portal.router, jobs_pages.router, users.router,
                   public_forms.router, public_nurture.router, public_content.router,
                   public_events.router):  # fmt: skip
        app.include_router(router)
    app.add_exception_handler(Refused, refused_response)
