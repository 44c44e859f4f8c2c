"""Request ids, health checks and structured logs."""

from __future__ import annotations

import json
import logging

import pytest

from tracepass.core.observability import JsonFormatter


async def test_every_response_carries_a_request_id(client):
    response = await client.get("/healthz")
    assert len(response.headers["x-request-id"]) == 24


async def test_sane_incoming_request_id_is_echoed(client):
    response = await client.get("/healthz", headers={"X-Request-Id": "abc-123.def"})
    assert response.headers["x-request-id"] == "abc-123.def"


@pytest.mark.parametrize("hostile", ["a b", "x" * 200, "<script>"])
async def test_unsafe_incoming_request_id_is_replaced(client, hostile):
    response = await client.get("/healthz", headers={"X-Request-Id": hostile})
    assert response.headers["x-request-id"] != hostile
    assert len(response.headers["x-request-id"]) == 24


async def test_readyz_checks_the_database(client):
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "database": "ok"}


async def test_readyz_is_503_when_database_is_unreachable():
    import httpx

    from tracepass.app import create_app
    from tracepass.config import Settings

    settings = Settings(database_url="postgresql://postgres@127.0.0.1:1/none")
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        response = await c.get("/readyz")
    assert response.status_code == 503
    assert response.json()["error"] == "Service unavailable"


async def test_one_json_log_line_per_request_without_secrets(api, caplog):
    with caplog.at_level(logging.INFO, logger="tracepass.access"):
        await api.get("/api/v1/keys", headers={"X-Request-Id": "log-check"})
    records = [r for r in caplog.records if r.name == "tracepass.access"]
    assert len(records) == 1
    line = JsonFormatter().format(records[0])
    payload = json.loads(line)
    assert payload["method"] == "GET"
    assert payload["path"] == "/api/v1/keys"
    assert payload["status"] == 200
    assert payload["workspaceId"] == api.workspace.workspace_id
    assert payload["requestId"] == "log-check"
    assert isinstance(payload["durationMs"], float)
    assert api.workspace.api_key not in line
