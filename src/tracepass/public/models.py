"""Access grants: opaque tokens that reveal a passport's restricted or authority fields."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tracepass.core.timeutil import utcnow
from tracepass.db.base import Base, object_id_pk


class AccessGrant(Base):
    __tablename__ = "access_grants"
    __table_args__ = (Index("ix_access_grants_passport_created", "passport_id", "created_at"),)

    id: Mapped[str] = object_id_pk()
    workspace_id: Mapped[str] = mapped_column(
        String(24), ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    passport_id: Mapped[str] = mapped_column(
        String(24), ForeignKey("passports.id", ondelete="CASCADE")
    )
    level: Mapped[str] = mapped_column(String(12))  # "restricted" or "authority"
    label: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_prefix: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
