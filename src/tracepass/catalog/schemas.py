"""Wire shapes of the template endpoints (camelCase on the wire)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tracepass.catalog.definitions import Category, FieldDef, Template, category_of, localise
from tracepass.core.schemas import ResponseModel


class InstrumentOut(ResponseModel):
    name: str
    number: str
    celex: str | None = None
    effective_date: str
    date_precision: str = Field(description="`day`, or `year` when only the year is certain")
    mandatory_date: str | None = None
    mandatory_date_precision: str = "day"


class EnumOptionOut(ResponseModel):
    value: str
    label: str


class FieldValidationOut(ResponseModel):
    required: bool
    min: float | None = None
    max: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_items: int | None = None
    max_items: int | None = None
    pattern: str | None = None
    options: list[EnumOptionOut] | None = None
    anticipated: bool = False
    anticipated_under: str | None = None
    required_by: dict[str, str] | None = Field(
        default=None, description="Per sub-category: required / conditional / notApplicable"
    )


class RegulationRefOut(ResponseModel):
    instrument: str
    instrument_name: str
    kind: str
    article: str | None = None
    provision: str | None = None
    annex: str | None = None


class FieldOut(ResponseModel):
    key: str
    label: str
    data_type: str
    unit: str | None = None
    section: str
    access_level: str
    translatable: bool
    validation: FieldValidationOut
    regulation_ref: RegulationRefOut
    default: Any = None


class SubcategoryOut(ResponseModel):
    key: str
    label: str
    passport_required: bool


class SectionOut(ResponseModel):
    key: str
    label: str
    field_count: int


class TemplateSummaryOut(ResponseModel):
    slug: str
    key: str
    label: str
    instrument: InstrumentOut
    field_count: int
    required_field_count: int
    anticipated_field_count: int
    template_id: str | None
    version: int | None


class TemplateListOut(ResponseModel):
    data: list[TemplateSummaryOut]


class TemplateOut(TemplateSummaryOut):
    lang: str
    subcategory_field: str | None = None
    subcategories: list[SubcategoryOut]
    sections: list[SectionOut]
    fields: list[FieldOut]


def _field_wire(f: FieldDef, lang: str) -> dict[str, Any]:
    return f.to_dict(lang=lang)


def summary_wire(source: Category | Template, lang: str = "en") -> dict[str, Any]:
    category = category_of(source)
    return {
        "slug": category.slug,
        "key": category.key,
        "label": localise(category.label, lang),
        "instrument": category.instrument.to_dict(),
        "fieldCount": len(category.fields),
        "requiredFieldCount": category.required_field_count,
        "anticipatedFieldCount": category.anticipated_field_count,
        "templateId": getattr(source, "template_id", None),
        "version": getattr(source, "version", None),
    }


def template_wire(source: Category | Template, lang: str = "en") -> dict[str, Any]:
    category = category_of(source)
    per_section: dict[str, int] = {}
    for f in category.fields:
        per_section[f.section] = per_section.get(f.section, 0) + 1
    return {
        **summary_wire(source, lang),
        "lang": lang,
        "subcategoryField": category.subcategory_field,
        "subcategories": [
            {
                "key": s.key,
                "label": localise(s.label, lang),
                "passportRequired": s.passport_required,
            }
            for s in category.subcategories
        ],
        "sections": [
            {
                "key": s.key,
                "label": localise(s.label, lang),
                "fieldCount": per_section.get(s.key, 0),
            }
            for s in category.sections
        ],
        "fields": [_field_wire(f, lang) for f in category.fields],
    }
