"""Engines and session factories for SQLite (embedded default) and PostgreSQL.

SQLite allows one writer at a time. A transaction that starts reading and later
writes can fail at once with "database is locked" instead of waiting, so write
sessions open with `BEGIN IMMEDIATE` (they queue on the busy timeout) while read
sessions use a plain deferred `BEGIN` and never block each other in WAL mode.
"""

from __future__ import annotations

import asyncio
import functools
import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from tracepass.db import sqlite_inline

SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_READER_MMAP_BYTES = 64 << 30
SQLITE_READER_CACHE_KIB = 128 << 10
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
        if not conn.get_execution_options().get(_WRITE_OPTION, False):
            conn.exec_driver_sql("BEGIN")
            return
        # Queue for the write lock first (released by the dialect at COMMIT/ROLLBACK).
        sqlite_inline.hold_write_lock(conn.dialect, conn.connection.dbapi_connection)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            sqlite_inline.release_write_lock(conn.dialect, conn.connection.dbapi_connection)
            raise


_PLACEHOLDER = re.compile(r"\?")


@functools.cache
def _numbered(sql: str) -> str:
    counter = iter(range(1, sql.count("?") + 1))
    return _PLACEHOLDER.sub(lambda _m: f"${next(counter)}", sql)


async def _keep_session_state(connection: asyncpg.Connection) -> None:
    """The raw-read pool's reset: none. Its connections only ever run single read-only
    statements, and asyncpg's default reset (RESET ALL, UNLISTEN, advisory unlocks…)
    would be a second round trip on every read."""


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
            # In-process SQLite connections are cheap, and churning them (an overflow
            # connection is closed on return) costs a connect and four PRAGMAs each.
            kwargs.update(pool_size=pool_size * 4, max_overflow=pool_size * 4)
        else:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size * 2, pool_recycle=1800)
        engine_url: str | URL = async_url
        if self.is_sqlite:
            engine_url = make_url(async_url).set(drivername=f"sqlite+{sqlite_inline.DRIVER}")
        self.engine = create_async_engine(engine_url, **kwargs)
        if self.is_sqlite:
            if database and database != ":memory:":
                sqlite_inline.attach_write_lock(self.engine.sync_engine.dialect, database)
            _install_sqlite_pragmas(self.engine)
        self.write_engine = self.engine.execution_options(**{_WRITE_OPTION: True})
        # Names this database in per-process caches (as `str(engine.url)`, no password).
        self.namespace = self.engine.sync_engine.url.render_as_string(hide_password=True)
        self._sqlite_path = (
            database if self.is_sqlite and database and database != ":memory:" else None
        )
        self._sqlite_reader: sqlite3.Connection | None = None
        self._pool_size = pool_size
        self._pg_pool: asyncpg.Pool | None = None
        self._pg_pool_lock = asyncio.Lock()
        self._read_sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = async_sessionmaker(self.write_engine, expire_on_commit=False)

    def session(self, write: bool = True) -> AsyncSession:
        return (self._write_sessions if write else self._read_sessions)()

    # AsyncSession's own exit closes in a separate task (so cancellation cannot cut it
    # short): until that task runs, the connection stays checked out, and under load
    # every session holds one across a loop turn, overflowing the pool (connections
    # opened and closed per request). Closing inline first returns it at once.
    @asynccontextmanager
    async def write_session(self) -> AsyncIterator[AsyncSession]:
        async with self._write_sessions() as session:
            try:
                yield session
            finally:
                await session.close()

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[AsyncSession]:
        async with self._read_sessions() as session:
            try:
                yield session
            finally:
                await session.close()

    async def fetch_one(self, sql: str, *params: Any) -> tuple[Any, ...] | None:
        """One row of a small indexed read, below the ORM and SQLAlchemy's execution layer.

        For the hottest public reads only. `sql` uses `?` placeholders (rewritten to
        `$1, $2…` for PostgreSQL); values come back as the driver returns them (JSON
        columns as text). SQLite answers from a per-process autocommit connection,
        PostgreSQL from asyncpg's own pool, through its prepared-statement cache.
        """
        if self._sqlite_path is not None:
            row = self._sqlite().execute(sql, params).fetchone()
            return tuple(row) if row is not None else None
        if self.is_sqlite:  # in-memory: only the pool's connections see the data
            async with self.engine.connect() as conn:
                found = (await conn.exec_driver_sql(sql, params)).first()
            return tuple(found) if found is not None else None
        pool = self._pg_pool or await self._open_pg_pool()
        record = await pool.fetchrow(_numbered(sql), *params)
        return tuple(record) if record is not None else None

    async def _open_pg_pool(self) -> asyncpg.Pool:
        # The hot reads bypass SQLAlchemy's pool too: its checkout and connection
        # wrappers cost more than asyncpg's own pool and a prepared statement.
        async with self._pg_pool_lock:
            if self._pg_pool is None:
                dsn = make_url(self.url).set(drivername="postgresql")
                self._pg_pool = await asyncpg.create_pool(
                    dsn.render_as_string(hide_password=False),
                    min_size=1,
                    max_size=self._pool_size,
                    reset=_keep_session_state,
                )
        return self._pg_pool

    def _sqlite(self) -> sqlite3.Connection:
        if self._sqlite_reader is None:
            assert self._sqlite_path is not None
            reader = sqlite3.connect(
                self._sqlite_path, isolation_level=None, check_same_thread=False
            )
            reader.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            reader.execute("PRAGMA query_only=1")
            # Scans are random single-row reads: memory-map the file (SQLite caps this at
            # its build's limit, 2 GiB here) and keep 128 MiB of pages beyond it, enough
            # for the lookup indexes of millions of passports.
            reader.execute(f"PRAGMA mmap_size={SQLITE_READER_MMAP_BYTES}")
            reader.execute(f"PRAGMA cache_size=-{SQLITE_READER_CACHE_KIB}")
            self._sqlite_reader = reader
        return self._sqlite_reader

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._pg_pool is not None:
            await self._pg_pool.close()
            self._pg_pool = None
        if self._sqlite_reader is not None:
            self._sqlite_reader.close()
            self._sqlite_reader = None
        if self.is_sqlite:
            sqlite_inline.close_write_lock(self.engine.sync_engine.dialect)
