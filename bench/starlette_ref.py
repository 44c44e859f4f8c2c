"""The floor: a bare Starlette app with one JSON route, served by uvicorn like the app.

Started by the bench driver (`uvicorn starlette_ref:app --app-dir bench ...`) with the
same worker count as `tracepass serve`, so the ratio of each scenario to it is visible.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

_BODY = b'{"status":"ok"}'


async def healthz(request: Request) -> Response:
    return Response(_BODY, media_type="application/json")


app = Starlette(routes=[Route("/healthz", healthz, methods=["GET", "HEAD"])])
