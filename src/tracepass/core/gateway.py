"""The /api/v1 gateway: authentication, Idempotency-Key and daily budgets.

One pure-ASGI middleware does all three for every v1 route, in this order:
authenticate the Bearer key (401), claim the Idempotency-Key (replay / 409 / 422,
before anything is counted, so a replay is free), charge the daily budget (429),
run the route, then store its answer for the key and add the RateLimit fields.
Routes read the caller from `request.state.auth` (see `core.auth.current_auth`).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import orjson
from starlette.exceptions import HTTPException

from tracepass.core import budgets, idempotency
from tracepass.core.asgi import (
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    encode_headers,
    header,
    read_body,
    replaying_receive,
    send_bytes,
)
from tracepass.core.auth import AuthContext, KeyCache, bearer_token, resolve_api_key
from tracepass.core.errors import IDEMPOTENCY_MISMATCH, error_body
from tracepass.core.limits import UPLOAD_PATH
from tracepass.core.timeutil import seconds_to_next_utc_midnight
from tracepass.db.engine import Database

logger = logging.getLogger("tracepass.gateway")

V1_PREFIX = "/api/v1/"
UNAUTHENTICATED_PATHS = frozenset({"/api/v1/openapi.json"})
_JSON = (b"content-type", b"application/json")


async def _send_error(
    send: Send,
    status: int,
    error: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    await send_bytes(
        send, status, error_body(error, details), [_JSON, *encode_headers(headers or {})]
    )


def _batch_size(body: bytes) -> int:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return 1
    items = payload.get("passports") if isinstance(payload, dict) else None
    return len(items) if isinstance(items, list) else 1


class ApiGateway:
    def __init__(
        self,
        app: ASGIApp,
        database: Database,
        idempotency_ttl: timedelta,
        in_flight_timeout: timedelta,
    ) -> None:
        self.app = app
        self.db = database
        self.ttl = idempotency_ttl
        self.in_flight_timeout = in_flight_timeout
        self.keys = KeyCache()
        self.usage = budgets.UsageBuffer(database)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, self._flush_usage_on_shutdown(receive), send)
            return
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or not (path.startswith(V1_PREFIX) or path == V1_PREFIX.rstrip("/"))
            or path in UNAUTHENTICATED_PATHS
            or scope["method"] == "OPTIONS"
        ):
            await self.app(scope, receive, send)
            return
        try:
            await self._handle(scope, receive, send)
        except HTTPException as exc:  # body too large / client gone while we buffered
            if exc.status_code == 413:
                await _send_error(send, 413, "Payload too large")
            else:
                raise

    def _flush_usage_on_shutdown(self, receive: Receive) -> Receive:
        async def wrapped() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                await self.usage.flush()
            return message

        return wrapped

    async def _authenticate(self, scope: Scope) -> AuthContext | None:
        token = bearer_token(header(scope, b"authorization"))
        if token is None:
            return None
        auth = self.keys.get(token)
        if auth is not None:
            return auth
        async with self.db.read_session() as session:
            auth = await resolve_api_key(session, token)
        if auth is not None:
            self.keys.put(token, auth)
        return auth

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        auth = await self._authenticate(scope)
        if auth is None:
            await _send_error(
                send,
                401,
                "Unauthorized",
                {"reason": "Missing, malformed, unknown or revoked API key"},
                {"WWW-Authenticate": 'Bearer realm="tracepass"'},
            )
            return
        scope.setdefault("state", {})["auth"] = auth
        method, path = scope["method"], scope["path"]
        key = self._idempotency_key(scope)
        body: bytes | None = None

        if key is not None:
            if not 1 <= len(key) <= idempotency.MAX_KEY_LENGTH:
                await _send_error(
                    send,
                    400,
                    "Validation error",
                    {"fieldErrors": {"Idempotency-Key": ["Must be 1 to 255 characters"]}},
                )
                return
            body = await read_body(receive)
            if await self._answered_by_claim(scope, send, auth, key, body):
                return

        cost = budgets.charge_for(method, path)
        if cost is not None and budgets.needs_body_for_cost(method, path):
            if body is None:
                body = await read_body(receive)
            cost = budgets.batch_cost(_batch_size(body))
        extra_headers: dict[str, str] = {}
        if cost is not None and budgets.is_unlimited(auth, cost.kind):
            self.usage.add(auth, cost)
        elif cost is not None:
            async with self.db.write_session() as session:
                state = await budgets.charge(session, auth, cost)
            extra_headers = budgets.rate_limit_headers(auth, state)
            if not state.allowed:
                if key is not None:
                    await self._release(auth, key)
                extra_headers["Retry-After"] = str(seconds_to_next_utc_midnight())
                await _send_error(
                    send,
                    429,
                    "Rate limit exceeded",
                    budgets.over_budget_details(auth, state),
                    extra_headers,
                )
                return

        downstream_receive = receive if body is None else replaying_receive(body, receive)
        await self._run(scope, downstream_receive, send, auth, key, extra_headers)

    @staticmethod
    def _idempotency_key(scope: Scope) -> str | None:
        """The key of a write that honours it (multipart uploads do not, as documented)."""
        if scope["method"] not in budgets.WRITE_METHODS or UPLOAD_PATH.match(scope["path"]):
            return None
        return header(scope, b"idempotency-key")

    async def _answered_by_claim(
        self, scope: Scope, send: Send, auth: AuthContext, key: str, body: bytes
    ) -> bool:
        fingerprint = idempotency.request_fingerprint(
            scope["method"], scope["path"], scope.get("query_string", b"").decode("latin-1"), body
        )
        async with self.db.write_session() as session:
            claim = await idempotency.claim(
                session, auth.workspace_id, key, fingerprint, self.ttl, self.in_flight_timeout
            )
        if claim.outcome == "run":
            return False
        if claim.outcome == "mismatch":
            await _send_error(send, 422, IDEMPOTENCY_MISMATCH, {"idempotencyKey": key})
        elif claim.outcome == "in_flight":
            await _send_error(
                send,
                409,
                "Idempotency-Key in use",
                {"reason": "A request with this Idempotency-Key is still being processed"},
                {"Retry-After": "1"},
            )
        else:
            assert claim.stored is not None
            await self._replay(send, auth, claim.stored)
        return True

    async def _replay(
        self, send: Send, auth: AuthContext, stored: idempotency.StoredResponse
    ) -> None:
        async with self.db.read_session() as session:
            state = await budgets.peek(session, auth, "writes")
        headers = {
            **stored.headers,
            **budgets.rate_limit_headers(auth, state),
            "Idempotent-Replayed": "true",
        }
        await send_bytes(send, stored.status_code, stored.body, encode_headers(headers))

    async def _release(self, auth: AuthContext, key: str) -> None:
        async with self.db.write_session() as session:
            await idempotency.release(session, auth.workspace_id, key)

    async def _run(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        auth: AuthContext,
        key: str | None,
        extra_headers: dict[str, str],
    ) -> None:
        encoded_extra = encode_headers(extra_headers)
        status = 500
        raw_headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def wrapped_send(message: Message) -> None:
            nonlocal status, raw_headers
            if message["type"] == "http.response.start":
                status = message["status"]
                raw_headers = list(message.get("headers", []))
                message["headers"] = raw_headers + encoded_extra
            elif message["type"] == "http.response.body" and key is not None:
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, wrapped_send)
        except BaseException:
            if key is not None:
                await self._release(auth, key)
            raise
        if key is None:
            return
        if status >= 500:
            await self._release(auth, key)
            return
        stored = idempotency.StoredResponse(
            status, idempotency.storable_headers(raw_headers), b"".join(chunks)
        )
        async with self.db.write_session() as session:
            await idempotency.complete(session, auth.workspace_id, key, stored)
