"""Queries of the public side.

The scan queries are deliberately narrow (no snapshot) and hit the
UNIQUE(gtin, serial) index: a repeat scan is answered from the render cache after
this one query. Queries made on behalf of an API caller are scoped by workspace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from tracepass.core.timeutil import utcnow
from tracepass.db.engine import Database
from tracepass.db.raw import json_value
from tracepass.db.upsert import insert_for
from tracepass.passports.models import Passport
from tracepass.public.models import AccessGrant, PublicRender

PUBLISHED = "published"


@dataclass(frozen=True, slots=True)
class Renders:
    """The pre-rendered public bodies of one published snapshot."""

    json: bytes
    html: bytes


@dataclass(frozen=True, slots=True)
class ScanRow:
    passport_id: str
    workspace_id: str
    status: str
    lot: str | None
    suspend_reason: str | None
    published_etag: str | None
    template_id: str
    stored_body: bytes | None = None  # see find_item_with_stored


_SCAN_COLUMNS = (
    Passport.id,
    Passport.workspace_id,
    Passport.status,
    Passport.lot,
    Passport.suspend_reason,
    Passport.published_etag,
    Passport.template_id,
)


# Raw SQL for `Database.fetch_one`: the scan path skips statement building and the ORM.
_FIND_ITEM_SQL = (
    "SELECT id, workspace_id, status, lot, suspend_reason, published_etag, template_id"
    " FROM passports WHERE gtin = ? AND serial = ?"
)
_SNAPSHOT_SQL = "SELECT published_snapshot FROM passports WHERE id = ?"
# The stored-body lookup reads only the passport columns stored before its large JSON
# ones (SQLite walks a row's overflow pages to reach a later column) and takes the
# published etag from the render row, which publishing writes with the snapshot.
_FIND_ITEM_STORED_SQL = {
    kind: (
        "SELECT p.id, p.workspace_id, p.status, p.lot, p.template_id,"
        f" r.published_etag, r.render_key, r.{kind}_body"
        " FROM passports p LEFT JOIN public_renders r ON r.passport_id = p.id"
        " WHERE p.gtin = ? AND p.serial = ?"
    )
    for kind in ("json", "html")
}
_LATE_COLUMNS_SQL = "SELECT suspend_reason, published_etag FROM passports WHERE id = ?"


async def find_item(database: Database, gtin: str, serial: str) -> ScanRow | None:
    row = await database.fetch_one(_FIND_ITEM_SQL, gtin, serial)
    return ScanRow(*row) if row is not None else None


async def find_item_with_stored(
    database: Database, gtin: str, serial: str, kind: str, render_key: str
) -> ScanRow | None:
    """The scanned item with its stored `kind` body ("json" or "html") when one made by
    `render_key` exists: then a published passport costs one query."""
    row = await database.fetch_one(_FIND_ITEM_STORED_SQL[kind], gtin, serial)
    if row is None:
        return None
    passport_id, workspace_id, status, lot, template_id, stored_etag, stored_key, body = row
    if status == PUBLISHED and body is not None and stored_key == render_key:
        return ScanRow(
            passport_id, workspace_id, status, lot, None, stored_etag, template_id, bytes(body)
        )
    late = await database.fetch_one(_LATE_COLUMNS_SQL, passport_id)
    if late is None:  # deleted in between
        return None
    suspend_reason, published_etag = late
    return ScanRow(
        passport_id, workspace_id, status, lot, suspend_reason, published_etag, template_id
    )


async def save_renders(
    session: AsyncSession, passport_id: str, published_etag: str, render_key: str, bodies: Renders
) -> None:
    """Store (or replace) the pre-rendered bodies of a passport's published snapshot."""
    values = {
        "published_etag": published_etag,
        "render_key": render_key,
        "json_body": bodies.json,
        "html_body": bodies.html,
        "created_at": utcnow(),
    }
    statement = insert_for(session, PublicRender).values(passport_id=passport_id, **values)
    await session.execute(
        statement.on_conflict_do_update(index_elements=["passport_id"], set_=values)
    )


async def find_latest_published(
    conn: AsyncConnection | AsyncSession, gtin: str, lot: str | None
) -> ScanRow | None:
    """The most recently published passport of a GTIN (and lot): the model's face."""
    statement = select(*_SCAN_COLUMNS).where(Passport.gtin == gtin, Passport.status == PUBLISHED)
    if lot is not None:
        statement = statement.where(Passport.lot == lot)
    statement = statement.order_by(Passport.published_at.desc(), Passport.id.desc()).limit(1)
    row = (await conn.execute(statement)).first()
    return ScanRow(*row) if row is not None else None


async def published_snapshot(database: Database, passport_id: str) -> dict[str, Any] | None:
    row = await database.fetch_one(_SNAPSHOT_SQL, passport_id)
    if row is None or row[0] is None:
        return None
    snapshot: dict[str, Any] = json_value(row[0])
    return snapshot


async def grant_by_token_hash(session: AsyncSession, token_hash: str) -> AccessGrant | None:
    return (
        await session.execute(select(AccessGrant).where(AccessGrant.token_hash == token_hash))
    ).scalar_one_or_none()


async def passport_in_workspace(
    session: AsyncSession, workspace_id: str, passport_id: str
) -> Passport | None:
    return (
        await session.execute(
            select(Passport).where(
                Passport.workspace_id == workspace_id, Passport.id == passport_id
            )
        )
    ).scalar_one_or_none()


async def passports_by_serial(
    session: AsyncSession, workspace_id: str, serial: str, gtin: str | None
) -> list[Passport]:
    statement = select(Passport).where(
        Passport.workspace_id == workspace_id, Passport.serial == serial
    )
    if gtin is not None:
        statement = statement.where(Passport.gtin == gtin)
    return list((await session.execute(statement.limit(2))).scalars())


async def list_grants(
    session: AsyncSession, workspace_id: str, passport_id: str, offset: int, limit: int
) -> tuple[list[AccessGrant], int]:
    scope = (AccessGrant.workspace_id == workspace_id, AccessGrant.passport_id == passport_id)
    total = await session.scalar(select(func.count()).select_from(AccessGrant).where(*scope))
    rows = await session.execute(
        select(AccessGrant)
        .where(*scope)
        .order_by(AccessGrant.created_at.desc(), AccessGrant.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows.scalars()), int(total or 0)


async def get_grant(
    session: AsyncSession, workspace_id: str, passport_id: str, grant_id: str
) -> AccessGrant | None:
    return (
        await session.execute(
            select(AccessGrant).where(
                AccessGrant.workspace_id == workspace_id,
                AccessGrant.passport_id == passport_id,
                AccessGrant.id == grant_id,
            )
        )
    ).scalar_one_or_none()
