"""GET/HEAD /media/{name}: uploaded images, public and immutable (not under /api/v1)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from tracepass.core.errors import error_response
from tracepass.core.responses import app_settings
from tracepass.media.images import kind_of_name
from tracepass.media.storage import storage_for

# A stored name is never reused for other bytes, so caches may keep it forever.
IMMUTABLE = "public, max-age=31536000, immutable"


def _not_found(request: Request) -> Response:
    return error_response(404, "Not found", {"path": request.url.path})


async def serve_media(request: Request) -> Response:
    name = request.path_params["name"]
    kind = kind_of_name(name)
    if kind is None:
        return _not_found(request)
    etag = f'"{name}"'
    headers = {
        "Cache-Control": IMMUTABLE,
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
    }
    storage = storage_for(request.app.state, app_settings(request))
    stored = await storage.open(name)
    if stored is None:
        return _not_found(request)
    if request.headers.get("if-none-match") == etag:
        await stored.aclose()
        return Response(status_code=304, headers=headers)
    headers["Content-Length"] = str(stored.size)
    if request.method == "HEAD":
        await stored.aclose()
        return Response(status_code=200, headers=headers, media_type=kind.content_type)
    return StreamingResponse(stored, headers=headers, media_type=kind.content_type)


routes = [Route("/media/{name}", serve_media, methods=["GET", "HEAD"])]
