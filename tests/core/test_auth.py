"""Bearer API keys on every /api/v1 route."""

from __future__ import annotations

import pytest

UNAUTHORIZED = {
    "error": "Unauthorized",
    "details": {"reason": "Missing, malformed, unknown or revoked API key"},
}


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-tracepass-key",
        "Bearer tp_unknownunknownunknownunknownunknown0000",
    ],
    ids=["missing", "empty", "no-token", "wrong-scheme", "malformed", "unknown"],
)
async def test_request_without_a_live_key_is_401_envelope(client, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await client.get("/api/v1/keys", headers=headers)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_live_key_reaches_the_route(api):
    response = await api.get("/api/v1/keys")
    assert response.status_code == 200
    [key] = response.json()["data"]
    assert key["prefix"] == api.workspace.api_key[:11]
    assert key["revokedAt"] is None


async def test_revoked_key_is_401_identical_to_unknown_key(api, client):
    minted = await api.post("/api/v1/keys", json={"label": "ci"})
    assert minted.status_code == 201
    secret = minted.json()["apiKey"]
    bearer = {"Authorization": f"Bearer {secret}"}
    assert (await client.get("/api/v1/keys", headers=bearer)).status_code == 200

    revoked = await api.delete(f"/api/v1/keys/{minted.json()['keyId']}")
    assert revoked.status_code == 200
    assert revoked.json()["revokedAt"] is not None

    after = await client.get("/api/v1/keys", headers=bearer)
    unknown = await client.get("/api/v1/keys", headers={"Authorization": "Bearer tp_" + "x" * 43})
    assert after.status_code == unknown.status_code == 401
    assert after.content == unknown.content


async def test_minted_key_has_prefix_and_is_shown_once(api):
    minted = (await api.post("/api/v1/keys", json={"label": "erp"})).json()
    assert minted["apiKey"].startswith("tp_")
    assert len(minted["apiKey"]) >= 3 + 32
    listed = (await api.get("/api/v1/keys")).json()["data"]
    assert all("apiKey" not in key for key in listed)
    assert {key["label"] for key in listed} == {"first key", "erp"}


async def test_revoking_another_workspaces_key_is_404(api, make_api):
    other = await make_api()
    response = await api.delete(f"/api/v1/keys/{other.workspace.key_id}")
    assert response.status_code == 404
    assert response.json()["error"] == "Not found"
    assert (await other.get("/api/v1/keys")).status_code == 200


async def test_only_hashes_of_keys_are_stored(api, backend):
    from sqlalchemy import select

    from tracepass.core.auth import hash_api_key
    from tracepass.workspaces.models import ApiKey

    async with backend.database.read_session() as session:
        stored = (
            await session.execute(select(ApiKey).where(ApiKey.id == api.workspace.key_id))
        ).scalar_one()
    assert stored.key_hash == hash_api_key(api.workspace.api_key)
    assert api.workspace.api_key not in {stored.key_hash, stored.prefix, stored.label}


async def test_openapi_document_needs_no_key(client):
    response = await client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.1")
