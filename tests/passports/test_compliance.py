"""GET /api/v1/passports/{id}/compliance: verdicts, findings, conditional coverage."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from tests.passports.conftest import (
    PASSPORTS,
    TYRE_REQUIRED,
    MakePassport,
    MakeProduct,
    create_passport,
    fill,
)
from tracepass.passports.models import Passport


async def compliance(api: Any, passport_id: str) -> dict[str, Any]:
    response = await api.get(f"{PASSPORTS}/{passport_id}/compliance")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_missing_required_fields_make_it_incomplete(
    api: Any, make_passport: MakePassport
) -> None:
    pid = (await make_passport())["_id"]
    report = await compliance(api, pid)
    assert report["verdict"] == "incomplete"
    assert report["category"] == "tyres"
    assert report["conditionalCoverage"] == "static-only"
    critical = [f for f in report["findings"] if f["severity"] == "critical"]
    assert {f["field"] for f in critical} == {"supplier_name", "batch_lot_number"}
    assert all(f["regulationRef"]["instrument"] for f in critical)
    assert report["counts"]["critical"] == 2


async def test_filling_the_required_fields_makes_it_compliant(
    api: Any, make_passport: MakePassport
) -> None:
    pid = (await make_passport())["_id"]
    await fill(api, pid, TYRE_REQUIRED)
    report = await compliance(api, pid)
    assert report["verdict"] == "compliant"
    assert report["counts"]["critical"] == report["counts"]["warning"] == 0
    assert report["completionPercentage"] == 100.0


async def test_a_stored_value_breaking_its_format_is_a_warning(
    api: Any, backend: Any, make_passport: MakePassport
) -> None:
    pid = (await make_passport())["_id"]
    await fill(api, pid, TYRE_REQUIRED)
    async with backend.database.write_session() as session:
        row = (await session.execute(select(Passport).where(Passport.id == pid))).scalar_one()
        fields = dict(row.fields)
        fields["speed_rating_kmh"] = {"value": "fast", "sourceLocale": "en", "translations": {}}
        await session.execute(update(Passport).where(Passport.id == pid).values(fields=fields))
        await session.commit()
    report = await compliance(api, pid)
    assert report["verdict"] == "compliant_with_warnings"
    [warning] = [f for f in report["findings"] if f["severity"] == "warning"]
    assert (warning["field"], warning["code"]) == ("speed_rating_kmh", "INVALID_VALUE")


async def test_pending_values_do_not_count_as_filled(api: Any, make_passport: MakePassport) -> None:
    pid = (await make_passport())["_id"]
    await fill(api, pid, {"batch_lot_number": "L1"})
    await api.patch(
        f"{PASSPORTS}/{pid}/fields/supplier_name", json={"value": "Acme", "source": "supplier"}
    )
    report = await compliance(api, pid)
    assert report["verdict"] == "incomplete"
    [finding] = [f for f in report["findings"] if f["severity"] == "critical"]
    assert finding["field"] == "supplier_name"
    assert "pending review" in finding["message"]


async def test_battery_needs_manufacturer_and_recycler_parties(
    api: Any, make_product: MakeProduct
) -> None:
    product = await make_product("batteries")
    pid = (await create_passport(api, product))["_id"]
    report = await compliance(api, pid)
    parties = {f["party"] for f in report["findings"] if f["severity"] == "critical" and f["party"]}
    assert parties == {"manufacturer", "recycler"}
    party = {"legalName": "Acme", "gln": "4012345000009", "country": "DE"}
    for role in ("manufacturer", "recycler"):
        assert (await api.patch(f"{PASSPORTS}/{pid}/parties/{role}", json=party)).status_code == 200
    report = await compliance(api, pid)
    assert not [f for f in report["findings"] if f["party"]]


async def test_battery_without_category_is_static_only_with_an_unverifiable_finding(
    api: Any, make_product: MakeProduct
) -> None:
    product = await make_product("batteries")
    pid = (await create_passport(api, product))["_id"]
    report = await compliance(api, pid)
    assert report["conditionalCoverage"] == "static-only"
    assert report["subcategory"] is None
    codes = {f["code"] for f in report["findings"]}
    assert "unverifiable_conditional" in codes
    assert "MISSING_CONDITIONAL" in codes


async def test_battery_category_turns_on_sub_category_rules(
    api: Any, make_product: MakeProduct
) -> None:
    product = await make_product("batteries")
    pid = (await create_passport(api, product))["_id"]
    await fill(api, pid, {"battery_category": "EV"})
    report = await compliance(api, pid)
    assert report["conditionalCoverage"] == "evaluated"
    assert report["subcategory"] == "EV"
    critical = {f["field"] for f in report["findings"] if f["severity"] == "critical"}
    assert "initial_energy_round_trip_efficiency" in critical  # requiredBy EV
    assert "unverifiable_conditional" not in {f["code"] for f in report["findings"]}


async def test_non_eu_manufacturer_needs_an_eu_operator(
    api: Any, make_passport: MakePassport
) -> None:
    pid = (await make_passport())["_id"]
    await fill(api, pid, TYRE_REQUIRED)
    cn = {"legalName": "Shenzhen Tyres", "legacyOperatorId": "CN-1", "country": "CN"}
    await api.patch(f"{PASSPORTS}/{pid}/parties/manufacturer", json=cn)
    report = await compliance(api, pid)
    assert report["verdict"] == "incomplete"
    [finding] = [f for f in report["findings"] if f["severity"] == "critical"]
    assert finding["code"] == "MISSING_EU_OPERATOR"
    assert finding["regulationRef"]["instrument"] == "32019R1020"
    eu = {"legalName": "Import GmbH", "legacyOperatorId": "DE-1", "country": "DE"}
    await api.patch(f"{PASSPORTS}/{pid}/parties/importer", json=eu)
    assert (await compliance(api, pid))["verdict"] == "compliant"


async def test_compliance_of_another_workspaces_passport_is_404(
    make_passport: MakePassport, make_api: Any
) -> None:
    pid = (await make_passport())["_id"]
    other = await make_api()
    assert (await other.get(f"{PASSPORTS}/{pid}/compliance")).status_code == 404
