"""Browser-facing security: CORS per path family, headers on every HTML page, /docs.

- The public side (`/p/…`, JSON-LD contexts, media) is readable from any origin;
  the authenticated API only from the origins listed in TRACEPASS_CORS_API_ORIGINS.
- Every text/html response carries a Content-Security-Policy without inline scripts,
  `X-Content-Type-Options: nosniff` and a Referrer-Policy; pages that set their own
  keep them.
- /docs (Swagger UI) needs one inline bootstrap script: its CSP allows exactly that
  script by hash, never 'unsafe-inline'.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi.openapi.docs import get_swagger_ui_html
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from tracepass.core.asgi import ASGIApp, Message, Receive, Scope, Send

API_PREFIX = "/api/v1"
DEFAULT_HTML_CSP = (
    "default-src 'none'; img-src 'self' https: data:; style-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HTML_DEFAULTS = (
    (b"content-security-policy", DEFAULT_HTML_CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)
SWAGGER_CDN = "https://cdn.jsdelivr.net"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if content_type.startswith(b"text/html"):
                    headers += [(k, v) for k, v in HTML_DEFAULTS if k not in names]
                    message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class PathScopedCORS:
    """Public paths: any origin may read (no credentials). /api/v1: configured origins only."""

    def __init__(self, app: ASGIApp, api_origins: list[str]) -> None:
        self.app = app
        self.api = CORSMiddleware(
            app,
            allow_origins=api_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
            expose_headers=["RateLimit", "RateLimit-Policy", "Retry-After", "X-Request-Id"],
        )
        self.public = CORSMiddleware(
            app,
            allow_origins=["*"],
            allow_methods=["GET", "HEAD"],
            allow_headers=["Accept", "Accept-Language", "If-None-Match"],
            expose_headers=["ETag", "Link", "Content-Language"],
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        is_api = path == API_PREFIX or path.startswith(API_PREFIX + "/")
        await (self.api if is_api else self.public)(scope, receive, send)


def _script_hashes(html: str) -> list[str]:
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in _INLINE_SCRIPT.findall(html)
    ]


def swagger_docs_route(path: str, openapi_url: str, title: str) -> Route:
    html = bytes(
        get_swagger_ui_html(openapi_url=openapi_url, title=title, oauth2_redirect_url=None).body
    ).decode()
    policy = (
        f"default-src 'none'; script-src {SWAGGER_CDN} {' '.join(_script_hashes(html))}; "
        f"style-src {SWAGGER_CDN}; img-src 'self' data: https:; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    headers = {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }

    async def docs(request: Request) -> Response:
        return HTMLResponse(html, headers=headers)

    return Route(path, docs, methods=["GET", "HEAD"], include_in_schema=False)
