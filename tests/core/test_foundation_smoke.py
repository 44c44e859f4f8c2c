from __future__ import annotations


async def test_healthz_answers_ok_without_auth(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_v1_route_without_key_is_401_envelope(client):
    response = await client.get("/api/v1/keys")
    assert response.status_code == 401
    assert response.json() == {
        "error": "Unauthorized",
        "details": {"reason": "Missing, malformed, unknown or revoked API key"},
    }


async def test_v1_route_with_key_answers(api):
    response = await api.get("/api/v1/keys")
    assert response.status_code == 200
    assert len(response.json()["data"]) == 1
