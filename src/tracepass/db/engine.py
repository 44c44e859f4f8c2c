"""Engines and session factories for SQLite (embedded default) and PostgreSQL.

SQLite allows one writer at a time. A transaction that starts reading and later
writes can fail at once with "database is locked" instead of waiting, so write
sessions open with `BEGIN IMMEDIATE` (they queue on the busy timeout) while read
sessions use a plain deferred `BEGIN` and never block each other in WAL mode.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_MS = 30_000
_WRITE_OPTION = "tracepass_write"


def _install_sqlite_pragmas(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """Owns the engine; hands out read and write sessions."""

    def __init__(self, async_url: str, pool_size: int = 10) -> None:
        self.url = async_url
        self.is_sqlite = async_url.startswith("sqlite")
        kwargs: dict[str, Any] = {"pool_pre_ping": False}
        if self.is_sqlite:
            database = make_url(async_url).database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            kwargs.update(pool_size=pool_size, max_overflow=pool_size * 2)
        else:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size * 2, pool_recycle=1800)
        self.engine = create_async_engine(async_url, **kwargs)
        if self.is_sqlite:
            _install_sqlite_pragmas(self.engine)
        self.write_engine = self.engine.execution_options(**{_WRITE_OPTION: True})
        self._read_sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = async_sessionmaker(self.write_engine, expire_on_commit=False)

    def session(self, write: bool = True) -> AsyncSession:
        return (self._write_sessions if write else self._read_sessions)()

    @asynccontextmanager
    async def write_session(self) -> AsyncIterator[AsyncSession]:
        async with self._write_sessions() as session:
            yield session

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[AsyncSession]:
        async with self._read_sessions() as session:
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
