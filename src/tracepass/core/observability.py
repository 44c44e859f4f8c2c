"""Request ids and one structured JSON log line per request."""

from __future__ import annotations

import logging
import re
import sys
import time
from typing import Any

import orjson

from tracepass.core.asgi import ASGIApp, Message, Receive, Scope, Send, header
from tracepass.db.ids import new_object_id

_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
access_logger = logging.getLogger("tracepass.access")


class JsonFormatter(logging.Formatter):
    """One JSON object per line. Never formats request headers, so no key or token leaks."""

    _FIELDS = ("method", "path", "status", "durationMs", "workspaceId", "requestId")

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for field in self._FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                payload[field] = value
        request_id = getattr(record, "request_id", None)
        if request_id:
            payload["requestId"] = request_id
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(payload).decode()


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("tracepass")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False


def incoming_or_new_request_id(scope: Scope) -> str:
    incoming = header(scope, b"x-request-id")
    if incoming and _SANE_REQUEST_ID.match(incoming):
        return incoming
    return new_object_id()


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, access_log: bool = True) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = incoming_or_new_request_id(scope)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        encoded_id = request_id.encode("latin-1")

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", encoded_id)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.access_log and access_logger.isEnabledFor(logging.INFO):
                auth = state.get("auth")
                access_logger.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "durationMs": round((time.perf_counter() - started) * 1000, 2),
                        "workspaceId": getattr(auth, "workspace_id", None),
                        "requestId": request_id,
                    },
                )
