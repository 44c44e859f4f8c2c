"""Helpers for the public-side tests: published passports made through the real API."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from itertools import count
from typing import Any

import pytest

from tracepass.passports.models import Passport
from tracepass.public.digital_link import gtin_check_digit

PASSPORTS = "/api/v1/passports"
PRODUCTS = "/api/v1/products"
_models = count(1)
_serials = count(1)

# A tyres passport with a value at every access level (tyres pins public, restricted
# and authority fields), a translatable field, a unit, an enum and a document URL.
TYRE_VALUES: dict[str, Any] = {
    "supplier_name": "Acme Tyres GmbH",
    "batch_lot_number": "LOT-2026-01",
    "speed_rating_kmh": 240,
    "tyre_class": "C1",
    "eprel_product_url": "https://eprel.example.test/tyre/42",
    "importer_eori_number": "DE123456789012345",  # restricted
    "svhc_candidate_list_substances": ["Lead"],  # authority
}
COMMERCIAL_NAME = {"value": "Winter Grip", "translations": {"de": "Wintergriff"}}


def new_gtin() -> str:
    body = "0" + "".join(str(secrets.randbelow(10)) for _ in range(12))
    return body + gtin_check_digit(body)


def new_serial() -> str:
    return f"PUB-{next(_serials):05d}-{secrets.token_hex(2)}"


async def create_product(api: Any, **overrides: Any) -> dict[str, Any]:
    body = {
        "name": "Winter tyre 205/55 R16",
        "model": f"WT-{next(_models):05d}-{secrets.token_hex(2)}",
        "category": "tyres",
        "imageUrls": ["https://img.example.test/tyre.png"],
        "description": "A studless winter tyre.",
    }
    body.update(overrides)
    response = await api.post(PRODUCTS, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def create_passport(
    api: Any,
    product_id: str | None = None,
    gtin: str | None = None,
    serial: str | None = None,
    lot: str | None = None,
    values: dict[str, Any] | None = None,
    parties: dict[str, Any] | None = None,
) -> dict[str, Any]:
    if product_id is None:
        product_id = (await create_product(api))["_id"]
    gs1: dict[str, Any] = {"gtin": gtin or new_gtin(), "serialNumber": serial or new_serial()}
    if lot is not None:
        gs1["lot"] = lot
    body: dict[str, Any] = {
        "productId": product_id,
        "gs1": gs1,
        "fieldValues": TYRE_VALUES if values is None else values,
    }
    if parties is not None:
        body["parties"] = parties
    response = await api.post(PASSPORTS, json=body)
    assert response.status_code == 201, response.text
    passport = dict(response.json())
    if values is None:
        await set_field(
            api, passport["_id"], "commercial_name", {**COMMERCIAL_NAME, "sourceLocale": "en"}
        )
    return passport


async def set_field(api: Any, passport_id: str, key: str, body: dict[str, Any]) -> None:
    response = await api.patch(f"{PASSPORTS}/{passport_id}/fields/{key}", json=body)
    assert response.status_code == 200, response.text


async def publish(api: Any, passport_id: str) -> dict[str, Any]:
    response = await api.post(f"{PASSPORTS}/{passport_id}/publish", json={"force": True})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def suspend(api: Any, passport_id: str, reason: str | None) -> None:
    response = await api.post(f"{PASSPORTS}/{passport_id}/suspend", json={"reason": reason})
    assert response.status_code == 200, response.text


async def set_status(backend: Any, passport_id: str, status: str) -> None:
    """Put a passport in any lifecycle status directly (statuses only, not the snapshot)."""
    async with backend.database.write_session() as session:
        passport = await session.get(Passport, passport_id)
        assert passport is not None
        passport.status = status
        await session.commit()


async def published_passport(api: Any, **kwargs: Any) -> dict[str, Any]:
    passport = await create_passport(api, **kwargs)
    return await publish(api, passport["_id"])


def path_of(passport: dict[str, Any]) -> str:
    """The resolver path of a passport (its Digital Link URI without the host)."""
    uri: str = passport["gs1"]["digitalLinkUri"]
    return uri[uri.index("/p/") :]


MakePublished = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def make_published(api: Any) -> MakePublished:
    async def _make(**kwargs: Any) -> dict[str, Any]:
        return await published_passport(api, **kwargs)

    return _make
