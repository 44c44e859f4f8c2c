"""Stored field entries: validation of one write, locale resolution, wire shapes.

A stored entry is `{"value", "sourceLocale", "translations", "source", "updatedAt"}`;
`value` is the text in `sourceLocale` for a translatable field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tracepass.catalog.definitions import FieldDef, Template, localise
from tracepass.catalog.validation import check_value, validate_value

DEFAULT_LOCALE = "en"
_LOCALE_RE = re.compile(r"^[a-z]{2}$")


def split_translatable(value: Any, source_locale: str) -> tuple[Any, str, dict[str, Any]]:
    """A `{locale: text}` value as (text in the source locale, source locale, the others)."""
    if not isinstance(value, Mapping):
        return value, source_locale, {}
    texts = dict(value)
    if source_locale not in texts:
        source_locale = DEFAULT_LOCALE if DEFAULT_LOCALE in texts else next(iter(texts))
    text = texts.pop(source_locale)
    return text, source_locale, texts


def build_entry(
    field: FieldDef,
    value: Any,
    *,
    source: str,
    source_locale: str,
    translations: Mapping[str, Any] | None,
    updated_at: str,
) -> tuple[dict[str, Any] | None, list[str]]:
    """(stored entry, messages). The entry is None when the write clears the field."""
    clean, messages = check_value(field, value)
    if messages:
        return None, messages
    extra: dict[str, Any] = {}
    if field.translatable:
        clean, source_locale, extra = split_translatable(clean, source_locale)
    messages = translation_problems(field, translations)
    if messages:
        return None, messages
    if clean is None:
        return None, []
    extra.update(translations or {})
    extra.pop(source_locale, None)
    entry = {
        "value": clean,
        "sourceLocale": source_locale,
        "translations": dict(sorted(extra.items())),
        "source": source,
        "updatedAt": updated_at,
    }
    return entry, []


def translation_problems(field: FieldDef, translations: Mapping[str, Any] | None) -> list[str]:
    if not translations:
        return []
    if not field.translatable:
        return [f"Field `{field.key}` is not translatable; send no translations."]
    messages: list[str] = []
    for locale, text in translations.items():
        if not _LOCALE_RE.match(locale):
            messages.append(f"`{locale}` is not an ISO 639-1 language code.")
        elif not isinstance(text, str):
            messages.append(f"Translation `{locale}` must be a string.")
        else:
            messages.extend(f"[{locale}] {m}" for m in validate_value(field, text))
    return messages


def resolve(entry: Mapping[str, Any], lang: str) -> tuple[Any, str | None]:
    """One value for `lang`: its translation, else the source value, else en, else any."""
    source_locale = entry.get("sourceLocale")
    translations: Mapping[str, Any] = entry.get("translations") or {}
    value = entry.get("value")
    if lang == source_locale and value is not None:
        return value, source_locale
    if lang in translations:
        return translations[lang], lang
    if value is not None:
        return value, source_locale
    if DEFAULT_LOCALE in translations:
        return translations[DEFAULT_LOCALE], DEFAULT_LOCALE
    for locale, text in translations.items():
        return text, locale
    return None, None


def approved_values(fields: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """`{key: value}` of the approved values (what completeness and compliance judge)."""
    return {key: entry.get("value") for key, entry in fields.items()}


def wire_fields(
    fields: Mapping[str, Mapping[str, Any]],
    template: Template | None,
    *,
    lang: str | None = None,
    full: bool = False,
) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for key, entry in fields.items():
        if lang:
            value, locale = resolve(entry, lang)
            item: dict[str, Any] = {
                "value": value,
                "locale": locale,
                "sourceLocale": entry.get("sourceLocale"),
                "source": entry.get("source"),
                "updatedAt": entry.get("updatedAt"),
            }
        else:
            item = {
                "value": entry.get("value"),
                "sourceLocale": entry.get("sourceLocale"),
                "translations": dict(entry.get("translations") or {}),
                "source": entry.get("source"),
                "updatedAt": entry.get("updatedAt"),
            }
        if full and template is not None:
            item.update(template_details(template, key, lang))
        out[key] = item
    return out


def template_details(template: Template, key: str, lang: str | None) -> dict[str, Any]:
    field = template.field_by_key.get(key)
    if field is None:
        return {}
    return {
        "label": localise(field.label, lang or DEFAULT_LOCALE),
        "unit": field.unit,
        "accessLevel": field.access_level,
        "dataType": field.data_type,
        "section": field.section,
        "translatable": field.translatable,
    }
