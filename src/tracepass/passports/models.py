"""Passports, GTIN ownership, the review queue, the audit trail and the event outbox.

`published_snapshot` is the frozen public version (see docs/passports.md): field
writes after publishing bump `revision` but leave the snapshot alone until the
passport is published again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracepass.core.timeutil import utcnow
from tracepass.db.base import Base, JSONType, object_id_pk


class GtinOwner(Base):
    """The first workspace to use a GTIN owns it; other workspaces may not issue under it."""

    __tablename__ = "gtin_owners"

    gtin: Mapped[str] = mapped_column(String(14), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(
        String(24), ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Passport(Base):
    __tablename__ = "passports"
    __table_args__ = (
        UniqueConstraint("gtin", "serial"),
        Index("ix_passports_workspace_serial", "workspace_id", "serial"),
        Index("ix_passports_workspace_product", "workspace_id", "product_id"),
        Index("ix_passports_workspace_status_created", "workspace_id", "status", "created_at"),
        Index("ix_passports_workspace_created", "workspace_id", "created_at", "id"),
    )

    id: Mapped[str] = object_id_pk()
    workspace_id: Mapped[str] = mapped_column(
        String(24), ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    product_id: Mapped[str] = mapped_column(
        String(24), ForeignKey("products.id", ondelete="CASCADE")
    )
    template_id: Mapped[str] = mapped_column(String(24), ForeignKey("template_versions.id"))
    gtin: Mapped[str] = mapped_column(String(14))
    serial: Mapped[str] = mapped_column(String(100))
    lot: Mapped[str | None] = mapped_column(String(20), default=None)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    fields: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    parties: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    published_revision: Mapped[int | None] = mapped_column(Integer, default=None)
    published_snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSONType, default=None)
    published_etag: Mapped[str | None] = mapped_column(String(64), default=None)
    suspend_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    suspended_at: Mapped[datetime | None] = mapped_column(default=None)
    archived_at: Mapped[datetime | None] = mapped_column(default=None)


class ReviewItem(Base):
    """A proposed field value (AI or supplier) waiting for a human decision."""

    __tablename__ = "review_items"
    __table_args__ = (
        Index("ix_review_items_passport_status", "passport_id", "status", "created_at"),
    )

    id: Mapped[str] = object_id_pk()
    workspace_id: Mapped[str] = mapped_column(
        String(24), ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    passport_id: Mapped[str] = mapped_column(
        String(24), ForeignKey("passports.id", ondelete="CASCADE")
    )
    key: Mapped[str] = mapped_column(String(100))
    value: Mapped[Any] = mapped_column(JSONType, nullable=True, default=None)
    source: Mapped[str] = mapped_column(String(20))
    source_locale: Mapped[str] = mapped_column(String(12), default="en")
    translations: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    actor: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decided_by: Mapped[str | None] = mapped_column(String(60), default=None)


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_passport_created", "passport_id", "created_at", "id"),
    )

    id: Mapped[str] = object_id_pk()
    workspace_id: Mapped[str] = mapped_column(
        String(24), ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    passport_id: Mapped[str] = mapped_column(
        String(24), ForeignKey("passports.id", ondelete="CASCADE")
    )
    actor: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(40))
    changes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxEvent(Base):
    """Domain events written with the change that caused them, delivered later (webhooks)."""

    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_events_undelivered", "delivered_at", "created_at"),)

    id: Mapped[str] = object_id_pk()
    workspace_id: Mapped[str] = mapped_column(
        String(24), ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
