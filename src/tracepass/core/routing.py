"""Lean Starlette routes in front of FastAPI ones."""

from __future__ import annotations

from typing import Any

from starlette.routing import Match, Route
from starlette.types import Scope


class PlainGetRoute(Route):
    """A lean twin of a FastAPI GET route, taken only for a GET without a query string.

    Anything else (query parameters to validate, HEAD, other methods) does not match
    here and reaches the FastAPI route behind it, which stays the documented one.
    """

    def __init__(self, path: str, endpoint: Any) -> None:
        super().__init__(path, endpoint, methods=["GET"], include_in_schema=False)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] != "GET" or scope.get("query_string"):
            return Match.NONE, {}
        return super().matches(scope)
