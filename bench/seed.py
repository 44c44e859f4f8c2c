"""Seeding for the bench: the API bulk path, and a direct bulk path for the scale runs.

API path (what a user does): products via POST /api/v1/products, passports via
POST /api/v1/passports/batch (100 per request, several requests in flight), then
POST /api/v1/passports/{id}/publish {"force": true} for each.

Direct path (scale runs only, 1,000,000 passports): per-passport publishing through
HTTP would take far too long, so published rows are built with the project's own
`passports.views.build_snapshot` / `snapshot_etag` and `public.service.prerender`
(the very functions `publish` uses, so each row also gets its stored public bodies),
cloned from one API-published passport per product (same fields, parties and
template), and written with SQLite `executemany` in large transactions or PostgreSQL
`COPY`. No audit or outbox rows are written for them: it models an import of an
already published fleet, not 1,000,000 API calls.

Passport number i always carries serial `SN%09d` under product/GTIN number i mod P,
which is what bench/lua/scan.lua relies on.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

PRODUCT_DEFAULTS = {
    "manufacturer_name": "Bench Energy GmbH",
    "battery_category": "EV",
    "battery_weight": 12.5,
}
GTIN_STEM = "0400638"  # a GS1 Germany style company prefix, plus 5 digits of item reference


def gtin14(item_reference: int) -> str:
    body = f"{GTIN_STEM}{item_reference:05d}"[:13].rjust(13, "0")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def serial_for(index: int) -> str:
    return f"SN{index:09d}"


@dataclass
class Fleet:
    """What the load scripts need to address the seeded passports."""

    api_key: str
    workspace_id: str
    product_ids: list[str] = field(default_factory=list)
    gtins: list[str] = field(default_factory=list)
    passport_ids: list[str] = field(default_factory=list)
    published: int = 0  # passports 0..published-1 exist and are published


class SeedError(RuntimeError):
    pass


def _check(response: httpx.Response, what: str) -> Any:
    if response.status_code >= 300:
        raise SeedError(f"{what}: HTTP {response.status_code} {response.text[:300]}")
    return response.json()


async def create_products(client: httpx.AsyncClient, fleet: Fleet, count: int) -> None:
    for number in range(count):
        body = {
            "name": f"Bench Pack {number}",
            "model": f"BENCH-{number:03d}",
            "category": "batteries",
            "defaultFieldValues": PRODUCT_DEFAULTS,
        }
        product = _check(await client.post("/api/v1/products", json=body), "create product")
        fleet.product_ids.append(product["_id"])
        fleet.gtins.append(gtin14(number + 1))


def _batch_items(fleet: Fleet, start: int, end: int) -> list[dict[str, Any]]:
    products = len(fleet.product_ids)
    return [
        {
            "productId": fleet.product_ids[i % products],
            "gs1": {"gtin": fleet.gtins[i % products], "serialNumber": serial_for(i)},
        }
        for i in range(start, end)
    ]


async def _in_parallel(jobs: list[Any], concurrency: int) -> list[Any]:
    semaphore = asyncio.Semaphore(concurrency)

    async def run(job: Any) -> Any:
        async with semaphore:
            return await job

    return await asyncio.gather(*(run(job) for job in jobs))


async def issue_via_api(
    client: httpx.AsyncClient, fleet: Fleet, start: int, end: int, concurrency: int
) -> list[str]:
    """Create passports start..end-1 with the batch API; returns their ids in order."""

    async def one_batch(first: int) -> list[str]:
        last = min(first + 100, end)
        body = {"passports": _batch_items(fleet, first, last)}
        payload = _check(await client.post("/api/v1/passports/batch", json=body), "batch")
        if payload["failed"]:
            bad = next(r for r in payload["results"] if r["status"] != "created")
            raise SeedError(f"batch item failed: {bad}")
        return [r["data"]["_id"] for r in payload["results"]]

    chunks = await _in_parallel([one_batch(f) for f in range(start, end, 100)], concurrency)
    return [passport_id for chunk in chunks for passport_id in chunk]


async def publish_via_api(
    client: httpx.AsyncClient, passport_ids: list[str], concurrency: int
) -> None:
    async def publish(passport_id: str) -> None:
        url = f"/api/v1/passports/{passport_id}/publish"
        _check(await client.post(url, json={"force": True}), "publish")

    await _in_parallel([publish(p) for p in passport_ids], concurrency)


def api_client(base_url: str, api_key: str, connections: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=120,
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )


# --- direct bulk path ----------------------------------------------------------------


def _passport_columns() -> tuple[str, ...]:
    from tracepass.passports.models import Passport

    return tuple(column.name for column in Passport.__table__.columns)


PASSPORT_COLUMNS = _passport_columns()  # the table's order, which `_rows` follows


@dataclass
class _Clone:
    """Duck-typed stand-in for a Passport: build_snapshot only reads attributes."""

    id: str
    gtin: str
    serial: str
    template_id: str
    fields: dict[str, Any]
    parties: dict[str, Any]
    updated_at: datetime
    revision: int = 1
    lot: str | None = None


@dataclass
class _Prototype:
    product: Any
    template: Any
    template_id: str
    gtin: str
    fields: dict[str, Any]
    parties: dict[str, Any]


async def _prototypes(database_url: str, fleet: Fleet) -> tuple[list[_Prototype], Any]:
    from sqlalchemy import select

    from tracepass.catalog.service import template_by_id
    from tracepass.core.auth import resolve_api_key
    from tracepass.db.engine import Database
    from tracepass.db.url import to_async_url
    from tracepass.passports.models import Passport
    from tracepass.products.models import Product

    database = Database(to_async_url(database_url), 2)
    try:
        async with database.read_session() as session:
            auth = await resolve_api_key(session, fleet.api_key)
            prototypes = []
            for product_id, gtin in zip(fleet.product_ids, fleet.gtins, strict=True):
                product = await session.get(Product, product_id)
                sample = await session.scalar(
                    select(Passport).where(
                        Passport.product_id == product_id, Passport.status == "published"
                    )
                )
                if product is None or sample is None:
                    raise SeedError("direct seeding needs one API-published passport per product")
                template = await template_by_id(session, product.template_id)
                prototypes.append(
                    _Prototype(
                        product,
                        template,
                        product.template_id,
                        gtin,
                        dict(sample.fields or {}),
                        dict(sample.parties or {}),
                    )
                )
    finally:
        await database.dispose()
    return prototypes, auth


_ID_MARK = "BenchPassportIdMark7f3a"
_SERIAL_MARK = "BenchSerialMark7f3a"


class _SnapshotStencil:
    """build_snapshot's output for one prototype, with the per-passport parts cut out.

    Every passport of a prototype differs only in its id and serial, so the sorted-key
    JSON is cut at those two values once and re-joined per row; sha256 over the same
    bytes is what `snapshot_etag` computes. `check` compares a row with the real
    `build_snapshot` + `snapshot_etag` output (done on the first row of every chunk).
    """

    def __init__(self, proto: _Prototype, auth: Any, public_base: str, now: datetime) -> None:
        from tracepass.core.timeutil import iso_z

        self.proto, self.auth, self.public_base, self.now = proto, auth, public_base, now
        self.stamp = iso_z(now.replace(tzinfo=UTC))
        text = self._canonical(_ID_MARK, _SERIAL_MARK).decode()
        # The serial appears twice: as serialNumber and inside digitalLinkUri.
        self.parts = [piece.split(_SERIAL_MARK) for piece in text.split(_ID_MARK)]
        # The public bodies publishing stores (public.service.prerender), cut the same way.
        bodies = self._bodies(orjson.loads(text))
        self.body_parts = [
            [piece.split(_SERIAL_MARK.encode()) for piece in body.split(_ID_MARK.encode())]
            for body in bodies
        ]

    def _bodies(self, snapshot: dict[str, Any]) -> tuple[bytes, bytes]:
        from tracepass.public.service import prerender

        renders = prerender(snapshot, self.proto.template, self.public_base)
        return renders.json, renders.html

    def _canonical(self, passport_id: str, serial: str) -> bytes:
        from tracepass.passports.views import build_snapshot

        clone = _Clone(
            passport_id,
            self.proto.gtin,
            serial,
            self.proto.template_id,
            self.proto.fields,
            self.proto.parties,
            self.now.replace(tzinfo=UTC),
        )
        snapshot = build_snapshot(  # type: ignore[arg-type]
            clone, self.proto.template, self.proto.product, self.auth, self.public_base, self.stamp
        )
        return orjson.dumps(snapshot, option=orjson.OPT_SORT_KEYS)

    def render(self, passport_id: str, serial: str) -> tuple[str, str]:
        """(snapshot JSON, etag) for one passport. Serials here are URL-safe."""
        text = passport_id.join(serial.join(piece) for piece in self.parts)
        return text, hashlib.sha256(text.encode()).hexdigest()

    def render_bodies(self, passport_id: str, serial: str) -> list[bytes]:
        """[public JSON, public HTML] as publishing would have stored them."""
        pid, ser = passport_id.encode(), serial.encode()
        return [pid.join(ser.join(piece) for piece in parts) for parts in self.body_parts]

    def check(self, passport_id: str, serial: str) -> None:
        from tracepass.passports.views import snapshot_etag

        text, etag = self.render(passport_id, serial)
        real = orjson.loads(self._canonical(passport_id, serial))
        if orjson.loads(text) != real or etag != snapshot_etag(real):
            raise SeedError("snapshot stencil drifted from build_snapshot; fix bench/seed.py")
        if self.render_bodies(passport_id, serial) != list(self._bodies(real)):
            raise SeedError("render stencil drifted from public.service.prerender")


RENDER_COLUMNS = (
    "passport_id",
    "published_etag",
    "render_key",
    "json_body",
    "html_body",
    "created_at",
)


def _rows(
    stencils: list[_SnapshotStencil], workspace_id: str, start: int, end: int, now: Any
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """(passports rows in PASSPORT_COLUMNS order, public_renders rows in RENDER_COLUMNS
    order); `now` as the driver wants timestamps."""
    from tracepass.db.ids import new_object_id
    from tracepass.public.service import render_key

    rows = []
    renders = []
    count = len(stencils)
    fields_json = [orjson.dumps(s.proto.fields).decode() for s in stencils]
    parties_json = [orjson.dumps(s.proto.parties).decode() for s in stencils]
    for i in range(start, end):
        k = i % count
        stencil = stencils[k]
        passport_id, serial = new_object_id(), serial_for(i)
        if i == start:
            stencil.check(passport_id, serial)
        snapshot, etag = stencil.render(passport_id, serial)
        json_body, html_body = stencil.render_bodies(passport_id, serial)
        key = render_key(stencil.public_base)
        renders.append((passport_id, etag, key, json_body, html_body, now))
        rows.append(
            (
                passport_id,
                workspace_id,
                stencil.proto.product.id,
                stencil.proto.template_id,
                stencil.proto.gtin,
                serial,
                None,
                "published",
                fields_json[k],
                parties_json[k],
                1,
                1,
                snapshot,
                etag,
                None,
                now,
                now,
                now,
                None,
                None,
            )
        )
    return rows, renders


def _sqlite_path(database_url: str) -> str:
    return database_url.split(":///", 1)[1]


def _insert_sqlite(
    path: str, rows: list[tuple[Any, ...]], renders: list[tuple[Any, ...]], counts: dict[str, int]
) -> None:
    # Queue like the server's writers do (tracepass.db.engine.SqliteWriteLock).
    lock = os.open(path + "-writelock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)
    connection = sqlite3.connect(path, timeout=60, isolation_level=None)
    try:
        connection.execute("PRAGMA busy_timeout=60000")
        connection.execute("PRAGMA cache_size=-262144")  # 256 MiB: keep the indexes hot
        connection.execute("BEGIN IMMEDIATE")
        placeholders = ",".join("?" * len(PASSPORT_COLUMNS))
        connection.executemany(
            f"INSERT INTO passports ({','.join(PASSPORT_COLUMNS)}) VALUES ({placeholders})",
            rows,
        )
        connection.executemany(
            f"INSERT INTO public_renders ({','.join(RENDER_COLUMNS)})"
            f" VALUES ({','.join('?' * len(RENDER_COLUMNS))})",
            renders,
        )
        for product_id, added in counts.items():
            connection.execute(
                "UPDATE products SET passport_count = passport_count + ? WHERE id = ?",
                (added, product_id),
            )
        connection.execute("COMMIT")
    finally:
        connection.close()
        os.close(lock)  # releases the flock


async def _insert_postgres(
    database_url: str,
    rows: list[tuple[Any, ...]],
    renders: list[tuple[Any, ...]],
    counts: dict[str, int],
) -> None:
    import asyncpg

    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            await connection.copy_records_to_table(
                "passports", records=rows, columns=list(PASSPORT_COLUMNS)
            )
            await connection.copy_records_to_table(
                "public_renders", records=renders, columns=list(RENDER_COLUMNS)
            )
            for product_id, added in counts.items():
                await connection.execute(
                    "UPDATE products SET passport_count = passport_count + $1 WHERE id = $2",
                    added,
                    product_id,
                )
    finally:
        await connection.close()


async def publish_directly(
    database_url: str,
    fleet: Fleet,
    public_base: str,
    target: int,
    chunk: int = 50_000,
    progress: Any = None,
) -> float:
    """Add published passports fleet.published..target-1; returns the seconds it took."""
    started = time.perf_counter()
    prototypes, auth = await _prototypes(database_url, fleet)
    now = datetime.now(UTC).replace(tzinfo=None)
    stencils = [_SnapshotStencil(p, auth, public_base, now) for p in prototypes]
    is_sqlite = database_url.startswith("sqlite")
    # SQLite: the text SQLAlchemy's DateTime stores and parses back; asyncpg: naive UTC.
    now_value = now.isoformat(" ", "microseconds") if is_sqlite else now
    for start in range(fleet.published, target, chunk):
        end = min(start + chunk, target)
        rows, renders = _rows(stencils, fleet.workspace_id, start, end, now_value)
        counts: dict[str, int] = {}
        for i in range(start, end):
            product_id = fleet.product_ids[i % len(fleet.product_ids)]
            counts[product_id] = counts.get(product_id, 0) + 1
        if is_sqlite:
            await asyncio.to_thread(
                _insert_sqlite, _sqlite_path(database_url), rows, renders, counts
            )
        else:
            await _insert_postgres(database_url, rows, renders, counts)
        fleet.published = end
        if progress:
            progress(end, time.perf_counter() - started)
    return time.perf_counter() - started
