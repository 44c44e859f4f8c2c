"""An asyncio SQLite dialect that runs each statement inline on the event loop thread.

aiosqlite hands every cursor call to a helper thread and back: a read session with
one indexed query costs about ten thread hand-offs (~1.5 ms of CPU on a busy 2-core
machine) for a statement SQLite answers in ~25 µs. Calling sqlite3 directly from the
event loop is cheaper than any hand-off, and safe here because nothing waits:
WAL readers never block on the writer, and writers queue on `SqliteWriteLock` (an
asyncio lock and an flock) before they BEGIN IMMEDIATE, so the busy timeout is only
a backstop against foreign processes. The price: a long query (a COUNT over millions
of rows) holds its worker's event loop for its duration.

SQLAlchemy's asyncio layer only needs the dialect to say it is async and the pool to
wait with asyncio; the sync pysqlite dialect then runs unchanged inside
`greenlet_spawn`, never awaiting.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
from typing import Any

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL
from sqlalchemy.util.concurrency import await_, in_greenlet

DRIVER = "tracepass_inline"


async def _nothing() -> None:
    return None


def _mark_awaited() -> None:
    # AsyncConnection.execute insists that its driver awaited something; awaiting a
    # coroutine that never suspends satisfies it for two greenlet switches.
    if in_greenlet():
        await_(_nothing())


class SqliteWriteLock:
    """One SQLite writer at a time: in this process (asyncio) and across processes (flock).

    Held from BEGIN IMMEDIATE to COMMIT/ROLLBACK; waiters are woken the moment it is
    released, where SQLite's busy handler would poll with sleeps of up to 100 ms.
    """

    def __init__(self, database_path: str) -> None:
        self.path = database_path + "-writelock"
        self._local = asyncio.Lock()
        self._fd: int | None = None

    def _file(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._fd

    async def acquire(self) -> None:
        await self._local.acquire()
        try:
            fd = self._file()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                await self._wait_for(fd)
        except BaseException:
            self._local.release()
            raise

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._local.release()

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


def attach_write_lock(dialect: Any, database_path: str) -> None:
    dialect.write_lock = SqliteWriteLock(database_path)


def hold_write_lock(dialect: Any, dbapi_connection: Any) -> None:
    """Called (inside SQLAlchemy's greenlet) just before BEGIN IMMEDIATE."""
    lock: SqliteWriteLock | None = getattr(dialect, "write_lock", None)
    if lock is None or not isinstance(dbapi_connection, InlineConnection) or not in_greenlet():
        return
    await_(lock.acquire())
    dbapi_connection.holds_write_lock = True


def release_write_lock(dialect: Any, dbapi_connection: Any) -> None:
    # SQLAlchemy passes the pool's proxy to do_commit/do_rollback: unwrap it.
    raw = getattr(dbapi_connection, "dbapi_connection", dbapi_connection)
    if isinstance(raw, InlineConnection) and raw.holds_write_lock:
        raw.holds_write_lock = False
        dialect.write_lock.release()


def close_write_lock(dialect: Any) -> None:
    lock: SqliteWriteLock | None = getattr(dialect, "write_lock", None)
    if lock is not None:
        lock.close()


class InlineCursor(sqlite3.Cursor):
    async def _async_soft_close(self) -> None:
        """The asyncio result layer calls this; an inline cursor has nothing to await."""


class InlineConnection(sqlite3.Connection):
    holds_write_lock = False

    def cursor(self, factory: Any = InlineCursor) -> Any:
        return super().cursor(factory)


class SQLiteDialect_inline(SQLiteDialect_pysqlite):
    driver = DRIVER
    is_async = True
    supports_statement_cache = True

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        # An asyncio-aware queue: a coroutine waiting for a connection must not block
        # the loop that will return one.
        return pool.AsyncAdaptedQueuePool

    def do_execute(self, cursor: Any, statement: Any, parameters: Any, context: Any = None) -> None:
        super().do_execute(cursor, statement, parameters, context)
        _mark_awaited()

    def do_execute_no_params(self, cursor: Any, statement: Any, context: Any = None) -> None:
        super().do_execute_no_params(cursor, statement, context)
        _mark_awaited()

    def do_executemany(
        self, cursor: Any, statement: Any, parameters: Any, context: Any = None
    ) -> None:
        super().do_executemany(cursor, statement, parameters, context)
        _mark_awaited()

    def do_commit(self, dbapi_connection: Any) -> None:
        try:
            super().do_commit(dbapi_connection)
        finally:
            release_write_lock(self, dbapi_connection)

    def do_rollback(self, dbapi_connection: Any) -> None:
        try:
            super().do_rollback(dbapi_connection)
        finally:
            release_write_lock(self, dbapi_connection)

    def do_close(self, dbapi_connection: Any) -> None:
        try:
            super().do_close(dbapi_connection)
        finally:
            release_write_lock(self, dbapi_connection)

    def create_connect_args(self, url: URL) -> Any:
        args, kwargs = super().create_connect_args(url)
        kwargs["check_same_thread"] = False
        kwargs["factory"] = InlineConnection
        return args, kwargs


registry.register(f"sqlite.{DRIVER}", __name__, "SQLiteDialect_inline")
