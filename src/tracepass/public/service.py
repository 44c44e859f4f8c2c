"""Rules of the public side: who sees which level, what a scan answers, render caching,
access grants and the QR of a passport.

A scan costs one indexed query (`repository.find_item`). Published snapshots are
immutable per `published_etag`, so each (entity, etag, representation, access level,
locale) is rendered once and its bytes kept in a bounded in-process LRU.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from tracepass import __version__
from tracepass.catalog.definitions import Template
from tracepass.catalog.service import template_by_id
from tracepass.core.auth import KEY_PREFIX, AuthContext, resolve_api_key
from tracepass.core.cache import LruCache
from tracepass.core.errors import ApiError, error_body, not_found
from tracepass.core.timeutil import utcnow
from tracepass.db.engine import Database
from tracepass.passports.models import Passport
from tracepass.public import pages, repository, views
from tracepass.public.digital_link import DigitalLink, encode_path
from tracepass.public.models import AccessGrant
from tracepass.public.negotiation import Representation, etag_matches
from tracepass.public.repository import Renders, ScanRow

GRANT_PREFIX = "tpg_"
GRANT_LEVELS = ("restricted", "authority")
OWNER_LEVEL = "authority"  # the owner's key sees every level
DEFAULT_PAGE_LOCALE = "en"
RENDER_CACHE_ENTRIES = 4096
_MAX_TOKEN_LENGTH = 200


RenderCache = LruCache[tuple[str, ...], bytes]  # rendered bodies keyed by the inputs


@dataclass(frozen=True, slots=True)
class ScanRequest:
    link: DigitalLink
    representation: Representation
    locale: str | None  # negotiated; None when the caller expressed no language
    token: str | None  # grant token or API key, from `?access=` or a Bearer header
    token_in_query: bool
    path_url: str  # the URL that was scanned, without query (language links)
    public_base: str
    if_none_match: str | None = None


@dataclass(frozen=True, slots=True)
class ScanResult:
    status: int
    representation: Representation
    body: bytes
    etag: str | None = None
    private: bool = False  # credentials were presented: never cache in shared caches
    linkset_url: str | None = None


def make_etag(key: tuple[str, ...]) -> str:
    return '"' + hashlib.sha256("\x1f".join(key).encode("utf-8")).hexdigest()[:32] + '"'


# --- access levels ---------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def grant_is_live(grant: AccessGrant, now: datetime) -> bool:
    return grant.revoked_at is None and (grant.expires_at is None or grant.expires_at > now)


async def viewer_level(session: AsyncSession, row: ScanRow, token: str | None) -> str:
    """The access level a token earns on this passport; anything invalid earns `public`."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return views.PUBLIC
    if token.startswith(GRANT_PREFIX):
        digest = hash_token(token)
        grant = await repository.grant_by_token_hash(session, digest)
        if (
            grant is not None
            and hmac.compare_digest(grant.token_hash, digest)
            and grant.passport_id == row.passport_id
            and grant_is_live(grant, utcnow())
        ):
            return grant.level
        return views.PUBLIC
    if token.startswith(KEY_PREFIX):
        auth = await resolve_api_key(session, token)
        if auth is not None and auth.workspace_id == row.workspace_id:
            return OWNER_LEVEL
    return views.PUBLIC


# --- scans -------------------------------------------------------------------------


def _json_bytes(payload: Any) -> bytes:
    return orjson.dumps(payload)


def _not_found(request: ScanRequest) -> ScanResult:
    if request.representation == "html":
        body = pages.render_message_page(
            request.locale or DEFAULT_PAGE_LOCALE,
            "not_found_title",
            pages.ui_strings(pages.ui_locale(request.locale))["not_found_text"],
            None,
            request.path_url,
        ).encode("utf-8")
    else:
        body = error_body("Not found", {"resource": "passport"})
    return ScanResult(404, request.representation, body, private=request.token is not None)


