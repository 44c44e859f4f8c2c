"""Secrets: API keys and access-grant tokens at rest, in comparisons, in logs, in 401s."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.conftest import Api, Backend, MakeWorkspace
from tests.reliability.support import PASSPORTS, link_of, published_passport
from tests.support.server import running_server
from tracepass.core import auth as auth_module
from tracepass.public import service as public_service


async def _rows(backend: Backend, table: str, where: str, **params: Any) -> list[dict[str, Any]]:
    async with backend.database.read_session() as session:
        result = await session.execute(text(f"SELECT * FROM {table} WHERE {where}"), params)
        return [dict(row._mapping) for row in result]


def _as_text(row: dict[str, Any]) -> str:
    return " ".join(v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in row.values())


async def test_api_keys_are_stored_only_as_sha256_hashes(
    backend: Backend, make_workspace: MakeWorkspace
) -> None:
    workspace = await make_workspace()
    rows = await _rows(backend, "api_keys", "workspace_id = :w", w=workspace.workspace_id)
    assert len(rows) == 1
    secret_part = workspace.api_key.removeprefix("tp_")
    assert secret_part not in _as_text(rows[0])
    assert rows[0]["key_hash"] == hashlib.sha256(workspace.api_key.encode()).hexdigest()


async def test_access_grant_tokens_are_stored_only_as_sha256_hashes(
    backend: Backend, api: Api
) -> None:
    passport = await published_passport(api)
    grant = await api.post(
        f"{PASSPORTS}/{passport['_id']}/access-grants", json={"level": "authority"}
    )
    assert grant.status_code == 201, grant.text
    token = grant.json()["token"]
    rows = await _rows(backend, "access_grants", "id = :g", g=grant.json()["_id"])
    assert len(rows) == 1
    assert token[8:] not in _as_text(rows[0])
    assert rows[0]["token_hash"] == hashlib.sha256(token.encode()).hexdigest()


_compare_digest = hmac.compare_digest


class CompareSpy:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, Any]] = []

    def __call__(self, a: Any, b: Any) -> bool:
        self.calls.append((a, b))
        return _compare_digest(a, b)


async def test_api_key_check_compares_hashes_with_compare_digest(
    backend: Backend, make_workspace: MakeWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = await make_workspace()
    spy = CompareSpy()
    monkeypatch.setattr(auth_module.hmac, "compare_digest", spy)
    async with backend.database.read_session() as session:
        resolved = await auth_module.resolve_api_key(session, workspace.api_key)
    assert resolved is not None and resolved.workspace_id == workspace.workspace_id
    digest = hashlib.sha256(workspace.api_key.encode()).hexdigest()
    assert spy.calls == [(digest, digest)]


async def test_grant_token_check_compares_hashes_with_compare_digest(
    client: httpx.AsyncClient, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    passport = await published_passport(api)
    grant = await api.post(
        f"{PASSPORTS}/{passport['_id']}/access-grants", json={"level": "authority"}
    )
    token = grant.json()["token"]
    spy = CompareSpy()
    monkeypatch.setattr(public_service.hmac, "compare_digest", spy)
    response = await client.get(link_of(passport), params={"access": token, "format": "json"})
    assert response.status_code == 200, response.text
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert (digest, digest) in spy.calls


def _comparable(response: httpx.Response) -> tuple[int, bytes, list[tuple[str, str]]]:
    headers = sorted(
        (k, v) for k, v in response.headers.items() if k not in {"x-request-id", "date"}
    )
    return response.status_code, response.content, headers


async def test_the_401_for_a_revoked_key_is_byte_identical_to_a_wrong_key(
    client: httpx.AsyncClient, api: Api
) -> None:
    created = await api.post("/api/v1/keys", json={"label": "to revoke"})
    revoked_key = created.json()["apiKey"]
    revoke = await api.delete(f"/api/v1/keys/{created.json()['keyId']}")
    assert revoke.status_code == 200
    wrong_key = "tp_" + "A" * 43
    answers = []
    for key in (revoked_key, wrong_key, revoked_key[:-1], "tp_", "garbage"):
        response = await client.get("/api/v1/products", headers={"Authorization": f"Bearer {key}"})
        answers.append(_comparable(response))
    missing = await client.get("/api/v1/products")
    answers.append(_comparable(missing))
    assert answers[0][0] == 401
    assert all(answer == answers[0] for answer in answers)


@pytest.mark.slow
def test_keys_and_grant_tokens_never_reach_the_server_log(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        server.kill()
        server.env["TRACEPASS_LOG_LEVEL"] = "DEBUG"
        server.start()
        workspace = server.create_workspace("Logged", "enterprise")
        key = workspace["apiKey"]
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as http:
            product = http.post(
                "/api/v1/products", json={"name": "Log", "model": "LOG-1", "category": "tyres"}
            )
            assert product.status_code == 201, product.text
            passport = http.post(
                PASSPORTS,
                json={
                    "productId": product.json()["_id"],
                    "gs1": {"gtin": "00000000000017", "serialNumber": "LOG-1"},
                },
            )
            assert passport.status_code == 201, passport.text
            published = http.post(
                f"{PASSPORTS}/{passport.json()['_id']}/publish", json={"force": True}
            )
            assert published.status_code == 200, published.text
            grant = http.post(
                f"{PASSPORTS}/{passport.json()['_id']}/access-grants", json={"level": "restricted"}
            )
            token = grant.json()["token"]
            http.get(
                link_of(published.json()), params={"access": token}, headers={"Accept": "text/html"}
            )
            http.get("/api/v1/products", headers={"Authorization": f"Bearer {key}x"})
            http.get("/api/v1/nope")
        log = server.log_path.read_text()
    assert '"path":"/api/v1/products"' in log  # the access log did run at this level
    for secret in (key, key.removeprefix("tp_"), token, token[4:]):
        assert secret not in log
