"""INSERT … ON CONFLICT for whichever backend a session is bound to.

SQLite and PostgreSQL spell the statement the same way, but SQLAlchemy builds it
from dialect-specific constructs; this picks the right one, in one place.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_for(session: AsyncSession, target: Any) -> Any:
    """An `Insert` with `.on_conflict_do_nothing` / `.on_conflict_do_update` for `target`."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(target)
    return sqlite.insert(target)
