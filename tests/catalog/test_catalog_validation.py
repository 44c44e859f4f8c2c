"""The validation engine: keys, types, bounds, formats; never an exception."""

from __future__ import annotations

import pytest

from tracepass.catalog.definitions import FieldDef, RegulationRef, load_catalog, resolve_category
from tracepass.catalog.validation import (
    field_errors,
    normalise_key,
    validate_value,
    validate_values,
)

BATTERY = load_catalog()["batteries"]
REF = RegulationRef(instrument="32023R1542", instrument_name="Battery Regulation", kind="x")


def make_field(data_type: str, **kwargs) -> FieldDef:
    return FieldDef(
        key="probe",
        label={"en": "Probe", "de": "Sonde"},
        data_type=data_type,
        section="general_info",
        access_level="public",
        regulation_ref=REF,
        **kwargs,
    )


def test_seed_example_validates_clean() -> None:
    values, errors = validate_values(
        BATTERY, {"battery_chemistry": "lithium-ion", "nominal_voltage": 48}
    )
    assert errors == {}
    assert values == {"battery_chemistry": "lithium-ion", "nominal_voltage": 48}


def test_text_for_a_number_fails_naming_the_key() -> None:
    values, errors = validate_values(BATTERY, {"nominal_voltage": "high"})
    assert list(errors) == ["nominal_voltage"]
    assert "number" in errors["nominal_voltage"][0]
    assert values == {}


def test_unknown_near_miss_key_suggests_the_right_one() -> None:
    _, errors = validate_values(BATTERY, {"nominal_voltag": 48})
    assert list(errors) == ["nominal_voltag"]
    assert "Did you mean `nominal_voltage`?" in errors["nominal_voltag"][0]


def test_unknown_far_key_has_no_suggestion() -> None:
    _, errors = validate_values(BATTERY, {"favourite_colour": "red"})
    assert "Unknown field `favourite_colour`" in errors["favourite_colour"][0]
    assert "Did you mean" not in errors["favourite_colour"][0]


def test_camel_case_key_is_accepted_and_normalised() -> None:
    values, errors = validate_values(BATTERY, {"nominalVoltage": 48})
    assert errors == {}
    assert values == {"nominal_voltage": 48}


def test_camel_case_key_with_digits_is_normalised() -> None:
    assert normalise_key(BATTERY, "originalPowerCapabilityAt80Soc") == (
        "original_power_capability_at_80_soc"
    )


def test_same_field_sent_in_both_spellings_is_an_error() -> None:
    _, errors = validate_values(BATTERY, {"nominalVoltage": 48, "nominal_voltage": 50})
    assert "Given twice" in errors["nominal_voltage"][0]


def test_normalise_key_returns_none_for_unknown_key() -> None:
    assert normalise_key(BATTERY, "no_such_field") is None


def test_none_clears_and_is_allowed_even_for_required_fields() -> None:
    values, errors = validate_values(BATTERY, {"battery_chemistry": None})
    assert errors == {}
    assert values == {"battery_chemistry": None}


def test_non_mapping_input_is_an_error_not_an_exception() -> None:
    values, errors = validate_values(BATTERY, ["nominal_voltage", 48])
    assert values == {} and "values" in errors


def test_non_string_key_is_reported_not_raised() -> None:
    _, errors = validate_values(BATTERY, {1: "x"})
    assert "1" in errors


def test_unknown_subcategory_is_reported() -> None:
    _, errors = validate_values(BATTERY, {}, subcategory="rocket")
    assert "subcategory" in errors and "EV" in errors["subcategory"][0]


def test_subcategory_on_a_category_without_any_is_reported() -> None:
    textile = resolve_category("textiles")
    assert textile is not None
    _, errors = validate_values(textile, {}, subcategory="EV")
    assert "subcategory" in errors


def test_selector_value_contradicting_the_subcategory_is_reported() -> None:
    _, errors = validate_values(BATTERY, {"battery_category": "LMT"}, subcategory="EV")
    assert "battery_category" in errors


def test_field_errors_flattens_the_error_map() -> None:
    _, errors = validate_values(BATTERY, {"nominal_voltage": "high"})
    flat = field_errors(errors)
    assert [e.key for e in flat] == ["nominal_voltage"]


@pytest.mark.parametrize("value", [True, False])
def test_bool_is_not_a_number(value: bool) -> None:
    assert validate_value(make_field("number"), value)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_number_fails(value: float) -> None:
    assert validate_value(make_field("number"), value)


