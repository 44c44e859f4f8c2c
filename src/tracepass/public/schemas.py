"""Wire models of the access-grant and QR routes (camelCase, `_id`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from tracepass.core.pagination import Page
from tracepass.core.schemas import ResponseModel, WireModel
from tracepass.core.timeutil import iso_z
from tracepass.public.models import AccessGrant


class AccessGrantCreate(WireModel):
    level: Literal["restricted", "authority"] = Field(
        description="`restricted` (legitimate interest) or `authority`; each level also "
        "sees the levels below it."
    )
    label: str = Field("", max_length=200, description="Who or what the grant is for.")
    expires_at: datetime | None = Field(None, description="ISO 8601; omit for no expiry.")

    @field_validator("expires_at")
    @classmethod
    def _as_utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class AccessGrantOut(ResponseModel):
    id: str = Field(alias="_id")
    passport_id: str
    level: str
    label: str
    token_prefix: str
    active: bool
    expires_at: str | None
    revoked_at: str | None
    created_at: str


class AccessGrantIssued(AccessGrantOut):
    token: str = Field(description="The grant token, shown once. Only its hash is stored.")
    viewer_url: str = Field(description="The passport page with this grant applied.")


class AccessGrantPage(Page[AccessGrantOut]):
    pass


class QrJson(ResponseModel):
    result: str = Field(description="The QR code as an SVG document.")


def grant_wire(grant: AccessGrant, active: bool) -> dict[str, Any]:
    return {
        "_id": grant.id,
        "passportId": grant.passport_id,
        "level": grant.level,
        "label": grant.label,
        "tokenPrefix": grant.token_prefix,
        "active": active,
        "expiresAt": iso_z(grant.expires_at),
        "revokedAt": iso_z(grant.revoked_at),
        "createdAt": iso_z(grant.created_at),
    }
