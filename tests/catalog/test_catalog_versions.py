"""Seeding and versioning of templates in a real SQLite database."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from tracepass.catalog import definitions, service
from tracepass.catalog.definitions import Category, load_catalog
from tracepass.catalog.models import TemplateVersion
from tracepass.catalog.service import (
    clear_cache,
    current_template,
    seed_catalog,
    template_by_id,
)
from tracepass.db.base import Base
from tracepass.db.ids import is_object_id, new_object_id

TABLE = Base.metadata.tables["template_versions"]


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'catalog.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all, tables=[TABLE])
    clear_cache()
    yield async_sessionmaker(engine)
    clear_cache()
    await engine.dispose()


def changed_catalog(mutate) -> dict[str, Category]:
    """The shipped catalogue with the battery data changed by `mutate(data)`."""
    catalog = dict(load_catalog())
    data = copy.deepcopy(catalog["batteries"].data)
    mutate(data)
    catalog["batteries"] = Category.from_dict(data)
    return catalog


def use_catalog(monkeypatch: pytest.MonkeyPatch, catalog: dict[str, Category]) -> None:
    monkeypatch.setattr(definitions, "load_catalog", lambda: catalog)
    monkeypatch.setattr(service, "load_catalog", lambda: catalog)


def relabel_voltage(data: dict) -> None:
    field = next(f for f in data["fields"] if f["key"] == "nominal_voltage")
    field["label"]["en"] = "Nominal voltage (V)"


async def count_rows(sessions, key: str | None = None) -> int:
    async with sessions() as session:
        stmt = select(func.count()).select_from(TemplateVersion)
        if key:
            stmt = stmt.where(TemplateVersion.category_key == key)
        return int(await session.scalar(stmt) or 0)


async def test_seeding_stores_version_one_of_every_category(sessions) -> None:
    async with sessions() as session:
        await seed_catalog(session)
    async with sessions() as session:
        rows = (await session.execute(select(TemplateVersion))).scalars().all()
    assert sorted(r.category_key for r in rows) == sorted(c.key for c in load_catalog().values())
    assert {r.version for r in rows} == {1}
    assert all(is_object_id(r.id) for r in rows)


async def test_stored_hash_is_the_hash_of_the_stored_definition(sessions) -> None:
    async with sessions() as session:
        await seed_catalog(session)
    async with sessions() as session:
        row = (
            await session.execute(
                select(TemplateVersion).where(TemplateVersion.category_key == "battery")
            )
        ).scalar_one()
    assert row.content_hash == definitions.content_hash(row.definition)
    assert row.content_hash == load_catalog()["batteries"].content_hash


async def test_seeding_twice_creates_no_new_version(sessions) -> None:
    async with sessions() as session:
        await seed_catalog(session)
    clear_cache()
    async with sessions() as session:
        await seed_catalog(session)
    assert await count_rows(sessions) == len(load_catalog())


async def test_current_template_is_found_by_slug_and_key(sessions) -> None:
    async with sessions() as session:
        await seed_catalog(session)
    clear_cache()  # read from the database, not from what seeding cached
    async with sessions() as session:
        by_slug = await current_template(session, "batteries")
        by_key = await current_template(session, "battery")
    assert by_slug is not None and by_key is not None
    assert by_slug.template_id == by_key.template_id
    assert by_slug.version == 1
    assert "nominal_voltage" in by_slug.field_by_key


async def test_current_template_of_unknown_category_is_none(sessions) -> None:
    async with sessions() as session:
        assert await current_template(session, "spaceships") is None


async def test_current_template_before_seeding_is_none(sessions) -> None:
    async with sessions() as session:
        assert await current_template(session, "batteries") is None


async def test_changed_data_creates_version_two_with_a_new_id(
    sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with sessions() as session:
        await seed_catalog(session)
        v1 = await current_template(session, "battery")
    use_catalog(monkeypatch, changed_catalog(relabel_voltage))
    clear_cache()
    async with sessions() as session:
        await seed_catalog(session)
        v2 = await current_template(session, "battery")
    assert v1 is not None and v2 is not None
    assert (v1.version, v2.version) == (1, 2)
    assert v2.template_id != v1.template_id
    assert v2.field_by_key["nominal_voltage"].label["en"] == "Nominal voltage (V)"
    assert await count_rows(sessions, "battery") == 2
    assert await count_rows(sessions, "textile") == 1


async def test_old_version_stays_readable_by_id_unchanged(
    sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with sessions() as session:
        await seed_catalog(session)
        v1 = await current_template(session, "battery")
    assert v1 is not None
    use_catalog(monkeypatch, changed_catalog(relabel_voltage))
    clear_cache()
    async with sessions() as session:
        await seed_catalog(session)
    clear_cache()
    async with sessions() as session:
        old = await template_by_id(session, v1.template_id)
    assert old is not None and old.version == 1
    assert old.field_by_key["nominal_voltage"].label["en"] == "Nominal Voltage"


async def test_reverting_the_data_makes_the_matching_old_version_current(
    sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with sessions() as session:
        await seed_catalog(session)
        v1 = await current_template(session, "battery")
    use_catalog(monkeypatch, changed_catalog(relabel_voltage))
    clear_cache()
    async with sessions() as session:
        await seed_catalog(session)
    monkeypatch.undo()
    clear_cache()
    async with sessions() as session:
        await seed_catalog(session)
        current = await current_template(session, "battery")
    assert v1 is not None and current is not None
    assert current.template_id == v1.template_id
    assert await count_rows(sessions, "battery") == 2


async def test_template_by_id_of_unknown_or_malformed_id_is_none(sessions) -> None:
    async with sessions() as session:
        assert await template_by_id(session, "0" * 24) is None
        assert await template_by_id(session, "not-an-id") is None


async def test_template_by_id_is_served_from_cache_after_first_read(sessions) -> None:
    async with sessions() as session:
        await seed_catalog(session)
        template = await current_template(session, "toys")
    assert template is not None
    async with sessions() as session:
        await session.execute(TABLE.delete())
        await session.commit()
        again = await template_by_id(session, template.template_id)
    assert again is template


async def test_race_on_the_version_number_is_retried(
    sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process stored version 1 with other content between our read and insert."""
    async with sessions() as session:
        session.add(
            TemplateVersion(category_key="battery", version=1, content_hash="f" * 64, definition={})
        )
        await session.commit()
    real_latest = service._latest
    calls = {"n": 0}

    async def stale_latest(session, key):
        calls["n"] += 1
        if key == "battery" and calls["n"] == 1:
            return None  # what we would have seen before the other process committed
        return await real_latest(session, key)

    monkeypatch.setattr(service, "_latest", stale_latest)
    async with sessions() as session:
        await seed_catalog(session)
        current = await current_template(session, "battery")
    assert current is not None and current.version == 2
    assert await count_rows(sessions, "battery") == 2


