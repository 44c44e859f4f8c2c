"""Access grants (opaque tokens that reveal restricted or authority fields) and the
pre-rendered public bodies of published passports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
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


class PublicRender(Base):
    """The public bodies of a published snapshot, rendered once when it was published.

    A scan of the canonical Digital Link with no credentials and no language asked
    for is answered from these bytes (one indexed read, no rendering). They are used
    only while `published_etag` equals the passport's and `render_key` equals this
    process's (the rendering code and the public base URL they were made with).
    """

    __tablename__ = "public_renders"

    passport_id: Mapped[str] = mapped_column(
        String(24), ForeignKey("passports.id", ondelete="CASCADE"), primary_key=True
    )
    published_etag: Mapped[str] = mapped_column(String(64))
    render_key: Mapped[str] = mapped_column(String(32))
    json_body: Mapped[bytes] = mapped_column(LargeBinary)
    html_body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
