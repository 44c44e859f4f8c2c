"""Contract fuzzing with schemathesis against the app's own OpenAPI 3.1 document.

Every operation of /api/v1/openapi.json gets generated requests (valid and invalid)
sent in-process with an enterprise key: no response is a 5xx, and every response
conforms to the documented status codes, content types and schemas. Each backend
gets its own database so the fuzzer's writes never meet other tests' data.
TRACEPASS_FUZZ_EXAMPLES bounds the examples per operation (default 10: about 90 s per backend).

`positive_data_acceptance` is left out: it expects every schema-valid request to
succeed, but rules no JSON Schema can state (GTIN check digits, a category that must
exist in the catalogue, a product that must belong to the workspace) rightly answer
400/404, and 400 is a documented status of each of those operations.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.conftest import BACKENDS, PUBLIC_URL, postgres_url, skip_or_fail_without_postgres
from tests.reliability.support import fresh_database_url
from tracepass.app import create_app
from tracepass.config import Settings
from tracepass.db.engine import Database
from tracepass.db.setup import prepare_database

FUZZ_EXAMPLES = int(os.environ.get("TRACEPASS_FUZZ_EXAMPLES", "10"))


async def _prepare(url: str, data_dir: Path) -> str:
    """Migrate and seed the database and create an enterprise workspace; its API key."""
    from tracepass.workspaces.service import create_workspace

    settings = Settings(database_url=url, data_dir=data_dir)
    database = Database(settings.async_database_url)
    try:
        await prepare_database(database)
        async with database.write_session() as session:
            _, key = await create_workspace(session, "Fuzz", "enterprise")
    finally:
        await database.dispose()
    return key.api_key


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz_target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Any, dict[str, str]]]:
    if request.param == "postgres" and not postgres_url():
        skip_or_fail_without_postgres()
    directory = tmp_path_factory.mktemp(f"fuzz-{request.param}")

    async def prepare() -> tuple[str, str]:
        url = await fresh_database_url(request.param, directory, "fuzz")
        return url, await _prepare(url, directory / "data")

    url, api_key = asyncio.run(prepare())
    settings = Settings(database_url=url, data_dir=directory / "data", public_url=PUBLIC_URL)
    # A Database of its own: schemathesis drives the app from its own event loop thread.
    app = create_app(settings, Database(settings.async_database_url))
    yield app, {"Authorization": f"Bearer {api_key}"}


# The document does not depend on the database, so it is loaded once at import from an
# app that never connects; each generated case is then sent to the backend's own app.
schema = schemathesis.openapi.from_asgi(
    "/api/v1/openapi.json",
    create_app(Settings(database_url="sqlite:////nonexistent/never-opened.db")),
)


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_honours_its_documented_contract(
    case: Any, fuzz_target: tuple[Any, dict[str, str]]
) -> None:
    app, headers = fuzz_target
    case.call_and_validate(headers=headers, app=app, excluded_checks=[positive_data_acceptance])
