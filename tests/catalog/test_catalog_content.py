"""The catalogue data itself: 12 categories, complete and well-formed field templates."""

from __future__ import annotations

import re

import pytest

from tracepass.catalog.definitions import (
    ACCESS_LEVELS,
    APPLICABILITY,
    DATA_DIR,
    DATA_TYPES,
    compact_key,
    load_catalog,
    resolve_category,
)

SLUG_TO_KEY = {
    "batteries": "battery",
    "textiles": "textile",
    "jewelry": "jewelry",
    "electronics": "electronics",
    "furniture": "furniture",
    "chemicals": "chemicals",
    "packaging": "packaging",
    "toys": "toys",
    "fmcg": "fmcg",
    "tyres": "tyres",
    "iron-steel": "steel",
    "construction": "construction",
}
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
CATEGORIES = list(load_catalog().values())
ALL_FIELDS = [(c.key, f) for c in CATEGORIES for f in c.fields]


def field_id(item: tuple[str, object]) -> str:
    return f"{item[0]}.{item[1].key}"  # type: ignore[attr-defined]


def test_catalogue_has_the_twelve_categories_by_slug_and_key() -> None:
    catalog = load_catalog()
    assert {slug: c.key for slug, c in catalog.items()} == SLUG_TO_KEY


@pytest.mark.parametrize(("slug", "key"), SLUG_TO_KEY.items())
def test_slug_and_key_resolve_to_the_same_category(slug: str, key: str) -> None:
    by_slug = resolve_category(slug)
    assert by_slug is not None
    assert resolve_category(key) is by_slug
    assert resolve_category(slug.upper()) is by_slug


def test_unknown_category_does_not_resolve() -> None:
    assert resolve_category("spaceships") is None


def test_data_files_are_named_by_slug() -> None:
    assert sorted(p.stem for p in DATA_DIR.glob("*.json")) == sorted(SLUG_TO_KEY)


@pytest.mark.parametrize("category", CATEGORIES, ids=lambda c: c.key)
def test_category_has_labels_and_an_instrument(category) -> None:
    assert category.label["en"] and category.label["de"]
    inst = category.instrument
    assert inst.name and re.match(r"^\((EU|EC)\) \d{4}/\d+$", inst.number)
    assert re.match(r"^\d{4}-\d{2}-\d{2}$", inst.effective_date)
    assert inst.date_precision in ("day", "year")


@pytest.mark.parametrize("category", CATEGORIES, ids=lambda c: c.key)
def test_field_keys_are_unique_snake_case_and_unambiguous(category) -> None:
    keys = [f.key for f in category.fields]
    assert len(keys) == len(set(keys))
    assert all(SNAKE.match(k) for k in keys), [k for k in keys if not SNAKE.match(k)]
    assert len({compact_key(k) for k in keys}) == len(keys)


@pytest.mark.parametrize("category", CATEGORIES, ids=lambda c: c.key)
def test_every_field_section_is_declared_with_labels(category) -> None:
    declared = {s.key: s for s in category.sections}
    assert {f.section for f in category.fields} <= set(declared)
    assert all(s.label.get("en") and s.label.get("de") for s in declared.values())


@pytest.mark.parametrize("item", ALL_FIELDS, ids=field_id)
def test_field_is_well_formed(item) -> None:
    _, f = item
    assert f.data_type in DATA_TYPES
    assert f.access_level in ACCESS_LEVELS
    assert f.label.get("en") and f.label.get("de")
    assert f.regulation_ref.instrument and f.regulation_ref.kind
    assert not (f.required and f.anticipated)
    assert set(f.required_by.values()) <= APPLICABILITY
    if f.min is not None and f.max is not None:
        assert f.min <= f.max
    if f.pattern:
        re.compile(f.pattern)


@pytest.mark.parametrize("item", [i for i in ALL_FIELDS if i[1].data_type == "enum"], ids=field_id)
def test_enum_field_has_distinct_labelled_options(item) -> None:
    _, f = item
    values = f.option_values
    assert values and len(values) == len(set(values))
    assert all(o.label.get("en") for o in f.options)


@pytest.mark.parametrize(
    "item", [i for i in ALL_FIELDS if i[1].options and i[1].data_type != "enum"], ids=field_id
)
def test_only_enums_and_multi_select_arrays_carry_options(item) -> None:
    assert item[1].data_type == "array"


def test_battery_template_has_over_a_hundred_fields() -> None:
    battery = resolve_category("batteries")
    assert battery is not None and len(battery.fields) >= 100


def test_battery_has_the_seed_example_fields() -> None:
    battery = resolve_category("battery")
    assert battery is not None
    chemistry = battery.field_by_key["battery_chemistry"]
    voltage = battery.field_by_key["nominal_voltage"]
    assert chemistry.data_type == "string"
    assert (voltage.data_type, voltage.unit) == ("number", "V")


def test_battery_subcategories_come_from_the_category_selector_enum() -> None:
    battery = resolve_category("battery")
    assert battery is not None
    selector = battery.field_by_key[battery.subcategory_field or ""]
    assert selector.key == "battery_category" and selector.data_type == "enum"
    assert battery.subcategory_keys == selector.option_values
    assert {"EV", "LMT", "industrial_gt_2kwh"} <= set(battery.subcategory_keys)


def test_battery_required_by_only_names_known_subcategories() -> None:
    battery = resolve_category("battery")
    assert battery is not None
    split = {sub for f in battery.fields for sub in f.required_by}
    assert split == {"EV", "LMT", "industrial_gt_2kwh"}
    passport = {s.key for s in battery.subcategories if s.passport_required}
    assert passport == split


def test_keys_with_digits_are_split_readably() -> None:
    battery = resolve_category("battery")
    assert battery is not None
    assert "original_power_capability_at_80_soc" in battery.field_by_key
    assert "ratio_max_power_max_energy" in battery.field_by_key


@pytest.mark.parametrize("item", [i for i in ALL_FIELDS if i[1].default is not None], ids=field_id)
def test_field_default_is_a_valid_value(item) -> None:
    from tracepass.catalog.validation import validate_value

    _, f = item
    assert validate_value(f, f.default) == []
