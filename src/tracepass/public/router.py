"""HTTP layer of the public side.

`routes` are lean Starlette routes for the scan path (no dependency injection):
`GET|HEAD /p/01/{gtin}[/22/..][/10/..][/21/..]`, the resolver description, the
JSON-LD context and the stylesheet. `router` holds the authenticated /api/v1 routes:
access grants and QR codes (the gateway authenticates and counts them).
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from tracepass.config import Settings
from tracepass.core.asgi import encode_headers, send_bytes
from tracepass.core.auth import AuthContext, bearer_token, current_auth
from tracepass.core.cache import app_cache
from tracepass.core.errors import ApiError, error_body
from tracepass.core.pagination import PageParams, page_envelope, page_params
from tracepass.core.responses import app_settings
from tracepass.core.responses import json_response as _json
from tracepass.core.routing import AsgiEndpoint
from tracepass.core.schemas import error_responses
from tracepass.core.timeutil import utcnow
from tracepass.db.session import get_session
from tracepass.public import qr, service, views
from tracepass.public.digital_link import DigitalLinkError, encode_path, normalise_gtin, parse_path
from tracepass.public.negotiation import (
    MEDIA_TYPES,
    choose_locale,
    choose_representation,
    etag_matches,
)
from tracepass.public.pages import STYLESHEET_PATH, render_message_page
from tracepass.public.schemas import (
    AccessGrantCreate,
    AccessGrantIssued,
    AccessGrantOut,
    AccessGrantPage,
    QrJson,
    grant_wire,
)

RESOLVER_PREFIX = views.RESOLVER_PATH
PUBLIC_CACHE = "public, max-age=300"
PRIVATE_CACHE = "private, no-store"
ERROR_CACHE = "no-cache"
VARY = "Accept, Accept-Language"
HTML_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; img-src 'self' https: data:; style-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
JSON_HEADERS = {"Access-Control-Allow-Origin": "*", "X-Content-Type-Options": "nosniff"}
_STATIC_DIR = Path(__file__).resolve().parent / "static"

# --- lean scan routes ----------------------------------------------------------------
#
# The resolver is a raw ASGI endpoint (no Request object, no Response object): the
# scan path is the one that must scale to millions of scans, and what it does per
# request is parse the link, one indexed read and send bytes with encoded headers.

_SCAN_REQUEST_HEADERS = (b"accept", b"accept-language", b"authorization", b"if-none-match")
_SECURITY_FOR = {"html": HTML_SECURITY_HEADERS, "json": JSON_HEADERS}


def _scan_request_headers(scope: Scope) -> dict[bytes, str]:
    """The first value of each header the resolver reads (as Starlette's Headers.get)."""
    found: dict[bytes, str] = {}
    for name, value in scope["headers"]:
        if name in _SCAN_REQUEST_HEADERS and name not in found:
            found[name] = value.decode("latin-1")
    return found


def _raw_resolver_path(scope: Scope) -> str:
    """The still percent-encoded path after `/p` (so `%2F` in a serial stays in it)."""
    raw: bytes | None = scope.get("raw_path")
    path = raw.decode("latin-1") if raw else scope["path"]
    return path[len(RESOLVER_PREFIX) :]


def _credentials(query: QueryParams, authorization: str | None) -> tuple[str | None, bool]:
    from_query = query.get("access")
    if from_query:
        return from_query, True
    return bearer_token(authorization), False


RawHeaders = list[tuple[bytes, bytes]]


@functools.cache
def _fixed_headers(ok: bool, private: bool, html: bool) -> tuple[tuple[bytes, bytes], ...]:
    """The headers a scan answer carries whatever the passport, encoded once."""
    cache_control = PRIVATE_CACHE if private else PUBLIC_CACHE if ok else ERROR_CACHE
    security = HTML_SECURITY_HEADERS if html else JSON_HEADERS
    return tuple(encode_headers({"Vary": VARY, "Cache-Control": cache_control, **security}))


def _response_headers(result: service.ScanResult) -> RawHeaders:
    ok = result.status in (200, 304)
    raw = list(_fixed_headers(ok, result.private, result.representation == "html"))
    if ok and result.etag:
        raw.append((b"etag", result.etag.encode("latin-1")))
    if ok and result.linkset_url:
        link = f'<{result.linkset_url}>; rel="linkset"; type="application/linkset+json"'
        raw.append((b"link", link.encode("latin-1")))
    return raw


def _media_type(result: service.ScanResult) -> str:
    if result.status >= 400 and result.representation != "html":
        return "application/json"
    return MEDIA_TYPES[result.representation]


async def _send(
    send: Send, status: int, raw: RawHeaders, body: bytes, media_type: str | None, head: bool
) -> None:
    """What a Starlette Response would send: Content-Length and Content-Type added."""
    if status != 304:
        raw.append((b"content-length", str(len(body)).encode("latin-1")))
        if media_type is not None:
            raw.append((b"content-type", media_type.encode("latin-1")))
    await send_bytes(send, status, b"" if head or status == 304 else body, raw)


async def _respond(send: Send, result: service.ScanResult, head: bool) -> None:
    media_type = None if result.status == 304 else _media_type(result)
    await _send(send, result.status, _response_headers(result), result.body, media_type, head)


def _bad_link_body(
    scope: Scope, representation: str, locale: str | None, message: str
) -> tuple[bytes, str]:
    if representation == "html":
        page = render_message_page(
            locale or service.DEFAULT_PAGE_LOCALE,
            "bad_link_title",
            message,
            None,
            scope["path"],  # always under /p/, and escaped by the template
        )
        return page.encode("utf-8"), MEDIA_TYPES["html"]
    return error_body("Invalid Digital Link", {"reason": message}), "application/json"


async def resolve_digital_link(scope: Scope, receive: Receive, send: Send) -> None:
    app = scope["app"]
    settings: Settings = app.state.settings
    query = QueryParams(scope["query_string"]) if scope.get("query_string") else _NO_QUERY
    headers = _scan_request_headers(scope)
    head = scope["method"] == "HEAD"
    representation = choose_representation(
        headers.get(b"accept"), query.get("format"), query.get("linkType")
    )
    locale = choose_locale(query.get("lang"), headers.get(b"accept-language"))
    try:
        link = parse_path(_raw_resolver_path(scope))
    except DigitalLinkError as exc:
        body, media_type = _bad_link_body(scope, representation, locale, str(exc))
        security = HTML_SECURITY_HEADERS if representation == "html" else JSON_HEADERS
        error_headers = {**security, "Cache-Control": ERROR_CACHE, "Vary": VARY}
        await _send(send, 400, encode_headers(error_headers), body, media_type, head)
        return
    token, token_in_query = _credentials(query, headers.get(b"authorization"))
    scan = service.ScanRequest(
        link=link,
        representation=representation,
        locale=locale,
        token=token,
        token_in_query=token_in_query,
        path_url=RESOLVER_PREFIX + encode_path(link),
        public_base=settings.public_base,
        if_none_match=headers.get(b"if-none-match"),
    )
    cache: service.RenderCache = app_cache(app, "public_render_cache", service.RENDER_CACHE_ENTRIES)
    result = await service.scan(app.state.db, cache, scan)
    await _respond(send, result, head)


_NO_QUERY = QueryParams(b"")


def resolver_description(public_base: str) -> dict[str, Any]:
    """The GS1-Conformant Resolver description served at /.well-known/gs1resolver."""
    return {
        "name": "TracePass Digital Product Passport resolver",
        "resolverRoot": public_base + RESOLVER_PREFIX,
        "supportedPrimaryKeys": ["01"],
        "supportedLinkType": [{"namespace": views.GS1_VOC, "prefix": "gs1:"}],
        "linkTypeDefaultCanBeLinkset": False,
        "supportedContextValuesEnumerated": [],
    }


async def well_known_gs1resolver(request: Request) -> Response:
    settings = app_settings(request)
    body = orjson.dumps(resolver_description(settings.public_base))
    headers = {**JSON_HEADERS, "Cache-Control": "public, max-age=3600"}
    return Response(body, media_type="application/json", headers=headers)


async def jsonld_context(request: Request) -> Response:
    settings = app_settings(request)
    body = orjson.dumps(views.jsonld_context(settings.public_base))
    headers = {**JSON_HEADERS, "Cache-Control": "public, max-age=86400"}
    return Response(body, media_type="application/ld+json", headers=headers)


_STYLESHEET = (_STATIC_DIR / "viewer.css").read_bytes()
_STYLESHEET_ETAG = '"' + hashlib.sha256(_STYLESHEET).hexdigest()[:32] + '"'


async def stylesheet(request: Request) -> Response:
    headers = {
        "ETag": _STYLESHEET_ETAG,
        "Cache-Control": "public, max-age=86400",
        "X-Content-Type-Options": "nosniff",
    }
    if etag_matches(request.headers.get("if-none-match"), _STYLESHEET_ETAG):
        return Response(status_code=304, headers=headers)
    return Response(_STYLESHEET, media_type="text/css; charset=utf-8", headers=headers)


routes = [
    Route(
        RESOLVER_PREFIX + "/{rest:path}",
        AsgiEndpoint(resolve_digital_link),
        methods=["GET", "HEAD"],
    ),
    Route("/.well-known/gs1resolver", well_known_gs1resolver, methods=["GET", "HEAD"]),
    Route(views.CONTEXT_PATH, jsonld_context, methods=["GET", "HEAD"]),
    Route(STYLESHEET_PATH, stylesheet, methods=["GET", "HEAD"]),
]

# --- /api/v1: access grants and QR codes -------------------------------------------

router = APIRouter(prefix="/api/v1/passports", tags=["public passport"])


@router.post(
    "/{passport_id}/access-grants",
    status_code=201,
    response_model=AccessGrantIssued,
    summary="Issue an access grant (restricted or authority view) for a passport",
    responses=error_responses(400, 401, 404, 409, 413, 422, 429),
)
async def create_access_grant(
    passport_id: str,
    body: AccessGrantCreate,
    request: Request,
    auth: AuthContext = Depends(current_auth),
    session: AsyncSession = Depends(get_session),
) -> Response:
    issued = await service.issue_grant(
        session, auth, passport_id, body.level, body.label, body.expires_at
    )
    uri = service.digital_link_uri(issued.passport, app_settings(request).public_base)
    payload = {
        **grant_wire(issued.grant, active=True),
        "token": issued.token,
        "viewerUrl": f"{uri}?{urlencode({'access': issued.token})}",
    }
    return _json(payload, 201)


@router.get(
    "/{passport_id}/access-grants",
    response_model=AccessGrantPage,
    summary="List a passport's access grants (never their tokens)",
    responses=error_responses(400, 401, 404, 429),
)
async def list_access_grants(
    passport_id: str,
    params: PageParams = Depends(page_params),
    auth: AuthContext = Depends(current_auth),
    session: AsyncSession = Depends(get_session),
) -> Response:
    grants, total = await service.list_grants(
        session, auth, passport_id, params.offset, params.limit
    )
    now = utcnow()
    items = [grant_wire(g, service.grant_is_live(g, now)) for g in grants]
    return _json(page_envelope(items, total, params))


@router.delete(
    "/{passport_id}/access-grants/{grant_id}",
    response_model=AccessGrantOut,
    summary="Revoke an access grant (idempotent)",
    responses=error_responses(401, 404, 409, 422, 429),
)
async def revoke_access_grant(
    passport_id: str,
    grant_id: str,
    auth: AuthContext = Depends(current_auth),
    session: AsyncSession = Depends(get_session),
) -> Response:
    grant = await service.revoke_grant(session, auth, passport_id, grant_id)
    return _json(grant_wire(grant, active=False))


FormatQuery = Annotated[
    str, Query(pattern="^(svg|png|json)$", description="`svg` (default), `png` or `json`.")
]
ColorQuery = Annotated[
    str | None,
    Query(max_length=9, description="Foreground, 6-digit hex (`FF6600`, `#` optional)."),
]
BackgroundQuery = Annotated[
    str | None,
    Query(
        alias="backgroundColor",
        max_length=9,
        description="Solid background, 6- or 8-digit hex (8 = RGBA). Default: transparent.",
    ),
]
BrandingQuery = Annotated[
    bool,
    Query(alias="useCompanyBranding", description="Use the workspace's brand colour."),
]
ScaleQuery = Annotated[
    int,
    Query(
        ge=qr.MIN_SCALE,
        le=qr.MAX_SCALE,
        description="Pixels per module (1-40). The quiet zone is always 4 modules.",
    ),
]
QR_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The QR code",
        "content": {
            "image/svg+xml": {"schema": {"type": "string"}},
            "image/png": {"schema": {"type": "string", "format": "binary"}},
            "application/json": {"schema": QrJson.model_json_schema()},
        },
    },
    **error_responses(400, 401, 404, 409, 429),
}


