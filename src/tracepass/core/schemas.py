"""Wire-model base: camelCase on the wire, snake_case in Python; the error envelope."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class WireModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class ResponseModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class ErrorEnvelope(BaseModel):
    error: str
    details: dict[str, Any] | None = None


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the error statuses a route can answer."""
    descriptions = {
        400: "Validation error (details.fieldErrors)",
        401: "Missing, malformed, unknown or revoked API key",
        402: "DPP quota exhausted (overage_required)",
        403: "Not allowed on this plan",
        404: "Not found (or in another workspace)",
        409: "Conflict",
        413: "Payload too large",
        415: "Unsupported media type",
        422: "Idempotency-Key reused with a different request",
        423: "Suspended",
        429: "Daily budget exhausted",
    }
    return {s: {"model": ErrorEnvelope, "description": descriptions[s]} for s in statuses}


COMMON_ERRORS = error_responses(400, 401, 429)
WRITE_ERRORS = error_responses(400, 401, 409, 413, 422, 429)
