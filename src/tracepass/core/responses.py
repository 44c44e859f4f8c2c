"""Small request/response helpers shared by every router (one way to do each)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import HTTPConnection
from starlette.responses import Response

from tracepass.config import Settings


def app_settings(connection: HTTPConnection) -> Settings:
    """The app's Settings; usable as a FastAPI dependency or from a plain Starlette route."""
    settings: Settings = connection.app.state.settings
    return settings


def json_response(payload: Any, status_code: int = 200) -> Response:
    """Serialise with orjson straight to bytes (no response-model round trip)."""
    return Response(orjson.dumps(payload), status_code=status_code, media_type="application/json")
