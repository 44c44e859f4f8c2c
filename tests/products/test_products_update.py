from __future__ import annotations

import pytest

from tests.products.conftest import PRODUCTS

# The update-product seed, verbatim.
SEED_BODY = """{
    "name": "Li-Ion 48V Battery Pack (revised)",
    "imageUrls": ["https://cdn.example.com/new-hero.jpg"]
  }"""


async def test_seed_update_example_changes_only_the_sent_keys(api, make_product):
    created = await make_product(
        description="Pack",
        defaultFieldValues={"nominal_voltage": 48},
        imageUrls=["https://cdn.example.com/old.jpg"],
    )

    response = await api.patch(
        f"{PRODUCTS}/{created['_id']}",
        content=SEED_BODY,
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 200
    updated = response.json()
    assert updated["updatedAt"] > created["updatedAt"]
    assert updated == {
        **created,
        "name": "Li-Ion 48V Battery Pack (revised)",
        "imageUrls": ["https://cdn.example.com/new-hero.jpg"],
        "updatedAt": updated["updatedAt"],
    }
    assert (await api.get(f"{PRODUCTS}/{created['_id']}")).json() == updated


async def test_empty_patch_is_a_no_op(api, make_product):
    created = await make_product()

    response = await api.patch(f"{PRODUCTS}/{created['_id']}", json={})

    assert response.status_code == 200
    assert response.json() == created


async def test_patch_with_unchanged_values_keeps_updated_at(api, make_product):
    created = await make_product()

    response = await api.patch(f"{PRODUCTS}/{created['_id']}", json={"name": created["name"]})

    assert response.status_code == 200
    assert response.json() == created


async def test_description_null_clears_it(api, make_product):
    created = await make_product(description="Old text")

    response = await api.patch(f"{PRODUCTS}/{created['_id']}", json={"description": None})

    assert response.status_code == 200
    assert response.json()["description"] is None


async def test_omitted_description_is_left_alone(api, make_product):
    created = await make_product(description="Keep me")

    response = await api.patch(f"{PRODUCTS}/{created['_id']}", json={"name": "Renamed"})

    assert response.json()["description"] == "Keep me"


@pytest.mark.parametrize(
    "key", ["name", "model", "defaultFieldValues", "imageUrls", "status", "sourceLocale"]
)
async def test_null_for_a_non_nullable_key_is_400(api, make_product, key):
    created = await make_product()

    response = await api.patch(f"{PRODUCTS}/{created['_id']}", json={key: None})

    assert response.status_code == 400
    assert response.json() == {
        "error": "Validation error",
        "details": {"fieldErrors": {key: ["May not be null"]}},
    }


async def test_changing_model_to_one_in_use_is_409(api, make_product):
    await make_product(model="BP-TAKEN")
    mine = await make_product(model="BP-MINE")

    response = await api.patch(f"{PRODUCTS}/{mine['_id']}", json={"model": "BP-TAKEN"})

    assert response.status_code == 409
    assert response.json()["error"] == "Duplicate model"
    assert (await api.get(f"{PRODUCTS}/{mine['_id']}")).json()["model"] == "BP-MINE"


async def test_changing_model_to_a_free_one_succeeds(api, make_product):
    mine = await make_product(model="BP-OLD")

    response = await api.patch(f"{PRODUCTS}/{mine['_id']}", json={"model": "BP-NEW"})

    assert response.status_code == 200
    assert response.json()["model"] == "BP-NEW"


async def test_default_field_values_are_replaced_not_merged(api, make_product):
    created = await make_product(defaultFieldValues={"nominal_voltage": 48, "cell_type": "pouch"})

    response = await api.patch(
        f"{PRODUCTS}/{created['_id']}", json={"defaultFieldValues": {"nominalVoltage": 36}}
    )

    assert response.status_code == 200
    assert response.json()["defaultFieldValues"] == {"nominal_voltage": 36}


async def test_invalid_default_field_values_on_patch_are_400_and_change_nothing(api, make_product):
    created = await make_product(defaultFieldValues={"nominal_voltage": 48})

    response = await api.patch(
        f"{PRODUCTS}/{created['_id']}",
        json={"name": "Renamed", "defaultFieldValues": {"voltage_nominal": 36}},
    )

    assert response.status_code == 400
    assert list(response.json()["details"]["fieldErrors"]) == ["defaultFieldValues.voltage_nominal"]
    assert (await api.get(f"{PRODUCTS}/{created['_id']}")).json() == created


async def test_image_urls_replace_the_whole_array(api, make_product):
    created = await make_product(imageUrls=["https://cdn.example.com/a.jpg"])

    response = await api.patch(
        f"{PRODUCTS}/{created['_id']}",
        json={"imageUrls": ["https://cdn.example.com/b.jpg", "https://cdn.example.com/c.jpg"]},
    )

    assert response.json()["imageUrls"] == [
        "https://cdn.example.com/b.jpg",
        "https://cdn.example.com/c.jpg",
    ]


async def test_image_urls_can_be_emptied(api, make_product):
    created = await make_product(imageUrls=["https://cdn.example.com/a.jpg"])

    response = await api.patch(f"{PRODUCTS}/{created['_id']}", json={"imageUrls": []})

    assert response.json()["imageUrls"] == []


async def test_patch_with_non_https_image_url_is_400(api, make_product):
    created = await make_product()

    response = await api.patch(
        f"{PRODUCTS}/{created['_id']}", json={"imageUrls": ["ftp://cdn.example.com/a.jpg"]}
    )

    assert response.status_code == 400
    assert list(response.json()["details"]["fieldErrors"]) == ["imageUrls.0"]


async def test_patch_with_21_image_urls_is_400(api, make_product):
    created = await make_product()
    urls = [f"https://cdn.example.com/{i}.jpg" for i in range(21)]

    response = await api.patch(f"{PRODUCTS}/{created['_id']}", json={"imageUrls": urls})

    assert response.status_code == 400
    assert list(response.json()["details"]["fieldErrors"]) == ["imageUrls"]


async def test_status_can_be_set_to_archived_and_back(api, make_product):
    created = await make_product()

    archived = await api.patch(f"{PRODUCTS}/{created['_id']}", json={"status": "archived"})
    restored = await api.patch(f"{PRODUCTS}/{created['_id']}", json={"status": "active"})

    assert archived.json()["status"] == "archived"
    assert restored.json()["status"] == "active"


async def test_unknown_status_is_400(api, make_product):
    created = await make_product()

    response = await api.patch(f"{PRODUCTS}/{created['_id']}", json={"status": "deleted"})

    assert response.status_code == 400
    assert list(response.json()["details"]["fieldErrors"]) == ["status"]


async def test_source_locale_can_be_changed(api, make_product):
    created = await make_product()

    response = await api.patch(f"{PRODUCTS}/{created['_id']}", json={"sourceLocale": "fr"})

    assert response.json()["sourceLocale"] == "fr"


async def test_category_cannot_be_patched(api, make_product):
    created = await make_product()

    response = await api.patch(f"{PRODUCTS}/{created['_id']}", json={"category": "toys"})

    assert response.status_code == 400
    assert list(response.json()["details"]["fieldErrors"]) == ["category"]


async def test_patch_of_unknown_product_is_404(api):
    response = await api.patch(f"{PRODUCTS}/6650a1b2c3d4e5f6a7b8c9d0", json={"name": "X"})

    assert response.status_code == 404
    assert response.json() == {"error": "Not found", "details": {"resource": "product"}}


async def test_replayed_patch_answers_the_first_result(api, make_product):
    created = await make_product()
    headers = {"Idempotency-Key": "patch-once-0001"}
    url = f"{PRODUCTS}/{created['_id']}"

    first = await api.patch(url, json={"name": "First"}, headers=headers)
    await api.patch(url, json={"name": "Second"})
    replayed = await api.patch(url, json={"name": "First"}, headers=headers)

    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json() == first.json()
    assert (await api.get(url)).json()["name"] == "Second"


@pytest.mark.parametrize(
    ("method", "suffix", "kwargs"),
    [
        ("PATCH", "", {"json": {"name": "Renamed"}}),
        ("POST", "/archive", {}),
        ("DELETE", "/images/0", {}),
    ],
)
async def test_each_write_route_counts_one_write(make_api, make_product, method, suffix, kwargs):
    basic = await make_api(plan="basic")  # 200 writes a day
    created = await make_product(via=basic, imageUrls=["https://cdn.example.com/a.jpg"])

    response = await basic.request(method, f"{PRODUCTS}/{created['_id']}{suffix}", **kwargs)

    assert response.status_code == 200
    assert response.headers["RateLimit"].startswith('"writes";r=198;')


async def test_delete_counts_one_write(make_api, make_product):
    basic = await make_api(plan="basic")
    created = await make_product(via=basic)

    response = await basic.delete(f"{PRODUCTS}/{created['_id']}")

    assert response.status_code == 200
    assert response.headers["RateLimit"].startswith('"writes";r=198;')
