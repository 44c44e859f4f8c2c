"""Idempotency-Key: one execution per key, replays, conflicts, expiry, crash recovery."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select, update

from tracepass.core.models import IdempotencyRecord
from tracepass.core.timeutil import utcnow


async def _keys(api) -> list[dict]:
    return (await api.get("/api/v1/keys")).json()["data"]


async def test_replay_returns_first_response_and_executes_once(api):
    headers = {"Idempotency-Key": "7b4f1e2c-9a3d-4e5b-8c1a-2d3e4f5a6b7c"}
    first = await api.post("/api/v1/keys", json={"label": "a"}, headers=headers)
    second = await api.post("/api/v1/keys", json={"label": "a"}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert len(await _keys(api)) == 2


async def test_same_key_with_other_body_is_422(api):
    headers = {"Idempotency-Key": "k-422"}
    assert (await api.post("/api/v1/keys", json={"label": "a"}, headers=headers)).status_code == 201
    response = await api.post("/api/v1/keys", json={"label": "b"}, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"].startswith("Idempotency-Key has already been used")
    assert len(await _keys(api)) == 2


async def test_same_key_on_other_path_is_422(api):
    headers = {"Idempotency-Key": "k-path"}
    assert (await api.post("/api/v1/keys", json={}, headers=headers)).status_code == 201
    response = await api.delete("/api/v1/keys/000000000000000000000000", headers=headers)
    assert response.status_code == 422


async def test_key_longer_than_255_is_400(api):
    response = await api.post("/api/v1/keys", json={}, headers={"Idempotency-Key": "k" * 256})
    assert response.status_code == 400
    assert response.json()["details"]["fieldErrors"] == {
        "Idempotency-Key": ["Must be 1 to 255 characters"]
    }
    assert len(await _keys(api)) == 1


async def test_key_of_255_chars_is_accepted(api):
    response = await api.post("/api/v1/keys", json={}, headers={"Idempotency-Key": "k" * 255})
    assert response.status_code == 201


async def test_keys_are_scoped_per_workspace(api, make_api):
    other = await make_api()
    headers = {"Idempotency-Key": "shared-key"}
    mine = await api.post("/api/v1/keys", json={"label": "x"}, headers=headers)
    theirs = await other.post("/api/v1/keys", json={"label": "x"}, headers=headers)
    assert mine.status_code == theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers
    assert mine.json()["keyId"] != theirs.json()["keyId"]


async def test_replayed_error_response_is_replayed_too(api):
    headers = {"Idempotency-Key": "k-404"}
    first = await api.delete("/api/v1/keys/000000000000000000000000", headers=headers)
    second = await api.delete("/api/v1/keys/000000000000000000000000", headers=headers)
    assert first.status_code == second.status_code == 404
    assert second.headers["idempotent-replayed"] == "true"


async def test_concurrent_duplicates_execute_once(api):
    headers = {"Idempotency-Key": "race-key"}
    responses = await asyncio.gather(
        *(api.post("/api/v1/keys", json={"label": "race"}, headers=headers) for _ in range(20))
    )
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}
    created = {r.json()["keyId"] for r in responses if r.status_code == 201}
    assert len(created) == 1
    in_flight = [r for r in responses if r.status_code == 409]
    assert all(r.json()["error"] == "Idempotency-Key in use" for r in in_flight)
    assert len(await _keys(api)) == 2


async def test_record_older_than_24h_no_longer_replays(api, backend):
    headers = {"Idempotency-Key": "old-key"}
    first = await api.post("/api/v1/keys", json={}, headers=headers)
    async with backend.database.write_session() as session:
        await session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.workspace_id == api.workspace.workspace_id)
            .values(created_at=utcnow() - timedelta(hours=25))
        )
        await session.commit()
    second = await api.post("/api/v1/keys", json={}, headers=headers)
    assert second.status_code == 201
    assert second.json()["keyId"] != first.json()["keyId"]


async def test_stale_in_flight_record_is_taken_over(api, backend):
    """A process that died mid-request leaves an in-flight row; after the timeout a retry runs."""
    async with backend.database.write_session() as session:
        session.add(
            IdempotencyRecord(
                workspace_id=api.workspace.workspace_id,
                key="crashed",
                request_hash="0" * 64,
                state="in_flight",
                created_at=utcnow(),
                locked_at=utcnow() - timedelta(minutes=5),
            )
        )
        await session.commit()
    from tracepass.core.idempotency import request_fingerprint

    fingerprint = request_fingerprint("POST", "/api/v1/keys", "", b'{"label":"retry"}')
    async with backend.database.write_session() as session:
        await session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.key == "crashed")
            .values(request_hash=fingerprint)
        )
        await session.commit()
    response = await api.post(
        "/api/v1/keys",
        content=b'{"label":"retry"}',
        headers={"Idempotency-Key": "crashed", "Content-Type": "application/json"},
    )
    assert response.status_code == 201
    async with backend.database.read_session() as session:
        record = (
            await session.execute(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.workspace_id == api.workspace.workspace_id,
                    IdempotencyRecord.key == "crashed",
                )
            )
        ).scalar_one()
    assert record.state == "done"
    assert record.status_code == 201


async def test_fresh_in_flight_record_answers_409(api, backend):
    from tracepass.core.idempotency import request_fingerprint

    fingerprint = request_fingerprint("POST", "/api/v1/keys", "", b"{}")
    async with backend.database.write_session() as session:
        session.add(
            IdempotencyRecord(
                workspace_id=api.workspace.workspace_id,
                key="busy",
                request_hash=fingerprint,
                state="in_flight",
            )
        )
        await session.commit()
    response = await api.post(
        "/api/v1/keys",
        content=b"{}",
        headers={"Idempotency-Key": "busy", "Content-Type": "application/json"},
    )
    assert response.status_code == 409
    assert response.json()["error"] == "Idempotency-Key in use"


async def test_get_ignores_idempotency_key(api):
    headers = {"Idempotency-Key": "read"}
    first = await api.get("/api/v1/keys", headers=headers)
    second = await api.get("/api/v1/keys", headers=headers)
    assert "idempotent-replayed" not in second.headers
    assert first.status_code == second.status_code == 200
