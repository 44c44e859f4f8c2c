"""One error envelope for every failure, with the documented status codes."""

from __future__ import annotations

import logging

import httpx
import pytest

from tracepass.app import create_app


async def test_unknown_route_is_404_envelope(client):
    response = await client.get("/nowhere")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found", "details": {"path": "/nowhere"}}


async def test_wrong_method_is_405_envelope(client):
    response = await client.delete("/healthz")
    assert response.status_code == 405
    assert response.json() == {"error": "Method not allowed", "details": {"method": "DELETE"}}


async def test_wrong_method_on_v1_route_is_405_envelope(api):
    response = await api.request("PUT", "/api/v1/keys")
    assert response.status_code == 405
    assert response.json()["error"] == "Method not allowed"


async def test_body_validation_is_400_with_field_errors(api):
    response = await api.post("/api/v1/keys", json={"label": "x" * 101})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Validation error"
    assert list(body["details"]["fieldErrors"]) == ["label"]


async def test_unknown_body_field_is_400(api):
    response = await api.post("/api/v1/keys", json={"labelz": "x"})
    assert response.status_code == 400
    assert "labelz" in response.json()["details"]["fieldErrors"]


async def test_malformed_json_is_400(api):
    response = await api.post(
        "/api/v1/keys", content=b'{"label": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "Validation error"


async def test_non_json_content_type_is_a_4xx_envelope(api):
    response = await api.post(
        "/api/v1/keys", content=b"label=x", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code in (400, 415)
    assert "error" in response.json()


async def test_declared_body_over_limit_is_413_before_reading(api):
    response = await api.post(
        "/api/v1/keys",
        content=b"{}",
        headers={"Content-Type": "application/json", "Content-Length": str(10 * 1024 * 1024 + 1)},
    )
    assert response.status_code == 413
    assert response.json() == {"error": "Payload too large", "details": {"limitBytes": 10485760}}


async def test_streamed_body_over_limit_is_413(backend, make_workspace):
    settings = backend.settings.model_copy(update={"json_body_limit": 1024})
    app = create_app(settings, backend.database)
    workspace = await make_workspace()

    async def chunks():
        for _ in range(8):
            yield b" " * 512

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post(
            "/api/v1/keys",
            content=chunks(),
            headers={**workspace.headers, "Content-Type": "application/json"},
        )
    assert response.status_code == 413
    assert response.json()["error"] == "Payload too large"


async def test_unexpected_exception_is_500_envelope_without_internals(
    backend, make_workspace, caplog
):
    app = create_app(backend.settings, backend.database)

    async def explode() -> None:
        raise RuntimeError("secret internal detail")

    app.add_api_route("/api/v1/explode", explode)
    workspace = await make_workspace()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        with caplog.at_level(logging.ERROR, logger="tracepass.errors"):
            response = await client.get(
                "/api/v1/explode", headers={**workspace.headers, "X-Request-Id": "req-500"}
            )
    assert response.status_code == 500
    assert response.json() == {
        "error": "Internal server error",
        "details": {"requestId": "req-500"},
    }
    assert "secret internal detail" not in response.text
    assert any(getattr(r, "request_id", None) == "req-500" for r in caplog.records)


@pytest.mark.parametrize("limit", ["0", "101", "abc"])
async def test_limit_out_of_range_is_400_on_lists(api, limit):
    """Pagination params are validated by the shared dependency (used by every list)."""
    from fastapi import Depends

    from tracepass.core.pagination import PageParams, page_params

    app = api.client._transport.app  # type: ignore[attr-defined]

    async def listing(params: PageParams = Depends(page_params)) -> dict[str, int]:
        return {"page": params.page, "limit": params.limit}

    app.add_api_route("/api/v1/_pagination_probe", listing)
    response = await api.get(f"/api/v1/_pagination_probe?limit={limit}")
    assert response.status_code == 400
    assert "limit" in response.json()["details"]["fieldErrors"]
