"""Workspace info and API keys over the API (TracePass keeps these in its dashboard)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession

from tracepass.core import budgets
from tracepass.core.auth import AuthContext, current_auth
from tracepass.core.errors import not_found
from tracepass.core.schemas import COMMON_ERRORS, WRITE_ERRORS, error_responses
from tracepass.core.timeutil import iso_z
from tracepass.db.session import get_session
from tracepass.workspaces import service
from tracepass.workspaces.models import ApiKey
from tracepass.workspaces.schemas import (
    BudgetUsage,
    KeyCreate,
    KeyCreated,
    KeyList,
    KeyOut,
    WorkspaceOut,
)

router = APIRouter(prefix="/api/v1", tags=["workspace"])


def _key_out(key: ApiKey) -> KeyOut:
    return KeyOut(
        key_id=key.id,
        prefix=key.prefix,
        label=key.label,
        created_at=iso_z(key.created_at) or "",
        revoked_at=iso_z(key.revoked_at),
    )


@router.get("/workspace", response_model=WorkspaceOut, responses=COMMON_ERRORS)
async def get_workspace(
    auth: AuthContext = Depends(current_auth), session: AsyncSession = Depends(get_session)
) -> WorkspaceOut:
    """The caller's workspace, its plan limits and today's usage."""
    usage = {}
    for kind in ("writes", "reads"):
        state = await budgets.peek(session, auth, kind)
        usage[kind] = BudgetUsage(limit=state.cap, used=state.used)
    return WorkspaceOut(
        id=auth.workspace_id,
        name=auth.workspace_name,
        plan=auth.plan.name,
        default_source_locale=auth.default_source_locale,
        brand_color=auth.brand_color,
        max_dpps=auth.plan.max_dpps,
        overage_allowed=auth.plan.overage_allowed,
        usage_today=usage,
    )


@router.get("/keys", response_model=KeyList, responses=COMMON_ERRORS)
async def list_keys(
    auth: AuthContext = Depends(current_auth), session: AsyncSession = Depends(get_session)
) -> KeyList:
    """The workspace's API keys: prefixes and dates, never secrets."""
    keys = await service.list_api_keys(session, auth.workspace_id)
    return KeyList(data=[_key_out(k) for k in keys])


@router.post("/keys", status_code=201, response_model=KeyCreated, responses=WRITE_ERRORS)
async def create_key(
    body: KeyCreate,
    auth: AuthContext = Depends(current_auth),
    session: AsyncSession = Depends(get_session),
) -> KeyCreated:
    """Mint a new key for this workspace. The secret is in this response only."""
    issued = await service.create_api_key(session, auth.workspace_id, body.label)
    await session.commit()
    keys = await service.list_api_keys(session, auth.workspace_id)
    created = next(k for k in keys if k.id == issued.key_id)
    return KeyCreated(**_key_out(created).model_dump(), api_key=issued.api_key)


@router.delete(
    "/keys/{key_id}", response_model=KeyOut, responses={**WRITE_ERRORS, **error_responses(404)}
)
async def revoke_key(
    key_id: str,
    auth: AuthContext = Depends(current_auth),
    session: AsyncSession = Depends(get_session),
) -> KeyOut:
    """Revoke a key of this workspace; it answers 401 from the next request on."""
    key = await service.revoke_api_key(session, key_id, auth.workspace_id)
    if key is None:
        raise not_found("api_key")
    return _key_out(key)
