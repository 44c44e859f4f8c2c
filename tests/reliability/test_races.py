"""Races: real concurrency (httpx + asyncio.gather) against `tracepass serve` with two
worker processes on one database, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.conftest import BACKENDS, postgres_url, skip_or_fail_without_postgres
from tests.reliability.support import (
    PASSPORTS,
    PRODUCTS,
    fresh_database_url,
    new_gtin,
    new_serial,
    passport_body,
    product_body,
)
from tests.support.server import ServerProcess, running_server
from tracepass.core.timeutil import utc_day
from tracepass.db.engine import Database
from tracepass.db.url import to_async_url
from tracepass.passports.lifecycle import TRANSITIONS

pytestmark = pytest.mark.slow

CONCURRENCY = 50


@pytest.fixture(scope="module", params=BACKENDS)
def race_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    if request.param == "postgres" and not postgres_url():
        skip_or_fail_without_postgres()
    directory = tmp_path_factory.mktemp(f"race-{request.param}")
    url = asyncio.run(fresh_database_url(request.param, directory, "race"))
    with running_server(directory, database_url=url, workers=2) as server:
        yield server


@pytest.fixture
def enterprise_key(race_server: ServerProcess) -> str:
    return race_server.create_workspace("Racer", "enterprise")["apiKey"]


def http(server: ServerProcess, key: str) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=CONCURRENCY)
    return httpx.AsyncClient(
        base_url=server.base_url,
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
        limits=limits,
    )


async def _burst(client: httpx.AsyncClient, requests: list[dict[str, Any]]) -> list[httpx.Response]:
    return await asyncio.gather(*(client.request(**r) for r in requests))


async def test_one_idempotency_key_under_50_concurrent_creates_makes_one_product(
    race_server: ServerProcess, enterprise_key: str
) -> None:
    body = product_body()
    request = {
        "method": "POST",
        "url": PRODUCTS,
        "json": body,
        "headers": {"Idempotency-Key": "race-one-key"},
    }
    async with http(race_server, enterprise_key) as client:
        responses = await _burst(client, [request] * CONCURRENCY)
        listed = await client.get(PRODUCTS, params={"search": body["model"]})
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, statuses
    created = [r for r in responses if r.status_code == 201]
    originals = [r for r in created if r.headers.get("idempotent-replayed") != "true"]
    assert len(originals) == 1
    assert {r.json()["_id"] for r in created} == {originals[0].json()["_id"]}
    for conflict in (r for r in responses if r.status_code == 409):
        assert conflict.json()["error"] == "Idempotency-Key in use"
    assert listed.json()["data"]["total"] == 1


async def test_50_concurrent_creates_of_one_model_make_exactly_one_product(
    race_server: ServerProcess, enterprise_key: str
) -> None:
    body = product_body()
    async with http(race_server, enterprise_key) as client:
        responses = await _burst(client, [{"method": "POST", "url": PRODUCTS, "json": body}] * 50)
        listed = await client.get(PRODUCTS, params={"search": body["model"]})
    assert Counter(r.status_code for r in responses) == {201: 1, 409: CONCURRENCY - 1}
    assert listed.json()["data"]["total"] == 1


async def test_50_concurrent_creates_of_one_gtin_and_serial_make_exactly_one_passport(
    race_server: ServerProcess, enterprise_key: str
) -> None:
    async with http(race_server, enterprise_key) as client:
        created = await client.post(PRODUCTS, json=product_body())
        product_id = created.json()["_id"]
        gs1 = {"gtin": new_gtin(), "serialNumber": new_serial()}
        body = passport_body(product_id, gs1=gs1)
        responses = await _burst(
            client, [{"method": "POST", "url": PASSPORTS, "json": body}] * CONCURRENCY
        )
        listed = await client.get(PASSPORTS, params={"productId": product_id})
        product = await client.get(f"{PRODUCTS}/{product_id}")
    assert Counter(r.status_code for r in responses) == {201: 1, 409: CONCURRENCY - 1}
    assert listed.json()["data"]["total"] == 1
    assert product.json()["passportCount"] == 1


async def _preset_usage(server: ServerProcess, workspace_id: str, used: int) -> None:
    database = Database(to_async_url(server.env["TRACEPASS_DATABASE_URL"]), pool_size=1)
    try:
        async with database.write_session() as session:
            await session.execute(
                text(
                    "INSERT INTO usage_counters (workspace_id, day, kind, count) "
                    "VALUES (:w, :d, 'writes', :c)"
                ),
                {"w": workspace_id, "d": utc_day(), "c": used},
            )
            await session.commit()
    finally:
        await database.dispose()


async def test_at_a_budget_cap_of_n_exactly_n_of_3n_concurrent_writes_pass(
    race_server: ServerProcess,
) -> None:
    remaining = 10
    workspace = race_server.create_workspace("Free racer", "free")
    free_writes_per_day = 100
    await _preset_usage(race_server, workspace["workspaceId"], free_writes_per_day - remaining)
    requests = [
        {"method": "POST", "url": "/api/v1/keys", "json": {"label": f"k{i}"}}
        for i in range(3 * remaining)
    ]
    async with http(race_server, workspace["apiKey"]) as client:
        responses = await _burst(client, requests)
        keys = await client.get("/api/v1/keys")
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: remaining, 429: 2 * remaining}, statuses
    assert len(keys.json()["data"]) == 1 + remaining


def _legal_walk(transitions: list[dict[str, Any]]) -> str:
    """Replays the audit's status changes from `draft`; each must be a legal step."""
    status = "draft"
    for entry in transitions:
        action = entry["action"].removeprefix("status.")
        change = entry["changes"]["status"]
        assert change["old"] == status, (entry, status)
        assert status in TRANSITIONS[action].sources, (action, status)
        assert change["new"] == TRANSITIONS[action].target
        status = change["new"]
    return status


async def test_concurrent_lifecycle_transitions_end_legal_and_match_the_audit_trail(
    race_server: ServerProcess, enterprise_key: str
) -> None:
    actions = ["submit", "approve", "publish", "suspend", "unsuspend", "archive"]
    async with http(race_server, enterprise_key) as client:
        created = await client.post(PRODUCTS, json=product_body())
        passport = await client.post(PASSPORTS, json=passport_body(created.json()["_id"]))
        url = f"{PASSPORTS}/{passport.json()['_id']}"
        requests = [
            {"method": "POST", "url": f"{url}/{action}", "json": {"force": True}}
            if action == "publish"
            else {"method": "POST", "url": f"{url}/{action}"}
            for _ in range(8)
            for action in actions
        ]
        responses = await _burst(client, requests)
        final = await client.get(url)
        audit = await client.get(f"{url}/audit", params={"limit": 100})
    assert {r.status_code for r in responses} <= {200, 409}, Counter(
        r.status_code for r in responses
    )
    succeeded = [r for r in responses if r.status_code == 200]
    transitions = [e for e in audit.json()["data"]["items"] if e["action"].startswith("status.")]
    assert len(transitions) == len(succeeded) >= 1
    assert _legal_walk(transitions) == final.json()["status"]
    assert Counter(e["changes"]["status"]["new"] for e in transitions) == Counter(
        r.json()["status"] for r in succeeded
    )
