"""Template versions in the database, and the in-process caches in front of them.

A template version is immutable, so `template_id -> Template` is cached forever.
The "current" template of each category is the stored version whose content hash
equals the catalogue data shipped with this process (normally the latest one); it
is cached per process once seeded or first read. `clear_cache()` resets both.
Both caches are namespaced by database URL, so one process talking to two
databases (the test suite: SQLite and PostgreSQL) never mixes their ids.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tracepass.catalog.definitions import Category, Template, load_catalog, resolve_category
from tracepass.catalog.models import TemplateVersion
from tracepass.db.engine import Database
from tracepass.db.ids import is_object_id, new_object_id

logger = logging.getLogger("tracepass.catalog")

SEED_ATTEMPTS = 5

_by_id: dict[tuple[str, str], Template] = {}  # (database, template id) -> template
_current: dict[tuple[str, str], str] = {}  # (database, category key) -> template id


def _db(session: AsyncSession) -> str:
    try:
        bind: Any = session.get_bind()
        engine: Any = getattr(bind, "engine", bind)
        return str(engine.url.render_as_string(hide_password=True))
    except Exception:  # an unbound session: one shared namespace
        return ""


def clear_cache() -> None:
    """Forget every cached template (tests; after reseeding another database)."""
    _by_id.clear()
    _current.clear()


def _remember(db: str, template_id: str, version: int, category: Category) -> Template:
    cached = _by_id.get((db, template_id))
    if cached is not None:
        return cached
    template = Template(template_id=template_id, version=version, category=category)
    _by_id[(db, template_id)] = template
    return template


def _from_row(db: str, row: TemplateVersion) -> Template:
    cached = _by_id.get((db, row.id))
    if cached is not None:
        return cached
    return _remember(db, row.id, row.version, Category.from_dict(row.definition))


async def _by_hash(session: AsyncSession, key: str, digest: str) -> TemplateVersion | None:
    stmt = select(TemplateVersion).where(
        TemplateVersion.category_key == key, TemplateVersion.content_hash == digest
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def _latest(session: AsyncSession, key: str) -> TemplateVersion | None:
    stmt = (
        select(TemplateVersion)
        .where(TemplateVersion.category_key == key)
        .order_by(TemplateVersion.version.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def _seed_one(session: AsyncSession, category: Category) -> Template:
    db = _db(session)
    digest = category.content_hash
    for _attempt in range(SEED_ATTEMPTS):
        existing = await _by_hash(session, category.key, digest)
        if existing is not None:
            # Same content hash: the shipped data *is* that version's definition.
            template = _remember(db, existing.id, existing.version, category)
            _current[(db, category.key)] = template.template_id
            return template
        latest = await _latest(session, category.key)
        version = latest.version + 1 if latest is not None else 1
        template_id = new_object_id()
        session.add(
            TemplateVersion(
                id=template_id,
                category_key=category.key,
                version=version,
                content_hash=digest,
                definition=category.data,
            )
        )
        try:
            await session.commit()
        except IntegrityError:
            # Another process seeded concurrently: start over and re-read.
            await session.rollback()
            continue
        logger.info("template %s version %s stored as %s", category.key, version, template_id)
        template = _remember(db, template_id, version, category)
        _current[(db, category.key)] = template_id
        return template
    raise RuntimeError(f"could not store a template version for {category.key!r}")


async def seed_catalog(session: AsyncSession) -> None:
    """Store a new template version for every category whose data changed. Idempotent."""
    for category in load_catalog().values():
        await _seed_one(session, category)
    await session.commit()


async def current_template(session: AsyncSession, slug_or_key: str) -> Template | None:
    """The current template of a category (slug or key), or None if unknown / not seeded."""
    category = resolve_category(slug_or_key)
    if category is None:
        return None
    db = _db(session)
    template_id = _current.get((db, category.key))
    if template_id is not None and (db, template_id) in _by_id:
        return _by_id[(db, template_id)]
    row = await _by_hash(session, category.key, category.content_hash)
    if row is not None:
        template = _from_row(db, row)
        _current[(db, category.key)] = template.template_id
        return template
    # Catalogue changed but not seeded yet: the newest stored version, uncached.
    row = await _latest(session, category.key)
    return _from_row(db, row) if row is not None else None


async def current_templates(session: AsyncSession) -> list[Template]:
    """The current template of every category that has one, in catalogue order."""
    templates = []
    for category in load_catalog().values():
        template = await current_template(session, category.key)
        if template is not None:
            templates.append(template)
    return templates


async def template_in(database: Database, template_id: str) -> Template | None:
    """`template_by_id` for callers without a session: opens one only on a cache miss."""
    cached = _by_id.get((database.namespace, template_id))
    if cached is not None:
        return cached
    async with database.read_session() as session:
        return await template_by_id(session, template_id)


async def template_by_id(session: AsyncSession, template_id: str) -> Template | None:
    """Any stored version by its id, current or not; None for an unknown id."""
    if not isinstance(template_id, str) or not is_object_id(template_id):
        return None
    db = _db(session)
    cached = _by_id.get((db, template_id))
    if cached is not None:
        return cached
    row = await session.get(TemplateVersion, template_id)
    return _from_row(db, row) if row is not None else None
