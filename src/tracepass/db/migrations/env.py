"""Alembic environment: always called with a live connection (see tracepass.db.migrate)."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context

from tracepass.db.base import UTCDateTime
from tracepass.db.models_registry import metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def run_migrations(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `tracepass migrate`, which passes a connection")
run_migrations(connection)
