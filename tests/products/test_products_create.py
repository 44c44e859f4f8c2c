from __future__ import annotations

import asyncio
import re

from tests.products.conftest import PRODUCTS, product_body

OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")

# The create-product seed, verbatim.
SEED_BODY = """{
"name": "Li-Ion 48V Battery Pack",
"model": "BP-48V-100",
"category": "batteries",
"defaultFieldValues": {
"battery_chemistry": "lithium-ion",
"nominal_voltage": 48
}
}"""
SEED_HEADERS = {
    "Idempotency-Key": "7b4f1e2c-9a3d-4e5b-8c1a-2d3e4f5a6b7c",
    "Content-Type": "application/json",
}


async def _current_template_id(api, category: str) -> str:
    response = await api.get(f"/api/v1/templates/{category}")
    return str(response.json()["templateId"])


async def test_seed_create_example_answers_the_seed_shape(api):
    response = await api.post(PRODUCTS, content=SEED_BODY, headers=SEED_HEADERS)

    assert response.status_code == 201
    body = response.json()
    assert OBJECT_ID.match(body["_id"])
    assert body["templateId"] == await _current_template_id(api, "batteries")
    assert TIMESTAMP.match(body["createdAt"])
    assert body == {
        "_id": body["_id"],
        "name": "Li-Ion 48V Battery Pack",
        "model": "BP-48V-100",
        "category": "batteries",
        "templateId": body["templateId"],
        "description": None,
        "defaultFieldValues": {"battery_chemistry": "lithium-ion", "nominal_voltage": 48},
        "imageUrls": [],
        "sourceLocale": "en",
        "passportCount": 0,
        "status": "active",
        "createdAt": body["createdAt"],
        "updatedAt": body["createdAt"],
    }


async def test_create_stores_every_optional_field(api):
    body = product_body(
        description="48 V pack for e-bikes",
        imageUrls=["https://cdn.example.com/a.jpg", "https://cdn.example.com/b.png"],
        sourceLocale="de",
    )
    response = await api.post(PRODUCTS, json=body)

    assert response.status_code == 201
    created = response.json()
    assert created["description"] == "48 V pack for e-bikes"
    assert created["imageUrls"] == [
        "https://cdn.example.com/a.jpg",
        "https://cdn.example.com/b.png",
    ]
    assert created["sourceLocale"] == "de"
    fetched = await api.get(f"{PRODUCTS}/{created['_id']}")
    assert fetched.json() == created


async def test_template_key_is_accepted_as_category_alias_and_slug_is_stored(api):
    response = await api.post(PRODUCTS, json=product_body(category="battery"))

    assert response.status_code == 201
    assert response.json()["category"] == "batteries"


async def test_iron_steel_alias_steel_resolves_to_its_slug(api):
    response = await api.post(PRODUCTS, json=product_body(category="steel", name="Rebar"))

    assert response.status_code == 201
    assert response.json()["category"] == "iron-steel"
    assert response.json()["templateId"] == await _current_template_id(api, "iron-steel")


async def test_unknown_category_is_400_naming_the_field(api):
    response = await api.post(PRODUCTS, json=product_body(category="batterys"))

    assert response.status_code == 400
    assert response.json()["error"] == "Validation error"
    [message] = response.json()["details"]["fieldErrors"]["category"]
    assert message.startswith("Unknown category `batterys`.")
    assert "Did you mean `batteries`?" in message


async def test_missing_required_fields_are_reported_as_required(api):
    response = await api.post(PRODUCTS, json={"category": "batteries"})

    assert response.status_code == 400
    assert response.json() == {
        "error": "Validation error",
        "details": {"fieldErrors": {"name": ["Required"], "model": ["Required"]}},
    }


async def test_name_longer_than_200_characters_is_400(api):
    response = await api.post(PRODUCTS, json=product_body(name="n" * 201))

    assert response.status_code == 400
    assert list(response.json()["details"]["fieldErrors"]) == ["name"]


