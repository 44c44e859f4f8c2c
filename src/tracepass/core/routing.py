"""Lean Starlette routes in front of FastAPI ones."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.routing import Match, Route
from starlette.types import Receive, Scope, Send


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


AsgiHandler = Callable[[Scope, Receive, Send], Awaitable[None]]


class AsgiEndpoint:
    """Mounts an `async (scope, receive, send)` function as a raw ASGI endpoint.

    Starlette's Route wraps a plain function as a request -> response handler (a
    Request object, a Response object and an exception wrapper per call); a route
    on the hottest path can skip that by handing Route this callable instead.
    """

    def __init__(self, handler: AsgiHandler) -> None:
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.handler(scope, receive, send)
