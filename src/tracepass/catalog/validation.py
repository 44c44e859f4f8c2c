"""Validate `{key: value}` maps against a category template. Never raises on bad input.

Rules (also in docs/catalog.md):
- Keys: the snake_case key, or any spelling that differs only in case and
  underscores (`nominalVoltage`), is accepted and normalised to snake_case. Anything
  else is an unknown key, reported with a "did you mean" suggestion when one is close.
- `None` clears a value and is always allowed.
- `number`: int or float, finite; `bool` is not a number. Strings are not coerced.
- `integer`: an int, or a float with no fractional part (48.0 -> 48); not bool.
- `date`: ISO 8601 calendar date `YYYY-MM-DD`; where the field's pattern is a
  year-month pattern, `YYYY-MM` instead. The date must exist (no 2026-02-30).
- `url`: absolute http(s) URL with a host, no whitespace, at most 2048 characters
  (or the field's maxLength if smaller).
- `string`: a str; a `translatable` field also accepts `{locale: str}`; length in
  characters; `pattern` is searched like an ECMAScript `RegExp.test`.
- `enum`: exactly one of the options (case-sensitive). `array` with options: a list
  of distinct options. Other arrays: any list. `object`: a JSON object.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from tracepass.catalog.definitions import (
    Category,
    FieldDef,
    Template,
    category_of,
    compact_key,
)

MAX_URL_LENGTH = 2048
SUBCATEGORY_ERROR_KEY = "subcategory"
VALUES_ERROR_KEY = "values"

_DAY_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_LOCALE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_WHITESPACE_RE = re.compile(r"[\s\x00-\x1f\x7f]")
_MAX_LISTED_OPTIONS = 12


@dataclass(frozen=True)
class FieldError:
    key: str
    message: str


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def _fmt_num(n: float) -> str:
    return str(int(n)) if isinstance(n, float) and n.is_integer() else str(n)


def is_month_precision(f: FieldDef) -> bool:
    """A date field whose pattern asks for `YYYY-MM` (e.g. battery manufacturing date)."""
    if not f.pattern:
        return False
    rx = f.compiled_pattern
    return bool(rx and rx.search("2026-05") and not rx.search("2026-05-09"))


def _options_hint(f: FieldDef, value: str) -> str:
    values = list(f.option_values)
    lowered = {v.lower(): v for v in values}
    close = lowered.get(value.lower()) if isinstance(value, str) else None
    if close is None and isinstance(value, str):
        matches = difflib.get_close_matches(value, values, n=1, cutoff=0.75)
        close = matches[0] if matches else None
    listed = ", ".join(values[:_MAX_LISTED_OPTIONS])
    if len(values) > _MAX_LISTED_OPTIONS:
        listed += f", … ({len(values)} in all)"
    hint = f" Allowed: {listed}."
    if close is not None:
        hint = f" Did you mean `{close}`?" + hint
    return hint


def _check_bounds(f: FieldDef, n: float) -> list[str]:
    errors = []
    if f.min is not None and n < f.min:
        errors.append(f"Must be at least {_fmt_num(f.min)}.")
    if f.max is not None and n > f.max:
        errors.append(f"Must be at most {_fmt_num(f.max)}.")
    return errors


def _check_text(f: FieldDef, text: str) -> list[str]:
    errors = []
    if f.min_length is not None and len(text) < f.min_length:
        errors.append(f"Must be at least {f.min_length} characters long.")
    if f.max_length is not None and len(text) > f.max_length:
        errors.append(f"Must be at most {f.max_length} characters long.")
    rx = f.compiled_pattern
    if rx is not None and not rx.search(text):
        errors.append(f"Does not match the required format `{f.pattern}`.")
    return errors


def _check_string(f: FieldDef, value: Any) -> tuple[Any, list[str]]:
    if isinstance(value, str):
        return value, _check_text(f, value)
    if f.translatable and isinstance(value, Mapping):
        if not value:
            return value, ["Expected at least one translation."]
        errors: list[str] = []
        for locale, text in value.items():
            if not isinstance(locale, str) or not _LOCALE_RE.match(locale):
                errors.append(f"`{locale}` is not a language code (use e.g. `en`, `de`).")
            elif not isinstance(text, str):
                errors.append(f"Translation `{locale}` must be a string.")
            else:
                errors.extend(f"[{locale}] {msg}" for msg in _check_text(f, text))
        return dict(value), errors
    expected = "a string or a {language: text} object" if f.translatable else "a string"
    return value, [f"Expected {expected}, got {_type_name(value)}."]


def _check_number(f: FieldDef, value: Any) -> tuple[Any, list[str]]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value, [f"Expected a number, got {_type_name(value)}."]
    if isinstance(value, float) and not math.isfinite(value):
        return value, ["Expected a finite number."]
    return value, _check_bounds(f, value)


def _check_integer(f: FieldDef, value: Any) -> tuple[Any, list[str]]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value, [f"Expected an integer, got {_type_name(value)}."]
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return value, ["Expected a whole number."]
        value = int(value)
    return value, _check_bounds(f, value)


def _check_boolean(f: FieldDef, value: Any) -> tuple[Any, list[str]]:
    if not isinstance(value, bool):
        return value, [f"Expected true or false, got {_type_name(value)}."]
    return value, []


def _check_enum(f: FieldDef, value: Any) -> tuple[Any, list[str]]:
    if not isinstance(value, str):
        return value, [f"Expected one of the options (a string), got {_type_name(value)}."]
    if value not in f.option_values:
        return value, [f"`{value}` is not an allowed value." + _options_hint(f, value)]
    return value, []


def _check_date(f: FieldDef, value: Any) -> tuple[Any, list[str]]:
    month_only = is_month_precision(f)
    shape = "YYYY-MM" if month_only else "YYYY-MM-DD"
    if not isinstance(value, str):
        return value, [f"Expected a date string {shape}, got {_type_name(value)}."]
    m = (_MONTH_RE if month_only else _DAY_RE).match(value)
    if not m:
        return value, [f"Expected an ISO 8601 date {shape}."]
    year, month = int(m.group(1)), int(m.group(2))
    day = 1 if month_only else int(m.group(3))
    try:
        date(year, month, day)
    except ValueError:
        return value, [f"`{value}` is not a calendar date."]
    return value, []


def url_problem(value: str, max_length: int = MAX_URL_LENGTH) -> str | None:
    """Why `value` is not an acceptable absolute http(s) URL, or None."""
    if len(value) > max_length:
        return f"Must be at most {max_length} characters long."
    if _WHITESPACE_RE.search(value):
        return "A URL may not contain spaces or control characters."
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises on a malformed port
    except ValueError:
        return "Not a valid URL."
    if parts.scheme.lower() not in ("http", "https"):
        return "Expected an absolute http:// or https:// URL."
    if not parts.hostname:
        return "The URL has no host."
    return None


def _check_url(f: FieldDef, value: Any) -> tuple[Any, list[str]]:
    if not isinstance(value, str):
        return value, [f"Expected a URL string, got {_type_name(value)}."]
    limit = MAX_URL_LENGTH if f.max_length is None else min(f.max_length, MAX_URL_LENGTH)
    problem = url_problem(value, limit)
    if problem:
        return value, [problem]
    errors: list[str] = []
    if f.min_length is not None and len(value) < f.min_length:
        errors.append(f"Must be at least {f.min_length} characters long.")
    rx = f.compiled_pattern
    if rx is not None and not rx.search(value):
        errors.append(f"Does not match the required format `{f.pattern}`.")
    return value, errors


def _check_array(f: FieldDef, value: Any) -> tuple[Any, list[str]]:
    if not isinstance(value, list | tuple):
        return value, [f"Expected an array, got {_type_name(value)}."]
    value = list(value)
    errors: list[str] = []
    if f.min_items is not None and len(value) < f.min_items:
        errors.append(f"Must have at least {f.min_items} item(s).")
    if f.max_items is not None and len(value) > f.max_items:
        errors.append(f"Must have at most {f.max_items} item(s).")
    if f.options:
        seen: set[str] = set()
        for index, item in enumerate(value):
            if not isinstance(item, str):
                errors.append(f"Item {index}: expected an option string, got {_type_name(item)}.")
            elif item not in f.option_values:
                errors.append(
                    f"Item {index}: `{item}` is not an allowed value." + _options_hint(f, item)
                )
            elif item in seen:
                errors.append(f"Item {index}: `{item}` is listed twice.")
            else:
                seen.add(item)
    return value, errors


def _check_object(f: FieldDef, value: Any) -> tuple[Any, list[str]]:
    if not isinstance(value, Mapping):
        return value, [f"Expected an object, got {_type_name(value)}."]
    if not all(isinstance(k, str) for k in value):
        return value, ["Object keys must be strings."]
    return dict(value), []


_CHECKS = {
    "string": _check_string,
    "number": _check_number,
    "integer": _check_integer,
    "boolean": _check_boolean,
    "enum": _check_enum,
    "date": _check_date,
    "url": _check_url,
    "array": _check_array,
    "object": _check_object,
}


def check_value(f: FieldDef, value: Any) -> tuple[Any, list[str]]:
    """(normalised value, messages) for one field. `None` is a clear and always passes."""
    if value is None:
        return None, []
    check = _CHECKS.get(f.data_type)
    if check is None:
        return value, [f"Field `{f.key}` has an unsupported type `{f.data_type}`."]
    try:
        return check(f, value)
    except Exception as exc:  # defensive: validation must never raise
        return value, [f"Could not validate value ({type(exc).__name__})."]


def validate_value(field: FieldDef, value: Any) -> list[str]:
    """Messages for one value of one field; empty when the value is acceptable."""
    return check_value(field, value)[1]


def normalise_key(template: Category | Template, key: str) -> str | None:
    """The snake_case field key `key` names (`nominalVoltage` -> `nominal_voltage`), or None."""
    category = category_of(template)
    if not isinstance(key, str):
        return None
    if key in category.field_by_key:
        return key
    return category.compact_index.get(compact_key(key))


def suggest_key(template: Category | Template, key: str) -> str | None:
    """The closest known key to an unknown `key`, if one is close enough."""
    category = category_of(template)
    wanted = compact_key(str(key))
    matches = difflib.get_close_matches(wanted, list(category.compact_index), n=1, cutoff=0.8)
    return category.compact_index[matches[0]] if matches else None


def unknown_key_message(template: Category | Template, key: str) -> str:
    category = category_of(template)
    message = f"Unknown field `{key}` for the `{category.key}` template."
    suggestion = suggest_key(category, key)
    if suggestion:
        message += f" Did you mean `{suggestion}`?"
    return message


def validate_values(
    template_or_category: Category | Template,
    values: Any,
    subcategory: str | None = None,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Validate a value map. Returns (normalised values by snake_case key, errors by key).

    Errors for known fields are keyed by the snake_case key; unknown keys by the key
    as sent. A bad sub-category is reported under `subcategory`.
    """
    category = category_of(template_or_category)
    errors: dict[str, list[str]] = {}
    normalised: dict[str, Any] = {}
    if not isinstance(values, Mapping):
        message = f"Expected an object of field values, got {_type_name(values)}."
        return {}, {VALUES_ERROR_KEY: [message]}

    if subcategory is not None and subcategory not in category.subcategory_keys:
        if category.subcategories:
            allowed = ", ".join(category.subcategory_keys)
            msg = f"Unknown sub-category `{subcategory}` for `{category.key}`. Allowed: {allowed}."
        else:
            msg = f"The `{category.key}` template has no sub-categories."
        errors[SUBCATEGORY_ERROR_KEY] = [msg]

    sent_as: dict[str, str] = {}
    for raw_key, value in values.items():
        key = normalise_key(category, raw_key) if isinstance(raw_key, str) else None
        if key is None:
            errors.setdefault(str(raw_key), []).append(unknown_key_message(category, str(raw_key)))
            continue
        if key in sent_as:
            errors.setdefault(key, []).append(
                f"Given twice, as `{sent_as[key]}` and as `{raw_key}`."
            )
            continue
        sent_as[key] = raw_key
        clean, messages = check_value(category.field_by_key[key], value)
        if messages:
            errors.setdefault(key, []).extend(messages)
        else:
            normalised[key] = clean

    selector = category.subcategory_field
    if (
        subcategory is not None
        and selector
        and SUBCATEGORY_ERROR_KEY not in errors
        and normalised.get(selector) is not None
        and normalised[selector] != subcategory
    ):
        errors.setdefault(selector, []).append(
            f"`{normalised[selector]}` contradicts the product's sub-category `{subcategory}`."
        )
    return normalised, errors


def field_errors(errors: Mapping[str, list[str]]) -> list[FieldError]:
    """The error map as a flat list of FieldError."""
    return [FieldError(key, message) for key, messages in errors.items() for message in messages]
