"""GET /api/v1/passports/{id} (lang, format=full), the list, and by-serial addressing."""

from __future__ import annotations

from typing import Any

from tests.passports.conftest import PASSPORTS, MakePassport, create_product, new_gtin, new_serial


async def test_get_returns_the_full_passport(
    api: Any, product_id: str, make_passport: MakePassport
) -> None:
    created = await make_passport()
    response = await api.get(f"{PASSPORTS}/{created['_id']}")
    assert response.status_code == 200
    body = response.json()
    assert body == created | {"pendingReviewCount": 0}
    assert body["product"]["_id"] == product_id
    assert set(body) >= {
        "_id",
        "productId",
        "templateId",
        "status",
        "gs1",
        "parties",
        "fields",
        "createdAt",
        "updatedAt",
        "publishedAt",
        "suspendedAt",
        "archivedAt",
    }


async def test_passport_of_another_workspace_is_404(
    make_passport: MakePassport, make_api: Any
) -> None:
    created = await make_passport()
    other = await make_api()
    response = await other.get(f"{PASSPORTS}/{created['_id']}")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found", "details": {"resource": "passport"}}


async def test_malformed_id_is_404(api: Any) -> None:
    assert (await api.get(f"{PASSPORTS}/not-an-id")).status_code == 404


async def _translated(api: Any, make_passport: MakePassport) -> str:
    passport = await make_passport()
    response = await api.patch(
        f"{PASSPORTS}/{passport['_id']}/fields/commercial_name",
        json={"value": "Winter Grip", "sourceLocale": "en", "translations": {"de": "Wintergriff"}},
    )
    assert response.status_code == 200, response.text
    return str(passport["_id"])


async def test_fields_carry_source_locale_and_translations(
    api: Any, make_passport: MakePassport
) -> None:
    passport_id = await _translated(api, make_passport)
    field = (await api.get(f"{PASSPORTS}/{passport_id}")).json()["fields"]["commercial_name"]
    assert field["value"] == "Winter Grip"
    assert field["sourceLocale"] == "en"
    assert field["translations"] == {"de": "Wintergriff"}
    assert field["source"] == "manual"


async def test_lang_resolves_each_field_to_one_value(api: Any, make_passport: MakePassport) -> None:
    passport_id = await _translated(api, make_passport)
    de = (await api.get(f"{PASSPORTS}/{passport_id}", params={"lang": "de"})).json()
    assert de["fields"]["commercial_name"]["value"] == "Wintergriff"
    assert de["fields"]["commercial_name"]["locale"] == "de"
    assert "translations" not in de["fields"]["commercial_name"]
    fr = (await api.get(f"{PASSPORTS}/{passport_id}", params={"lang": "fr"})).json()
    assert fr["fields"]["commercial_name"]["value"] == "Winter Grip"
    assert fr["fields"]["commercial_name"]["locale"] == "en"


async def test_lang_falls_back_to_english_then_any_translation(
    api: Any, make_passport: MakePassport
) -> None:
    passport = await make_passport()
    url = f"{PASSPORTS}/{passport['_id']}/fields/commercial_name"
    response = await api.patch(
        url, json={"value": {"it": "Presa", "de": "Griff"}, "sourceLocale": "it"}
    )
    assert response.status_code == 200
    assert response.json()["value"] == "Presa"
    assert response.json()["translations"] == {"de": "Griff"}
    fr = (await api.get(f"{PASSPORTS}/{passport['_id']}", params={"lang": "fr"})).json()
    assert fr["fields"]["commercial_name"]["value"] == "Presa"


async def test_format_full_adds_labels_units_and_access_levels(
    api: Any, make_passport: MakePassport
) -> None:
    passport = await make_passport()
    await api.patch(f"{PASSPORTS}/{passport['_id']}/fields/speed_rating_kmh", json={"value": 240})
    full = (await api.get(f"{PASSPORTS}/{passport['_id']}", params={"format": "full"})).json()
    field = full["fields"]["speed_rating_kmh"]
    assert field["value"] == 240
    assert field["unit"] == "km/h"
    assert field["accessLevel"] == "public"
    assert field["label"] == "Speed Rating (km/h)"
    assert field["translations"] == {}


async def test_format_full_and_lang_combine(api: Any, make_passport: MakePassport) -> None:
    passport_id = await _translated(api, make_passport)
    body = (
        await api.get(f"{PASSPORTS}/{passport_id}", params={"format": "full", "lang": "de"})
    ).json()
    field = body["fields"]["commercial_name"]
    assert (field["value"], field["label"]) == ("Wintergriff", "Handelsname")


async def test_unknown_format_is_400(api: Any, make_passport: MakePassport) -> None:
    passport = await make_passport()
    response = await api.get(f"{PASSPORTS}/{passport['_id']}", params={"format": "xml"})
    assert response.status_code == 400


