"""Helpers for the public-side tests: published passports made through the real API."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from itertools import count
from typing import Any

import orjson
import pytest

from tracepass.core.timeutil import iso_z, utcnow
from tracepass.passports.models import Passport
from tracepass.products.models import Product
from tracepass.public.digital_link import gtin_check_digit, item_uri
from tracepass.workspaces.models import Workspace


def digital_link_uri(public_base: str, gtin: str, serial: str) -> str:
    return item_uri(public_base + "/p", gtin, serial)


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
    return dict(response.json())


async def publish(backend: Any, passport_id: str, translations: bool = True) -> dict[str, Any]:
    """Publish by writing the snapshot the passports domain documents (docs/passports.md).

    The passports publish route was still being built when these tests were written,
    so this helper freezes the snapshot straight through the models, in the shape of
    the published-snapshot contract. It also adds a German translation of
    `commercial_name` so locale resolution has something to resolve.
    """
    async with backend.database.write_session() as session:
        passport = await session.get(Passport, passport_id)
        assert passport is not None
        product = await session.get(Product, passport.product_id)
        workspace = await session.get(Workspace, passport.workspace_id)
        assert product is not None and workspace is not None
        fields = {
            key: {
                "value": entry.get("value"),
                "sourceLocale": entry.get("sourceLocale"),
                "translations": dict(entry.get("translations") or {}),
            }
            for key, entry in (passport.fields or {}).items()
        }
        if translations and "commercial_name" not in fields:
            fields["commercial_name"] = {**COMMERCIAL_NAME, "sourceLocale": "en"}
        now = utcnow()
        uri = digital_link_uri(backend.settings.public_base, passport.gtin, passport.serial)
        snapshot = {
            "passportId": passport.id,
            "revision": passport.revision,
            "publishedAt": iso_z(now),
            "updatedAt": iso_z(now),
            "status": "published",
            "templateId": passport.template_id,
            "category": product.category,
            "gs1": {
                "gtin": passport.gtin,
                "serialNumber": passport.serial,
                "lot": passport.lot,
                "digitalLinkUri": uri,
            },
            "product": {
                "_id": product.id,
                "name": product.name,
                "model": product.model,
                "description": product.description,
                "imageUrls": list(product.image_urls or []),
                "sourceLocale": product.source_locale,
            },
            "workspace": {"name": workspace.name, "brandColor": workspace.brand_color},
            "fields": fields,
            "parties": dict(passport.parties or {}),
        }
        passport.status = "published"
        passport.published_snapshot = snapshot
        passport.published_etag = hashlib.sha256(
            orjson.dumps(snapshot, option=orjson.OPT_SORT_KEYS)
        ).hexdigest()
        passport.published_revision = passport.revision
        passport.published_at = now
        await session.commit()
    return {"_id": passport_id, "status": "published", "gs1": snapshot["gs1"]}


async def set_status(
    backend: Any, passport_id: str, status: str, reason: str | None = None
) -> None:
    async with backend.database.write_session() as session:
        passport = await session.get(Passport, passport_id)
        assert passport is not None
        passport.status = status
        passport.suspend_reason = reason
        await session.commit()


async def published_passport(api: Any, backend: Any, **kwargs: Any) -> dict[str, Any]:
    passport = await create_passport(api, **kwargs)
    return await publish(backend, passport["_id"])


def path_of(passport: dict[str, Any]) -> str:
    """The resolver path of a passport (its Digital Link URI without the host)."""
    uri: str = passport["gs1"]["digitalLinkUri"]
    return uri[uri.index("/p/") :]


MakePublished = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def make_published(api: Any, backend: Any) -> MakePublished:
    async def _make(**kwargs: Any) -> dict[str, Any]:
        return await published_passport(api, backend, **kwargs)

    return _make
