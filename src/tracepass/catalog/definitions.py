"""The category catalogue as immutable Python objects.

The catalogue lives in `catalog/data/<slug>.json` (one file per category, see
docs/catalog.md for the format). `load_catalog()` parses those files once per
process; `Category.from_dict()` parses the same shape when it comes back out of
the database as a stored template version.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"

DATA_TYPES = frozenset(
    {"string", "number", "integer", "boolean", "enum", "date", "url", "array", "object"}
)
ACCESS_LEVELS = ("public", "restricted", "authority")
APPLICABILITY = frozenset({"required", "conditional", "notApplicable"})
DEFAULT_LOCALE = "en"

_CAMEL_BOUNDARY = re.compile(r"_([a-z0-9])")


def localise(labels: Mapping[str, str], lang: str | None) -> str:
    """The label in `lang` (`de`, `de-AT` and `DE` all mean German), falling back to en."""
    if lang:
        base = lang.strip().replace("_", "-").split("-")[0].lower()
        if base in labels:
            return labels[base]
    if DEFAULT_LOCALE in labels:
        return labels[DEFAULT_LOCALE]
    return next(iter(labels.values()), "")


def compact_key(key: str) -> str:
    """Spelling-insensitive form of a key: `nominalVoltage` and `nominal_voltage` agree."""
    return key.replace("_", "").replace("-", "").lower()


def camel_key(key: str) -> str:
    """`nominal_voltage` -> `nominalVoltage` (the wire spelling clients may send)."""
    return _CAMEL_BOUNDARY.sub(lambda m: m.group(1).upper(), key)


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(data: Any) -> str:
    """sha256 hex of the canonical JSON of a category definition."""
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class EnumOption:
    value: str
    label: dict[str, str]


@dataclass(frozen=True)
class RegulationRef:
    instrument: str
    instrument_name: str
    kind: str
    article: str | None = None
    provision: str | None = None
    annex: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "instrumentName": self.instrument_name,
            "kind": self.kind,
            "article": self.article,
            "provision": self.provision,
            "annex": self.annex,
        }


@dataclass(frozen=True)
class FieldDef:
    key: str
    label: dict[str, str]
    data_type: str
    section: str
    access_level: str
    regulation_ref: RegulationRef
    unit: str | None = None
    translatable: bool = False
    required: bool = False
    anticipated: bool = False
    anticipated_under: str | None = None
    min: float | None = None
    max: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_items: int | None = None
    max_items: int | None = None
    pattern: str | None = None
    options: tuple[EnumOption, ...] = ()
    required_by: dict[str, str] = field(default_factory=dict)
    default: Any = None

    @property
    def option_values(self) -> tuple[str, ...]:
        return tuple(o.value for o in self.options)

    @property
    def compiled_pattern(self) -> re.Pattern[str] | None:
        return _compile(self.pattern) if self.pattern else None

    @property
    def camel_key(self) -> str:
        return camel_key(self.key)

    def applicability(self, subcategory: str | None) -> str:
        """How the law treats this field for a product of `subcategory`.

        One of `required`, `conditional`, `notApplicable`, `anticipated`, `optional`.
        Fields without a `requiredBy` map apply uniformly. A field that has one and a
        sub-category that it does not list is `notApplicable`: the provision only
        reaches the listed sub-categories.
        """
        if subcategory is not None and self.required_by:
            state = self.required_by.get(subcategory, "notApplicable")
            if state == "notApplicable":
                return state
            if self.anticipated:
                return "anticipated"
            return state
        if self.anticipated:
            return "anticipated"
        if self.required:
            return "required"
        if self.required_by and subcategory is None:
            return "conditional"
        return "optional"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FieldDef:
        v = data.get("validation") or {}
        ref = data.get("regulationRef") or {}
        return cls(
            key=data["key"],
            label=dict(data["label"]),
            data_type=data["dataType"],
            unit=data.get("unit"),
            section=data["section"],
            access_level=data["accessLevel"],
            translatable=bool(data.get("translatable", False)),
            required=bool(v.get("required", False)),
            anticipated=bool(v.get("anticipated", False)),
            anticipated_under=v.get("anticipatedUnder"),
            min=v.get("min"),
            max=v.get("max"),
            min_length=v.get("minLength"),
            max_length=v.get("maxLength"),
            min_items=v.get("minItems"),
            max_items=v.get("maxItems"),
            pattern=v.get("pattern"),
            options=tuple(
                EnumOption(value=o["value"], label=dict(o["label"])) for o in v.get("options") or ()
            ),
            required_by=dict(v.get("requiredBy") or {}),
            regulation_ref=RegulationRef(
                instrument=ref.get("instrument", ""),
                instrument_name=ref.get("instrumentName", ref.get("instrument", "")),
                kind=ref.get("kind", "specification"),
                article=ref.get("article"),
                provision=ref.get("provision"),
                annex=ref.get("annex"),
            ),
            default=data.get("default"),
        )

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        """Wire form (camelCase). With `lang`, labels are single strings in that locale."""
        validation: dict[str, Any] = {"required": self.required}
        for name, value in (
            ("min", self.min),
            ("max", self.max),
            ("minLength", self.min_length),
            ("maxLength", self.max_length),
            ("minItems", self.min_items),
            ("maxItems", self.max_items),
            ("pattern", self.pattern),
        ):
            if value is not None:
                validation[name] = value
        if self.options:
            validation["options"] = [
                {
                    "value": o.value,
                    "label": localise(o.label, lang) if lang else dict(o.label),
                }
                for o in self.options
            ]
        if self.anticipated:
            validation["anticipated"] = True
            if self.anticipated_under:
                validation["anticipatedUnder"] = self.anticipated_under
        if self.required_by:
            validation["requiredBy"] = dict(self.required_by)
        out: dict[str, Any] = {
            "key": self.key,
            "label": localise(self.label, lang) if lang else dict(self.label),
            "dataType": self.data_type,
            "unit": self.unit,
            "section": self.section,
            "accessLevel": self.access_level,
            "translatable": self.translatable,
            "validation": validation,
            "regulationRef": self.regulation_ref.to_dict(),
        }
        if self.default is not None:
            out["default"] = self.default
        return out


@dataclass(frozen=True)
class Instrument:
    name: str
    number: str
    effective_date: str
    date_precision: str = "day"
    mandatory_date: str | None = None
    mandatory_date_precision: str = "day"
    celex: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "number": self.number,
            "celex": self.celex,
            "effectiveDate": self.effective_date,
            "datePrecision": self.date_precision,
            "mandatoryDate": self.mandatory_date,
            "mandatoryDatePrecision": self.mandatory_date_precision,
        }


@dataclass(frozen=True)
class Subcategory:
    key: str
    label: dict[str, str]
    passport_required: bool = False


@dataclass(frozen=True)
class Section:
    key: str
    label: dict[str, str]


@dataclass(frozen=True)
class Category:
    slug: str
    key: str
    label: dict[str, str]
    instrument: Instrument
    subcategories: tuple[Subcategory, ...]
    sections: tuple[Section, ...]
    fields: tuple[FieldDef, ...]
    field_by_key: dict[str, FieldDef]
    subcategory_field: str | None = None
    order: int = 0
    data: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    compact_index: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def content_hash(self) -> str:
        return content_hash(self.data)

    @property
    def subcategory_keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.subcategories)

    @property
    def required_field_count(self) -> int:
        return sum(1 for f in self.fields if f.required and not f.anticipated)

    @property
    def anticipated_field_count(self) -> int:
        return sum(1 for f in self.fields if f.anticipated)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Category:
        fields = tuple(FieldDef.from_dict(f) for f in data["fields"])
        inst = data["instrument"]
        return cls(
            slug=data["slug"],
            key=data["key"],
            label=dict(data["label"]),
            instrument=Instrument(
                name=inst["name"],
                number=inst["number"],
                celex=inst.get("celex"),
                effective_date=inst["effectiveDate"],
                date_precision=inst.get("datePrecision", "day"),
                mandatory_date=inst.get("mandatoryDate"),
                mandatory_date_precision=inst.get("mandatoryDatePrecision", "day"),
            ),
            subcategories=tuple(
                Subcategory(
                    key=s["key"],
                    label=dict(s["label"]),
                    passport_required=bool(s.get("passportRequired", False)),
                )
                for s in data.get("subcategories") or ()
            ),
            sections=tuple(
                Section(key=s["key"], label=dict(s["label"])) for s in data.get("sections") or ()
            ),
            fields=fields,
            field_by_key={f.key: f for f in fields},
            subcategory_field=data.get("subcategoryField"),
            order=int(data.get("order", 0)),
            data=json.loads(canonical_json(data)),
            compact_index={compact_key(f.key): f.key for f in fields},
        )


@dataclass(frozen=True)
class Template:
    """One immutable stored version of a category's template."""

    template_id: str
    version: int
    category: Category

    def __getattr__(self, name: str) -> Any:
        # Delegate slug/key/fields/field_by_key/... to the bound category.
        if name == "category":
            raise AttributeError(name)
        return getattr(self.category, name)


def category_of(obj: Category | Template) -> Category:
    return obj.category if isinstance(obj, Template) else obj


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _read_data_dir(directory: Path) -> dict[str, Category]:
    catalog: dict[str, Category] = {}
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        category = Category.from_dict(data)
        catalog[category.slug] = category
    return dict(sorted(catalog.items(), key=lambda kv: (kv[1].order, kv[0])))


@lru_cache(maxsize=1)
def load_catalog() -> dict[str, Category]:
    """Every category, keyed by slug, in catalogue order. Read once per process."""
    return _read_data_dir(DATA_DIR)


def resolve_category(slug_or_key: str) -> Category | None:
    """Find a category by product slug (`batteries`) or template key (`battery`)."""
    wanted = slug_or_key.strip().lower()
    for category in load_catalog().values():
        if wanted in (category.slug, category.key):
            return category
    return None
