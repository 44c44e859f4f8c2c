"""Engines and session factories for SQLite (embedded default) and PostgreSQL.

SQLite allows one writer at a time. A transaction that starts reading and later
writes can fail at once with "database is locked" instead of waiting, so write
sessions open with `BEGIN IMMEDIATE` (they queue on the busy timeout) while read
sessions use a plain deferred `BEGIN` and never block each other in WAL mode.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

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


class SqliteWriteLock:
    """One SQLite writer at a time: in this process (asyncio) and across processes (flock)."""

    def __init__(self, database_path: str) -> None:
        self.path = database_path + "-writelock"
        self._local = asyncio.Lock()
        self._fd: int | None = None

    def _file(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._fd

    @asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        async with self._local:
            fd = self._file()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                await self._wait_for(fd)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    @staticmethod
    async def _wait_for(fd: int) -> None:
        waiting = asyncio.ensure_future(asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX))
        try:
            await asyncio.shield(waiting)
        except asyncio.CancelledError:
            # The thread cannot be stopped: release the lock whenever it gets it.
            waiting.add_done_callback(
                lambda done: (
                    None if done.cancelled() or done.exception() else fcntl.flock(fd, fcntl.LOCK_UN)
                )
            )
            raise

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class Database:
    """Owns the engine; hands out read and write sessions."""

    def __init__(self, async_url: str, pool_size: int = 10) -> None:
        self.url = async_url
        self.is_sqlite = async_url.startswith("sqlite")
        kwargs: dict[str, Any] = {"pool_pre_ping": False}
        self._write_lock: SqliteWriteLock | None = None
        if self.is_sqlite:
            database = make_url(async_url).database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
                self._write_lock = SqliteWriteLock(database)
            kwargs.update(pool_size=pool_size, max_overflow=pool_size * 2)
        else:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size * 2, pool_recycle=1800)
        engine_url: str | URL = async_url
        if self.is_sqlite:
            engine_url = make_url(async_url).set(drivername=f"sqlite+{sqlite_inline.DRIVER}")
        self.engine = create_async_engine(engine_url, **kwargs)
        if self.is_sqlite:
            _install_sqlite_pragmas(self.engine)
        self.write_engine = self.engine.execution_options(**{_WRITE_OPTION: True})
        self._read_sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = async_sessionmaker(self.write_engine, expire_on_commit=False)

    def session(self, write: bool = True) -> AsyncSession:
        return (self._write_sessions if write else self._read_sessions)()

    @asynccontextmanager
    async def write_session(self) -> AsyncIterator[AsyncSession]:
        if self._write_lock is None:
            async with self._write_sessions() as session:
                yield session
            return
        async with self._write_lock.held(), self._write_sessions() as session:
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
        if self._write_lock is not None:
            self._write_lock.close()
