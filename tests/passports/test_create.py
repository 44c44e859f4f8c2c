"""POST /api/v1/passports: identity (GTIN, serial), product rules, defaults, digital link."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PUBLIC_URL
from tests.passports.conftest import (
    PASSPORTS,
    MakePassport,
    MakeProduct,
    create_product,
    new_gtin,
    new_serial,
    passport_body,
)


async def test_create_answers_201_with_a_draft_passport(api: Any, product_id: str) -> None:
    gtin, serial = new_gtin(), new_serial()
    response = await api.post(PASSPORTS, json=passport_body(product_id, gtin, serial))
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft"
    assert body["productId"] == product_id
    assert body["gs1"] == {
        "gtin": gtin,
        "serialNumber": serial,
        "lot": None,
        "digitalLinkUri": f"{PUBLIC_URL}/p/01/{gtin}/21/{serial}",
    }
    assert body["revision"] == 1
    assert body["publishedAt"] is None and body["publishedRevision"] is None


async def test_create_pins_the_products_template(api: Any, product_id: str) -> None:
    product = (await api.get(f"/api/v1/products/{product_id}")).json()
    passport = (await api.post(PASSPORTS, json=passport_body(product_id))).json()
    assert passport["templateId"] == product["templateId"]
    assert passport["category"] == "tyres"


async def test_valid_check_digit_vector_is_accepted(api: Any, product_id: str) -> None:
    response = await api.post(PASSPORTS, json=passport_body(product_id, "09520123456788"))
    assert response.status_code == 201
    assert response.json()["gs1"]["gtin"] == "09520123456788"


async def test_invalid_check_digit_vector_is_400(api: Any, product_id: str) -> None:
    response = await api.post(PASSPORTS, json=passport_body(product_id, "09520123456781"))
    assert response.status_code == 400
    assert response.json() == {
        "error": "Validation error",
        "details": {"fieldErrors": {"gs1.gtin": ["GTIN check digit is invalid."]}},
    }


@pytest.mark.parametrize("gtin", ["1234", "0952012345678X", "009520123456788"])
async def test_malformed_gtin_is_400(api: Any, product_id: str, gtin: str) -> None:
    response = await api.post(PASSPORTS, json=passport_body(product_id, gtin))
    assert response.status_code == 400
    assert "gs1.gtin" in response.json()["details"]["fieldErrors"]


async def test_gtin_13_is_left_padded_to_14(api: Any, product_id: str) -> None:
    gtin14 = new_gtin()
    response = await api.post(PASSPORTS, json=passport_body(product_id, gtin14[1:]))
    assert response.status_code == 201
    assert response.json()["gs1"]["gtin"] == gtin14


async def test_gtin_of_another_workspace_is_409(api: Any, product_id: str, make_api: Any) -> None:
    gtin = new_gtin()
    assert (await api.post(PASSPORTS, json=passport_body(product_id, gtin))).status_code == 201
    other = await make_api(plan="enterprise")
    other_product = await create_product(other)
    response = await other.post(PASSPORTS, json=passport_body(other_product, gtin))
    assert response.status_code == 409
    assert response.json() == {
        "error": "GTIN is registered to another workspace",
        "details": {"gtin": gtin},
    }


async def test_duplicate_serial_within_a_gtin_is_409(api: Any, product_id: str) -> None:
    gtin, serial = new_gtin(), new_serial()
    assert (
        await api.post(PASSPORTS, json=passport_body(product_id, gtin, serial))
    ).status_code == 201
    response = await api.post(PASSPORTS, json=passport_body(product_id, gtin, serial))
    assert response.status_code == 409
    assert response.json() == {
        "error": "Serial number already exists for this GTIN",
        "details": {"gtin": gtin, "serialNumber": serial},
    }


async def test_same_serial_under_another_gtin_is_allowed(api: Any, product_id: str) -> None:
    serial = new_serial()
    for _ in range(2):
        response = await api.post(PASSPORTS, json=passport_body(product_id, new_gtin(), serial))
        assert response.status_code == 201


@pytest.mark.parametrize("serial", ["", "has space", "é-accent", "x" * 101, "tab\t"])
async def test_serial_outside_ai21_is_400(api: Any, product_id: str, serial: str) -> None:
    response = await api.post(
        PASSPORTS,
        json=passport_body(product_id, serial=serial or None)
        | {"gs1": {"gtin": new_gtin(), "serialNumber": serial}},
    )
    assert response.status_code == 400
    assert "gs1.serialNumber" in response.json()["details"]["fieldErrors"]


async def test_serial_with_ai21_punctuation_is_percent_encoded_in_the_link(
    api: Any, product_id: str
) -> None:
    gtin = new_gtin()
    response = await api.post(PASSPORTS, json=passport_body(product_id, gtin, "A/b%c?d"))
    assert response.status_code == 201
    assert response.json()["gs1"]["digitalLinkUri"] == f"{PUBLIC_URL}/p/01/{gtin}/21/A%2Fb%25c%3Fd"


async def test_lot_is_stored(api: Any, product_id: str) -> None:
    body = passport_body(product_id)
    body["gs1"]["lot"] = "LOT-7"
    response = await api.post(PASSPORTS, json=body)
    assert response.status_code == 201
    assert response.json()["gs1"]["lot"] == "LOT-7"


async def test_product_of_another_workspace_is_404(api: Any, make_api: Any) -> None:
    other = await make_api()
    foreign_product = await create_product(other)
    response = await api.post(PASSPORTS, json=passport_body(foreign_product))
    assert response.status_code == 404
    assert response.json() == {"error": "Not found", "details": {"resource": "product"}}


async def test_malformed_product_id_is_404(api: Any) -> None:
    response = await api.post(PASSPORTS, json=passport_body("nope"))
    assert response.status_code == 404


async def test_archived_product_is_409(api: Any, product_id: str) -> None:
    archived = await api.patch(f"/api/v1/products/{product_id}", json={"status": "archived"})
    assert archived.status_code == 200
    response = await api.post(PASSPORTS, json=passport_body(product_id))
    assert response.status_code == 409
    assert response.json() == {"error": "Product is archived", "details": {"productId": product_id}}


async def test_product_passport_count_counts_created_passports(
    api: Any, product_id: str, make_passport: MakePassport
) -> None:
    await make_passport()
    await make_passport()
    product = (await api.get(f"/api/v1/products/{product_id}")).json()
    assert product["passportCount"] == 2


async def test_product_default_field_values_are_applied(
    api: Any, make_product: MakeProduct
) -> None:
    product = await make_product(
        "batteries", defaultFieldValues={"battery_chemistry": "lithium-ion", "nominal_voltage": 48}
    )
    response = await api.post(PASSPORTS, json=passport_body(product))
    fields = response.json()["fields"]
    assert fields["nominal_voltage"]["value"] == 48
    assert fields["nominal_voltage"]["source"] == "system"
    assert fields["battery_chemistry"]["value"] == "lithium-ion"


async def test_field_values_override_defaults_and_are_validated(
    api: Any, make_product: MakeProduct
) -> None:
    product = await make_product("batteries", defaultFieldValues={"nominal_voltage": 48})
    ok = await api.post(PASSPORTS, json=passport_body(product, fieldValues={"nominalVoltage": 12}))
    assert ok.status_code == 201
    assert ok.json()["fields"]["nominal_voltage"]["value"] == 12
    bad = await api.post(
        PASSPORTS,
        json=passport_body(product, fieldValues={"nominal_voltag": 12, "nominal_voltage": "x"}),
    )
    assert bad.status_code == 400
    errors = bad.json()["details"]["fieldErrors"]
    assert set(errors) == {"fieldValues.nominal_voltag", "fieldValues.nominal_voltage"}
    assert "Did you mean `nominal_voltage`?" in errors["fieldValues.nominal_voltag"][0]


async def test_parties_on_create_are_validated_and_stored(api: Any, product_id: str) -> None:
    party = {"legalName": "Acme GmbH", "gln": "4012345000009", "country": "DE"}
    ok = await api.post(PASSPORTS, json=passport_body(product_id, parties={"manufacturer": party}))
    assert ok.status_code == 201
    assert ok.json()["parties"]["manufacturer"]["legalName"] == "Acme GmbH"
    bad = await api.post(PASSPORTS, json=passport_body(product_id, parties={"shipper": party}))
    assert bad.status_code == 400
    assert "parties.shipper" in bad.json()["details"]["fieldErrors"]


async def test_missing_gs1_is_400(api: Any, product_id: str) -> None:
    response = await api.post(PASSPORTS, json={"productId": product_id})
    assert response.status_code == 400
    assert response.json()["details"]["fieldErrors"] == {"gs1": ["Required"]}


async def test_idempotent_create_replays_the_same_passport(api: Any, product_id: str) -> None:
    body = passport_body(product_id)
    headers = {"Idempotency-Key": new_serial("key")}
    first = await api.post(PASSPORTS, json=body, headers=headers)
    second = await api.post(PASSPORTS, json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json()["_id"] == first.json()["_id"]
    assert second.headers["Idempotent-Replayed"] == "true"
