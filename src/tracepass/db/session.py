"""Per-request database sessions for FastAPI routes."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from tracepass.db.engine import Database

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_database(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A read session for safe methods, a write session (SQLite: BEGIN IMMEDIATE) otherwise."""
    database = get_database(request)
    if request.method in _READ_METHODS:
        async with database.read_session() as session:
            yield session
    else:
        async with database.write_session() as session:
            yield session
