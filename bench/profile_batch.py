"""CPU cost of `POST /api/v1/passports/batch` in-process (no HTTP server, no wrk).

    .venv/bin/python -m bench.profile_batch                      # SQLite in a temp dir
    .venv/bin/python -m bench.profile_batch --database-url postgresql://postgres@127.0.0.1:5432/tracepass_profile
    .venv/bin/python -m bench.profile_batch --profile 25         # + cProfile, top 25 by own time

The app runs through `httpx.ASGITransport` (which adds ~0.4 ms per request), with
the workspace, products and request bodies that `bench/driver.py` uses: 8 products
with the bench's default field values, batches of 100 fresh serials under one
product. It reports `time.process_time` per batch (CPU of this process: the
PostgreSQL server's own CPU is not in it) and the wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import secrets
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench import seed
from tracepass.app import create_app
from tracepass.config import Settings
from tracepass.db.engine import Database
from tracepass.db.setup import prepare_database
from tracepass.passports.gs1 import check_digit
from tracepass.workspaces.service import create_workspace

PRODUCTS = 8
BATCH = 100


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument("--batches", type=int, default=60, help="measured batches")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--profile", type=int, default=0, help="print the top N of cProfile")
    parser.add_argument("--sort", default="tottime", help="cProfile sort key")
    parser.add_argument("--dump", default=None, help="write the cProfile stats to this file")
    return parser.parse_args()


async def _setup(settings: Settings) -> tuple[Any, Database, seed.Fleet]:
    database = Database(settings.async_database_url)
    await prepare_database(database)
    async with database.write_session() as session:
        workspace, key = await create_workspace(session, "Profile", "enterprise")
    fleet = seed.Fleet(api_key=key.api_key, workspace_id=workspace.id)
    return create_app(settings, database), database, fleet


def _fresh_gtin() -> str:
    body = "1" + "".join(str(secrets.randbelow(10)) for _ in range(12))
    return body + str(check_digit(body))


def _body(fleet: seed.Fleet, tag: str, number: int) -> bytes:
    k = number % len(fleet.product_ids)
    body = {
        "passports": [
            {
                "productId": fleet.product_ids[k],
                "gs1": {"gtin": fleet.gtins[k], "serialNumber": f"P{tag}-{number}-{j}"},
            }
            for j in range(BATCH)
        ]
    }
    return orjson.dumps(body)


async def _post(client: httpx.AsyncClient, body: bytes) -> None:
    response = await client.post("/api/v1/passports/batch", content=body)
    # The tail of the body, not a full parse: the client's CPU counts here too.
    if response.status_code != 200 or not response.content.endswith(b'"failed":0}'):
        raise SystemExit(f"batch failed: {response.status_code} {response.text[:300]}")


async def main(args: argparse.Namespace, data_dir: Path) -> None:
    settings = Settings(
        database_url=args.database_url, data_dir=data_dir, public_url="https://dpp.example.test"
    )
    app, database, fleet = await _setup(settings)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {fleet.api_key}", "Content-Type": "application/json"}
    tag = f"{time.time_ns():x}"
    async with httpx.AsyncClient(
        transport=transport, base_url="http://bench", headers=headers
    ) as client:
        await seed.create_products(client, fleet, PRODUCTS)
        # GTINs of this run only: a reused database keeps the previous runs' owners.
        fleet.gtins = [_fresh_gtin() for _ in fleet.gtins]
        # Bodies are encoded beforehand: the client's CPU counts in process_time too.
        bodies = [_body(fleet, tag, n) for n in range(args.warmup + args.batches)]
        for body in bodies[: args.warmup]:
            await _post(client, body)
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        cpu_ms, wall = [], time.perf_counter()
        for body in bodies[args.warmup :]:
            started = time.process_time()
            await _post(client, body)
            cpu_ms.append((time.process_time() - started) * 1000)
        wall = time.perf_counter() - wall
        if profiler:
            profiler.disable()
    await database.dispose()
    _report("sqlite" if settings.is_sqlite else "postgres", cpu_ms, wall)
    if profiler:
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.profile)
        if args.dump:
            profiler.dump_stats(args.dump)


def _report(backend: str, cpu_ms: list[float], wall: float) -> None:
    """Mean, median and 10th percentile of the CPU per batch: on a shared machine the
    low percentiles are the least disturbed by other processes (cache, SMT siblings)."""
    cpu_ms = sorted(cpu_ms)
    mean = statistics.fmean(cpu_ms)
    print(
        f"{backend}: {len(cpu_ms)} batches of {BATCH}: CPU per batch mean {mean:.1f} ms, "
        f"median {statistics.median(cpu_ms):.1f}, p10 {cpu_ms[len(cpu_ms) // 10]:.1f}; "
        f"wall {wall / len(cpu_ms) * 1000:.1f} ms ({BATCH * 1000 / mean:,.0f} passports "
        "per CPU-second)"
    )


if __name__ == "__main__":
    arguments = _parse_args()
    with tempfile.TemporaryDirectory(prefix="tracepass-profile-") as tmp:
        asyncio.run(main(arguments, Path(tmp)))