@dataclass(frozen=True, slots=True)
class QrOptions:
    format: str
    color: str | None
    background_color: str | None
    use_company_branding: bool
    scale: int


async def qr_options(
    format: FormatQuery = "svg",
    color: ColorQuery = None,
    background_color: BackgroundQuery = None,
    use_company_branding: BrandingQuery = False,
    scale: ScaleQuery = qr.DEFAULT_SCALE,
) -> QrOptions:
    """The QR query parameters, shared by the by-id and by-serial routes."""
    return QrOptions(format, color, background_color, use_company_branding, scale)


def _qr_response(uri: str, auth: AuthContext, options: QrOptions) -> Response:
    try:
        style = qr.style_from_params(
            options.color,
            options.background_color,
            options.use_company_branding,
            auth.brand_color,
            options.scale,
        )
    except qr.QrParameterError as exc:
        raise ApiError(
            400, "Validation error", {"fieldErrors": {exc.parameter: [str(exc)]}}
        ) from exc
    if options.format == "png":
        return Response(qr.render_png(uri, style), media_type="image/png")
    svg = qr.render_svg(uri, style)
    if options.format == "json":
        return _json({"result": svg})
    return Response(svg, media_type="image/svg+xml")


@router.get(
    "/by-serial/{serial}/qr",
    summary="Render the QR code of a passport found by serial",
    response_class=Response,
    responses=QR_RESPONSES,
)
async def passport_qr_by_serial(
    serial: str,
    request: Request,
    gtin: Annotated[
        str | None,
        Query(max_length=14, description="Disambiguates a serial used by several GTINs."),
    ] = None,
    options: QrOptions = Depends(qr_options),
    auth: AuthContext = Depends(current_auth),
    session: AsyncSession = Depends(get_session),
) -> Response:
    normalised_gtin = None
    if gtin is not None:
        try:
            normalised_gtin = normalise_gtin(gtin)
        except DigitalLinkError as exc:
            raise ApiError(400, "Validation error", {"fieldErrors": {"gtin": [str(exc)]}}) from exc
    passport = await service.passport_for_qr_by_serial(session, auth, serial, normalised_gtin)
    uri = service.digital_link_uri(passport, app_settings(request).public_base)
    return _qr_response(uri, auth, options)


@router.get(
    "/{passport_id}/qr",
    summary="Render the passport's QR code (encodes gs1.digitalLinkUri)",
    response_class=Response,
    responses=QR_RESPONSES,
)
async def passport_qr(
    passport_id: str,
    request: Request,
    options: QrOptions = Depends(qr_options),
    auth: AuthContext = Depends(current_auth),
    session: AsyncSession = Depends(get_session),
) -> Response:
    passport = await service.passport_for_qr(session, auth, passport_id)
    uri = service.digital_link_uri(passport, app_settings(request).public_base)
    return _qr_response(uri, auth, options)
