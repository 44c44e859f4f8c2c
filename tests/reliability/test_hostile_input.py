"""Hostile input, in process: every write route of the route table gets malformed
bodies; each answer is a clear 4xx and leaves no row behind. Plus path traversal,
lying uploads and injection strings stored verbatim and rendered escaped."""

from __future__ import annotations

from typing import Any

import httpx
import markupsafe
import pytest
from sqlalchemy import func, select

from tests.conftest import Api, Backend
from tests.reliability.support import (
    PASSPORTS,
    PATH_PARAM,
    PRODUCTS,
    api_routes,
    create_passport,
    create_product,
    link_of,
    product_body,
)
from tracepass.db.base import Base

FILLER = "0123456789abcdef01234567"
WRITE_METHODS = ("POST", "PATCH", "DELETE")
# Tables whose rows a request could leave behind (the daily counter counts requests).
UNTRACED = frozenset({"usage_counters"})

DEEP_JSON = b"[" * 10_000 + b"]" * 10_000
DEEP_OBJECT = b'{"a":' * 10_000 + b"1" + b"}" * 10_000
HUGE_ARRAY = b'{"passports":[' + b",".join([b"{}"] * 400_000) + b"]}"
INVALID_UTF8 = b'{"name": "\xff\xfe\xc3\x28", "model": "x", "category": "tyres"}'
INJECTION = "'); DROP TABLE products;-- <script>alert('x')</script> \" OR 1=1 --"


async def trace(backend: Backend, workspace_id: str) -> dict[str, int]:
    """Rows per workspace-scoped table."""
    counts = {}
    async with backend.database.read_session() as session:
        for name, table in Base.metadata.tables.items():
            if "workspace_id" in table.c and name not in UNTRACED:
                counts[name] = int(
                    await session.scalar(
                        select(func.count())
                        .select_from(table)
                        .where(table.c.workspace_id == workspace_id)
                    )
                    or 0
                )
    return counts


def write_routes(app: Any) -> list[tuple[str, str]]:
    return [
        (method, PATH_PARAM.sub(FILLER, route.path))
        for route in api_routes(app)
        if route.path.startswith("/api/v1/")
        for method in route.methods
        if method in WRITE_METHODS
    ]


@pytest.mark.parametrize(
    ("name", "body", "content_type"),
    [
        ("deeply nested array", DEEP_JSON, "application/json"),
        ("deeply nested object", DEEP_OBJECT, "application/json"),
        ("huge array", HUGE_ARRAY, "application/json"),
        ("invalid UTF-8", INVALID_UTF8, "application/json"),
        ("truncated JSON", b'{"name": "x", ', "application/json"),
        (
            "NUL in a string",
            b'{"name": "a\\u0000b", "model": "m\\u0000", "category": "tyres"}',
            "application/json",
        ),
        ("raw NUL byte", b'{"name": "a\x00b"}', "application/json"),
        ("wrong content type", b'{"name": "x", "model": "y", "category": "tyres"}', "text/plain"),
        (
            "form instead of JSON",
            b"name=x&model=y&category=tyres",
            "application/x-www-form-urlencoded",
        ),
    ],
)
async def test_malformed_bodies_get_a_4xx_on_every_write_route_and_leave_no_trace(
    app: Any, api: Api, backend: Backend, name: str, body: bytes, content_type: str
) -> None:
    before = await trace(backend, api.workspace.workspace_id)
    for method, path in write_routes(app):
        response = await api.request(
            method, path, content=body, headers={"Content-Type": content_type}
        )
        assert 400 <= response.status_code < 500, (name, method, path, response.text[:300])
        assert response.json()["error"], (name, method, path)
    assert await trace(backend, api.workspace.workspace_id) == before


async def test_nul_bytes_in_text_fields_are_refused_with_400(api: Api, backend: Backend) -> None:
    product_id = await create_product(api)
    passport = await create_passport(api, product_id)
    before = await trace(backend, api.workspace.workspace_id)
    nul = "bad\u0000value"
    attempts = [
        ("POST", PRODUCTS, product_body(name=nul)),
        ("POST", PRODUCTS, product_body(description=nul)),
        ("PATCH", f"{PRODUCTS}/{product_id}", {"name": nul}),
        ("PATCH", f"{PASSPORTS}/{passport['_id']}/fields/supplier_name", {"value": nul}),
        (
            "PATCH",
            f"{PASSPORTS}/{passport['_id']}/parties/manufacturer",
            {"legalName": nul, "legacyOperatorId": "X1"},
        ),
        (
            "POST",
            f"{PASSPORTS}/{passport['_id']}/access-grants",
            {"level": "restricted", "label": nul},
        ),
        ("POST", "/api/v1/keys", {"label": nul}),
    ]
    for method, url, body in attempts:
        response = await api.request(method, url, json=body)
        assert response.status_code == 400, (method, url, response.text)
    assert await trace(backend, api.workspace.workspace_id) == before


