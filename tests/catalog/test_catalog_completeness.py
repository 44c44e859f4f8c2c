"""Completeness report: required, conditional, anticipated, per access level."""

from __future__ import annotations

from tracepass.catalog.completeness import CRITICAL, INFO, WARNING, completeness_report
from tracepass.catalog.definitions import load_catalog

BATTERY = load_catalog()["batteries"]
SEED = {"battery_chemistry": "lithium-ion", "nominal_voltage": 48}
REQUIRED = [f.key for f in BATTERY.fields if f.required and not f.anticipated]


def full_required_values(subcategory: str) -> dict:
    """A valid value for every battery field required for `subcategory`."""
    samples = {
        "string": "x",
        "number": 1,
        "integer": 1,
        "boolean": True,
        "date": "2026-05-09",
        "url": "https://example.com/doc",
        "object": {"value": "x"},
    }
    values: dict = {"battery_category": subcategory}
    for key in [f.key for f in BATTERY.fields if f.applicability(subcategory) == "required"]:
        if key in values:
            continue
        f = BATTERY.field_by_key[key]
        if f.data_type == "enum":
            values[key] = f.option_values[0]
        elif f.data_type == "array":
            values[key] = [f.option_values[0]] if f.options else [{"name": "x"}]
        elif f.pattern:
            values[key] = {
                "battery_unique_identifier": "https://id.example.com/01/09520123456788",
                "battery_passport_identifier": "2f1c3c0e-8d7a-4c8e-9a61-0b5f2b8f6d11",
                "manufacturing_date": "2026-05",
            }.get(key, samples[f.data_type])
        else:
            values[key] = samples[f.data_type]
    return values


def test_missing_required_fields_are_critical() -> None:
    report = completeness_report(BATTERY, SEED)
    assert "battery_chemistry" not in report.missing_required
    assert "battery_category" in report.missing_required
    assert {i.key for i in report.critical} == set(report.missing_required)
    assert not report.is_complete


def test_required_fields_count_only_laws_in_force() -> None:
    report = completeness_report(BATTERY, {})
    assert report.required_fields == len(REQUIRED)
    assert all(not BATTERY.field_by_key[k].anticipated for k in report.missing_required)


def test_anticipated_fields_are_info_never_critical() -> None:
    report = completeness_report(BATTERY, {})
    anticipated = {f.key for f in BATTERY.fields if f.anticipated}
    assert set(report.missing_anticipated) == anticipated
    assert {i.key for i in report.info} == anticipated
    assert anticipated.isdisjoint(i.key for i in report.critical)


def test_without_subcategory_split_fields_are_conditional_warnings() -> None:
    report = completeness_report(BATTERY, SEED)
    split = {f.key for f in BATTERY.fields if f.required_by and not f.required}
    assert set(report.missing_conditional) == split
    assert split <= {i.key for i in report.warnings}
    assert report.not_applicable == []


def test_subcategory_makes_split_fields_required_or_not_applicable() -> None:
    report = completeness_report(BATTERY, SEED, subcategory="LMT")
    assert "remaining_capacity" in report.missing_required  # LMT: required
    assert "state_of_certified_energy" in report.not_applicable  # EV only
    assert "state_of_certified_energy" not in report.missing_required


def test_ev_subcategory_inverts_the_state_of_health_fields() -> None:
    report = completeness_report(BATTERY, SEED, subcategory="EV")
    assert "state_of_certified_energy" in report.missing_required
    assert "remaining_capacity" in report.not_applicable


def test_conditional_field_for_the_subcategory_is_a_warning() -> None:
    report = completeness_report(BATTERY, SEED, subcategory="industrial_gt_2kwh")
    assert "remaining_capacity" in report.missing_conditional
    assert any(i.key == "remaining_capacity" and i.severity == WARNING for i in report.issues)


def test_subcategory_is_taken_from_the_selector_value() -> None:
    report = completeness_report(BATTERY, {**SEED, "battery_category": "EV"})
    assert report.subcategory == "EV"
    assert "remaining_capacity" in report.not_applicable


def test_subcategory_without_a_passport_duty_drops_the_split_fields() -> None:
    report = completeness_report(BATTERY, SEED, subcategory="portable")
    split = {f.key for f in BATTERY.fields if f.required_by}
    assert set(report.not_applicable) == split


def test_unknown_subcategory_is_a_warning_and_ignored() -> None:
    report = completeness_report(BATTERY, SEED, subcategory="rocket")
    assert report.subcategory is None
    assert any(i.code == "UNKNOWN_SUBCATEGORY" for i in report.warnings)


def test_invalid_value_is_a_format_warning_and_not_filled() -> None:
    report = completeness_report(BATTERY, {"nominal_voltage": "high"})
    assert "nominal_voltage" in report.format_errors
    assert any(i.key == "nominal_voltage" and i.code == "INVALID_VALUE" for i in report.warnings)
    assert "nominal_voltage" in report.missing_required


def test_unknown_key_is_a_warning() -> None:
    report = completeness_report(BATTERY, {"nominal_voltag": 48})
    assert any(i.code == "UNKNOWN_FIELD" for i in report.warnings)


def test_blank_string_counts_as_missing() -> None:
    report = completeness_report(BATTERY, {"battery_chemistry": "   "})
    assert "battery_chemistry" in report.missing_required


def test_empty_list_is_an_answer_where_zero_items_are_allowed() -> None:
    report = completeness_report(BATTERY, {"hazardous_substances": []})
    assert "hazardous_substances" not in report.missing_required


def test_counts_per_access_level_add_up() -> None:
    report = completeness_report(BATTERY, SEED)
    levels = report.by_access_level
    assert set(levels) == {"public", "restricted", "authority"}
    assert sum(c.fields for c in levels.values()) == report.applicable_fields == len(BATTERY.fields)
    assert sum(c.filled for c in levels.values()) == 2
    assert levels["public"].filled == 2


def test_all_required_values_give_a_complete_report() -> None:
    report = completeness_report(BATTERY, full_required_values("EV"))
    assert report.subcategory == "EV"
    assert report.format_errors == {}
    assert report.critical == []
    assert report.is_complete and report.score == 100.0


def test_report_serialises_with_severity_counts() -> None:
    data = completeness_report(BATTERY, SEED).to_dict()
    assert data["counts"][CRITICAL] == len(data["missingRequired"])
    assert data["counts"][INFO] == len(data["missingAnticipated"])
    assert {"byAccessLevel", "formatErrors", "issues", "score"} <= set(data)
