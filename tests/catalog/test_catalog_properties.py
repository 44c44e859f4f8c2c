"""Property tests: values generated from a field's own definition pass; broken ones fail."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracepass.catalog.definitions import FieldDef, load_catalog
from tracepass.catalog.validation import is_month_precision, validate_value, validate_values

ALL_FIELDS = [f for c in load_catalog().values() for f in c.fields]
CATEGORY_OF = {id(f): c for c in load_catalog().values() for f in c.fields}
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LIGHT = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_HOST = st.from_regex(r"[a-z0-9]{1,12}(\.[a-z0-9]{1,12}){0,2}\.[a-z]{2,6}", fullmatch=True)
_PATH = st.from_regex(r"(/[A-Za-z0-9._~%-]{0,16}){0,4}", fullmatch=True)
_SCALARS = st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=20)


def _text(f: FieldDef) -> st.SearchStrategy[str]:
    lo, hi = f.min_length or 0, f.max_length
    if f.pattern:
        return st.from_regex(f.pattern, fullmatch=True).filter(
            lambda s: len(s) >= lo and (hi is None or len(s) <= hi)
        )
    return st.text(min_size=lo, max_size=hi if hi is not None else max(lo, 40))


def valid_value(f: FieldDef) -> st.SearchStrategy[Any]:
    t = f.data_type
    if t == "string":
        text = _text(f)
        if f.translatable:
            langs = st.sampled_from(["en", "de", "fr", "bg", "pt-BR"])
            return text | st.dictionaries(langs, text, min_size=1, max_size=3)
        return text
    if t == "number":
        lo = f.min if f.min is not None else -1e9
        hi = f.max if f.max is not None else 1e9
        ints = st.integers(math.ceil(lo), math.floor(hi))
        return st.floats(lo, hi, allow_nan=False, allow_infinity=False) | ints
    if t == "integer":
        lo = math.ceil(f.min) if f.min is not None else -(10**9)
        hi = math.floor(f.max) if f.max is not None else 10**9
        return st.integers(lo, hi)
    if t == "boolean":
        return st.booleans()
    if t == "enum":
        return st.sampled_from(f.option_values)
    if t == "date":
        dates = st.dates()
        if is_month_precision(f):
            return dates.map(lambda d: d.isoformat()[:7])
        return dates.map(lambda d: d.isoformat())
    if t == "url":
        scheme = st.sampled_from(["http", "https"])
        return st.builds(lambda s, h, p: f"{s}://{h}{p}", scheme, _HOST, _PATH)
    if t == "array":
        lo = f.min_items or 0
        if f.options:
            hi = min(f.max_items or len(f.options), len(f.options))
            return st.lists(st.sampled_from(f.option_values), min_size=lo, max_size=hi, unique=True)
        return st.lists(_SCALARS | st.dictionaries(st.text(max_size=8), _SCALARS), min_size=lo)
    if t == "object":
        return st.dictionaries(st.text(max_size=12), _SCALARS, max_size=5)
    raise AssertionError(f"no strategy for {t}")


_ACCEPTED_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int, float),
    "boolean": (bool,),
    "enum": (str,),
    "date": (str,),
    "url": (str,),
    "array": (list,),
    "object": (dict,),
}


def _right_type(f: FieldDef, value: Any) -> bool:
    if f.data_type == "string" and f.translatable and isinstance(value, dict):
        return True
    if isinstance(value, bool):
        return f.data_type == "boolean"
    return isinstance(value, _ACCEPTED_TYPES[f.data_type])


def wrong_type(f: FieldDef) -> st.SearchStrategy[Any]:
    anything = (
        st.booleans()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text(max_size=10)
        | st.lists(st.integers(), max_size=3)
        | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)
    )
    return anything.filter(lambda v: not _right_type(f, v))


def out_of_bounds(f: FieldDef) -> st.SearchStrategy[Any] | None:
    t = f.data_type
    if t in ("number", "integer") and f.min is not None:
        return st.integers(max_value=math.ceil(f.min) - 1)
    if t in ("number", "integer") and f.max is not None:
        return st.integers(min_value=math.floor(f.max) + 1)
    if t == "string" and f.max_length is not None:
        return st.text(min_size=f.max_length + 1, max_size=f.max_length + 20)
    if t == "enum":
        return st.text(max_size=30).filter(lambda s: s not in f.option_values)
    if t == "array" and f.options:
        return (
            st.text(min_size=1, max_size=30)
            .filter(lambda s: s not in f.option_values)
            .map(lambda s: [s])
        )
    if t == "date":
        return st.integers(13, 99).map(
            lambda m: f"2026-{m:02d}" + ("" if is_month_precision(f) else "-01")
        )
    if t == "url":
        return st.sampled_from(["ftp", "file", "mailto", "javascript"]).flatmap(
            lambda s: st.builds(lambda h: f"{s}://{h}/x", _HOST)
        )
    return None


FIELDS_WITH_BOUNDS = [f for f in ALL_FIELDS if out_of_bounds(f) is not None]


@SETTINGS
@given(data=st.data())
def test_value_generated_from_the_definition_passes(data: st.DataObject) -> None:
    f = data.draw(st.sampled_from(ALL_FIELDS), label="field")
    value = data.draw(valid_value(f), label="value")
    assert validate_value(f, value) == []


@SETTINGS
@given(data=st.data())
def test_generated_value_passes_through_the_map_under_its_camel_case_key(
    data: st.DataObject,
) -> None:
    f = data.draw(st.sampled_from(ALL_FIELDS), label="field")
    value = data.draw(valid_value(f), label="value")
    values, errors = validate_values(CATEGORY_OF[id(f)], {f.camel_key: value})
    assert errors == {}
    assert f.key in values


@LIGHT
@given(data=st.data())
def test_value_of_the_wrong_type_fails(data: st.DataObject) -> None:
    f = data.draw(st.sampled_from(ALL_FIELDS), label="field")
    value = data.draw(wrong_type(f), label="value")
    assert validate_value(f, value)


@SETTINGS
@given(data=st.data())
def test_out_of_bounds_value_fails(data: st.DataObject) -> None:
    f = data.draw(st.sampled_from(FIELDS_WITH_BOUNDS), label="field")
    strategy = out_of_bounds(f)
    assert strategy is not None
    assert validate_value(f, data.draw(strategy, label="value"))


@LIGHT
@given(data=st.data())
def test_validation_never_raises_on_arbitrary_json(data: st.DataObject) -> None:
    category = data.draw(st.sampled_from(list(load_catalog().values())))
    json_values = st.recursive(
        _SCALARS | st.floats(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
        max_leaves=6,
    )
    keys = st.sampled_from([f.key for f in category.fields]) | st.text(max_size=20)
    values = data.draw(st.dictionaries(keys, json_values, max_size=6))
    normalised, errors = validate_values(category, values)
    assert set(normalised).isdisjoint(errors)
