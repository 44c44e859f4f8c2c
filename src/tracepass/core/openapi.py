"""Make the generated OpenAPI document tell what the API really answers.

FastAPI documents a 422 "Validation Error" on every route with parameters, but this
API answers validation failures with 400 and keeps 422 for a reused Idempotency-Key.
The gateway (not the routes) answers 401 and 429 on every /api/v1 route, 413 on
writes, and 409/422 for Idempotency-Key conflicts, so they are added here, once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

_ENVELOPE_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
_RENAMED_SCHEMAS = {
    "Body_upload_image_api_v1_products__id__images_post": "ProductImageUpload",
}
_WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})
_GATEWAY_ERRORS = {
    "400": "Validation error (details.fieldErrors)",
    "401": "Missing, malformed, unknown or revoked API key",
    "429": "Daily budget exhausted (Retry-After, RateLimit fields)",
}
_WRITE_ERRORS = {
    "409": "Conflict (or the same Idempotency-Key still in flight)",
    "413": "Payload too large",
    "422": "Idempotency-Key reused with a different request",
}
_FREE_PATHS = ("/api/v1/openapi.json",)


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ENVELOPE_REF}}}


def _is_fastapi_422(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref", "").endswith("/HTTPValidationError"))


def _fix_operation(path: str, method: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    if _is_fastapi_422(responses.get("422", {})):
        del responses["422"]
    if not path.startswith("/api/v1/") or path in _FREE_PATHS:
        return
    extra = dict(_GATEWAY_ERRORS)
    if method in _WRITE_METHODS:
        extra.update(_WRITE_ERRORS)
    for status, description in extra.items():
        responses.setdefault(status, _error_response(description))


def _rename_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _rename_refs(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_rename_refs(v) for v in node]
    if isinstance(node, str) and node.startswith("#/components/schemas/"):
        name = node.rsplit("/", 1)[1]
        return f"#/components/schemas/{_RENAMED_SCHEMAS.get(name, name)}"
    return node


def polish(document: dict[str, Any]) -> dict[str, Any]:
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                _fix_operation(path, method, operation)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "ErrorEnvelope",
        {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {"type": "string"},
                "details": {"anyOf": [{"type": "object"}, {"type": "null"}]},
            },
        },
    )
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    for old, new in _RENAMED_SCHEMAS.items():
        if old in schemas:
            schemas[new] = schemas.pop(old)
    renamed: dict[str, Any] = _rename_refs(document)
    return renamed


def install_openapi(app: FastAPI) -> None:
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = polish(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
