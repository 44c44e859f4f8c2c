"""POST /api/v1/passports/batch and the maxDpps quota (402 overage_required)."""

from __future__ import annotations

import time
from typing import Any

from tests.passports.conftest import (
    PASSPORTS,
    create_product,
    new_gtin,
    new_serial,
    passport_body,
)

BATCH = f"{PASSPORTS}/batch"


async def _count(api: Any) -> int:
    return int((await api.get(PASSPORTS, params={"limit": 1})).json()["data"]["total"])


async def test_batch_of_100_is_created_in_one_request(api: Any, product_id: str) -> None:
    gtin = new_gtin()
    items = [passport_body(product_id, gtin, f"B100-{i:04d}") for i in range(100)]
    started = time.perf_counter()
    response = await api.post(BATCH, json={"passports": items})
    elapsed = time.perf_counter() - started
    print(f"batch of 100 took {elapsed * 1000:.0f} ms")  # reported, never asserted
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["failed"]) == (100, 0)
    assert [r["index"] for r in body["results"]] == list(range(100))
    assert all(r["status"] == "created" and r["data"]["status"] == "draft" for r in body["results"])
    product = (await api.get(f"/api/v1/products/{product_id}")).json()
    assert product["passportCount"] == 100


async def test_batch_items_succeed_or_fail_on_their_own(api: Any, product_id: str) -> None:
    gtin, taken = new_gtin(), new_serial()
    assert (
        await api.post(PASSPORTS, json=passport_body(product_id, gtin, taken))
    ).status_code == 201
    dup = new_serial()
    items = [
        passport_body(product_id, gtin, new_serial()),
        passport_body(product_id, gtin, taken),
        passport_body(product_id, "09520123456781"),
        {"productId": product_id},
        passport_body(product_id, gtin, dup),
        passport_body(product_id, gtin, dup),
        passport_body("0" * 24),
    ]
    response = await api.post(BATCH, json={"passports": items})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == [
        "created",
        "error",
        "error",
        "error",
        "created",
        "error",
        "error",
    ]
    assert results[1]["error"] == "Serial number already exists for this GTIN"
    assert results[1]["statusCode"] == 409
    assert results[2]["details"]["fieldErrors"] == {"gs1.gtin": ["GTIN check digit is invalid."]}
    assert results[3]["details"]["fieldErrors"] == {"gs1": ["Required"]}
    assert results[5]["error"] == "Serial number already exists for this GTIN"
    assert results[6] == {
        "index": 6,
        "status": "error",
        "statusCode": 404,
        "error": "Not found",
        "details": {"resource": "product"},
    }
    assert response.json()["created"] == 2
    assert await _count(api) == 3


async def test_batch_over_100_items_is_400(api: Any, product_id: str) -> None:
    items = [passport_body(product_id) for _ in range(101)]
    response = await api.post(BATCH, json={"passports": items})
    assert response.status_code == 400
    assert "passports" in response.json()["details"]["fieldErrors"]


async def test_empty_batch_is_400(api: Any) -> None:
    response = await api.post(BATCH, json={"passports": []})
    assert response.status_code == 400


async def test_batch_budget_is_charged_as_a_unit(make_api: Any) -> None:
    api = await make_api(plan="free")  # 100 writes a day, 50 DPPs
    product = await create_product(api)  # 1 write
    gtin = new_gtin()
    first = [passport_body(product, gtin, f"U1-{i}") for i in range(40)]
    first += [passport_body(product, gtin, "bad serial") for _ in range(20)]
    response = await api.post(BATCH, json={"passports": first})
    assert response.status_code == 200
    assert response.json()["created"] == 40
    second = [passport_body(product, gtin, f"U2-{i}") for i in range(60)]
    response = await api.post(BATCH, json={"passports": second})
    assert response.status_code == 429
    assert response.json()["error"] == "Rate limit exceeded"
    assert await _count(api) == 40


async def test_batch_replay_with_the_same_idempotency_key(api: Any, product_id: str) -> None:
    items = [passport_body(product_id) for _ in range(3)]
    headers = {"Idempotency-Key": new_serial("batch")}
    first = await api.post(BATCH, json={"passports": items}, headers=headers)
    second = await api.post(BATCH, json={"passports": items}, headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert await _count(api) == 3


async def test_create_over_the_dpp_quota_is_402(make_api: Any, backend: Any) -> None:
    api = await make_api(plan="basic")  # 500 DPPs, no overage
    product = await create_product(api)
    await _fill_to_quota(api, product, 500)
    response = await api.post(PASSPORTS, json=passport_body(product))
    assert response.status_code == 402
    assert response.json()["error"] == "overage_required"
    details = response.json()["details"]
    assert (
        details["plan"],
        details["maxDpps"],
        details["livePassports"],
        details["requested"],
    ) == (
        "basic",
        500,
        500,
        1,
    )
    assert details["overageAllowed"] is False
    confirmed = await api.post(PASSPORTS, json=passport_body(product, confirmOverage=True))
    assert confirmed.status_code == 402


async def test_confirm_overage_creates_past_the_quota_on_an_overage_plan(make_api: Any) -> None:
    api = await make_api(plan="starter")  # 2,500 DPPs, overage allowed
    product = await create_product(api)
    await _fill_to_quota(api, product, 2500)
    refused = await api.post(PASSPORTS, json=passport_body(product))
    assert refused.status_code == 402
    assert refused.json()["details"]["overageAllowed"] is True
    accepted = await api.post(PASSPORTS, json=passport_body(product, confirmOverage=True))
    assert accepted.status_code == 201


async def test_batch_over_quota_is_402_as_a_unit(make_api: Any) -> None:
    api = await make_api(plan="free")  # 50 DPPs
    product = await create_product(api)
    gtin = new_gtin()
    ok = await api.post(
        BATCH, json={"passports": [passport_body(product, gtin, f"Q-{i}") for i in range(45)]}
    )
    assert ok.json()["created"] == 45
    over = await api.post(
        BATCH, json={"passports": [passport_body(product, gtin, f"R-{i}") for i in range(10)]}
    )
    assert over.status_code == 402
    assert over.json()["details"]["requested"] == 10
    assert await _count(api) == 45


async def test_archived_passports_free_their_quota_slot(make_api: Any) -> None:
    api = await make_api(plan="free")
    product = await create_product(api)
    gtin = new_gtin()
    created = await api.post(
        BATCH, json={"passports": [passport_body(product, gtin, f"F-{i}") for i in range(50)]}
    )
    assert created.json()["created"] == 50
    assert (await api.post(PASSPORTS, json=passport_body(product))).status_code == 402
    first_id = created.json()["results"][0]["data"]["_id"]
    assert (await api.post(f"{PASSPORTS}/{first_id}/archive")).status_code == 200
    assert (await api.post(PASSPORTS, json=passport_body(product))).status_code == 201


async def _fill_to_quota(api: Any, product: str, total: int) -> None:
    """Bulk-insert `total` passports straight through the batch endpoint's bulk path."""
    from tracepass.core.auth import resolve_api_key
    from tracepass.passports import service

    database = api.client._transport.app.state.db  # the app under test
    async with database.write_session() as session:
        auth = await resolve_api_key(session, api.workspace.api_key)
    assert auth is not None
    caller = service.Caller(auth, "https://dpp.example.test")
    gtin = new_gtin()
    for start in range(0, total, 100):
        items = [
            passport_body(product, gtin, f"FILL-{i}") for i in range(start, min(total, start + 100))
        ]
        async with database.write_session() as session:
            result = await service.create_batch(session, caller, items, confirm_overage=False)
        assert result["created"] == len(items)
