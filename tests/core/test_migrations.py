"""The migrations create exactly the schema the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tracepass.db.migrate import current_revision
from tracepass.db.models_registry import metadata


async def test_database_is_at_head(backend):
    assert await current_revision(backend.database.engine) == "0002"


async def test_migrated_schema_matches_models(backend):
    def diff(sync_conn):
        context = MigrationContext.configure(sync_conn, opts={"compare_type": False})
        return compare_metadata(context, metadata)

    async with backend.database.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []
