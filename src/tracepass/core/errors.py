"""The one error envelope of the API: `{"error": "<stable string>", "details": {...}}`.

Raise `ApiError` (or a helper below) from any layer; the handlers registered by
`install_error_handlers` turn it, request validation failures, unknown routes and
unexpected exceptions into that envelope.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

logger = logging.getLogger("tracepass.errors")

VALIDATION_ERROR = "Validation error"
IDEMPOTENCY_MISMATCH = (
    "Idempotency-Key has already been used with a different request body. "
    "Use a new key for the new request, or reuse the original body."
)


class ApiError(Exception):
    def __init__(
        self,
        status_code: int,
        error: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(error)
        self.status_code = status_code
        self.error = error
        self.details = details
        self.headers = headers or {}


def error_body(error: str, details: dict[str, Any] | None = None) -> bytes:
    payload: dict[str, Any] = {"error": error}
    if details is not None:
        payload["details"] = details
    return orjson.dumps(payload)


def error_response(
    status_code: int,
    error: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(
        error_body(error, details),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )


def validation_error(field_errors: dict[str, list[str]], **extra: Any) -> ApiError:
    return ApiError(400, VALIDATION_ERROR, {"fieldErrors": field_errors, **extra})


def not_found(resource: str) -> ApiError:
    return ApiError(404, "Not found", {"resource": resource})


def conflict(error: str, **details: Any) -> ApiError:
    return ApiError(409, error, details or None)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _readable(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return "Required"
    if kind == "json_invalid":
        return "Malformed JSON"
    return str(error.get("msg", "Invalid value"))


def field_errors_from_pydantic(errors: Any) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for error in errors:
        result.setdefault(_field_path(error.get("loc", ())), []).append(_readable(error))
    return result


async def _api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status_code, exc.error, exc.details, exc.headers)


async def _validation_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(
        400, VALIDATION_ERROR, {"fieldErrors": field_errors_from_pydantic(exc.errors())}
    )


_HTTP_ERRORS = {
    400: "Bad request",
    401: "Unauthorized",
    404: "Not found",
    405: "Method not allowed",
    413: "Payload too large",
    415: "Unsupported media type",
}


def allowed_methods(request: Request) -> str:
    """Every method the path answers to, across all the routes of its path template.

    Starlette's own `Allow` names only the first matching route's methods, while
    e.g. GET and POST /api/v1/keys are two routes. When several templates match
    (`/passports/batch` and `/passports/{id}`), the most literal one wins, as in
    the OpenAPI document.
    """
    from fastapi.routing import iter_route_contexts

    path = request.url.path
    by_template: dict[str, set[str]] = {}
    for route in iter_route_contexts(request.app.routes):
        regex = getattr(route, "path_regex", None)
        if regex is not None and route.methods and route.path and regex.match(path):
            by_template.setdefault(route.path, set()).update(route.methods)
    if not by_template:
        return ""
    most_literal = min(by_template, key=lambda template: template.count("{"))
    return ", ".join(sorted(by_template[most_literal]))


async def _http_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    error = _HTTP_ERRORS.get(exc.status_code, "HTTP error")
    details: dict[str, Any] | None = None
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        details = {"method": request.method}
        headers["Allow"] = allowed_methods(request) or headers.get("Allow", "")
    elif exc.status_code == 404:
        details = {"path": request.url.path}
    elif isinstance(exc.detail, str) and exc.detail and exc.status_code == 400:
        details = {"reason": exc.detail}
    return error_response(exc.status_code, error, details, headers)


async def _unexpected_handler(request: Request, exc: Exception) -> Response:
    request_id = getattr(request.state, "request_id", None)
    logger.exception("unhandled error", extra={"request_id": request_id})
    return error_response(500, "Internal server error", {"requestId": request_id})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(Exception, _unexpected_handler)