async def test_a_body_over_the_limit_is_refused_with_413_before_it_is_read(
    api: Api, backend: Backend
) -> None:
    received = 0

    async def endless() -> Any:
        nonlocal received
        chunk = b" " * (1024 * 1024)
        for _ in range(64):  # 64 MiB offered, far past the 10 MiB limit
            received += len(chunk)
            yield chunk

    before = await trace(backend, api.workspace.workspace_id)
    declared = await api.post(
        PRODUCTS, content=b"{}", headers={"Content-Length": str(11 * 1024 * 1024)}
    )
    assert declared.status_code == 413
    assert declared.json() == {
        "error": "Payload too large",
        "details": {"limitBytes": 10 * 1024 * 1024},
    }
    streamed = await api.post(
        PRODUCTS, content=endless(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    assert received < 16 * 1024 * 1024
    assert await trace(backend, api.workspace.workspace_id) == before


@pytest.mark.parametrize(
    "path",
    [
        "/media/../../etc/passwd",
        "/media/..%2F..%2Fetc%2Fpasswd",
        "/media/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/media/%252e%252e%252fetc%252fpasswd",
        "/media/..%5C..%5Cetc%5Cpasswd",
        "/media/....//....//etc/passwd",
        "/media/%00.png",
        "/media/..",
    ],
)
async def test_path_traversal_in_media_names_finds_nothing(
    client: httpx.AsyncClient, path: str
) -> None:
    request = client.build_request("GET", "http://testserver")
    request.url = httpx.URL(f"http://testserver{path}")  # sent as written, not normalised
    response = await client.send(request)
    assert response.status_code in (400, 404), (path, response.status_code)
    assert b"root:" not in response.content


async def test_an_upload_whose_name_traverses_is_stored_under_a_generated_name(
    api: Api, backend: Backend
) -> None:
    from tests.reliability.support import tiny_png

    product_id = await create_product(api)
    response = await api.post(
        f"{PRODUCTS}/{product_id}/images",
        files={"file": ("../../../../tmp/evil.png", tiny_png(), "image/png")},
    )
    assert response.status_code == 201, response.text
    assert "evil" not in response.json()["imageUrl"] and ".." not in response.json()["imageUrl"]
    data_dir = backend.settings.data_dir.resolve()
    for stored in data_dir.rglob("*"):
        assert stored.resolve().is_relative_to(data_dir)


@pytest.mark.parametrize(
    ("content", "declared"),
    [
        (b"this is plain text, not an image", "image/png"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "image/png"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/png"),
        (b"\x89PNG\r\n", "image/png"),  # a PNG signature cut short
    ],
)
async def test_an_upload_that_only_claims_to_be_an_image_is_refused_with_415(
    api: Api, backend: Backend, content: bytes, declared: str
) -> None:
    product_id = await create_product(api)
    before = await trace(backend, api.workspace.workspace_id)
    response = await api.post(
        f"{PRODUCTS}/{product_id}/images", files={"file": ("photo.png", content, declared)}
    )
    assert response.status_code == 415, response.text
    assert await trace(backend, api.workspace.workspace_id) == before
    product = await api.get(f"{PRODUCTS}/{product_id}")
    assert product.json()["imageUrls"] == []


async def test_injection_strings_are_stored_verbatim_and_rendered_escaped(
    client: httpx.AsyncClient, api: Api
) -> None:
    product_id = await create_product(api, name=INJECTION, description=INJECTION)
    product = await api.get(f"{PRODUCTS}/{product_id}")
    assert product.json()["name"] == INJECTION
    assert product.json()["description"] == INJECTION
    passport = await create_passport(
        api,
        product_id,
        parties={"manufacturer": {"legalName": INJECTION, "legacyOperatorId": "X1"}},
    )
    url = f"{PASSPORTS}/{passport['_id']}"
    written = await api.patch(f"{url}/fields/supplier_name", json={"value": INJECTION})
    assert written.status_code == 200, written.text
    published = await api.post(f"{url}/publish", json={"force": True})
    assert published.status_code == 200, published.text
    stored = await api.get(url)
    assert INJECTION in stored.text.encode().decode("unicode_escape") or INJECTION in str(
        stored.json()
    )
    page = await client.get(link_of(published.json()), headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert str(markupsafe.escape(INJECTION)) in page.text
    listed = await api.get(PRODUCTS, params={"search": "DROP TABLE"})
    assert product_id in [p["_id"] for p in listed.json()["data"]["items"]]


async def test_nul_characters_in_paths_and_queries_get_400_on_every_route(
    app: Any, api: Api
) -> None:
    for route in api_routes(app):
        for method in route.methods:
            in_path = PATH_PARAM.sub("bad%00id", route.path)
            for url in ({in_path} if route.params else set()) | {
                route.path.split("{")[0] + "?q=%00"
            }:
                response = await api.request(method, url)
                assert response.status_code in (400, 404, 405), (method, url, response.text[:200])
                if response.status_code == 400:
                    assert response.json()["error"] in ("Validation error", "Invalid Digital Link")
