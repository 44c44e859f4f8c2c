"""Bring a database to a usable state: reachable, migrated, catalogue seeded."""

from __future__ import annotations

import importlib

from tracepass.db.engine import Database
from tracepass.db.migrate import upgrade_to_head


class DatabaseUnavailable(RuntimeError):
    pass


async def check_reachable(database: Database) -> None:
    try:
        await database.ping()
    except Exception as exc:  # driver errors vary: OSError, asyncpg, sqlite3
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseUnavailable(f"cannot reach database: {reason}") from exc


async def prepare_database(database: Database) -> None:
    await check_reachable(database)
    await upgrade_to_head(database.engine)
    await seed_catalog(database)


async def seed_catalog(database: Database) -> None:
    try:
        catalog = importlib.import_module("tracepass.catalog.service")
    except ModuleNotFoundError:
        return
    async with database.write_session() as session:
        await catalog.seed_catalog(session)
