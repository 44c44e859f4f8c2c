"""The `tracepass` command: serve, migrate, workspace and key management."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer

from tracepass.config import Settings
from tracepass.core.plans import PLAN_NAMES
from tracepass.db.engine import Database
from tracepass.db.setup import DatabaseUnavailable, check_reachable, prepare_database
from tracepass.db.url import DatabaseURLError

app = typer.Typer(help="TracePass: open EU Digital Product Passports.", no_args_is_help=True)
workspace_app = typer.Typer(help="Manage workspaces.", no_args_is_help=True)
key_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
app.add_typer(workspace_app, name="workspace")
app.add_typer(key_app, name="key")

T = TypeVar("T")


def _fail(message: str) -> None:
    typer.echo(f"tracepass: {message}", err=True)
    raise typer.Exit(2)


def _database(settings: Settings) -> Database:
    try:
        return Database(settings.async_database_url, settings.db_pool_size)
    except DatabaseURLError as exc:
        _fail(str(exc))
        raise AssertionError from exc  # unreachable; keeps type checkers honest


def _run(work: Callable[[Database], Awaitable[T]], prepare: bool = True) -> T:
    settings = Settings()
    database = _database(settings)

    async def _main() -> T:
        try:
            await (prepare_database(database) if prepare else check_reachable(database))
            return await work(database)
        finally:
            await database.dispose()

    try:
        return asyncio.run(_main())
    except DatabaseUnavailable as exc:
        _fail(str(exc))
        raise AssertionError from exc


def _print(payload: dict[str, Any], as_json: bool, human: str) -> None:
    typer.echo(json.dumps(payload) if as_json else human)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    access_log: Annotated[bool, typer.Option(help="One JSON log line per request.")] = True,
) -> None:
    """Apply migrations, seed the catalogue, and serve the API."""
    import uvicorn

    from tracepass.core.observability import configure_logging

    settings = Settings()
    configure_logging(settings.log_level if access_log else "WARNING")
    _run(lambda _db: asyncio.sleep(0))
    uvicorn.run(
        "tracepass.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_config=None,
        proxy_headers=True,
    )


@app.command()
def migrate() -> None:
    """Apply database migrations (and seed the catalogue)."""
    _run(lambda _db: asyncio.sleep(0))
    typer.echo("database is up to date")


@workspace_app.command("create")
def workspace_create(
    name: str,
    plan: Annotated[str, typer.Option(help=f"One of: {', '.join(PLAN_NAMES)}.")] = "free",
    locale: Annotated[str, typer.Option(help="Default source locale (ISO 639-1).")] = "en",
    brand_color: Annotated[str, typer.Option(help="Brand colour, #RRGGBB.")] = "#0B6E4F",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Create a workspace and its first API key."""
    from tracepass.core.errors import ApiError
    from tracepass.workspaces.service import create_workspace

    async def work(database: Database) -> dict[str, str]:
        async with database.write_session() as session:
            workspace, key = await create_workspace(session, name, plan, locale, brand_color)
        return {"workspaceId": workspace.id, "apiKey": key.api_key}

    try:
        result = _run(work)
    except ApiError as exc:
        _fail(json.dumps(exc.details))
        return
    _print(
        result,
        as_json,
        f"workspace {result['workspaceId']} created\nAPI key (shown once): {result['apiKey']}",
    )


@key_app.command("create")
def key_create(
    workspace_id: str,
    label: Annotated[str, typer.Option(help="A name for the key.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Mint a new API key for a workspace."""
    from tracepass.workspaces.service import create_api_key, get_workspace

    async def work(database: Database) -> dict[str, str] | None:
        async with database.write_session() as session:
            if await get_workspace(session, workspace_id) is None:
                return None
            key = await create_api_key(session, workspace_id, label)
            await session.commit()
        return {"keyId": key.key_id, "apiKey": key.api_key}

    result = _run(work)
    if result is None:
        _fail(f"no workspace {workspace_id}")
        return
    _print(result, as_json, f"key {result['keyId']}\nAPI key (shown once): {result['apiKey']}")


@key_app.command("revoke")
def key_revoke(key_id: str) -> None:
    """Revoke an API key; it stops working at once."""
    from tracepass.workspaces.service import revoke_api_key

    async def work(database: Database) -> bool:
        async with database.write_session() as session:
            return await revoke_api_key(session, key_id) is not None

    if not _run(work):
        _fail(f"no key {key_id}")
    typer.echo(f"key {key_id} revoked")


@key_app.command("list")
def key_list(
    workspace_id: str,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List a workspace's keys (prefixes only; secrets are never stored)."""
    from tracepass.core.timeutil import iso_z
    from tracepass.workspaces.service import list_api_keys

    async def work(database: Database) -> list[dict[str, Any]]:
        async with database.read_session() as session:
            keys = await list_api_keys(session, workspace_id)
        return [
            {
                "keyId": k.id,
                "prefix": k.prefix,
                "label": k.label,
                "createdAt": iso_z(k.created_at),
                "revokedAt": iso_z(k.revoked_at),
            }
            for k in keys
        ]

    keys = _run(work)
    if as_json:
        typer.echo(json.dumps(keys))
        return
    for k in keys:
        state = f"revoked {k['revokedAt']}" if k["revokedAt"] else "active"
        typer.echo(f"{k['keyId']}  {k['prefix']}…  {state}  {k['label']}")


def main() -> None:
    try:
        app()
    except DatabaseURLError as exc:
        typer.echo(f"tracepass: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
