"""Stored template versions: the global (not workspace-scoped) catalogue history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracepass.core.timeutil import utcnow
from tracepass.db.base import Base, JSONType, object_id_pk


class TemplateVersion(Base):
    """One immutable version of one category's template.

    A row is never updated: changed catalogue data becomes a new row with the next
    `version`. Its `id` is the `templateId` products and passports record.
    """

    __tablename__ = "template_versions"
    __table_args__ = (
        UniqueConstraint("category_key", "version"),
        UniqueConstraint("category_key", "content_hash"),
    )

    id: Mapped[str] = object_id_pk()
    category_key: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
