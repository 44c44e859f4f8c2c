"""create_app(settings) -> FastAPI: routers, middlewares, error handlers."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tracepass import __version__
from tracepass.config import Settings
from tracepass.core.errors import error_response, install_error_handlers
from tracepass.core.gateway import ApiGateway
from tracepass.core.limits import BodyLimitMiddleware, HeaderLimitMiddleware, NulCharacterGuard
from tracepass.core.observability import RequestContextMiddleware
from tracepass.core.openapi import install_openapi
from tracepass.core.security import PathScopedCORS, SecurityHeadersMiddleware, swagger_docs_route
from tracepass.db.engine import Database

# Each domain exposes `router` (FastAPI) and may expose `routes` (lean Starlette routes).
ROUTER_MODULES = (
    "tracepass.workspaces.router",
    "tracepass.catalog.router",
    "tracepass.products.router",
    "tracepass.media.router",
    "tracepass.passports.router",
    "tracepass.public.router",
)

_HEALTH_BODY = b'{"status":"ok"}'


async def healthz(request: Request) -> Response:
    return Response(_HEALTH_BODY, media_type="application/json")


async def readyz(request: Request) -> Response:
    database: Database = request.app.state.db
    try:
        await database.ping()
    except Exception:
        return error_response(503, "Service unavailable", {"database": "unreachable"})
    return Response(b'{"status":"ready","database":"ok"}', media_type="application/json")


def _include_domain_routers(app: FastAPI) -> None:
    # Lean routes go right after the health checks: a scan must not be matched
    # against every FastAPI route before it reaches its own.
    lean_at = 2
    for module_name in ROUTER_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # domain not built yet
            raise
        for route in getattr(module, "routes", ()):
            app.router.routes.insert(lean_at, route)
            lean_at += 1
        if hasattr(module, "router"):
            app.include_router(module.router)


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or Settings()
    database = database or Database(settings.async_database_url, settings.db_pool_size)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await database.dispose()

    app = FastAPI(
        title="TracePass API",
        version=__version__,
        summary="Open, self-hostable EU Digital Product Passports, TracePass v1 compatible.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served below with a CSP that allows only its own script
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = database
    # Lean routes first: health checks must not pay for FastAPI's machinery.
    app.router.routes.insert(0, Route("/healthz", healthz, methods=["GET", "HEAD"]))
    app.router.routes.insert(1, Route("/readyz", readyz, methods=["GET", "HEAD"]))
    app.router.routes.append(swagger_docs_route("/docs", "/api/v1/openapi.json", app.title))
    _include_domain_routers(app)
    install_error_handlers(app)
    install_openapi(app)

    app.add_middleware(NulCharacterGuard)  # innermost: after auth, inside the body limit
    app.add_middleware(
        ApiGateway,
        database=database,
        idempotency_ttl=timedelta(seconds=settings.idempotency_ttl_seconds),
        in_flight_timeout=timedelta(seconds=settings.idempotency_in_flight_timeout_seconds),
    )
    app.add_middleware(
        BodyLimitMiddleware,
        json_limit=settings.json_body_limit,
        upload_limit=settings.image_upload_limit,
    )
    app.add_middleware(PathScopedCORS, api_origins=settings.cors_api_origins)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(HeaderLimitMiddleware)
    app.add_middleware(RequestContextMiddleware)
    return app
