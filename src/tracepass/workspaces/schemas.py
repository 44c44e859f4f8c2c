from __future__ import annotations

from pydantic import Field

from tracepass.core.schemas import ResponseModel, WireModel


class KeyCreate(WireModel):
    label: str = Field(default="", max_length=100)


class KeyOut(ResponseModel):
    key_id: str
    prefix: str
    label: str
    created_at: str
    revoked_at: str | None = None


class KeyCreated(KeyOut):
    api_key: str = Field(description="The secret. Shown once; only a hash is stored.")


class KeyList(ResponseModel):
    data: list[KeyOut]


class BudgetUsage(ResponseModel):
    limit: int | None
    used: int


class WorkspaceOut(ResponseModel):
    id: str = Field(serialization_alias="_id")
    name: str
    plan: str
    default_source_locale: str
    brand_color: str
    max_dpps: int | None
    overage_allowed: bool
    usage_today: dict[str, BudgetUsage]
