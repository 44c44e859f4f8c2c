"""Workspaces and their API keys (used by the CLI and the keys API)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tracepass.core.auth import (
    forget_cached_keys,
    generate_api_key,
    hash_api_key,
    key_display_prefix,
)
from tracepass.core.errors import ApiError
from tracepass.core.plans import PLANS
from tracepass.core.timeutil import utcnow
from tracepass.workspaces.models import ApiKey, Workspace

LOCALE_PATTERN = re.compile(r"^[a-z]{2}$")
COLOR_PATTERN = re.compile(r"^#[0-9A-Fa-f]{6}$")


@dataclass(frozen=True)
class IssuedKey:
    key_id: str
    api_key: str
    prefix: str


def _check_workspace_settings(plan: str, locale: str, brand_color: str) -> None:
    errors: dict[str, list[str]] = {}
    if plan not in PLANS:
        errors["plan"] = [f"Unknown plan; one of {', '.join(PLANS)}"]
    if not LOCALE_PATTERN.match(locale):
        errors["defaultSourceLocale"] = ["Expected an ISO 639-1 code such as 'en'"]
    if not COLOR_PATTERN.match(brand_color):
        errors["brandColor"] = ["Expected a #RRGGBB colour"]
    if errors:
        raise ApiError(400, "Validation error", {"fieldErrors": errors})


async def create_workspace(
    session: AsyncSession,
    name: str,
    plan: str = "free",
    locale: str = "en",
    brand_color: str = "#0B6E4F",
) -> tuple[Workspace, IssuedKey]:
    _check_workspace_settings(plan, locale, brand_color)
    workspace = Workspace(
        name=name, plan=plan, default_source_locale=locale, brand_color=brand_color
    )
    session.add(workspace)
    await session.flush()
    issued = await create_api_key(session, workspace.id, label="first key")
    await session.commit()
    return workspace, issued


async def get_workspace(session: AsyncSession, workspace_id: str) -> Workspace | None:
    return await session.get(Workspace, workspace_id)


async def create_api_key(session: AsyncSession, workspace_id: str, label: str = "") -> IssuedKey:
    secret = generate_api_key()
    key = ApiKey(
        workspace_id=workspace_id,
        label=label,
        prefix=key_display_prefix(secret),
        key_hash=hash_api_key(secret),
    )
    session.add(key)
    await session.flush()
    return IssuedKey(key_id=key.id, api_key=secret, prefix=key.prefix)


async def revoke_api_key(
    session: AsyncSession, key_id: str, workspace_id: str | None = None
) -> ApiKey | None:
    query = select(ApiKey).where(ApiKey.id == key_id)
    if workspace_id is not None:
        query = query.where(ApiKey.workspace_id == workspace_id)
    key = (await session.execute(query)).scalar_one_or_none()
    if key is None:
        return None
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    await session.commit()
    forget_cached_keys()
    return key


async def list_api_keys(session: AsyncSession, workspace_id: str) -> list[ApiKey]:
    result = await session.execute(
        select(ApiKey).where(ApiKey.workspace_id == workspace_id).order_by(ApiKey.id)
    )
    return list(result.scalars())
