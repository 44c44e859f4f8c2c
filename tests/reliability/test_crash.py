"""Crashes: kill -9 the server in the middle of a stream of batch creates, restart it,
and prove the database is consistent and a retrying client ends whole."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.conftest import BACKENDS, postgres_url, skip_or_fail_without_postgres
from tests.reliability.support import (
    PASSPORTS,
    PRODUCTS,
    fresh_database_url,
    new_gtin,
    new_serial,
    product_body,
)
from tests.support.server import ServerProcess, running_server
from tracepass.core.models import IdempotencyRecord
from tracepass.db.engine import Database
from tracepass.db.url import to_async_url
from tracepass.passports.models import AuditEntry, OutboxEvent, Passport
from tracepass.products.models import Product

pytestmark = pytest.mark.slow

BATCHES = 24
BATCH_SIZE = 5
PARALLEL = 4
IN_FLIGHT_TIMEOUT = 2


@pytest.fixture(params=BACKENDS)
def crash_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    if request.param == "postgres" and not postgres_url():
        skip_or_fail_without_postgres()
    directory = tmp_path_factory.mktemp(f"crash-{request.param}")
    url = asyncio.run(fresh_database_url(request.param, directory, "crash"))
    with running_server(directory, database_url=url) as server:
        server.kill()
        server.env["TRACEPASS_IDEMPOTENCY_IN_FLIGHT_TIMEOUT_SECONDS"] = str(IN_FLIGHT_TIMEOUT)
        server.start()
        yield server


def _batches(product_id: str) -> list[dict[str, Any]]:
    return [
        {
            "key": f"crash-batch-{b:03d}",
            "body": {
                "passports": [
                    {
                        "productId": product_id,
                        "gs1": {"gtin": new_gtin(), "serialNumber": new_serial("CR")},
                    }
                    for _ in range(BATCH_SIZE)
                ]
            },
        }
        for b in range(BATCHES)
    ]


async def _send(client: httpx.AsyncClient, batch: dict[str, Any]) -> httpx.Response:
    return await client.post(
        f"{PASSPORTS}/batch", json=batch["body"], headers={"Idempotency-Key": batch["key"]}
    )


async def _stream_until_killed(
    client: httpx.AsyncClient, server: ServerProcess, batches: list[dict[str, Any]]
) -> int:
    """Sends the batches PARALLEL at a time; kills the server -9 after a few answers."""
    answered = 0
    queue = list(batches)
    killed = asyncio.Event()

    async def worker() -> None:
        nonlocal answered
        while queue and not killed.is_set():
            batch = queue.pop(0)
            try:
                response = await _send(client, batch)
            except httpx.HTTPError:
                return
            assert response.status_code == 200, response.text
            answered += 1
            if answered == PARALLEL and not killed.is_set():
                killed.set()
                server.kill()  # SIGKILL to the whole process group, requests in flight

    await asyncio.gather(*(worker() for _ in range(PARALLEL)))
    return answered


async def _retry_until_answered(client: httpx.AsyncClient, batch: dict[str, Any]) -> httpx.Response:
    deadline = time.monotonic() + 10 * IN_FLIGHT_TIMEOUT
    while True:
        response = await _send(client, batch)
        if response.status_code != 409 or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.5)  # a claim left in flight by the crash, until it times out


async def _in_flight_records(server: ServerProcess) -> int:
    database = Database(to_async_url(server.env["TRACEPASS_DATABASE_URL"]), pool_size=1)
    try:
        async with database.read_session() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(IdempotencyRecord)
                .where(IdempotencyRecord.state == "in_flight")
            )
    finally:
        await database.dispose()
    return int(count or 0)


async def _check_consistent(server: ServerProcess, asked: set[tuple[str, str]]) -> None:
    database = Database(to_async_url(server.env["TRACEPASS_DATABASE_URL"]), pool_size=1)
    try:
        async with database.read_session() as session:
            passports = list((await session.execute(select(Passport))).scalars())
            audited = Counter((await session.execute(select(AuditEntry.passport_id))).scalars())
            created_events = Counter(
                e.payload["passportId"]
                for e in (await session.execute(select(OutboxEvent))).scalars()
                if e.type == "passport.created"
            )
            counts = {
                p.id: p.passport_count for p in (await session.execute(select(Product))).scalars()
            }
            grouped = await session.execute(
                select(Passport.product_id, func.count()).group_by(Passport.product_id)
            )
            real_counts = {product_id: n for product_id, n in grouped}
            stuck = await session.scalar(
                select(func.count())
                .select_from(IdempotencyRecord)
                .where(IdempotencyRecord.state == "in_flight")
            )
    finally:
        await database.dispose()
    keys = [(p.gtin, p.serial) for p in passports]
    assert len(keys) == len(set(keys)), "a passport was created twice"
    assert set(keys) == asked
    for p in passports:
        assert p.fields is not None and p.parties is not None and p.template_id and p.status
        assert audited[p.id] >= 1, f"passport {p.id} has no audit entry"
        assert created_events[p.id] == 1, f"passport {p.id} has {created_events[p.id]} events"
    assert {k: v for k, v in counts.items() if v} == real_counts
    assert stuck == 0


async def test_after_a_kill_9_mid_stream_the_database_is_consistent_and_retries_end_whole(
    crash_server: ServerProcess,
) -> None:
    workspace = crash_server.create_workspace("Crashy", "enterprise")
    headers = {"Authorization": f"Bearer {workspace['apiKey']}"}
    async with httpx.AsyncClient(
        base_url=crash_server.base_url, headers=headers, timeout=60
    ) as client:
        product = await client.post(PRODUCTS, json=product_body())
        batches = _batches(product.json()["_id"])
        answered = await _stream_until_killed(client, crash_server, batches)
        assert PARALLEL <= answered < BATCHES

        crash_server.start()
        left_in_flight = await _in_flight_records(crash_server)
        results = [await _retry_until_answered(client, batch) for batch in batches]

    for response in results:
        assert response.status_code == 200, response.text
        for item in response.json()["results"]:
            # Created now, or already created by the request the crash interrupted.
            assert item["status"] == "created" or item["statusCode"] == 409, item
    asked = {
        (p["gs1"]["gtin"], p["gs1"]["serialNumber"])
        for b in batches
        for p in b["body"]["passports"]
    }
    await _check_consistent(crash_server, asked)
    # The kill did interrupt requests mid-way: their claims were left in flight, and
    # the retries above took them over once they were older than the timeout.
    assert left_in_flight >= 1
