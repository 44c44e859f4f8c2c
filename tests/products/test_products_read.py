from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from tests.products.conftest import PRODUCTS, product_body, tiny_png
from tracepass.products.models import Product

NOT_FOUND = {"error": "Not found", "details": {"resource": "product"}}


async def test_get_returns_the_full_document(api, make_product):
    created = await make_product(
        defaultFieldValues={"nominal_voltage": 48},
        imageUrls=["https://cdn.example.com/products/battery-pack-hero.jpg"],
    )

    response = await api.get(f"{PRODUCTS}/{created['_id']}")

    assert response.status_code == 200
    assert response.json() == created


async def test_get_unknown_id_is_404(api):
    response = await api.get(f"{PRODUCTS}/6650a1b2c3d4e5f6a7b8c9d0")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


async def test_get_malformed_id_is_404(api):
    response = await api.get(f"{PRODUCTS}/not-an-id")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


ROUTES_ON_ONE_PRODUCT = [
    ("GET", "", {}),
    ("PATCH", "", {"json": {"name": "Hijacked"}}),
    ("POST", "/archive", {}),
    ("DELETE", "", {}),
    ("POST", "/images", {"files": {"file": ("a.png", tiny_png(), "image/png")}}),
    ("DELETE", "/images/0", {}),
]


@pytest.mark.parametrize(("method", "suffix", "kwargs"), ROUTES_ON_ONE_PRODUCT)
async def test_another_workspaces_product_is_404_on_every_route(
    api, make_api, make_product, method, suffix, kwargs
):
    theirs = await make_product(imageUrls=["https://cdn.example.com/a.jpg"])
    intruder = await make_api(plan="enterprise")

    response = await intruder.request(method, f"{PRODUCTS}/{theirs['_id']}{suffix}", **kwargs)

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert (await api.get(f"{PRODUCTS}/{theirs['_id']}")).json() == theirs


async def test_list_answers_the_page_envelope(api, make_product):
    product = await make_product()

    response = await api.get(PRODUCTS)

    assert response.status_code == 200
    assert response.json() == {
        "data": {"items": [product], "total": 1, "page": 1, "limit": 20, "totalPages": 1}
    }


async def test_list_of_an_empty_workspace_is_empty(api):
    response = await api.get(PRODUCTS)

    assert response.json() == {
        "data": {"items": [], "total": 0, "page": 1, "limit": 20, "totalPages": 0}
    }


async def test_list_only_shows_the_callers_products(api, make_api, make_product):
    other = await make_api(plan="enterprise")
    await make_product(via=other)
    mine = await make_product()

    response = await api.get(PRODUCTS)

    assert [p["_id"] for p in response.json()["data"]["items"]] == [mine["_id"]]


async def test_list_is_newest_first(api, make_product):
    ids = [(await make_product())["_id"] for _ in range(3)]

    response = await api.get(PRODUCTS)

    assert [p["_id"] for p in response.json()["data"]["items"]] == ids[::-1]


async def test_list_breaks_created_at_ties_by_id_descending(api, backend, make_product):
    ids = [(await make_product())["_id"] for _ in range(3)]
    same_moment = datetime(2026, 5, 9, 10, 0, tzinfo=UTC)
    async with backend.database.write_session() as session:
        await session.execute(
            update(Product).where(Product.id.in_(ids)).values(created_at=same_moment)
        )
        await session.commit()

    response = await api.get(PRODUCTS)

    assert [p["_id"] for p in response.json()["data"]["items"]] == sorted(ids, reverse=True)


async def test_list_pages_through_products(api, make_product):
    ids = [(await make_product())["_id"] for _ in range(5)]

    response = await api.get(PRODUCTS, params={"page": 2, "limit": 2})

    data = response.json()["data"]
    assert [p["_id"] for p in data["items"]] == ids[::-1][2:4]
    assert (data["total"], data["page"], data["limit"], data["totalPages"]) == (5, 2, 2, 3)


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"page": 0}, {"limit": "x"}])
async def test_list_with_paging_out_of_range_is_400(api, params):
    response = await api.get(PRODUCTS, params=params)

    assert response.status_code == 400
    assert response.json()["error"] == "Validation error"
    assert list(response.json()["details"]["fieldErrors"]) == list(params)


