"""The lean `GET /api/v1/passports/{id}`: byte-for-byte the FastAPI route, cached per row.

A query string sends the request to the FastAPI route (unknown parameters are ignored
there), so `?via=orm` renders the same passport through the ORM path for comparison.
"""

from __future__ import annotations

from typing import Any

from tests.passports.conftest import PASSPORTS, TYRE_REQUIRED, MakePassport, fill


async def assert_plain_read_matches_orm(api: Any, passport_id: str) -> dict[str, Any]:
    plain = await api.get(f"{PASSPORTS}/{passport_id}")
    orm = await api.get(f"{PASSPORTS}/{passport_id}?via=orm")
    assert plain.status_code == orm.status_code == 200
    assert plain.headers["content-type"] == orm.headers["content-type"] == "application/json"
    assert plain.json() == orm.json()
    return dict(plain.json())


def read_cache(app: Any) -> Any:
    return app.state.passport_read_cache


async def test_plain_read_is_served_by_the_lean_route_and_cached(
    api: Any, app: Any, make_passport: MakePassport
) -> None:
    created = await make_passport()
    first = await api.get(f"{PASSPORTS}/{created['_id']}")
    second = await api.get(f"{PASSPORTS}/{created['_id']}")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert first.json() == created | {"pendingReviewCount": 0}
    assert read_cache(app).get(created["_id"])[1] == first.content


async def test_plain_read_follows_every_change_of_the_passport(
    api: Any, make_passport: MakePassport
) -> None:
    passport = await make_passport()
    pid = passport["_id"]
    await assert_plain_read_matches_orm(api, pid)
    await fill(api, pid, TYRE_REQUIRED)
    assert (await assert_plain_read_matches_orm(api, pid))["fields"]["supplier_name"][
        "value"
    ] == "Acme Tyres GmbH"
    party = {"legalName": "Acme GmbH", "legacyOperatorId": "DE123", "country": "DE"}
    assert (
        await api.patch(f"{PASSPORTS}/{pid}/parties/manufacturer", json=party)
    ).status_code == 200
    assert "manufacturer" in (await assert_plain_read_matches_orm(api, pid))["parties"]
    proposed = await api.patch(
        f"{PASSPORTS}/{pid}/fields/speed_rating_kmh", json={"value": 240, "source": "ai_suggested"}
    )
    assert proposed.status_code == 200, proposed.text
    assert (await assert_plain_read_matches_orm(api, pid))["pendingReviewCount"] == 1
    published = await api.post(f"{PASSPORTS}/{pid}/publish", json={"force": True})
    assert published.status_code == 200, published.text
    after_publish = await assert_plain_read_matches_orm(api, pid)
    assert after_publish["status"] == "published"
    assert after_publish["publishedAt"] is not None
    suspended = await api.post(f"{PASSPORTS}/{pid}/suspend", json={"reason": "Recall"})
    assert suspended.status_code == 200, suspended.text
    after_suspend = await assert_plain_read_matches_orm(api, pid)
    assert (after_suspend["status"], after_suspend["suspensionReason"]) == ("suspended", "Recall")


async def test_plain_read_follows_a_renamed_product(
    api: Any, product_id: str, make_passport: MakePassport
) -> None:
    passport = await make_passport()
    await assert_plain_read_matches_orm(api, passport["_id"])
    renamed = await api.patch(f"/api/v1/products/{product_id}", json={"name": "Renamed tyre"})
    assert renamed.status_code == 200, renamed.text
    body = await assert_plain_read_matches_orm(api, passport["_id"])
    assert body["product"]["name"] == "Renamed tyre"


async def test_plain_read_of_an_unknown_or_malformed_id_is_404(api: Any) -> None:
    for passport_id in ("0" * 24, "not-an-id", "batch"):
        response = await api.get(f"{PASSPORTS}/{passport_id}")
        assert response.status_code == 404, passport_id
        assert response.json() == {"error": "Not found", "details": {"resource": "passport"}}


async def test_plain_read_without_a_key_is_401(client: Any, make_passport: MakePassport) -> None:
    created = await make_passport()
    response = await client.get(f"{PASSPORTS}/{created['_id']}")
    assert response.status_code == 401
    assert response.json()["error"] == "Unauthorized"


async def test_query_parameters_are_still_validated_by_the_fastapi_route(
    api: Any, make_passport: MakePassport
) -> None:
    created = await make_passport()
    response = await api.get(f"{PASSPORTS}/{created['_id']}?format=compact")
    assert response.status_code == 400
    assert "format" in response.json()["details"]["fieldErrors"]