def _suspended(request: ScanRequest, reason: str | None) -> ScanResult:
    if request.representation == "html":
        locale = request.locale or DEFAULT_PAGE_LOCALE
        strings = pages.ui_strings(pages.ui_locale(locale))
        body = pages.render_message_page(
            locale, "suspended_title", strings["suspended_text"], reason, request.path_url
        ).encode("utf-8")
    else:
        link = request.link
        body = error_body(
            "Passport suspended",
            {
                "status": "suspended",
                "gtin": link.gtin,
                "serialNumber": link.serial,
                "reason": reason,
            },
        )
    return ScanResult(423, request.representation, body, private=request.token is not None)


async def _template(session: AsyncSession, template_id: str) -> Template:
    template = await template_by_id(session, template_id)
    if template is None:
        raise RuntimeError(f"published passport pins unknown template {template_id}")
    return template


def _render_item(
    request: ScanRequest, snapshot: Mapping[str, Any], template: Template, level: str
) -> bytes:
    links = views.Links(views.item_uri(snapshot, request.public_base))
    locale = request.locale
    representation = request.representation
    if representation == "html":
        page_locale = locale or DEFAULT_PAGE_LOCALE
        field_views = views.visible_fields(snapshot, template, level, page_locale)
        access = request.token if request.token_in_query and level != views.PUBLIC else None
        html = pages.render_item_page(
            snapshot, template, field_views, level, page_locale, links, access, request.path_url
        )
        return html.encode("utf-8")
    if representation == "linkset":
        field_views = views.visible_fields(snapshot, template, level, locale)
        product = snapshot.get("product") or {}
        title = str(product.get("name") or "Passport")
        images = [u for u in product.get("imageUrls") or [] if views.is_web_url(u)]
        return _json_bytes(views.linkset(links, title, images, field_views))
    document = views.item_document(snapshot, template, level, locale, links)
    if representation == "jsonld":
        return _json_bytes(views.item_jsonld(document, request.public_base))
    return _json_bytes(document)


# --- bodies rendered at publish time ------------------------------------------------

PRERENDERED: tuple[Representation, ...] = ("json", "html")
_RENDERING_SOURCES = (
    *sorted(Path(__file__).parent.glob("*.py")),
    *sorted((Path(__file__).parent / "templates").rglob("*.*")),
    *sorted((Path(__file__).parent / "locales").rglob("*.*")),
    Path(__file__).parent.parent / "catalog" / "definitions.py",
)


def _rendering_revision() -> str:
    """Changes with any code or file that shapes a public body (so with every upgrade)."""
    digest = hashlib.sha256(__version__.encode())
    for path in _RENDERING_SOURCES:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


RENDERING_REVISION = _rendering_revision()


@functools.cache
def render_key(public_base: str) -> str:
    """Names what a stored render was made with: this code and this public base URL."""
    return hashlib.sha256(f"{RENDERING_REVISION}\x1f{public_base}".encode()).hexdigest()[:32]


def _canonical_scan(
    snapshot: Mapping[str, Any], representation: Representation, public_base: str
) -> ScanRequest:
    """A credential-less, language-less scan of the URI printed on the item."""
    gs1 = snapshot["gs1"]
    link = DigitalLink(gtin=gs1["gtin"], serial=gs1["serialNumber"])
    return ScanRequest(
        link=link,
        representation=representation,
        locale=None,
        token=None,
        token_in_query=False,
        path_url=views.RESOLVER_PATH + encode_path(link),
        public_base=public_base,
    )


def prerender(snapshot: Mapping[str, Any], template: Template, public_base: str) -> Renders:
    """The bodies most scans ask for, rendered once when the snapshot is published."""
    json_body, html_body = (
        _render_item(_canonical_scan(snapshot, kind, public_base), snapshot, template, views.PUBLIC)
        for kind in PRERENDERED
    )
    return Renders(json=json_body, html=html_body)


