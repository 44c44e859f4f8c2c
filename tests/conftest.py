"""Shared fixtures: one migrated database per backend, an app per backend, workspaces.

Every test that takes `api`, `client` or `make_workspace` runs on SQLite and, when
TRACEPASS_TEST_DATABASE_URL is set, on PostgreSQL too. Without that variable the
PostgreSQL variants skip with the reason; with TRACEPASS_REQUIRE_POSTGRES=1 (set by
.ci/run) they fail instead, so CI can never pass without proving both backends.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from tracepass.app import create_app
from tracepass.config import Settings
from tracepass.db.engine import Database
from tracepass.db.setup import prepare_database
from tracepass.db.url import to_async_url

PG_ENV = "TRACEPASS_TEST_DATABASE_URL"
PUBLIC_URL = "https://dpp.example.test"
BACKENDS = ["sqlite", "postgres"]


def postgres_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def require_postgres() -> bool:
    return os.environ.get("TRACEPASS_REQUIRE_POSTGRES") == "1"


def skip_or_fail_without_postgres() -> None:
    reason = (
        f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/tracepass_test)"
    )
    if require_postgres():
        pytest.fail(f"TRACEPASS_REQUIRE_POSTGRES=1 but {reason}")
    pytest.skip(reason)


async def reset_postgres(url: str) -> None:
    """Recreate the test database's public schema (the URL must name a test database)."""
    async_url = to_async_url(url)
    name = make_url(async_url).database or ""
    if "test" not in name:
        raise RuntimeError(f"refusing to wipe {name!r}: the test database name must contain 'test'")
    admin = create_async_engine(
        make_url(async_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    async with admin.connect() as conn:
        exists = await conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        )
        if not exists:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    engine = create_async_engine(async_url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@dataclass
class Backend:
    name: str
    settings: Settings
    database: Database


_backends: dict[str, Backend] = {}
_backend_lock = asyncio.Lock()


async def get_backend(name: str, tmp_root: Path) -> Backend:
    async with _backend_lock:
        if name not in _backends:
            if name == "sqlite":
                url = f"sqlite:///{tmp_root / 'sqlite' / 'test.db'}"
            else:
                url = postgres_url() or ""
                await reset_postgres(url)
            settings = Settings(
                database_url=url,
                data_dir=tmp_root / name / "data",
                public_url=PUBLIC_URL,
            )
            database = Database(settings.async_database_url, pool_size=20)
            await prepare_database(database)
            _backends[name] = Backend(name, settings, database)
        return _backends[name]


@pytest.fixture(scope="session")
def tmp_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tracepass")


@pytest.fixture(params=BACKENDS)
def backend_name(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres" and not postgres_url():
        skip_or_fail_without_postgres()
    return str(request.param)


@pytest.fixture
async def backend(backend_name: str, tmp_root: Path) -> Backend:
    return await get_backend(backend_name, tmp_root)


@pytest.fixture
async def app(backend: Backend) -> Any:
    return create_app(backend.settings, backend.database)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@dataclass
class WorkspaceHandle:
    workspace_id: str
    api_key: str
    key_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


MakeWorkspace = Callable[..., Awaitable[WorkspaceHandle]]


@pytest.fixture
def make_workspace(backend: Backend) -> MakeWorkspace:
    from tracepass.workspaces.service import create_workspace

    async def _make(name: str = "Acme", plan: str = "enterprise", **kwargs: Any) -> WorkspaceHandle:
        async with backend.database.write_session() as session:
            workspace, key = await create_workspace(session, name, plan, **kwargs)
        return WorkspaceHandle(workspace.id, key.api_key, key.key_id)

    return _make


class Api:
    """An httpx client bound to one workspace's key: `await api.get("/api/v1/...")`."""

    def __init__(self, client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
        self.client = client
        self.workspace = workspace

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.workspace.headers, **kwargs.pop("headers", {})}
        return await self.client.request(method, url, headers=headers, **kwargs)

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", url, **kwargs)

    async def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PATCH", url, **kwargs)

    async def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("DELETE", url, **kwargs)


@pytest.fixture
async def api(client: httpx.AsyncClient, make_workspace: MakeWorkspace) -> Api:
    """A client for a fresh enterprise workspace (no daily caps)."""
    return Api(client, await make_workspace())


@pytest.fixture
def make_api(
    client: httpx.AsyncClient, make_workspace: MakeWorkspace
) -> Callable[..., Awaitable[Api]]:
    async def _make(**kwargs: Any) -> Api:
        return Api(client, await make_workspace(**kwargs))

    return _make


@pytest.fixture(scope="session", autouse=True)
async def _dispose_backends() -> AsyncIterator[None]:
    yield
    for backend in _backends.values():
        await backend.database.dispose()
