"""Tenant isolation, over the app's own route table.

Workspace A owns one of every addressable resource; workspace B then calls every
/api/v1 route that takes a path id, with every method, addressing A's resources.
Every call must answer 404 and leave A exactly as it was. A route whose path
parameter has no entry in PATH_VALUES fails the test, so a new route cannot slip by.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import Api
from tests.reliability.support import (
    PASSPORTS,
    PRODUCTS,
    RouteInfo,
    api_routes,
    passport_body,
    product_body,
    tiny_png,
)

V1 = "/api/v1/"
# Routes whose path names something every workspace shares (the seeded catalogue).
SHARED_ROUTES = frozenset({"/api/v1/templates/{category}"})
REVIEWED_FIELD = "batch_lot_number"
EDITED_FIELD = "supplier_name"


@dataclass
class TenantResources:
    api: Api
    product_id: str
    passport_id: str
    gtin: str
    serial: str
    grant_id: str
    grant_token: str
    key_id: str

    @property
    def identifiers(self) -> list[str]:
        return [self.product_id, self.passport_id, self.serial, self.grant_id, self.key_id]


# "<segment before the parameter>/{parameter}" -> the value naming A's resource.
PATH_VALUES: dict[str, Callable[[TenantResources], str]] = {
    "keys/{key_id}": lambda a: a.key_id,
    "products/{id}": lambda a: a.product_id,
    "images/{index}": lambda a: "0",
    "passports/{id}": lambda a: a.passport_id,
    "passports/{passport_id}": lambda a: a.passport_id,
    "by-serial/{serial}": lambda a: a.serial,
    "fields/{key}": lambda a: EDITED_FIELD,
    "review/{key}": lambda a: REVIEWED_FIELD,
    "parties/{role}": lambda a: "manufacturer",
    "access-grants/{grant_id}": lambda a: a.grant_id,
}

# Valid bodies, so that B's request is refused for the resource, not for its body.
# Keyed by (method, "<segment>/{parameter}" or the last literal segment).
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "products/{id}"): {"json": {"name": "Hijacked"}},
    ("PATCH", "fields/{key}"): {"json": {"value": "Hijacked GmbH"}},
    ("PATCH", "parties/{role}"): {"json": {"legalName": "Hijacked", "legacyOperatorId": "X1"}},
    ("POST", "access-grants"): {"json": {"level": "authority", "label": "hijack"}},
    ("POST", "images"): {"files": {"file": ("x.png", tiny_png(), "image/png")}},
    ("POST", "publish"): {"json": {"force": True}},
    ("POST", "suspend"): {"json": {"reason": "Hijacked"}},
}


def _param_key(path: str, param: str) -> str:
    segments = path.strip("/").split("/")
    position = next(i for i, s in enumerate(segments) if s.startswith("{" + param))
    return f"{segments[position - 1]}/{{{param}}}"


def _body_key(path: str) -> str:
    segments = path.strip("/").split("/")
    if segments[-1].startswith("{"):
        return f"{segments[-2]}/{segments[-1]}"
    return segments[-1]


def id_routes(app: Any) -> list[RouteInfo]:
    return [
        route
        for route in api_routes(app)
        if route.path.startswith(V1) and route.params and route.path not in SHARED_ROUTES
    ]


def concrete_path(route: RouteInfo, owner: TenantResources) -> str:
    path = route.path
    for param in route.params:
        key = _param_key(route.path, param)
        if key not in PATH_VALUES:
            pytest.fail(
                f"{route.path}: no factory for path parameter {key!r}; add it to PATH_VALUES"
            )
        path = path.replace("{" + param + "}", PATH_VALUES[key](owner))
    return path


def request_kwargs(app: Any, route: RouteInfo, method: str) -> dict[str, Any]:
    operation = app.openapi()["paths"][route.path][method.lower()]
    body = operation.get("requestBody")
    key = (method, _body_key(route.path))
    if key in BODIES:
        return BODIES[key]
    if body is not None and body.get("required"):
        pytest.fail(f"{method} {route.path}: requires a body; add a valid one to BODIES")
    return {}


async def populate(api: Api) -> TenantResources:
    product = await api.post(PRODUCTS, json=product_body())
    assert product.status_code == 201, product.text
    product_id = product.json()["_id"]
    image = await api.post(
        f"{PRODUCTS}/{product_id}/images", files={"file": ("a.png", tiny_png(), "image/png")}
    )
    assert image.status_code == 201, image.text
    body = passport_body(
        product_id,
        parties={"manufacturer": {"legalName": "Acme Tyres", "legacyOperatorId": "DE123"}},
    )
    passport = await api.post(PASSPORTS, json=body)
    assert passport.status_code == 201, passport.text
    passport_id = passport.json()["_id"]
    for key, value, source in (
        (EDITED_FIELD, "Acme Tyres GmbH", "manual"),
        (REVIEWED_FIELD, "LOT-1", "supplier"),
    ):
        written = await api.patch(
            f"{PASSPORTS}/{passport_id}/fields/{key}", json={"value": value, "source": source}
        )
        assert written.status_code == 200, written.text
    grant = await api.post(f"{PASSPORTS}/{passport_id}/access-grants", json={"level": "restricted"})
    assert grant.status_code == 201, grant.text
    second_key = await api.post("/api/v1/keys", json={"label": "second"})
    assert second_key.status_code == 201, second_key.text
    return TenantResources(
        api=api,
        product_id=product_id,
        passport_id=passport_id,
        gtin=body["gs1"]["gtin"],
        serial=body["gs1"]["serialNumber"],
        grant_id=grant.json()["_id"],
        grant_token=grant.json()["token"],
        key_id=second_key.json()["keyId"],
    )


async def snapshot(owner: TenantResources) -> dict[str, Any]:
    """Everything A can read about its resources."""
    reads = {
        "product": f"{PRODUCTS}/{owner.product_id}",
        "passport": f"{PASSPORTS}/{owner.passport_id}?format=full",
        "audit": f"{PASSPORTS}/{owner.passport_id}/audit?limit=100",
        "review": f"{PASSPORTS}/{owner.passport_id}/review?status=all",
        "grants": f"{PASSPORTS}/{owner.passport_id}/access-grants",
        "keys": "/api/v1/keys",
        "passports": f"{PASSPORTS}?productId={owner.product_id}",
    }
    state: dict[str, Any] = {}
    for name, url in reads.items():
        response = await owner.api.get(url)
        assert response.status_code == 200, (url, response.text)
        state[name] = response.json()
    return state


@pytest.fixture
async def tenants(make_api: Callable[..., Any]) -> tuple[TenantResources, Api]:
    owner = await make_api(name="Tenant A", plan="enterprise")
    intruder = await make_api(name="Tenant B", plan="enterprise")
    return await populate(owner), intruder


async def test_every_id_route_answers_404_to_another_workspace_and_changes_nothing(
    app: Any, tenants: tuple[TenantResources, Api]
) -> None:
    owner, intruder = tenants
    before = await snapshot(owner)
    routes = id_routes(app)
    assert routes, "the route table has no id routes"
    answers: dict[str, int] = {}
    for route in routes:
        for method in route.methods:
            kwargs = request_kwargs(app, route, method)
            response = await intruder.request(method, concrete_path(route, owner), **kwargs)
            answers[f"{method} {route.path}"] = response.status_code
            assert response.json()["error"] == "Not found", (method, route.path, response.text)
    assert {k: v for k, v in answers.items() if v != 404} == {}
    assert await snapshot(owner) == before


async def test_a_route_parameter_without_a_factory_fails_the_matrix(app: Any) -> None:
    route = RouteInfo("/api/v1/widgets/{widget_id}", ("GET",))
    with pytest.raises(pytest.fail.Exception, match="no factory for path parameter"):
        concrete_path(route, TenantResources(None, "", "", "", "", "", "", ""))  # type: ignore[arg-type]


async def test_lists_never_show_another_workspaces_items(
    app: Any, tenants: tuple[TenantResources, Api]
) -> None:
    owner, intruder = tenants
    await populate(intruder)  # B has items of its own: its lists are not trivially empty
    lists = [
        r
        for r in api_routes(app)
        if r.path.startswith(V1)
        and not r.params
        and "GET" in r.methods
        and not r.path.endswith("openapi.json")
    ]
    filters = {"productId": owner.product_id, "search": owner.serial}
    for route in lists:
        for params in ({}, filters):
            response = await intruder.get(route.path, params=params)
            assert response.status_code in (200, 400, 404), (route.path, response.text)
            leaked = [i for i in owner.identifiers if i in response.text]
            assert leaked == [], (route.path, params, leaked)


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
async def test_a_draft_passport_never_resolves_publicly(
    client: Any, tenants: tuple[TenantResources, Api], accept: str
) -> None:
    owner, intruder = tenants
    link = f"/p/01/{owner.gtin}/21/{owner.serial}"
    credentials = [
        {},
        owner.api.workspace.headers,
        intruder.workspace.headers,
        {"Authorization": f"Bearer {owner.grant_token}"},
    ]
    for headers in credentials:
        response = await client.get(link, headers={"Accept": accept, **headers})
        assert response.status_code == 404, (headers, response.text[:200])
        # The 404 page may echo the link it was asked for, but nothing of the passport.
        assert owner.passport_id not in response.text
        assert "Acme Tyres" not in response.text
    with_token = await client.get(
        link, params={"access": owner.grant_token}, headers={"Accept": accept}
    )
    assert with_token.status_code == 404