async def test_blank_name_is_400(api):
    response = await api.post(PRODUCTS, json=product_body(name="   "))

    assert response.status_code == 400
    assert list(response.json()["details"]["fieldErrors"]) == ["name"]


async def test_model_longer_than_100_characters_is_400(api):
    response = await api.post(PRODUCTS, json=product_body(model="m" * 101))

    assert response.status_code == 400
    assert list(response.json()["details"]["fieldErrors"]) == ["model"]


async def test_description_longer_than_2000_characters_is_400(api):
    response = await api.post(PRODUCTS, json=product_body(description="d" * 2001))

    assert response.status_code == 400
    assert list(response.json()["details"]["fieldErrors"]) == ["description"]


async def test_unknown_body_key_is_400(api):
    response = await api.post(PRODUCTS, json=product_body(colour="red"))

    assert response.status_code == 400
    assert list(response.json()["details"]["fieldErrors"]) == ["colour"]


async def test_duplicate_model_in_the_same_workspace_is_409(api, make_product):
    await make_product(model="BP-DUP")

    response = await api.post(PRODUCTS, json=product_body(model="BP-DUP", name="Other"))

    assert response.status_code == 409
    assert response.json() == {
        "error": "Duplicate model",
        "details": {
            "reason": "A product with model `BP-DUP` already exists in this workspace",
            "field": "model",
            "model": "BP-DUP",
        },
    }


async def test_same_model_in_another_workspace_is_allowed(api, make_api, make_product):
    await make_product(model="BP-SHARED")
    other = await make_api(plan="enterprise")

    response = await other.post(PRODUCTS, json=product_body(model="BP-SHARED"))

    assert response.status_code == 201


async def test_concurrent_creates_of_one_model_give_one_201_and_one_409(api):
    body = product_body(model="BP-RACE")

    responses = await asyncio.gather(api.post(PRODUCTS, json=body), api.post(PRODUCTS, json=body))

    assert sorted(r.status_code for r in responses) == [201, 409]
    listed = await api.get(PRODUCTS, params={"search": "BP-RACE"})
    assert listed.json()["data"]["total"] == 1


async def test_unknown_default_field_key_is_400_with_a_did_you_mean_hint(api):
    body = product_body(defaultFieldValues={"nominal_voltag": 48})

    response = await api.post(PRODUCTS, json=body)

    assert response.status_code == 400
    errors = response.json()["details"]["fieldErrors"]
    assert list(errors) == ["defaultFieldValues.nominal_voltag"]
    assert "Did you mean `nominal_voltage`?" in errors["defaultFieldValues.nominal_voltag"][0]


async def test_default_field_value_of_the_wrong_type_is_400_naming_the_key(api):
    body = product_body(defaultFieldValues={"nominal_voltage": "48 V"})

    response = await api.post(PRODUCTS, json=body)

    assert response.status_code == 400
    assert response.json()["details"]["fieldErrors"] == {
        "defaultFieldValues.nominal_voltage": ["Expected a number, got string."]
    }


async def test_default_field_enum_near_miss_suggests_the_option(api):
    body = product_body(defaultFieldValues={"cell_type": "Pouch"})

    response = await api.post(PRODUCTS, json=body)

    assert response.status_code == 400
    [message] = response.json()["details"]["fieldErrors"]["defaultFieldValues.cell_type"]
    assert "Did you mean `pouch`?" in message


async def test_default_field_value_out_of_bounds_is_400(api):
    body = product_body(defaultFieldValues={"nominal_voltage": -1})

    response = await api.post(PRODUCTS, json=body)

    assert response.status_code == 400
    assert response.json()["details"]["fieldErrors"] == {
        "defaultFieldValues.nominal_voltage": ["Must be at least 0."]
    }


async def test_camel_case_default_field_keys_are_stored_snake_case(api):
    body = product_body(defaultFieldValues={"nominalVoltage": 48, "cellType": "pouch"})

    response = await api.post(PRODUCTS, json=body)

    assert response.status_code == 201
    assert response.json()["defaultFieldValues"] == {
        "nominal_voltage": 48,
        "cell_type": "pouch",
    }


