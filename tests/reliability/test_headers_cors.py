"""Security headers on every HTML page and CORS per path family."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import Api, Backend
from tests.reliability.support import api_routes, link_of, published_passport
from tracepass.app import create_app

EVIL = "https://evil.example"
FRIEND = "https://app.example"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def assert_safe_html(response: httpx.Response) -> None:
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    directives = {}
    for directive in filter(None, (d.strip() for d in policy.split(";"))):
        name, _, sources = directive.partition(" ")
        directives[name] = sources
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "default-src" in directives
    script_sources = directives.get("script-src", directives["default-src"])
    inline_scripts = INLINE_SCRIPT.findall(response.text)
    if inline_scripts:  # only allowed by hash, one hash per inline script
        assert script_sources.count("'sha256-") == len(inline_scripts)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"]
    assert not re.search(r"\son[a-z]+\s*=", response.text), "inline event handler"


async def test_every_html_page_carries_csp_nosniff_and_referrer_policy(
    app: Any, client: httpx.AsyncClient, api: Api
) -> None:
    passport = await published_passport(api, supplier_name="Acme Tyres GmbH")
    html = {"Accept": "text/html"}
    pages = [
        link_of(passport),  # the passport page
        link_of(passport) + "?lang=de",
        "/p/01/00000000000017/21/NOPE",  # not found page
        "/p/01/123/21/x",  # bad Digital Link page
    ]
    # Every parameterless GET route of the app that answers HTML (e.g. /docs).
    pages += [r.path for r in api_routes(app) if "GET" in r.methods and not r.params]
    seen_html = 0
    for page in pages:
        response = await client.get(page, headers=html)
        assert response.status_code < 500, (page, response.status_code)
        if response.headers.get("content-type", "").startswith("text/html"):
            assert_safe_html(response)
            seen_html += 1
    assert seen_html >= 5


async def test_any_origin_can_read_the_public_json(client: httpx.AsyncClient, api: Api) -> None:
    passport = await published_passport(api)
    json = {"Accept": "application/json", "Origin": EVIL}
    response = await client.get(link_of(passport), headers=json)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    missing = await client.get("/p/01/00000000000017/21/NOPE", headers=json)
    assert missing.status_code == 404
    assert missing.headers["access-control-allow-origin"] == "*"


async def test_a_browser_preflight_for_the_public_json_is_allowed(
    client: httpx.AsyncClient, api: Api
) -> None:
    passport = await published_passport(api)
    preflight = await client.options(
        link_of(passport),
        headers={
            "Origin": EVIL,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "accept-language",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "GET" in preflight.headers["access-control-allow-methods"]


async def test_another_origin_cannot_read_the_api_by_default(
    client: httpx.AsyncClient, api: Api
) -> None:
    response = await api.get("/api/v1/products", headers={"Origin": EVIL})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    preflight = await client.options(
        "/api/v1/products",
        headers={
            "Origin": EVIL,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert "access-control-allow-origin" not in preflight.headers
    assert preflight.status_code == 400


@pytest.fixture
async def cors_client(backend: Backend) -> AsyncIterator[httpx.AsyncClient]:
    settings = backend.settings.model_copy(update={"cors_api_origins": [FRIEND]})
    app = create_app(settings, backend.database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def test_a_configured_origin_can_read_the_api_and_others_still_cannot(
    cors_client: httpx.AsyncClient, api: Api
) -> None:
    auth = api.workspace.headers
    preflight = await cors_client.options(
        "/api/v1/products",
        headers={
            "Origin": FRIEND,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == FRIEND
    allowed = await cors_client.get("/api/v1/products", headers={**auth, "Origin": FRIEND})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == FRIEND
    other = await cors_client.get("/api/v1/products", headers={**auth, "Origin": EVIL})
    assert "access-control-allow-origin" not in other.headers