async def test_race_on_identical_content_reuses_the_other_process_row(
    sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process stored the very same content first: we end up on its row."""
    battery = load_catalog()["batteries"]
    async with sessions() as session:
        other_id = new_object_id()
        other = TemplateVersion(
            id=other_id,
            category_key="battery",
            version=1,
            content_hash=battery.content_hash,
            definition=battery.data,
        )
        session.add(other)
        await session.commit()
    real_by_hash = service._by_hash
    calls = {"n": 0}

    async def stale_by_hash(session, key, digest):
        calls["n"] += 1
        if key == "battery" and calls["n"] == 1:
            return None
        return await real_by_hash(session, key, digest)

    monkeypatch.setattr(service, "_by_hash", stale_by_hash)
    async with sessions() as session:
        await seed_catalog(session)
        current = await current_template(session, "battery")
    assert current is not None and current.template_id == other_id
    assert await count_rows(sessions, "battery") == 1


async def test_two_concurrent_seeders_store_each_version_once(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'race.db'}"
    engines = [create_async_engine(url, connect_args={"timeout": 30}) for _ in range(2)]
    async with engines[0].begin() as conn:
        await conn.run_sync(Base.metadata.create_all, tables=[TABLE])

    async def seed(engine) -> None:
        async with async_sessionmaker(engine)() as session:
            await seed_catalog(session)

    clear_cache()
    try:
        await asyncio.gather(*(seed(e) for e in engines))
        async with async_sessionmaker(engines[0])() as session:
            rows = (await session.execute(select(TemplateVersion))).scalars().all()
    finally:
        clear_cache()
        for engine in engines:
            await engine.dispose()
    assert len(rows) == len(load_catalog())
    assert {r.version for r in rows} == {1}


async def test_caches_keep_two_databases_apart(sessions, tmp_path: Path) -> None:
    other_engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'other.db'}")
    async with other_engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all, tables=[TABLE])
    other_sessions = async_sessionmaker(other_engine)
    try:
        async with sessions() as session:
            await seed_catalog(session)
            first = await current_template(session, "battery")
        async with other_sessions() as session:
            await seed_catalog(session)
            second = await current_template(session, "battery")
            foreign = await template_by_id(session, first.template_id if first else "")
    finally:
        await other_engine.dispose()
    assert first is not None and second is not None
    assert first.template_id != second.template_id
    assert foreign is None
