"""Values of `Database.fetch_one` rows, as the ORM would have typed them.

Raw reads skip SQLAlchemy's result processing, so each driver hands back its own
shapes: SQLite gives JSON and timestamps as text, asyncpg gives JSON(B) as text and
timestamps as naive datetimes. These two turn either into what the models hold.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson


def json_value(value: Any) -> Any:
    """A JSON column's value (text from the driver, or already decoded by a codec)."""
    if isinstance(value, str | bytes):
        return orjson.loads(value)
    return value


def utc_datetime(value: Any) -> datetime | None:
    """A timestamp column's value as an aware UTC datetime (stored as naive UTC)."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
