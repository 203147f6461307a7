"""The FastAPI application: routers, error handling, OpenAPI."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from accord import __version__
from accord.api import bodies, ratelimit
from accord.api.bodies import KiB, MiB
from accord.api.routes import (
    attribution,
    audit,
    browser,
    content,
    contracts,
    conversions,
    directory,
    events,
    fraud,
    growth,
    inquiries,
    keys,
    leads,
    lifecycle,
    materials,
    money,
    monitoring,
    nurture,
    partners,
    postbacks,
    programs,
    recruiting,
    reports,
)
from accord.conversions.model import ConversionReport
from accord.conversions.service import keep_rejected
from accord.edge.native import edge_health
from accord.errors import AccordError, InvalidRequest, describe_validation
from accord.settings import Settings
from accord.store.engine import Store
from accord.tenancy.service import authenticate
from accord.web import jobs_pages as web_jobs
from accord.web import pages as web_pages
from accord.web import site as web_site
from accord.web.site import include_pages

log = logging.getLogger("accord.api")
SWAGGER_UI = Path(__file__).parent / "static" / "swagger-ui"

#: The largest body each route accepts, in bytes (a path ending in `*` is a prefix); a larger
#: one is refused with 413 before it is read. Every other route, the console's and the
#: portal's forms included, accepts `DEFAULT_BODY_LIMIT`.
BODY_LIMITS = {
    "/api/v1/conversions": 256 * KiB,
    "/api/v1/conversions/batch": 8 * MiB,
    "/api/v1/conversions/import": 16 * MiB,
    "/api/v1/reversals/import": 16 * MiB,
    "/api/v1/programs/{}/history-imports": 16 * MiB,
    "/t/events": 64 * KiB,
    "/t/leads": 64 * KiB,
    # a content item's PDF or deck (the service refuses past its own limit, naming it)
    "/console/content/*": 21 * MiB,
    "/api/v1/lead-content/*": 21 * MiB,
    # The upload page refuses a file past its own MAX_UPLOAD with its own page; this
    # stops a body sent without a length that would go on past it.
    "/console/imports/*": web_jobs.MAX_UPLOAD + MiB,
    # a banner of at most 2 MiB (base64 in the API's JSON); a path with {} takes any one
    # segment in its place
    "/console/creatives": 3 * MiB,
    "/console/product-feed": 17 * MiB,
    "/api/v1/programs/{}/products": 17 * MiB,
    "/api/v1/programs/{}/creatives": 3 * MiB,
}
DEFAULT_BODY_LIMIT = MiB
#: Routes that read their JSON or form body themselves (accord.api.bodies), so that a
#: refused body is kept as a rejected event; the middleware only limits their size.
BODIES_READ_BY_HAND = ("/api/v1/conversions", "/api/v1/conversions/batch")

DESCRIPTION = """
Accord's REST API. Authenticate with an API key: `Authorization: Bearer acc_...`.
Brand keys manage programs, partners, links, conversions, commissions and payouts;
a partner's key sees only that partner's own links, conversions, commissions and payouts.

