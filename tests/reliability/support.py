"""Shared helpers of the reliability tests: the app's route table, fresh GS1 keys,
dedicated databases per backend for tests that build their own app or server."""

from __future__ import annotations

import os
import re
import secrets
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any

from fastapi.routing import iter_route_contexts
from sqlalchemy.engine import make_url

from tests.conftest import postgres_url, reset_postgres, skip_or_fail_without_postgres

PRODUCTS = "/api/v1/products"
PASSPORTS = "/api/v1/passports"
PATH_PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")
_models = count(1)
_serials = count(1)


@dataclass(frozen=True)
class RouteInfo:
    path: str
    methods: tuple[str, ...]

    @property
    def params(self) -> list[str]:
        return PATH_PARAM.findall(self.path)


def api_routes(app: Any) -> Iterator[RouteInfo]:
    """Every route of the app (FastAPI and lean Starlette ones), from its route table."""
    for context in iter_route_contexts(app.routes):
        path, methods = context.path, context.methods
        if path is None or not methods:
            continue
        yield RouteInfo(path, tuple(sorted(m for m in methods if m != "HEAD")))


def gtin_check_digit(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def new_gtin() -> str:
    """A GTIN-14 nobody has used yet (GTIN ownership is global to a database)."""
    body = "0" + "".join(str(secrets.randbelow(10)) for _ in range(12))
    return body + gtin_check_digit(body)


def new_serial(prefix: str = "SN") -> str:
    return f"{prefix}-{next(_serials):06d}-{secrets.token_hex(3)}"


def new_model(prefix: str = "REL") -> str:
    return f"{prefix}-{next(_models):05d}-{secrets.token_hex(3)}"


def product_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Reliability tyre", "model": new_model(), "category": "tyres"}
    body.update(overrides)
    return body


def passport_body(product_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "productId": product_id,
        "gs1": {"gtin": new_gtin(), "serialNumber": new_serial()},
    }
    body.update(overrides)
    return body


# --- dedicated databases for tests that run their own app or server process ---


def sqlite_url(directory: Path, name: str) -> str:
    return f"sqlite:///{directory / f'{name}.db'}"


def dedicated_postgres_url(suffix: str) -> str:
    """TRACEPASS_TEST_DATABASE_URL with `_<suffix>` on the database name (skips without it)."""
    base = postgres_url()
    if not base:
        skip_or_fail_without_postgres()
    assert base is not None
    url = make_url(base)
    per_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    name = f"{url.database}_{suffix}{'_' + per_worker if per_worker else ''}"
    return url.set(database=name).render_as_string(hide_password=False)


async def fresh_database_url(backend_name: str, directory: Path, suffix: str) -> str:
    if backend_name == "sqlite":
        directory.mkdir(parents=True, exist_ok=True)
        return sqlite_url(directory, suffix)
    url = dedicated_postgres_url(suffix)
    await reset_postgres(url)
    return url


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def tiny_png() -> bytes:
    """A valid 1x1 RGB PNG."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00\x0b\x6e\x4f"))
        + _png_chunk(b"IEND", b"")
    )


async def create_product(api: Any, **overrides: Any) -> str:
    response = await api.post(PRODUCTS, json=product_body(**overrides))
    assert response.status_code == 201, response.text
    return str(response.json()["_id"])


async def create_passport(api: Any, product_id: str, **overrides: Any) -> dict[str, Any]:
    response = await api.post(PASSPORTS, json=passport_body(product_id, **overrides))
    assert response.status_code == 201, response.text
    return dict(response.json())


async def published_passport(api: Any, **fields: Any) -> dict[str, Any]:
    """A published passport (forced past compliance findings) with the given field values."""
    passport = await create_passport(api, await create_product(api))
    for key, value in fields.items():
        written = await api.patch(
            f"{PASSPORTS}/{passport['_id']}/fields/{key}", json={"value": value}
        )
        assert written.status_code == 200, written.text
    published = await api.post(f"{PASSPORTS}/{passport['_id']}/publish", json={"force": True})
    assert published.status_code == 200, published.text
    return dict(published.json())


def link_of(passport: dict[str, Any]) -> str:
    gs1 = passport["gs1"]
    return f"/p/01/{gs1['gtin']}/21/{gs1['serialNumber']}"
