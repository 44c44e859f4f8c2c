"""API keys: generation, hashing, and resolving a Bearer token to its workspace.

Keys are 256-bit random secrets, so a single SHA-256 is a sound at-rest hash (no
password stretching needed); only the hash and a short display prefix are stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import weakref
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tracepass.core.plans import Plan, get_plan

KEY_PREFIX = "tp_"
_KEY_RANDOM_BYTES = 32  # 43 URL-safe characters
_MAX_TOKEN_LENGTH = 200


@dataclass(frozen=True, slots=True)
class AuthContext:
    workspace_id: str
    workspace_name: str
    plan: Plan
    default_source_locale: str
    brand_color: str
    key_id: str
    key_prefix: str

    @property
    def actor(self) -> str:
        return f"api_key:{self.key_prefix}"


def generate_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(_KEY_RANDOM_BYTES)


def hash_api_key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def key_display_prefix(secret: str) -> str:
    return secret[: len(KEY_PREFIX) + 8]


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    return token


async def resolve_api_key(session: AsyncSession, token: str | None) -> AuthContext | None:
    """The context for a live key; None for anything else (malformed, unknown, revoked)."""
    from tracepass.workspaces.models import ApiKey, Workspace

    if token is None or not token.startswith(KEY_PREFIX):
        return None
    digest = hash_api_key(token)
    row = (
        await session.execute(
            select(ApiKey, Workspace)
            .join(Workspace, Workspace.id == ApiKey.workspace_id)
            .where(ApiKey.key_hash == digest)
        )
    ).first()
    if row is None:
        return None
    key, workspace = row
    if not hmac.compare_digest(key.key_hash, digest) or key.revoked_at is not None:
        return None
    return AuthContext(
        workspace_id=workspace.id,
        workspace_name=workspace.name,
        plan=get_plan(workspace.plan),
        default_source_locale=workspace.default_source_locale,
        brand_color=workspace.brand_color,
        key_id=key.id,
        key_prefix=key.prefix,
    )


# How long a resolved key is trusted without asking the database again. A revocation
# made in this process clears every cache at once; one made elsewhere (another
# worker, the CLI) takes effect within this many seconds.
KEY_CACHE_SECONDS = 1.0
_KEY_CACHE_ENTRIES = 10_000
_key_caches: weakref.WeakSet[KeyCache] = weakref.WeakSet()


class KeyCache:
    """Live keys resolved in the last KEY_CACHE_SECONDS, by the SHA-256 of the secret.

    Only successful resolutions are kept: an unknown or revoked key always reaches
    the database, and nobody can fill the cache with made-up tokens.
    """

    def __init__(self, ttl: float = KEY_CACHE_SECONDS) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, AuthContext]] = {}
        _key_caches.add(self)

    def get(self, token: str) -> AuthContext | None:
        entry = self._entries.get(hash_api_key(token))
        if entry is None:
            return None
        expires, auth = entry
        if time.monotonic() >= expires:
            return None
        return auth

    def put(self, token: str, auth: AuthContext) -> None:
        if len(self._entries) >= _KEY_CACHE_ENTRIES:
            now = time.monotonic()
            self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
            if len(self._entries) >= _KEY_CACHE_ENTRIES:
                self._entries.clear()
        self._entries[hash_api_key(token)] = (time.monotonic() + self.ttl, auth)

    def clear(self) -> None:
        self._entries.clear()


def forget_cached_keys() -> None:
    """Call after revoking a key (or changing a workspace's plan): every cache empties."""
    for cache in list(_key_caches):
        cache.clear()


async def current_auth(request: Request) -> AuthContext:
    """FastAPI dependency: the caller's context, set by the API gateway middleware.

    `async` on purpose, as every trivial dependency should be: FastAPI runs a plain
    `def` dependency in a worker thread, a hand-off that costs more than its body.
    """
    auth: AuthContext = request.state.auth
    return auth
