"""Helpers for the passports tests: products through the real API, fresh GTINs, passports."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from itertools import count
from typing import Any

import pytest

from tracepass.passports.gs1 import check_digit

PASSPORTS = "/api/v1/passports"
PRODUCTS = "/api/v1/products"
_models = count(1)
_serials = count(1)


def new_gtin() -> str:
    """A GTIN-14 nobody has used yet (GTIN ownership is global across the test database)."""
    body = "0" + "".join(str(secrets.randbelow(10)) for _ in range(12))
    return body + str(check_digit(body))


def new_serial(prefix: str = "SN") -> str:
    return f"{prefix}-{next(_serials):06d}-{secrets.token_hex(2)}"


MakeProduct = Callable[..., Awaitable[str]]
MakePassport = Callable[..., Awaitable[dict[str, Any]]]


async def create_product(api: Any, category: str = "tyres", **overrides: Any) -> str:
    body = {"name": "Test product", "model": f"M-{next(_models):05d}", "category": category}
    body.update(overrides)
    response = await api.post(PRODUCTS, json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["_id"])


@pytest.fixture
def make_product(api: Any) -> MakeProduct:
    async def _make(category: str = "tyres", **overrides: Any) -> str:
        return await create_product(api, category, **overrides)

    return _make


@pytest.fixture
async def product_id(make_product: MakeProduct) -> str:
    return await make_product()


def passport_body(
    product_id: str, gtin: str | None = None, serial: str | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "productId": product_id,
        "gs1": {"gtin": gtin or new_gtin(), "serialNumber": serial or new_serial()},
    }
    body.update(extra)
    return body


async def create_passport(api: Any, product_id: str, **kwargs: Any) -> dict[str, Any]:
    response = await api.post(PASSPORTS, json=passport_body(product_id, **kwargs))
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.fixture
def make_passport(api: Any, product_id: str) -> MakePassport:
    async def _make(**kwargs: Any) -> dict[str, Any]:
        return await create_passport(api, kwargs.pop("product", product_id), **kwargs)

    return _make


# Values that make a tyres passport compliant (tyres require supplier_name, batch_lot_number).
TYRE_REQUIRED = {"supplier_name": "Acme Tyres GmbH", "batch_lot_number": "LOT-2026-01"}


async def fill(api: Any, passport_id: str, values: dict[str, Any]) -> None:
    for key, value in values.items():
        response = await api.patch(f"{PASSPORTS}/{passport_id}/fields/{key}", json={"value": value})
        assert response.status_code == 200, response.text