Amounts are decimal strings with an ISO 4217 currency. Times are ISO 8601 in UTC.
Errors are JSON: `{"error": {"code", "message", "field"}}`; `field` names what to fix.
Lists page with `limit` and `starting_after` (the last id of the previous page).
"""


def create_api(store: Store, settings: Settings, recorder=None) -> FastAPI:
    app = FastAPI(
        title="Accord API",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,  # served below with Swagger UI from Accord itself, not a CDN
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.add_middleware(
        bodies.BodyLimits,
        limits=BODY_LIMITS,
        default=DEFAULT_BODY_LIMIT,
        by_hand=BODIES_READ_BY_HAND,
        on_refused=_keep_refused_by_middleware,
        plain_parameters=("/api/v1/",),
    )
    # Added last, so outermost: a refused request reads no body and touches no store.
    app.add_middleware(ratelimit.RateLimits, settings=settings)
    app.mount("/static/swagger-ui", StaticFiles(directory=SWAGGER_UI), name="swagger-ui")
    app.mount("/console/static", StaticFiles(directory=web_pages.STATIC), name="console-static")
    include_pages(app)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Accord API",
            swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/swagger-ui/favicon-32x32.png",
        )

    app.state.store = store
    app.state.settings = settings
    app.state.recorder = recorder

    @app.exception_handler(AccordError)
    async def accord_error(request: Request, exc: AccordError):
        if request.url.path.startswith(("/console", "/portal")):
            return web_pages.problem_response(request, exc)
        body = exc.as_dict()
        rejected = getattr(exc, "rejected_event_id", None)
        if rejected:
            body["rejected_event_id"] = rejected
        return JSONResponse({"error": body}, status_code=exc.status)

    @app.exception_handler(StaleDataError)
    async def stale(request: Request, exc: StaleDataError):
        body = {
            "code": "stale_version",
            "message": "someone changed this record at the same time; reload and retry",
        }
        return JSONResponse({"error": body}, status_code=409)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 404 and web_site.is_page(request):
            return web_site.missing_page(request)
        codes = {404: "not_found", 405: "method_not_allowed"}
        message = {
            404: f"no such endpoint: {request.method} {request.url.path}; see /docs",
            405: f"{request.method} is not allowed on {request.url.path}",
        }
        body = {
            "code": codes.get(exc.status_code, "http_error"),
            "message": message.get(exc.status_code, str(exc.detail)),
        }
        return JSONResponse(
            {"error": body}, status_code=exc.status_code, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        error = InvalidRequest(describe_validation(exc.errors()))
        body = error.as_dict()
        rejected = await _keep_refused_body(request, exc.body, error)
        if rejected:
            body["rejected_event_id"] = rejected
        return JSONResponse({"error": body}, status_code=422)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception):
        log.exception("internal error on %s %s", request.method, request.url.path)
        return JSONResponse(
            {
                "error": {
                    "code": "internal_error",
                    "message": "Accord failed to handle this request; it has been logged",
                }
            },
            status_code=500,
        )

    @app.get("/health", tags=["operations"])
    def health() -> dict[str, object]:
        store.ping()
        report: dict[str, object] = {
            "status": "ok",
            "version": __version__,
            "database": store.dialect,
        }

        edge = edge_health()  # the native edge `accord serve --tracking-port` runs, if any
        if edge is not None:
            report["tracking_edge"] = edge
            if edge.get("state") != "running" or not edge.get("answering"):
                report["status"] = "degraded"
        return report

    for module in (programs, contracts, partners, conversions, money, keys, postbacks, inquiries,
                   directory, recruiting, materials):  # fmt: skip
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(attribution.router, prefix="/api/v1")
    app.include_router(audit.router, prefix="/api/v1")
    for module in (reports, lifecycle, growth, monitoring, fraud, leads, nurture, content, events):
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(browser.router)
    app.include_router(browser.api_router, prefix="/api/v1")
    _document_raw_bodies(app)
    return app


def _document_raw_bodies(app: FastAPI) -> None:
    """Conversion bodies are read by hand (JSON or form); put their schema in the docs."""

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            models = ConversionReport.model_json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(models.pop("$defs", {}))
            components["ConversionReport"] = models
            app.openapi_schema = _document_errors(ratelimit.document(schema))
        return app.openapi_schema

    app.openapi = openapi


#: The error answers every operation may give by its shape (see `_document_errors`).
ERROR_ANSWERS = {
    "401": "Missing, unknown or revoked API key (`unauthenticated`)",
    "403": "This key may not do this: a partner's key on a brand's action, or the "
    "reverse (`forbidden`)",
    "404": "An id in the path or the request names nothing this key can see (`not_found`)",
    "409": "The request conflicts with what is stored: the same order or key sent with "
    "other values, a change the lifecycle does not allow, or a change someone made at the "
    "same moment (`conflict`, `idempotency_conflict`, `invalid_transition`, `stale_version`)",
    "413": "The body is larger than this endpoint accepts (`too_large`, naming the limit)",
    "422": "A field is wrong; `field` names it and `errors` lists each (`invalid_input`)",
}
_WRITES = ("post", "put", "patch", "delete")


def _document_errors(schema: dict) -> dict:
    """Add the error answers to each operation of the OpenAPI schema by its shape, all with
    the `ErrorResponse` body: a security requirement may answer 401 and 403; an id in the
    path, query or body 404; a write 409; a body 413 and 422; any parameter 422. (429 is
    added by `ratelimit.document`.) A route's own `responses=` keeps its description; one
    that answers every request alike says so with `x-never-refuses` (the pixel)."""
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
    components = schema.get("components", {}).get("schemas", {})
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            if operation.pop("x-never-refuses", False):
                continue
            parameters = operation.get("parameters", [])
            body = operation.get("requestBody")
            statuses = set()
            if operation.get("security"):
                statuses |= {"401", "403"}
                if method in _WRITES:
                    statuses.add("409")
            if any(p.get("in") == "path" for p in parameters) or _names_an_id(
                parameters, body, components
            ):
                statuses.add("404")
            if body:
                statuses |= {"413", "422"}
            if parameters:
                statuses.add("422")
            responses = operation["responses"]
            for status in statuses:
                answer = responses.setdefault(status, {"description": ERROR_ANSWERS[status]})
                answer["content"] = error  # FastAPI's own 422 schema is not what Accord sends
            operation["responses"] = dict(sorted(responses.items()))
    for unused in ("HTTPValidationError", "ValidationError"):
        if unused not in json.dumps(schema["paths"]):
            components.pop(unused, None)
    return schema


def _names_an_id(parameters: list, body: dict | None, components: dict) -> bool:
    """Whether a query parameter or a top-level field of a JSON body is an id (`*_id`)."""
    names = {p.get("name", "") for p in parameters if p.get("in") == "query"}
    content = (body or {}).get("content", {}).get("application/json", {})
    schema = content.get("schema", {})
    for option in [schema, *schema.get("anyOf", [])]:
        ref = option.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            option = components.get(ref.rsplit("/", 1)[1], {})
        names |= set(option.get("properties", {}))
    return any(name.endswith("_id") for name in names)


_KEPT_PATHS = ("/api/v1/conversions",)


async def _keep_refused_body(request: Request, raw: object, error: AccordError) -> str | None:
    """A conversion body that fails validation is kept as a rejected event, if the caller is
    known, so that nothing a brand sent disappears."""
    if request.method != "POST" or not request.url.path.startswith(_KEPT_PATHS):
        return None
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return None

    store: Store = request.app.state.store
    try:
        caller = authenticate(store, header[7:].strip())
    except AccordError:
        return None
    if isinstance(raw, bytes | str):
        payload = bodies.printable(raw)
    else:
        payload = json.dumps(raw, default=str)
    kind = "reversal" if "/reversals" in request.url.path else "conversion"
    return keep_rejected(store, caller, kind, payload, error)


async def _keep_refused_by_middleware(scope, raw: bytes, error: AccordError) -> str | None:
    """A body the size and text checks refused, kept as `_keep_refused_body` keeps it."""
    return await _keep_refused_body(Request(scope), raw, error)