async def test_plain_http_image_url_is_400_naming_its_index(api):
    body = product_body(imageUrls=["https://cdn.example.com/a.jpg", "http://cdn.example.com/b.jpg"])

    response = await api.post(PRODUCTS, json=body)

    assert response.status_code == 400
    assert response.json()["details"]["fieldErrors"] == {
        "imageUrls.1": ["Expected an absolute https:// URL."]
    }


async def test_relative_image_url_is_400(api):
    response = await api.post(PRODUCTS, json=product_body(imageUrls=["/images/a.jpg"]))

    assert response.status_code == 400
    assert list(response.json()["details"]["fieldErrors"]) == ["imageUrls.0"]


async def test_image_url_longer_than_2048_characters_is_400(api):
    url = "https://cdn.example.com/" + "a" * 2030
    assert len(url) > 2048

    response = await api.post(PRODUCTS, json=product_body(imageUrls=[url]))

    assert response.status_code == 400
    assert list(response.json()["details"]["fieldErrors"]) == ["imageUrls.0"]


async def test_more_than_20_image_urls_is_400(api):
    urls = [f"https://cdn.example.com/{i}.jpg" for i in range(21)]

    response = await api.post(PRODUCTS, json=product_body(imageUrls=urls))

    assert response.status_code == 400
    assert list(response.json()["details"]["fieldErrors"]) == ["imageUrls"]


async def test_twenty_image_urls_are_accepted(api):
    urls = [f"https://cdn.example.com/{i}.jpg" for i in range(20)]

    response = await api.post(PRODUCTS, json=product_body(imageUrls=urls))

    assert response.status_code == 201
    assert response.json()["imageUrls"] == urls


async def test_source_locale_defaults_to_the_workspace_default(make_api):
    german = await make_api(plan="enterprise", locale="de")

    response = await german.post(PRODUCTS, json=product_body())

    assert response.status_code == 201
    assert response.json()["sourceLocale"] == "de"


async def test_source_locale_that_is_not_iso_639_1_is_400(api):
    response = await api.post(PRODUCTS, json=product_body(sourceLocale="eng"))

    assert response.status_code == 400
    assert list(response.json()["details"]["fieldErrors"]) == ["sourceLocale"]


async def test_replayed_create_returns_the_same_product_and_creates_nothing(api):
    body = product_body(model="BP-IDEM")
    headers = {"Idempotency-Key": "c0ffee00-0000-4000-8000-000000000001"}

    first = await api.post(PRODUCTS, json=body, headers=headers)
    second = await api.post(PRODUCTS, json=body, headers=headers)

    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json()["_id"] == first.json()["_id"]
    listed = await api.get(PRODUCTS, params={"search": "BP-IDEM"})
    assert listed.json()["data"]["total"] == 1


async def test_idempotency_key_reused_with_another_body_is_422(api):
    headers = {"Idempotency-Key": "c0ffee00-0000-4000-8000-000000000002"}
    await api.post(PRODUCTS, json=product_body(), headers=headers)

    response = await api.post(PRODUCTS, json=product_body(), headers=headers)

    assert response.status_code == 422


async def test_create_counts_as_one_write(make_api):
    free = await make_api(plan="free")

    response = await free.post(PRODUCTS, json=product_body())

    assert response.status_code == 201
    assert response.headers["RateLimit"].startswith('"writes";r=99;')


async def test_duplicate_that_slips_past_the_precheck_is_409_from_the_constraint(
    api, make_product, monkeypatch
):
    from tracepass.products import repository

    await make_product(model="BP-LATE")

    async def never_taken(*args, **kwargs):
        return False  # as if the other create committed after our check

    monkeypatch.setattr(repository, "model_taken", never_taken)
    response = await api.post(PRODUCTS, json=product_body(model="BP-LATE"))

    assert response.status_code == 409
    assert response.json()["error"] == "Duplicate model"
