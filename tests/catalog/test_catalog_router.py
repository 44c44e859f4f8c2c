"""GET /api/v1/templates and /api/v1/templates/{category}.

Most tests mount the router on a bare FastAPI app with the project's error handlers
and a SQLite session, so they exercise this domain alone. The last tests go through
the full application (`api` fixture from tests/conftest.py: auth, gateway, migrations).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from tracepass.catalog.definitions import DATA_TYPES, load_catalog
from tracepass.catalog.router import router
from tracepass.catalog.service import clear_cache, seed_catalog
from tracepass.core.errors import install_error_handlers
from tracepass.db.base import Base
from tracepass.db.session import get_session

TABLE = Base.metadata.tables["template_versions"]


@pytest.fixture
async def local(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'router.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all, tables=[TABLE])
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    clear_cache()
    async with sessions() as session:
        await seed_catalog(session)

    async def session_override() -> AsyncIterator[AsyncSession]:
        async with sessions() as session:
            yield session

    app = FastAPI()
    app.include_router(router)
    install_error_handlers(app)
    app.dependency_overrides[get_session] = session_override
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
    clear_cache()
    await engine.dispose()


async def test_list_has_every_category_with_its_current_template(local) -> None:
    response = await local.get("/api/v1/templates")
    assert response.status_code == 200
    data = response.json()["data"]
    assert [d["slug"] for d in data] == list(load_catalog())
    battery = data[0]
    assert battery["key"] == "battery" and battery["label"] == "Battery"
    assert len(battery["templateId"]) == 24 and battery["version"] == 1
    assert battery["fieldCount"] >= 100
    assert 0 < battery["requiredFieldCount"] < battery["fieldCount"]
    assert battery["anticipatedFieldCount"] > 0


def test_list_instrument_carries_the_obligation_date_and_precision() -> None:
    # pure shape check of the serialiser used by the list endpoint
    from tracepass.catalog.schemas import summary_wire

    wire = summary_wire(load_catalog()["iron-steel"])
    assert wire["instrument"]["number"] == "(EU) 2024/1781"
    assert wire["instrument"]["datePrecision"] == "year"
    assert wire["instrument"]["effectiveDate"] == "2027-01-01"


async def test_battery_template_lists_every_field_with_type_unit_access_and_reference(
    local,
) -> None:
    response = await local.get("/api/v1/templates/batteries")
    assert response.status_code == 200
    body = response.json()
    assert body["key"] == "battery" and body["slug"] == "batteries"
    fields = {f["key"]: f for f in body["fields"]}
    assert len(fields) == body["fieldCount"] >= 100
    assert all(f["dataType"] in DATA_TYPES for f in fields.values())
    assert all(f["accessLevel"] in ("public", "restricted", "authority") for f in fields.values())
    assert all(f["regulationRef"]["instrument"] for f in fields.values())
    voltage = fields["nominal_voltage"]
    assert (voltage["dataType"], voltage["unit"]) == ("number", "V")
    assert voltage["regulationRef"]["instrument"] == "32023R1542"


async def test_template_by_key_equals_template_by_slug(local) -> None:
    by_slug = (await local.get("/api/v1/templates/iron-steel")).json()
    by_key = (await local.get("/api/v1/templates/steel")).json()
    assert by_slug == by_key
    assert by_slug["templateId"] is not None


async def test_template_exposes_subcategories_and_sections(local) -> None:
    body = (await local.get("/api/v1/templates/battery")).json()
    assert body["subcategoryField"] == "battery_category"
    assert "EV" in [s["key"] for s in body["subcategories"]]
    assert sum(s["fieldCount"] for s in body["sections"]) == body["fieldCount"]


async def test_unknown_category_is_404_template_not_found(local) -> None:
    response = await local.get("/api/v1/templates/spaceships")
    assert response.status_code == 404
    assert response.json() == {
        "error": "TEMPLATE_NOT_FOUND",
        "details": {"category": "spaceships"},
    }


async def test_lang_returns_labels_in_that_locale(local) -> None:
    body = (await local.get("/api/v1/templates/batteries", params={"lang": "de"})).json()
    assert body["lang"] == "de"
    assert body["label"] == "Batterie"
    voltage = next(f for f in body["fields"] if f["key"] == "nominal_voltage")
    assert (
        voltage["label"] == load_catalog()["batteries"].field_by_key["nominal_voltage"].label["de"]
    )


async def test_unknown_lang_falls_back_to_english(local) -> None:
    body = (await local.get("/api/v1/templates/batteries", params={"lang": "xx"})).json()
    assert body["label"] == "Battery"


async def test_malformed_lang_is_a_400(local) -> None:
    response = await local.get("/api/v1/templates/batteries", params={"lang": "<script>"})
    assert response.status_code == 400


async def test_enum_option_labels_follow_the_locale(local) -> None:
    body = (await local.get("/api/v1/templates/battery", params={"lang": "fr"})).json()
    category = next(f for f in body["fields"] if f["key"] == "battery_category")
    ev = next(o for o in category["validation"]["options"] if o["value"] == "EV")
    assert ev["label"] == "Véhicule électrique"


async def test_full_app_serves_templates_to_an_authenticated_caller(api) -> None:
    response = await api.get("/api/v1/templates/batteries")
    assert response.status_code == 200
    assert response.json()["fieldCount"] >= 100
