from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracepass.core.timeutil import utcnow
from tracepass.db.base import Base, JSONType, object_id_pk


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("workspace_id", "model"),
        Index("ix_products_workspace_created", "workspace_id", "created_at", "id"),
    )

    id: Mapped[str] = object_id_pk()
    workspace_id: Mapped[str] = mapped_column(
        String(24), ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(40))  # the seeded slug, e.g. "batteries"
    template_id: Mapped[str] = mapped_column(String(24), ForeignKey("template_versions.id"))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    default_field_values: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    image_urls: Mapped[list[str]] = mapped_column(JSONType, default=list)
    source_locale: Mapped[str] = mapped_column(String(2), default="en")
    passport_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
