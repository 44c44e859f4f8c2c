"""Passport queries. Every query is scoped by workspace_id (GTIN ownership is global)."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, delete, func, insert, or_, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from tracepass.db.engine import Database
from tracepass.db.upsert import insert_for
from tracepass.passports.lifecycle import ARCHIVED
from tracepass.passports.models import AuditEntry, GtinOwner, OutboxEvent, Passport, ReviewItem
from tracepass.products.models import Product
from tracepass.workspaces.models import Workspace

# Core tables, for statements that need no ORM entity (a cheaper path per statement).
_PASSPORTS = cast(Table, Passport.__table__)
_PRODUCTS = cast(Table, Product.__table__)
_GTIN_OWNERS = cast(Table, GtinOwner.__table__)
_AUDIT_ENTRIES = cast(Table, AuditEntry.__table__)
_OUTBOX_EVENTS = cast(Table, OutboxEvent.__table__)


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def dialect_of(session: AsyncSession) -> Dialect:
    """The session's dialect, without starting its transaction."""
    return session.get_bind().dialect


# --- passports ---


async def get_passport(
    session: AsyncSession, workspace_id: str, passport_id: str, *, for_update: bool = False
) -> Passport | None:
    stmt = select(Passport).where(Passport.id == passport_id, Passport.workspace_id == workspace_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def find_by_serial(
    session: AsyncSession,
    workspace_id: str,
    serial: str,
    gtin: str | None = None,
    *,
    for_update: bool = False,
) -> list[Passport]:
    """At most two matches: enough to tell "one" from "ambiguous"."""
    stmt = select(Passport).where(Passport.workspace_id == workspace_id, Passport.serial == serial)
    if gtin is not None:
        stmt = stmt.where(Passport.gtin == gtin)
    stmt = stmt.order_by(Passport.gtin).limit(2)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return list((await session.execute(stmt)).scalars().all())


async def gtins_for_serial(session: AsyncSession, workspace_id: str, serial: str) -> list[str]:
    stmt = (
        select(Passport.gtin)
        .where(Passport.workspace_id == workspace_id, Passport.serial == serial)
        .order_by(Passport.gtin)
        .limit(20)
    )
    return list((await session.execute(stmt)).scalars().all())


def list_query(
    workspace_id: str,
    product_id: str | None = None,
    status: str | None = None,
    search: str | None = None,
) -> Select[Any]:
    stmt = select(Passport).where(Passport.workspace_id == workspace_id)
    if product_id is not None:
        stmt = stmt.where(Passport.product_id == product_id)
    if status is not None:
        stmt = stmt.where(Passport.status == status)
    if search:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        stmt = stmt.where(
            or_(
                Passport.gtin.ilike(pattern, escape="\\"),
                Passport.serial.ilike(pattern, escape="\\"),
            )
        )
    return stmt.order_by(Passport.created_at.desc(), Passport.id.desc())


async def count_live(session: AsyncSession, workspace_id: str) -> int:
    stmt = select(func.count()).where(
        Passport.workspace_id == workspace_id, Passport.status != ARCHIVED
    )
    return int(await session.scalar(stmt) or 0)


async def lock_workspace(session: AsyncSession, workspace_id: str) -> None:
    """Serialise quota checks of one workspace (PostgreSQL; SQLite writers are serial anyway)."""
    await session.execute(
        select(Workspace.id).where(Workspace.id == workspace_id).with_for_update()
    )


async def existing_serials(
    session: AsyncSession, gtins: Iterable[str], serials: Iterable[str]
) -> set[tuple[str, str]]:
    """(gtin, serial) pairs already taken, among the given GTINs and serials (one query)."""
    gtin_list, serial_list = sorted(set(gtins)), sorted(set(serials))
    if not gtin_list or not serial_list:
        return set()
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        found = await connection.exec_driver_sql(_TAKEN_PG, (gtin_list, serial_list))
    else:
        lists = (json.dumps(gtin_list), json.dumps(serial_list))
        found = await connection.exec_driver_sql(_TAKEN_SQLITE, lists)
    return {(gtin, serial) for gtin, serial in cast(Iterable[tuple[str, str]], found)}


# Each list is one parameter (an array, a JSON array): SQLAlchemy renders an expanding
# IN of 100 serials anew on every call, which cost more than the query. Both use the
# UNIQUE (gtin, serial) index.
_TAKEN_PG = (
    "SELECT gtin, serial FROM passports"
    " WHERE gtin = ANY($1::varchar[]) AND serial = ANY($2::varchar[])"
)
_TAKEN_SQLITE = (
    "SELECT gtin, serial FROM passports"
    " WHERE gtin IN (SELECT value FROM json_each(?)) AND serial IN (SELECT value FROM json_each(?))"
)


async def set_status(
    session: AsyncSession,
    workspace_id: str,
    passport_id: str,
    expected: str,
    values: Mapping[str, Any],
) -> bool:
    """Move a passport out of `expected` atomically; False when its status was not `expected`."""
    stmt = (
        update(Passport)
        .where(
            Passport.id == passport_id,
            Passport.workspace_id == workspace_id,
            Passport.status == expected,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(stmt)
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def delete_unpublished(
    session: AsyncSession, workspace_id: str, passport_id: str, statuses: Iterable[str]
) -> bool:
    stmt = (
        delete(Passport)
        .where(
            Passport.id == passport_id,
            Passport.workspace_id == workspace_id,
            Passport.status.in_(list(statuses)),
            Passport.published_at.is_(None),
        )
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(stmt)
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


# --- products (read directly; the products domain owns writes other than the count) ---------


async def products_by_id(
    session: AsyncSession, workspace_id: str, product_ids: Iterable[str], for_update: bool = False
) -> dict[str, Product]:
    """Products by id. `for_update` locks them (in id order, so lockers never deadlock), which
    keeps a concurrent archive from slipping between our status check and our insert."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    stmt = select(Product).where(Product.workspace_id == workspace_id, Product.id.in_(ids))
    if for_update:
        stmt = stmt.order_by(Product.id).with_for_update()
    return {p.id: p for p in (await session.execute(stmt)).scalars().all()}


async def add_to_passport_count(
    session: AsyncSession, workspace_id: str, product_id: str, delta: int
) -> None:
    products = _PRODUCTS.c  # a Core UPDATE: nothing for the ORM to synchronise
    await session.execute(
        update(_PRODUCTS)
        .where(products.id == product_id, products.workspace_id == workspace_id)
        .values(passport_count=products.passport_count + delta)
    )


# --- GTIN ownership ----------------------------------------------------------------------


async def claim_gtins(
    session: AsyncSession, workspace_id: str, gtins: Iterable[str], now: datetime
) -> dict[str, str]:
    """Claim unowned GTINs for the workspace; returns the owner of every GTIN given.

    Read, then insert-or-ignore the unowned ones and read those again: two workspaces
    racing for a new GTIN both insert, the primary key lets exactly one win, and both
    read the same owner afterwards. GTINs already owned (the usual case) cost one read.
    """
    gtin_list = sorted(set(gtins))
    owners = await _gtin_owners(session, gtin_list)
    unowned = [g for g in gtin_list if g not in owners]
    if unowned:
        rows = [{"gtin": g, "workspace_id": workspace_id, "created_at": now} for g in unowned]
        claim = insert_for(session, GtinOwner).on_conflict_do_nothing(index_elements=["gtin"])
        await session.execute(claim, rows)
        owners.update(await _gtin_owners(session, unowned))
    return owners


async def _gtin_owners(session: AsyncSession, gtins: list[str]) -> dict[str, str]:
    if not gtins:
        return {}
    owners = _GTIN_OWNERS.c
    stmt = select(owners.gtin, owners.workspace_id).where(owners.gtin.in_(gtins))
    return {row.gtin: row.workspace_id for row in await session.execute(stmt)}


# --- review queue ---


def review_query(workspace_id: str, passport_id: str, status: str | None) -> Select[Any]:
    stmt = select(ReviewItem).where(
        ReviewItem.workspace_id == workspace_id, ReviewItem.passport_id == passport_id
    )
    if status is not None:
        stmt = stmt.where(ReviewItem.status == status)
    return stmt.order_by(ReviewItem.created_at, ReviewItem.id)


async def pending_review_item(
    session: AsyncSession, workspace_id: str, passport_id: str, key: str
) -> ReviewItem | None:
    stmt = (
        select(ReviewItem)
        .where(
            ReviewItem.workspace_id == workspace_id,
            ReviewItem.passport_id == passport_id,
            ReviewItem.key == key,
            ReviewItem.status == "pending",
        )
        .order_by(ReviewItem.created_at.desc(), ReviewItem.id.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def pending_keys(session: AsyncSession, workspace_id: str, passport_id: str) -> list[str]:
    stmt = (
        select(ReviewItem.key)
        .where(
            ReviewItem.workspace_id == workspace_id,
            ReviewItem.passport_id == passport_id,
            ReviewItem.status == "pending",
        )
        .distinct()
    )
    return sorted((await session.execute(stmt)).scalars().all())


async def supersede_pending(
    session: AsyncSession, workspace_id: str, passport_id: str, key: str, now: datetime
) -> None:
    await session.execute(
        update(ReviewItem)
        .where(
            ReviewItem.workspace_id == workspace_id,
            ReviewItem.passport_id == passport_id,
            ReviewItem.key == key,
            ReviewItem.status == "pending",
        )
        .values(status="superseded", decided_at=now)
        .execution_options(synchronize_session=False)
    )


# --- audit trail and outbox ---


def audit_query(workspace_id: str, passport_id: str) -> Select[Any]:
    return (
        select(AuditEntry)
        .where(AuditEntry.workspace_id == workspace_id, AuditEntry.passport_id == passport_id)
        .order_by(AuditEntry.created_at, AuditEntry.id)
    )


async def insert_audit(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    await _insert_rows(session, _AUDIT_ENTRIES, rows)


async def insert_outbox(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    await _insert_rows(session, _OUTBOX_EVENTS, rows)


Encoder = Callable[[Any], Any] | None  # a column type's bind processor (None: sent as is)
Columns = tuple[tuple[str, Encoder], ...]

# Rows per INSERT: 100 rows of the widest table (passports, 20 columns) stay far below
# the bind parameter limits (SQLite 32,766, PostgreSQL 65,535).
_ROWS_PER_INSERT = 100
_DOLLAR_PARAM = re.compile(r"\$(\d+)")


@functools.lru_cache(maxsize=16)
def _insert_plan(table: Table, dialect: Dialect, keys: tuple[str, ...]) -> tuple[str, str, Columns]:
    """For rows with `keys`: the `INSERT ... VALUES` head and one row's `(...)` as
    SQLAlchemy compiles them for the dialect, and each parameter's column key and
    encoder, in the statement's order."""
    compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
    order = compiled.positiontup or []
    if set(order) != set(keys):  # a column with a default the rows do not carry
        raise ValueError(f"rows for {table.name} must carry exactly the columns {order}")
    if dialect.paramstyle not in ("qmark", "numeric_dollar"):
        raise NotImplementedError(f"bulk insert with paramstyle {dialect.paramstyle}")
    head, _, row_sql = compiled.string.rpartition(" VALUES ")
    encoders = {c.key: c.type.dialect_impl(dialect).bind_processor(dialect) for c in table.c}
    return head + " VALUES ", row_sql, tuple((key, encoders[key]) for key in order)


@functools.lru_cache(maxsize=64)
def _values_sql(row_sql: str, width: int, count: int, offset: int = 0) -> str:
    """`count` copies of one row's `(...)`, `$n` placeholders numbered on from `offset`."""
    if "$" not in row_sql:  # qmark
        return ", ".join([row_sql] * count)

    def shifted(by: int) -> str:
        return _DOLLAR_PARAM.sub(lambda m: f"${int(m.group(1)) + by}", row_sql)

    return ", ".join(shifted(offset + index * width) for index in range(count))


@dataclass(frozen=True, slots=True)
class EncodedRows:
    """Rows of one table as driver parameters, ready to INSERT: encoding can
    happen before the transaction (on SQLite every writer waits while one is open)."""

    head: str
    row_sql: str
    rows: list[tuple[Any, ...]]


def encode_rows(dialect: Dialect, table: Table, rows: Sequence[Mapping[str, Any]]) -> EncodedRows:
    """Complete rows (all with the same keys), each value encoded by its column's type."""
    if not rows:
        return EncodedRows("", "", [])
    head, row_sql, columns = _insert_plan(table, dialect, tuple(rows[0]))
    values_by_column = []
    for key, encode in columns:
        values = [row[key] for row in rows]
        values_by_column.append(values if encode is None else _encode_each(values, encode))
    return EncodedRows(head, row_sql, list(zip(*values_by_column, strict=True)))


def _encode_each(values: list[Any], encode: Callable[[Any], Any]) -> list[Any]:
    """Each distinct value object encoded once: a batch's rows share their timestamps
    and often their field maps. Keyed by id(), which is safe because `values` keeps
    every object alive, so no two of them share an id."""
    done: dict[int, Any] = {}
    encoded = []
    for value in values:
        key = id(value)
        if key not in done:
            done[key] = encode(value)
        encoded.append(done[key])
    return encoded


# Encoded rows and the positions of those to insert (None: all of them).
InsertPart = tuple[EncodedRows, Sequence[int] | None]


async def insert_encoded(
    session: AsyncSession, encoded: EncodedRows, keep: Sequence[int] | None = None
) -> None:
    """INSERT the encoded rows (or those at the `keep` positions), 100 per statement:
    one statement is one round trip, and cheaper for PostgreSQL than 100 executes."""
    await insert_encoded_together(session, [(encoded, keep)])


async def insert_encoded_together(session: AsyncSession, parts: Sequence[InsertPart]) -> None:
    """INSERT several tables' encoded rows, parents first. PostgreSQL takes up to 100
    rows of each in one statement, the others as data-modifying CTEs (foreign keys are
    checked at its end, so a child may reference a parent of the same statement): one
    round trip instead of one per table. SQLite has no such CTEs: one per table."""
    selected = [(encoded, _rows_at(encoded, keep)) for encoded, keep in parts]
    selected = [(encoded, rows) for encoded, rows in selected if rows]
    if not selected:
        return
    connection = await session.connection()
    if connection.dialect.name == "postgresql" and all(
        len(rows) <= _ROWS_PER_INSERT for _, rows in selected
    ):
        await connection.exec_driver_sql(*_chained_insert(selected))
        return
    for encoded, rows in selected:
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            chunk = rows[start : start + _ROWS_PER_INSERT]
            sql = encoded.head + _values_sql(encoded.row_sql, len(chunk[0]), len(chunk))
            await connection.exec_driver_sql(sql, tuple(v for row in chunk for v in row))


def _rows_at(encoded: EncodedRows, keep: Sequence[int] | None) -> list[tuple[Any, ...]]:
    return encoded.rows if keep is None else [encoded.rows[i] for i in keep]


def _chained_insert(
    selected: list[tuple[EncodedRows, list[tuple[Any, ...]]]],
) -> tuple[str, tuple[Any, ...]]:
    """`WITH i0 AS (INSERT ...), i1 AS (INSERT ...) INSERT ...` and its parameters."""
    statements: list[str] = []
    params: list[Any] = []
    for encoded, rows in selected:
        width = len(rows[0])
        values = _values_sql(encoded.row_sql, width, len(rows), len(params))
        statements.append(encoded.head + values)
        params.extend(value for row in rows for value in row)
    *first, last = statements
    ctes = ", ".join(f"i{n} AS ({sql})" for n, sql in enumerate(first))
    return (f"WITH {ctes} {last}" if ctes else last), tuple(params)


async def _insert_rows(
    session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """What `insert(table)` with a list of rows does, without SQLAlchemy's per-row
    statement and parameter machinery (most of the CPU of a 100-row batch)."""
    if rows:
        await insert_encoded(session, encode_rows(dialect_of(session), table, rows))


def encode_passports(dialect: Dialect, rows: Sequence[Mapping[str, Any]]) -> EncodedRows:
    return encode_rows(dialect, _PASSPORTS, rows)


def encode_audit(dialect: Dialect, rows: Sequence[Mapping[str, Any]]) -> EncodedRows:
    return encode_rows(dialect, _AUDIT_ENTRIES, rows)


def encode_outbox(dialect: Dialect, rows: Sequence[Mapping[str, Any]]) -> EncodedRows:
    return encode_rows(dialect, _OUTBOX_EVENTS, rows)


# --- the plain API read, below the ORM ---

# Every column the wire shape of a passport reads, then its product's reference and
# its pending review count: the row is both the source of the response and the
# validator of its cached rendering (same row, same bytes).
WIRE_COLUMNS = (
    "id",
    "workspace_id",
    "product_id",
    "template_id",
    "gtin",
    "serial",
    "lot",
    "status",
    "fields",
    "parties",
    "revision",
    "published_revision",
    "suspend_reason",
    "created_at",
    "updated_at",
    "published_at",
    "suspended_at",
    "archived_at",
)
PRODUCT_REF_COLUMNS = ("id", "name", "model", "category")
_WIRE_ROW_SQL = (
    "SELECT "
    + ", ".join(f"p.{column}" for column in WIRE_COLUMNS)
    + ", "
    + ", ".join(f"pr.{column}" for column in PRODUCT_REF_COLUMNS)
    + ", (SELECT count(DISTINCT r.key) FROM review_items r"
    " WHERE r.workspace_id = p.workspace_id AND r.passport_id = p.id"
    " AND r.status = 'pending')"
    " FROM passports p"
    " LEFT JOIN products pr ON pr.id = p.product_id AND pr.workspace_id = p.workspace_id"
    " WHERE p.id = ? AND p.workspace_id = ?"
)


async def wire_row(
    database: Database, workspace_id: str, passport_id: str
) -> tuple[Any, ...] | None:
    """The raw row `service.read_passport_body` renders (see WIRE_COLUMNS)."""
    return await database.fetch_one(_WIRE_ROW_SQL, passport_id, workspace_id)
