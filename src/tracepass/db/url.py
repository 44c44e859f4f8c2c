"""Turns the database URLs users write into the async-driver URLs SQLAlchemy needs."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

_ASYNC_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}
_ALIASES = {"postgres": "postgresql"}


class DatabaseURLError(ValueError):
    pass


def to_async_url(raw: str) -> str:
    try:
        url = make_url(raw.strip())
    except ArgumentError as exc:
        raise DatabaseURLError(f"cannot parse database URL {raw!r}") from exc
    backend, _, _driver = url.drivername.partition("+")
    backend = _ALIASES.get(backend, backend)
    if backend not in _ASYNC_DRIVERS:
        raise DatabaseURLError(
            f"unsupported database {backend!r}: use sqlite:///PATH or postgresql://USER@HOST/DB"
        )
    if backend == "sqlite" and not url.database:
        raise DatabaseURLError("sqlite URL needs a file path: sqlite:///PATH")
    return url.set(drivername=f"{backend}+{_ASYNC_DRIVERS[backend]}").render_as_string(
        hide_password=False
    )


def to_sync_url(async_url: str) -> str:
    url = make_url(async_url)
    backend = url.drivername.partition("+")[0]
    driver = "pysqlite" if backend == "sqlite" else "psycopg2"
    return url.set(drivername=f"{backend}+{driver}").render_as_string(hide_password=False)
