"""`tracepass serve` as a user starts it: migrated, catalogue seeded, API guarded."""

from __future__ import annotations

import httpx

from tests.support.server import running_server


def test_served_api_answers_with_key_and_refuses_without(tmp_path):
    with running_server(tmp_path) as server:
        workspace = server.create_workspace("Acme", "enterprise")
        bearer = {"Authorization": f"Bearer {workspace['apiKey']}"}
        assert httpx.get(f"{server.base_url}/api/v1/keys", headers=bearer).status_code == 200
        refused = httpx.get(f"{server.base_url}/api/v1/keys")
        assert refused.status_code == 401
        assert refused.json()["error"] == "Unauthorized"


def test_served_catalogue_is_seeded(tmp_path):
    with running_server(tmp_path) as server:
        workspace = server.create_workspace()
        bearer = {"Authorization": f"Bearer {workspace['apiKey']}"}
        templates = httpx.get(f"{server.base_url}/api/v1/templates", headers=bearer)
        assert templates.status_code == 200
        assert len(templates.json()["data"]) == 12


def test_two_workers_share_one_database(tmp_path):
    with running_server(tmp_path, workers=2) as server:
        workspace = server.create_workspace()
        bearer = {"Authorization": f"Bearer {workspace['apiKey']}"}
        with httpx.Client(base_url=server.base_url, headers=bearer) as client:
            created = [client.post("/api/v1/keys", json={"label": str(i)}) for i in range(10)]
            assert [r.status_code for r in created] == [201] * 10
            assert len(client.get("/api/v1/keys").json()["data"]) == 11