async def save_prerendered(
    session: AsyncSession,
    passport_id: str,
    snapshot: Mapping[str, Any],
    published_etag: str,
    template: Template,
    public_base: str,
) -> None:
    """Called by publishing, in its transaction."""
    bodies = prerender(snapshot, template, public_base)
    await repository.save_renders(
        session, passport_id, published_etag, render_key(public_base), bodies
    )


def _stored_kind(request: ScanRequest) -> Representation | None:
    """The pre-rendered body that answers this scan, if one can."""
    link = request.link
    if (
        request.representation in PRERENDERED
        and request.token is None
        and request.locale is None
        and link.cpv is None
        and link.lot is None
    ):
        return request.representation
    return None


async def scan_item(database: Database, cache: RenderCache, request: ScanRequest) -> ScanResult:
    link = request.link
    assert link.serial is not None
    # Below the ORM: the hot path is one narrow indexed query (`Database.fetch_one`);
    # an ORM session is only opened for a credential or a render-cache miss.
    kind = _stored_kind(request)
    if kind is None:
        row = await repository.find_item(database, link.gtin, link.serial)
    else:
        stored_by = render_key(request.public_base)
        row = await repository.find_item_with_stored(
            database, link.gtin, link.serial, kind, stored_by
        )
    if row is None or (link.lot is not None and row.lot != link.lot):
        return _not_found(request)
    if row.status == "suspended":
        return _suspended(request, row.suspend_reason)
    if row.status != repository.PUBLISHED or row.published_etag is None:
        return _not_found(request)
    level = views.PUBLIC
    if request.token is not None:
        async with database.read_session() as session:
            level = await viewer_level(session, row, request.token)
    # A page reached with `?access=` repeats the token in its own links, so it
    # is cached per token; every other render is shared by all callers of a level.
    scope = request.token if request.token_in_query and level != views.PUBLIC else ""
    key = (
        "item",
        row.passport_id,
        row.published_etag,
        request.representation,
        level,
        request.locale or "",
        scope or "",
    )
    return await _cached_or_rendered(database, cache, request, key, row, level, row.stored_body)


async def _cached_or_rendered(
    database: Database,
    cache: RenderCache,
    request: ScanRequest,
    key: tuple[str, ...],
    row: ScanRow,
    level: str,
    stored: bytes | None = None,
) -> ScanResult:
    etag = make_etag(key)
    private = request.token is not None
    if etag_matches(request.if_none_match, etag):
        return ScanResult(304, request.representation, b"", etag, private)
    body = stored if stored is not None else cache.get(key)
    if body is None:
        snapshot = await repository.published_snapshot(database, row.passport_id)
        if snapshot is None:
            return _not_found(request)
        async with database.read_session() as session:  # no query once the template is cached
            template = await _template(session, row.template_id)
        if key[0] == "item":
            body = _render_item(request, snapshot, template, level)
        else:
            body = _render_model(request, snapshot, template)
        cache.put(key, body)
    return ScanResult(
        200,
        request.representation,
        body,
        etag,
        private,
        linkset_url=_linkset_url(request),
    )


def _linkset_url(request: ScanRequest) -> str:
    return f"{request.path_url}?linkType=all"


def _render_model(request: ScanRequest, snapshot: Mapping[str, Any], template: Template) -> bytes:
    link = request.link
    links = views.Links(views.model_uri(request.public_base, link.gtin, link.lot))
    locale = request.locale
    representation = request.representation
    if representation == "html":
        html = pages.render_model_page(
            snapshot,
            template,
            link.gtin,
            link.lot,
            locale or DEFAULT_PAGE_LOCALE,
            links,
            request.path_url,
        )
        return html.encode("utf-8")
    document = views.model_document(snapshot, link.gtin, link.lot, locale, links)
    if representation == "linkset":
        product = document["product"]
        title = str(product.get("name") or "Product")
        return _json_bytes(views.linkset(links, title, product["imageUrls"], []))
    if representation == "jsonld":
        return _json_bytes(views.model_jsonld(document, request.public_base))
    return _json_bytes(document)


