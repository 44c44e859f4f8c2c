"""Request body size limits, enforced before the body is read whole."""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException

from tracepass.core.asgi import (
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    header,
    read_body,
    replaying_receive,
    send_bytes,
)
from tracepass.core.errors import error_body

UPLOAD_PATH = re.compile(r"^/api/v1/products/[^/]+/images/?$")
MULTIPART_OVERHEAD = 64 * 1024


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"body exceeds {limit} bytes")
        self.limit = limit


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, json_limit: int, upload_limit: int) -> None:
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit

    def limit_for(self, path: str) -> int:
        if UPLOAD_PATH.match(path):
            return self.upload_limit + MULTIPART_OVERHEAD
        return self.json_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _reject(send, limit)
            return
        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
            return message

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, bounded_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await _reject(send, limit)


async def _reject(send: Send, limit: int) -> None:
    await send_bytes(
        send,
        413,
        error_body("Payload too large", {"limitBytes": limit}),
        [(b"content-type", b"application/json"), (b"connection", b"close")],
    )


# A JSON `\u0000` escape that is not itself escaped (preceded by an even run of `\`).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_NUL_MESSAGE = "Text may not contain NUL (\\u0000) characters"


def _is_json(scope: Scope) -> bool:
    content_type = (header(scope, b"content-type") or "").split(";")[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")


class NulCharacterGuard:
    """400 for a NUL character in the path, the query or a JSON body's strings.

    PostgreSQL text cannot hold NUL and SQLite would store it silently: refusing it
    here keeps both backends alike and every route safe. JSON bodies are bounded by
    BodyLimitMiddleware (outside this one) before being read here.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b""):
            await _reject_nul(send, "url")
            return
        if scope["method"] in ("GET", "HEAD", "OPTIONS") or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        # The substring test is a memchr scan; the regex alone tries every position.
        if b"\\u0000" in body and _JSON_NUL.search(body):
            await _reject_nul(send, "body")
            return
        await self.app(scope, replaying_receive(body, receive), send)


async def _reject_nul(send: Send, where: str) -> None:
    await send_bytes(
        send,
        400,
        error_body("Validation error", {"fieldErrors": {where: [_NUL_MESSAGE]}}),
        [(b"content-type", b"application/json")],
    )


HEADER_LIMIT = 64 * 1024


class HeaderLimitMiddleware:
    """431 for requests whose headers total more than `limit` bytes.

    httptools (uvicorn's fast parser) has no header size cap of its own, so a 1 MB
    header would otherwise reach every route.
    """

    def __init__(self, app: ASGIApp, limit: int = HEADER_LIMIT) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            size = sum(len(name) + len(value) for name, value in scope.get("headers", []))
            if size > self.limit:
                await send_bytes(
                    send,
                    431,
                    error_body("Request header fields too large", {"limitBytes": self.limit}),
                    [(b"content-type", b"application/json"), (b"connection", b"close")],
                )
                return
        await self.app(scope, receive, send)
