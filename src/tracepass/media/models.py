from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tracepass.core.timeutil import utcnow
from tracepass.db.base import Base


class MediaObject(Base):
    """A stored upload and the product that owns it.

    Ownership is what lets an image delete remove the file: a URL in `imageUrls`
    that merely looks like one of ours (a PATCH may put anything there) never
    deletes a file belonging to another product or workspace.
    """

    __tablename__ = "media_objects"
    __table_args__ = (Index("ix_media_objects_workspace_product", "workspace_id", "product_id"),)

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(
        String(24), ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    product_id: Mapped[str] = mapped_column(
        String(24), ForeignKey("products.id", ondelete="CASCADE")
    )
    content_type: Mapped[str] = mapped_column(String(20))
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
