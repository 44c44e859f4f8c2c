"""A batch answers and stores exactly what the same items created one by one would.

The batch path shares work between items (one field validation per product and
value map, one rendering per shape, bulk inserts); these tests pin that the
sharing changes nothing: per-item responses (created and every error, in order),
the read path's rendering of the created passports, and the stored passports,
audit entries, outbox events and product counts.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tests.passports.conftest import (
    PASSPORTS,
    create_product,
    new_gtin,
    new_serial,
    passport_body,
)
from tracepass.passports.models import AuditEntry, OutboxEvent, Passport

BATCH = f"{PASSPORTS}/batch"
DEFAULTS = {"battery_chemistry": "lithium-ion", "nominal_voltage": 48, "battery_category": "EV"}
PARTY = {"legalName": "Acme GmbH", "gln": "4012345000009", "country": "DE"}
OUTBOX_KEYS = ["passportId", "productId", "gtin", "serialNumber", "status", "actor", "occurredAt"]
TRANSLATED = {"manufacturer_name": {"de": "Acme DE", "en": "Acme EN"}, "nominalVoltage": 12}


def _items(products: dict[str, str], gtin: str, serial: str, taken: str) -> list[dict[str, Any]]:
    """Every kind of item: created with and without values, and each per-item error."""
    battery, tyre, archived = products["battery"], products["tyre"], products["archived"]
    return [
        passport_body(battery, gtin, f"{serial}-0"),
        _with_lot(passport_body(battery, gtin, f"{serial}-1", fieldValues=TRANSLATED), "L-1"),
        passport_body(battery, "09520123456781", f"{serial}-2"),
        passport_body(battery, gtin, f"{serial}-3", parties={"manufacturer": PARTY}),
        passport_body("0" * 24, gtin, f"{serial}-4"),
        passport_body(archived, gtin, f"{serial}-5"),
        passport_body(battery, gtin, taken),
        passport_body(tyre, gtin, f"{serial}-7", fieldValues={"nominal_voltage": 1}),
        passport_body(battery, gtin, f"{serial}-8", fieldValues={"nominal_voltage": "high"}),
        passport_body(battery, gtin, f"{serial}-1", fieldValues=TRANSLATED),
        passport_body(battery, gtin, f"{serial}-10", fieldValues=TRANSLATED),
        passport_body(battery, gtin[1:], f"{serial}/11(x)", fieldValues={"nominal_voltage": None}),
        passport_body(battery, gtin, f"{serial}-12", parties={"shipper": PARTY}),
        passport_body(tyre, gtin, f"{serial}-13"),
        passport_body("not-an-id", gtin, f"{serial}-14"),
    ]


def _with_lot(item: dict[str, Any], lot: str) -> dict[str, Any]:
    item["gs1"]["lot"] = lot
    return item


async def _products(api: Any) -> dict[str, str]:
    battery = await create_product(api, "batteries", defaultFieldValues=DEFAULTS)
    tyre = await create_product(api, "tyres")
    archived = await create_product(api, "tyres")
    assert (await api.post(f"/api/v1/products/{archived}/archive")).status_code == 200
    return {"battery": battery, "tyre": tyre, "archived": archived}


def _as_batch_result(index: int, response: Any) -> dict[str, Any]:
    body = response.json()
    if response.status_code == 201:
        return {"index": index, "status": "created", "data": body}
    result = {"index": index, "status": "error", "statusCode": response.status_code}
    return result | body


def _normalised(value: Any, renames: dict[str, str]) -> Any:
    """`value` with ids, serials and timestamps replaced by stable names."""
    if isinstance(value, dict):
        return {k: _normalised(v, renames) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalised(v, renames) for v in value]
    if isinstance(value, str):
        for old, new in renames.items():
            value = value.replace(old, new)
        if len(value) == 24 and value.endswith("Z") and value[4] == "-":
            return "<timestamp>"
    return value


async def _rows(backend: Any, workspace_id: str, passport_ids: list[str]) -> list[dict[str, Any]]:
    """Stored passport, audit and outbox rows of each passport, in the given order."""
    async with backend.database.read_session() as session:
        passports = await session.scalars(select(Passport).where(Passport.id.in_(passport_ids)))
        audits = await session.scalars(
            select(AuditEntry).where(AuditEntry.passport_id.in_(passport_ids))
        )
        events = await session.scalars(
            select(OutboxEvent).where(OutboxEvent.workspace_id == workspace_id)
        )
        passport_by_id = {p.id: p for p in passports}
        audit_by_passport = {a.passport_id: a for a in audits}
        event_by_passport = {e.payload["passportId"]: e for e in events}
    rows = []
    for passport_id in passport_ids:
        p = passport_by_id[passport_id]
        audit, event = audit_by_passport[passport_id], event_by_passport[passport_id]
        assert sorted(event.payload) == sorted(OUTBOX_KEYS)
        if backend.name == "sqlite":  # JSONB keeps no key order
            assert list(event.payload) == OUTBOX_KEYS
        rows.append(
            {
                "passport": _columns(p, skip=("id", "created_at", "updated_at")),
                "audit": _columns(audit, skip=("id", "passport_id", "created_at")),
                "outbox": _columns(event, skip=("id", "created_at")),
                "stamps": p.created_at == p.updated_at == audit.created_at == event.created_at,
            }
        )
    return rows


def _columns(row: Any, skip: tuple[str, ...]) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in skip}


async def test_batch_matches_the_same_items_created_one_by_one(api: Any, backend: Any) -> None:
    products = await _products(api)
    gtin, taken = new_gtin(), new_serial("TAKEN")
    for serial in (taken, f"X{taken}"):
        body = passport_body(products["battery"], gtin, serial)
        assert (await api.post(PASSPORTS, json=body)).status_code == 201
    serial = new_serial("EQ")
    batch = await api.post(BATCH, json={"passports": _items(products, gtin, serial, taken)})
    assert batch.status_code == 200
    batch_results = batch.json()["results"]

    singles = []
    for index, item in enumerate(_items(products, gtin, f"X{serial}", f"X{taken}")):
        singles.append(_as_batch_result(index, await api.post(PASSPORTS, json=item)))

    statuses = [r.get("statusCode", 201) for r in batch_results]
    assert statuses == [201, 201, 400, 201, 404, 409, 409, 400, 400, 409, 201, 201, 400, 201, 404]
    assert batch.json()["created"] == 6 and batch.json()["failed"] == 9
    batch_ids = [r["data"]["_id"] for r in batch_results if r["status"] == "created"]
    single_ids = [r["data"]["_id"] for r in singles if r["status"] == "created"]
    renames_batch = {serial: "<serial>", **{pid: f"<id{n}>" for n, pid in enumerate(batch_ids)}}
    renames_single = {
        f"X{serial}": "<serial>",
        f"X{taken}": taken,
        **{pid: f"<id{n}>" for n, pid in enumerate(single_ids)},
    }
    assert _normalised(batch_results, renames_batch) == _normalised(singles, renames_single)

    # The read path renders each created passport exactly as the batch answered it.
    for result in batch_results:
        if result["status"] == "created":
            read = await api.get(f"{PASSPORTS}/{result['data']['_id']}")
            assert read.json() == result["data"]

    batch_rows = await _rows(backend, api.workspace.workspace_id, batch_ids)
    single_rows = await _rows(backend, api.workspace.workspace_id, single_ids)
    assert _normalised(batch_rows, renames_batch) == _normalised(single_rows, renames_single)
    assert all(row["stamps"] for row in batch_rows)
    battery = (await api.get(f"/api/v1/products/{products['battery']}")).json()
    tyre = (await api.get(f"/api/v1/products/{products['tyre']}")).json()
    assert (battery["passportCount"], tyre["passportCount"]) == (2 + 5 * 2, 1 * 2)


async def test_batch_of_one_shape_shares_nothing_mutable(api: Any) -> None:
    """Items built from one cached shape answer independent objects with their own identity."""
    product = await create_product(api, "batteries", defaultFieldValues=DEFAULTS)
    gtin = new_gtin()
    items = [passport_body(product, gtin, f"SHAPE-{n}", fieldValues=TRANSLATED) for n in range(3)]
    items.append(passport_body(product, gtin, "SHAPE-3", parties={"manufacturer": PARTY}))
    results = (await api.post(BATCH, json={"passports": items})).json()["results"]
    data = [r["data"] for r in results]
    assert [d["gs1"]["serialNumber"] for d in data] == [f"SHAPE-{n}" for n in range(4)]
    assert len({d["_id"] for d in data}) == 4
    assert [bool(d["parties"]) for d in data] == [False, False, False, True]
    assert data[0]["fields"] == data[1]["fields"] == data[2]["fields"]
    assert data[0]["fields"]["manufacturer_name"] == {
        "value": "Acme EN",
        "sourceLocale": "en",
        "translations": {"de": "Acme DE"},
        "source": "manual",
        "updatedAt": data[0]["createdAt"],
    }
