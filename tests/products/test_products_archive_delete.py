from __future__ import annotations

from itertools import count

import pytest

from tests.products.conftest import PRODUCTS, product_body, tiny_png
from tracepass.passports.models import Passport

_serials = count(1)


@pytest.fixture
def add_passport(api, backend):
    """Insert a passport row for a product directly (the passports API is another domain)."""

    async def _add(product: dict, status: str) -> None:
        async with backend.database.write_session() as session:
            session.add(
                Passport(
                    workspace_id=api.workspace.workspace_id,
                    product_id=product["_id"],
                    template_id=product["templateId"],
                    gtin="09506000134352",
                    serial=f"SN-{next(_serials):06d}",
                    status=status,
                )
            )
            await session.commit()

    return _add


async def test_archive_sets_status_archived(api, make_product):
    created = await make_product()

    response = await api.post(f"{PRODUCTS}/{created['_id']}/archive")

    assert response.status_code == 200
    archived = response.json()
    assert archived["updatedAt"] > created["updatedAt"]
    assert archived == {**created, "status": "archived", "updatedAt": archived["updatedAt"]}


async def test_archiving_an_archived_product_is_a_no_op(api, make_product):
    created = await make_product()
    first = await api.post(f"{PRODUCTS}/{created['_id']}/archive")

    second = await api.post(f"{PRODUCTS}/{created['_id']}/archive")

    assert second.status_code == 200
    assert second.json() == first.json()


async def test_archive_with_unarchived_passports_is_409_with_the_count(
    api, make_product, add_passport
):
    created = await make_product()
    await add_passport(created, "published")
    await add_passport(created, "draft")
    await add_passport(created, "archived")

    response = await api.post(f"{PRODUCTS}/{created['_id']}/archive")

    assert response.status_code == 409
    assert response.json() == {
        "error": "Product has active passports",
        "details": {
            "reason": "2 passport(s) not yet archived still use this product; archive them first",
            "passportCount": 2,
        },
    }
    assert (await api.get(f"{PRODUCTS}/{created['_id']}")).json()["status"] == "active"


async def test_archive_with_only_archived_passports_succeeds(api, make_product, add_passport):
    created = await make_product()
    await add_passport(created, "archived")

    response = await api.post(f"{PRODUCTS}/{created['_id']}/archive")

    assert response.status_code == 200
    assert response.json()["status"] == "archived"


async def test_patch_to_archived_follows_the_archive_rule(api, make_product, add_passport):
    created = await make_product()
    await add_passport(created, "published")

    response = await api.patch(f"{PRODUCTS}/{created['_id']}", json={"status": "archived"})

    assert response.status_code == 409
    assert response.json()["details"]["passportCount"] == 1


async def test_archive_works_on_the_free_plan(make_api):
    free = await make_api(plan="free")
    created = (await free.post(PRODUCTS, json=product_body())).json()

    response = await free.post(f"{PRODUCTS}/{created['_id']}/archive")

    assert response.status_code == 200


async def test_archive_of_unknown_product_is_404(api):
    response = await api.post(f"{PRODUCTS}/6650a1b2c3d4e5f6a7b8c9d0/archive")

    assert response.status_code == 404


async def test_delete_removes_the_product(api, make_product):
    created = await make_product(name="Demo product")

    response = await api.delete(f"{PRODUCTS}/{created['_id']}")

    assert response.status_code == 200
    assert response.json() == {
        "_id": created["_id"],
        "deleted": True,
        "message": "Product permanently deleted",
        "summary": {
            "productId": created["_id"],
            "name": "Demo product",
            "deletedCounts": {
                "documentRefsUnlinked": 0,
                "documentsDeleted": 0,
                "r2ObjectsDeleted": 0,
                "documentR2ObjectsDeleted": 0,
            },
        },
    }
    assert (await api.get(f"{PRODUCTS}/{created['_id']}")).status_code == 404


async def test_deleted_products_model_can_be_reused(api, make_product):
    created = await make_product(model="BP-REUSE")
    await api.delete(f"{PRODUCTS}/{created['_id']}")

    response = await api.post(PRODUCTS, json=product_body(model="BP-REUSE"))

    assert response.status_code == 201


async def test_delete_on_the_free_plan_is_403(make_api):
    free = await make_api(plan="free")
    created = (await free.post(PRODUCTS, json=product_body())).json()

    response = await free.delete(f"{PRODUCTS}/{created['_id']}")

    assert response.status_code == 403
    assert response.json() == {
        "error": "Forbidden",
        "details": {
            "reason": "Deleting a product needs a paid plan; archive it instead",
            "plan": "free",
            "feature": "products.delete",
        },
    }
    assert (await free.get(f"{PRODUCTS}/{created['_id']}")).status_code == 200


async def test_delete_works_on_the_cheapest_paid_plan(make_api):
    basic = await make_api(plan="basic")
    created = (await basic.post(PRODUCTS, json=product_body())).json()

    response = await basic.delete(f"{PRODUCTS}/{created['_id']}")

    assert response.status_code == 200


async def test_delete_with_any_passport_even_archived_is_409(api, make_product, add_passport):
    created = await make_product()
    await add_passport(created, "archived")

    response = await api.delete(f"{PRODUCTS}/{created['_id']}")

    assert response.status_code == 409
    assert response.json() == {
        "error": "Product has passports",
        "details": {
            "reason": (
                "1 passport(s) of any status still reference this product; "
                "only a product without passports can be deleted"
            ),
            "passportCount": 1,
        },
    }
    assert (await api.get(f"{PRODUCTS}/{created['_id']}")).status_code == 200


async def test_delete_of_unknown_product_is_404(api):
    response = await api.delete(f"{PRODUCTS}/6650a1b2c3d4e5f6a7b8c9d0")

    assert response.status_code == 404


async def test_delete_removes_its_uploaded_images(api, client, backend, make_product):
    created = await make_product()
    uploaded = await api.post(
        f"{PRODUCTS}/{created['_id']}/images", files={"file": ("a.png", tiny_png(), "image/png")}
    )
    name = uploaded.json()["imageUrl"].rsplit("/", 1)[1]
    stored = backend.settings.data_dir / "media" / name
    assert stored.exists()

    response = await api.delete(f"{PRODUCTS}/{created['_id']}")

    assert response.json()["summary"]["deletedCounts"]["r2ObjectsDeleted"] == 1
    assert not stored.exists()
    assert (await client.get(f"/media/{name}")).status_code == 404


async def test_replayed_delete_answers_the_first_result(api, make_product):
    created = await make_product()
    headers = {"Idempotency-Key": "delete-once-0001"}

    first = await api.delete(f"{PRODUCTS}/{created['_id']}", headers=headers)
    replayed = await api.delete(f"{PRODUCTS}/{created['_id']}", headers=headers)

    assert replayed.status_code == 200
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json() == first.json()