def test_number_below_min_fails() -> None:
    assert validate_value(BATTERY.field_by_key["nominal_voltage"], -1) == ["Must be at least 0."]


def test_number_above_max_fails() -> None:
    assert validate_value(make_field("number", min=0, max=100), 100.5) == ["Must be at most 100."]


def test_integral_float_is_accepted_for_integer_and_normalised() -> None:
    values, errors = validate_values(BATTERY, {"number_of_cells": 48.0})
    assert errors == {}
    assert values["number_of_cells"] == 48 and isinstance(values["number_of_cells"], int)


def test_fractional_value_fails_for_integer() -> None:
    assert validate_value(make_field("integer"), 48.5) == ["Expected a whole number."]


def test_bool_is_not_an_integer() -> None:
    assert validate_value(make_field("integer"), True)


def test_numeric_string_is_not_coerced() -> None:
    assert validate_value(make_field("number"), "48")


def test_string_length_bounds_apply() -> None:
    f = make_field("string", min_length=2, max_length=3)
    assert validate_value(f, "a")
    assert validate_value(f, "abcd")
    assert validate_value(f, "abc") == []


def test_string_pattern_applies() -> None:
    f = BATTERY.field_by_key["battery_passport_identifier"]
    assert validate_value(f, "2f1c3c0e-8d7a-4c8e-9a61-0b5f2b8f6d11") == []
    assert validate_value(f, "not-a-uuid-at-all-but-36-characters!")


def test_translatable_string_accepts_a_translation_map() -> None:
    f = make_field("string", translatable=True, max_length=10)
    assert validate_value(f, {"en": "Red", "de": "Rot"}) == []


def test_translation_map_with_a_bad_language_code_fails() -> None:
    f = make_field("string", translatable=True)
    assert validate_value(f, {"english": "Red"})


def test_translation_map_is_refused_for_non_translatable_text() -> None:
    assert validate_value(make_field("string"), {"en": "Red"})


def test_enum_accepts_an_option() -> None:
    assert validate_value(BATTERY.field_by_key["battery_category"], "EV") == []


def test_enum_wrong_case_fails_with_a_suggestion() -> None:
    messages = validate_value(BATTERY.field_by_key["battery_category"], "ev")
    assert messages and "Did you mean `EV`?" in messages[0]


def test_enum_non_string_fails() -> None:
    assert validate_value(BATTERY.field_by_key["battery_category"], 1)


def test_boolean_rejects_truthy_strings() -> None:
    assert validate_value(make_field("boolean"), "true")


@pytest.mark.parametrize("value", ["2026-05-09", "2024-02-29"])
def test_day_date_accepts_real_calendar_dates(value: str) -> None:
    assert validate_value(make_field("date"), value) == []


@pytest.mark.parametrize("value", ["2026-02-30", "2026-5-9", "20260509", "2026-05", "09.05.2026"])
def test_day_date_rejects_other_shapes_and_impossible_days(value: str) -> None:
    assert validate_value(make_field("date"), value)


def test_month_precision_date_follows_the_field_pattern() -> None:
    f = BATTERY.field_by_key["manufacturing_date"]
    assert validate_value(f, "2026-05") == []
    assert validate_value(f, "2026-05-09")
    assert validate_value(f, "2026-13")


@pytest.mark.parametrize(
    "value", ["https://example.com/doc.pdf", "http://example.com", "https://a.b/c?d=e#f"]
)
def test_url_accepts_absolute_http_urls(value: str) -> None:
    assert validate_value(make_field("url"), value) == []


@pytest.mark.parametrize(
    "value",
    ["ftp://example.com/x", "example.com/x", "/relative/path", "https://", "https://ex ample.com"],
)
def test_url_rejects_non_http_relative_or_malformed(value: str) -> None:
    assert validate_value(make_field("url"), value)


def test_url_longer_than_2048_fails() -> None:
    assert validate_value(make_field("url"), "https://example.com/" + "a" * 2040)


def test_multi_select_array_checks_each_item() -> None:
    textile = resolve_category("textiles")
    assert textile is not None
    f = textile.field_by_key["certifications"]
    first = f.option_values[0]
    assert validate_value(f, [first]) == []
    assert validate_value(f, [first, "not-a-certification"])
    assert validate_value(f, [first, first])


def test_array_min_items_applies() -> None:
    f = BATTERY.field_by_key["cathode_active_materials"]
    assert validate_value(f, [])
    assert validate_value(f, [{"name": "NMC811"}]) == []


def test_object_field_rejects_a_list() -> None:
    assert validate_value(BATTERY.field_by_key["manufacturing_place"], ["Berlin"])
