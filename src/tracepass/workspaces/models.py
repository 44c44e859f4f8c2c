from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from tracepass.core.timeutil import utcnow
from tracepass.db.base import Base, object_id_pk


class Workspace(Base):
    __tablename__ = "workspaces"

    id: Mapped[str] = object_id_pk()
    name: Mapped[str] = mapped_column(String(200))
    plan: Mapped[str] = mapped_column(String(20), default="free")
    default_source_locale: Mapped[str] = mapped_column(String(2), default="en")
    brand_color: Mapped[str] = mapped_column(String(7), default="#0B6E4F")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = object_id_pk()
    workspace_id: Mapped[str] = mapped_column(
        String(24), ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(100), default="")
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
