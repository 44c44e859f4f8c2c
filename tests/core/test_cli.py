"""The `tracepass` command, run as a user runs it: a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import postgres_url

TRACEPASS = [sys.executable, "-m", "tracepass.cli"]


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*TRACEPASS, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def sqlite_env(tmp_path: Path) -> dict[str, str]:
    return {"TRACEPASS_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}


def test_workspace_create_json_prints_exactly_one_object(sqlite_env):
    result = run_cli(
        "workspace", "create", "Acme", "--plan", "enterprise", "--json", env=sqlite_env
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert set(payload) == {"workspaceId", "apiKey"}
    assert len(payload["workspaceId"]) == 24
    assert payload["apiKey"].startswith("tp_")


def test_key_create_list_and_revoke(sqlite_env):
    created = json.loads(run_cli("workspace", "create", "Acme", "--json", env=sqlite_env).stdout)
    minted = run_cli("key", "create", created["workspaceId"], "--json", env=sqlite_env)
    assert minted.returncode == 0, minted.stderr
    key = json.loads(minted.stdout)
    assert set(key) == {"keyId", "apiKey"}

    revoked = run_cli("key", "revoke", key["keyId"], env=sqlite_env)
    assert revoked.returncode == 0
    listed = json.loads(
        run_cli("key", "list", created["workspaceId"], "--json", env=sqlite_env).stdout
    )
    states = {k["keyId"]: k["revokedAt"] for k in listed}
    assert states[key["keyId"]] is not None
    assert len(states) == 2
    assert all("apiKey" not in k for k in listed)


def test_key_create_for_unknown_workspace_exits_2(sqlite_env):
    result = run_cli("key", "create", "0" * 24, env=sqlite_env)
    assert result.returncode == 2
    assert result.stderr.strip() == f"tracepass: no workspace {'0' * 24}"


def test_unknown_plan_exits_2_with_one_line(sqlite_env):
    result = run_cli("workspace", "create", "Acme", "--plan", "platinum", env=sqlite_env)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "plan" in result.stderr


@pytest.mark.parametrize(
    "url, message",
    [
        ("mysql://root@localhost/x", "unsupported database 'mysql'"),
        ("not a url", "cannot parse database URL"),
        ("postgresql://postgres@127.0.0.1:1/nothing", "cannot reach database"),
    ],
)
def test_bad_or_unreachable_database_is_one_line_and_exit_2(url, message):
    result = run_cli("migrate", env={"TRACEPASS_DATABASE_URL": url})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.stderr


def test_migrate_is_idempotent(sqlite_env):
    assert run_cli("migrate", env=sqlite_env).returncode == 0
    second = run_cli("migrate", env=sqlite_env)
    assert second.returncode == 0
    assert second.stdout.strip() == "database is up to date"


def test_plain_postgresql_url_is_accepted():
    url = postgres_url()
    if not url:
        pytest.skip("needs TRACEPASS_TEST_DATABASE_URL")
    result = run_cli("workspace", "create", "PG", "--json", env={"TRACEPASS_DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["apiKey"].startswith("tp_")
