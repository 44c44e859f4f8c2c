"""Tables of the cross-cutting machinery: daily usage counters, idempotency records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from tracepass.core.timeutil import utcnow
from tracepass.db.base import Base, JSONType


class UsageCounter(Base):
    __tablename__ = "usage_counters"

    workspace_id: Mapped[str] = mapped_column(
        String(24), ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_records"

    workspace_id: Mapped[str] = mapped_column(
        String(24), ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(10))  # in_flight | done
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    response_headers: Mapped[dict[str, str] | None] = mapped_column(JSONType, default=None)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    locked_at: Mapped[datetime] = mapped_column(default=utcnow)