async def scan_model(database: Database, cache: RenderCache, request: ScanRequest) -> ScanResult:
    """`/01/{gtin}` and `/01/{gtin}/10/{lot}`: the public face of the product model."""
    link = request.link
    async with database.engine.connect() as conn:
        row = await repository.find_latest_published(conn, link.gtin, link.lot)
    if row is None or row.published_etag is None:
        return _not_found(request)
    key = (
        "model",
        link.gtin,
        link.lot or "",
        row.published_etag,
        request.representation,
        views.PUBLIC,
        request.locale or "",
    )
    return await _cached_or_rendered(database, cache, request, key, row, views.PUBLIC)


async def scan(database: Database, cache: RenderCache, request: ScanRequest) -> ScanResult:
    if request.link.serial is not None:
        return await scan_item(database, cache, request)
    return await scan_model(database, cache, request)


# --- access grants -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssuedGrant:
    grant: AccessGrant
    token: str
    passport: Passport


async def _owned_passport(session: AsyncSession, auth: AuthContext, passport_id: str) -> Passport:
    passport = await repository.passport_in_workspace(session, auth.workspace_id, passport_id)
    if passport is None:
        raise not_found("passport")
    return passport


async def issue_grant(
    session: AsyncSession,
    auth: AuthContext,
    passport_id: str,
    level: str,
    label: str,
    expires_at: datetime | None,
) -> IssuedGrant:
    passport = await _owned_passport(session, auth, passport_id)
    if expires_at is not None and expires_at <= utcnow():
        raise ApiError(
            400, "Validation error", {"fieldErrors": {"expiresAt": ["Must be in the future"]}}
        )
    token = GRANT_PREFIX + secrets.token_urlsafe(32)
    grant = AccessGrant(
        workspace_id=auth.workspace_id,
        passport_id=passport.id,
        level=level,
        label=label,
        token_hash=hash_token(token),
        token_prefix=token[: len(GRANT_PREFIX) + 8],
        expires_at=expires_at,
        created_at=utcnow(),
    )
    session.add(grant)
    await session.commit()
    return IssuedGrant(grant, token, passport)


async def list_grants(
    session: AsyncSession, auth: AuthContext, passport_id: str, offset: int, limit: int
) -> tuple[list[AccessGrant], int]:
    await _owned_passport(session, auth, passport_id)
    return await repository.list_grants(session, auth.workspace_id, passport_id, offset, limit)


async def revoke_grant(
    session: AsyncSession, auth: AuthContext, passport_id: str, grant_id: str
) -> AccessGrant:
    """Revoke a grant; revoking it again is a no-op that answers the same grant."""
    grant = await repository.get_grant(session, auth.workspace_id, passport_id, grant_id)
    if grant is None:
        raise not_found("accessGrant")
    if grant.revoked_at is None:
        grant.revoked_at = utcnow()
        await session.commit()
    return grant


# --- QR ------------------------------------------------------------------------------


async def passport_for_qr(session: AsyncSession, auth: AuthContext, passport_id: str) -> Passport:
    return await _owned_passport(session, auth, passport_id)


async def passport_for_qr_by_serial(
    session: AsyncSession, auth: AuthContext, serial: str, gtin: str | None
) -> Passport:
    found = await repository.passports_by_serial(session, auth.workspace_id, serial, gtin)
    if not found:
        raise not_found("passport")
    if len(found) > 1:
        raise ApiError(
            409,
            "Ambiguous serial",
            {"serial": serial, "reason": "Several GTINs use this serial; pass ?gtin="},
        )
    return found[0]


def digital_link_uri(passport: Passport, public_base: str) -> str:
    """What the QR encodes: the snapshot's URI once published, else the canonical one."""
    snapshot = passport.published_snapshot or {}
    uri = (snapshot.get("gs1") or {}).get("digitalLinkUri")
    if isinstance(uri, str) and uri:
        return uri
    return views.item_uri(
        {"gs1": {"gtin": passport.gtin, "serialNumber": passport.serial}}, public_base
    )