async def test_list_filters_by_product_status_and_search(
    api: Any, product_id: str, make_passport: MakePassport
) -> None:
    other_product = await create_product(api)
    gtin = new_gtin()
    a = await make_passport(gtin=gtin, serial="FIND-ME-1")
    b = await make_passport(product=other_product)
    await api.post(f"{PASSPORTS}/{b['_id']}/submit")

    all_items = (await api.get(PASSPORTS)).json()["data"]
    assert all_items["total"] == 2
    assert [i["_id"] for i in all_items["items"]] == [b["_id"], a["_id"]]  # newest first

    by_product = (await api.get(PASSPORTS, params={"productId": product_id})).json()["data"]
    assert [i["_id"] for i in by_product["items"]] == [a["_id"]]
    by_status = (await api.get(PASSPORTS, params={"status": "in_review"})).json()["data"]
    assert [i["_id"] for i in by_status["items"]] == [b["_id"]]
    by_serial = (await api.get(PASSPORTS, params={"search": "find-me"})).json()["data"]
    assert [i["_id"] for i in by_serial["items"]] == [a["_id"]]
    by_gtin = (await api.get(PASSPORTS, params={"search": gtin[3:10]})).json()["data"]
    assert [i["_id"] for i in by_gtin["items"]] == [a["_id"]]


async def test_list_items_are_trimmed(api: Any, make_passport: MakePassport) -> None:
    await make_passport()
    item = (await api.get(PASSPORTS)).json()["data"]["items"][0]
    assert set(item) == {
        "_id",
        "productId",
        "gs1",
        "status",
        "completionPercentage",
        "createdAt",
        "updatedAt",
        "publishedAt",
    }


async def test_list_pages(api: Any, make_passport: MakePassport) -> None:
    for _ in range(3):
        await make_passport()
    page = (await api.get(PASSPORTS, params={"limit": 2, "page": 2})).json()["data"]
    assert (len(page["items"]), page["total"], page["page"], page["limit"], page["totalPages"]) == (
        1,
        3,
        2,
        2,
        2,
    )


async def test_list_rejects_unknown_status_and_bad_limit(api: Any) -> None:
    assert (await api.get(PASSPORTS, params={"status": "live"})).status_code == 400
    assert (await api.get(PASSPORTS, params={"limit": 101})).status_code == 400
    assert (await api.get(PASSPORTS, params={"productId": "x"})).status_code == 400


async def test_list_is_scoped_to_the_workspace(make_passport: MakePassport, make_api: Any) -> None:
    await make_passport()
    other = await make_api()
    assert (await other.get(PASSPORTS)).json()["data"]["total"] == 0


async def test_by_serial_finds_the_passport(api: Any, make_passport: MakePassport) -> None:
    serial = new_serial()
    created = await make_passport(serial=serial)
    response = await api.get(f"{PASSPORTS}/by-serial/{serial}")
    assert response.status_code == 200
    assert response.json()["_id"] == created["_id"]


async def test_by_serial_under_two_gtins_is_409_without_gtin(
    api: Any, make_passport: MakePassport
) -> None:
    serial = new_serial()
    g1, g2 = sorted([new_gtin(), new_gtin()])
    first = await make_passport(gtin=g1, serial=serial)
    await make_passport(gtin=g2, serial=serial)
    response = await api.get(f"{PASSPORTS}/by-serial/{serial}")
    assert response.status_code == 409
    assert response.json()["error"] == "ambiguous_serial"
    assert response.json()["details"]["gtins"] == [g1, g2]
    chosen = await api.get(f"{PASSPORTS}/by-serial/{serial}", params={"gtin": g1})
    assert chosen.status_code == 200
    assert chosen.json()["_id"] == first["_id"]


async def test_by_serial_write_routes_share_the_rules(
    api: Any, make_passport: MakePassport
) -> None:
    serial = new_serial()
    g1, g2 = new_gtin(), new_gtin()
    await make_passport(gtin=g1, serial=serial)
    await make_passport(gtin=g2, serial=serial)
    ambiguous = await api.patch(
        f"{PASSPORTS}/by-serial/{serial}/fields/speed_rating_kmh", json={"value": 200}
    )
    assert ambiguous.status_code == 409
    ok = await api.patch(
        f"{PASSPORTS}/by-serial/{serial}/fields/speed_rating_kmh",
        params={"gtin": g2},
        json={"value": 200},
    )
    assert ok.status_code == 200
    archived = await api.post(f"{PASSPORTS}/by-serial/{serial}/archive", params={"gtin": g2})
    assert archived.status_code == 200
    assert archived.json()["status"] == "archived"


async def test_by_serial_unknown_is_404_and_bad_gtin_is_400(api: Any) -> None:
    assert (await api.get(f"{PASSPORTS}/by-serial/NOPE-{new_serial()}")).status_code == 404
    bad = await api.get(f"{PASSPORTS}/by-serial/X", params={"gtin": "09520123456781"})
    assert bad.status_code == 400


async def test_by_serial_of_another_workspace_is_404(
    make_passport: MakePassport, make_api: Any
) -> None:
    serial = new_serial()
    await make_passport(serial=serial)
    other = await make_api()
    assert (await other.get(f"{PASSPORTS}/by-serial/{serial}")).status_code == 404