async def test_list_accepts_limit_100(api):
    response = await api.get(PRODUCTS, params={"limit": 100})

    assert response.status_code == 200
    assert response.json()["data"]["limit"] == 100


@pytest.mark.parametrize("category", ["textiles", "textile"])
async def test_list_filters_by_category_slug_or_key(api, make_product, category):
    await make_product()
    shirt = await make_product(category="textiles", name="Shirt")

    response = await api.get(PRODUCTS, params={"category": category})

    assert [p["_id"] for p in response.json()["data"]["items"]] == [shirt["_id"]]


async def test_list_with_unknown_category_filter_is_400(api):
    response = await api.get(PRODUCTS, params={"category": "spaceships"})

    assert response.status_code == 400
    assert list(response.json()["details"]["fieldErrors"]) == ["category"]


async def test_list_search_is_case_insensitive_over_name_and_model(api, make_product):
    by_name = await make_product(name="Solar Inverter")
    by_model = await make_product(name="Other", model="INV-SOLAR-2")
    await make_product(name="Battery")

    response = await api.get(PRODUCTS, params={"search": "sOlAr"})

    found = {p["_id"] for p in response.json()["data"]["items"]}
    assert found == {by_name["_id"], by_model["_id"]}


@pytest.mark.parametrize(("search", "expected"), [("100%", "Pack 100%"), ("a_b", "a_b kit")])
async def test_list_search_treats_like_wildcards_literally(api, make_product, search, expected):
    for name in ("Pack 100%", "Pack 1000", "a_b kit", "axb kit"):
        await make_product(name=name)

    response = await api.get(PRODUCTS, params={"search": search})

    assert [p["name"] for p in response.json()["data"]["items"]] == [expected]


async def test_list_hides_archived_products_by_default(api, make_product):
    active = await make_product()
    archived = await make_product()
    await api.post(f"{PRODUCTS}/{archived['_id']}/archive")

    response = await api.get(PRODUCTS)

    assert [p["_id"] for p in response.json()["data"]["items"]] == [active["_id"]]


async def test_list_show_archived_includes_them(api, make_product):
    active = await make_product()
    archived = await make_product()
    await api.post(f"{PRODUCTS}/{archived['_id']}/archive")

    response = await api.get(PRODUCTS, params={"showArchived": "true"})

    assert [p["_id"] for p in response.json()["data"]["items"]] == [
        archived["_id"],
        active["_id"],
    ]


async def test_list_status_archived_shows_only_archived(api, make_product):
    await make_product()
    archived = await make_product()
    await api.post(f"{PRODUCTS}/{archived['_id']}/archive")

    response = await api.get(PRODUCTS, params={"status": "archived"})

    items = response.json()["data"]["items"]
    assert [(p["_id"], p["status"]) for p in items] == [(archived["_id"], "archived")]


async def test_list_with_unknown_status_is_400(api):
    response = await api.get(PRODUCTS, params={"status": "deleted"})

    assert response.status_code == 400
    assert list(response.json()["details"]["fieldErrors"]) == ["status"]


async def test_seed_list_example_query_answers(api, make_product):
    battery = await make_product()
    await make_product(category="toys", name="Teddy")

    response = await api.get(f"{PRODUCTS}?category=batteries&page=1&limit=20")

    assert response.status_code == 200
    data = response.json()["data"]
    assert [p["_id"] for p in data["items"]] == [battery["_id"]]
    assert (data["total"], data["page"], data["limit"], data["totalPages"]) == (1, 1, 20, 1)


async def test_get_and_list_each_count_as_one_read(make_api):
    free = await make_api(plan="free")
    created = (await free.post(PRODUCTS, json=product_body())).json()

    got = await free.get(f"{PRODUCTS}/{created['_id']}")
    listed = await free.get(PRODUCTS)

    assert got.headers["RateLimit"].startswith('"reads";r=999;')
    assert listed.headers["RateLimit"].startswith('"reads";r=998;')
