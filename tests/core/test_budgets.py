"""Daily v1 budgets: exact under concurrency, 429 with Retry-After and RateLimit fields."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import update

from tracepass.core.models import UsageCounter


async def _set_usage(backend, workspace_id: str, kind: str, count: int) -> None:
    from tracepass.core.timeutil import utc_day

    async with backend.database.write_session() as session:
        existing = await session.get(UsageCounter, (workspace_id, utc_day(), kind))
        if existing is None:
            session.add(
                UsageCounter(workspace_id=workspace_id, day=utc_day(), kind=kind, count=count)
            )
        else:
            await session.execute(
                update(UsageCounter)
                .where(UsageCounter.workspace_id == workspace_id, UsageCounter.kind == kind)
                .values(count=count)
            )
        await session.commit()


async def test_write_carries_ratelimit_fields(make_api):
    api = await make_api(plan="free")
    response = await api.post("/api/v1/keys", json={})
    assert response.status_code == 201
    assert response.headers["ratelimit-policy"] == (
        '"writes";q=100;w=86400, "reads";q=1000;w=86400'
    )
    assert re.fullmatch(r'"writes";r=99;t=\d+', response.headers["ratelimit"])


async def test_read_counts_against_read_budget(make_api):
    api = await make_api(plan="free")
    await api.get("/api/v1/keys")
    response = await api.get("/api/v1/keys")
    assert re.fullmatch(r'"reads";r=998;t=\d+', response.headers["ratelimit"])


async def test_over_write_budget_is_429_with_retry_after(make_api, backend):
    api = await make_api(plan="free")
    await _set_usage(backend, api.workspace.workspace_id, "writes", 100)
    response = await api.post("/api/v1/keys", json={})
    assert response.status_code == 429
    body = response.json()
    assert body["error"] == "Rate limit exceeded"
    assert body["details"]["budget"] == "maxV1WritesPerDay"
    assert body["details"]["limit"] == 100
    assert body["details"]["plan"] == "free"
    retry_after = int(response.headers["retry-after"])
    assert 0 < retry_after <= 86400
    assert re.fullmatch(r'"writes";r=0;t=\d+', response.headers["ratelimit"])
    assert len((await api.get("/api/v1/keys")).json()["data"]) == 1


async def test_over_read_budget_is_429(make_api, backend):
    api = await make_api(plan="free")
    await _set_usage(backend, api.workspace.workspace_id, "reads", 1000)
    response = await api.get("/api/v1/keys")
    assert response.status_code == 429
    assert response.json()["details"]["budget"] == "maxV1PassportsPerDay"


async def test_exactly_cap_requests_pass_under_concurrency(make_api, backend):
    api = await make_api(plan="free")
    await _set_usage(backend, api.workspace.workspace_id, "writes", 80)
    responses = await asyncio.gather(*(api.post("/api/v1/keys", json={}) for _ in range(60)))
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 20
    assert statuses.count(429) == 40


async def test_idempotent_replay_is_not_counted(make_api):
    api = await make_api(plan="free")
    headers = {"Idempotency-Key": "once"}
    first = await api.post("/api/v1/keys", json={}, headers=headers)
    replay = await api.post("/api/v1/keys", json={}, headers=headers)
    assert re.fullmatch(r'"writes";r=99;t=\d+', first.headers["ratelimit"])
    assert re.fullmatch(r'"writes";r=99;t=\d+', replay.headers["ratelimit"])
    usage = (await api.get("/api/v1/workspace")).json()["usageToday"]
    assert usage["writes"] == {"limit": 100, "used": 1}


async def test_unlimited_plan_has_no_ratelimit_fields(api):
    response = await api.post("/api/v1/keys", json={})
    assert response.status_code == 201
    assert "ratelimit" not in response.headers
    assert "ratelimit-policy" not in response.headers


async def test_budgets_are_per_workspace(make_api, backend):
    exhausted = await make_api(plan="free")
    fresh = await make_api(plan="free")
    await _set_usage(backend, exhausted.workspace.workspace_id, "writes", 100)
    assert (await exhausted.post("/api/v1/keys", json={})).status_code == 429
    assert (await fresh.post("/api/v1/keys", json={})).status_code == 201


async def test_batch_cost_is_charged_as_a_unit(make_api, backend):
    from tracepass.core import budgets

    assert budgets.charge_for("GET", "/api/v1/templates/batteries") is None
    assert budgets.needs_body_for_cost("POST", "/api/v1/passports/batch")
    assert budgets.batch_cost(60) == budgets.Charge("writes", 60)
