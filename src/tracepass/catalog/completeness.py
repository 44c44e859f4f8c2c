"""How complete a value map is against a template, for one sub-category.

Severity model the compliance endpoint builds on:
- critical: a required field (in force, applicable to the sub-category) is missing;
- warning:  a present value breaks its field's rules, an unknown key was sent, or a
            field conditional for the sub-category is missing;
- info:     an anticipated field (duty not yet in force) is missing. Never critical.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tracepass.catalog.definitions import (
    ACCESS_LEVELS,
    Category,
    FieldDef,
    Template,
    category_of,
)
from tracepass.catalog.validation import SUBCATEGORY_ERROR_KEY, validate_values

CRITICAL = "critical"
WARNING = "warning"
INFO = "info"


def is_filled(f: FieldDef, value: Any) -> bool:
    """A value counts as given unless it is None, blank text, or an empty list/object.

    An empty list is a real answer ("none") for an array whose `minItems` is 0.
    """
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple):
        return bool(value) or f.min_items == 0
    if isinstance(value, Mapping):
        return bool(value)
    return True


@dataclass(frozen=True)
class Issue:
    severity: str
    key: str
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {
            "severity": self.severity,
            "key": self.key,
            "code": self.code,
            "message": self.message,
        }


@dataclass
class AccessLevelCount:
    fields: int = 0
    filled: int = 0
    required: int = 0
    missing_required: int = 0

    def to_dict(self) -> dict[str, int]:
        return {
            "fields": self.fields,
            "filled": self.filled,
            "required": self.required,
            "missingRequired": self.missing_required,
        }


@dataclass
class CompletenessReport:
    category: str
    subcategory: str | None
    template_id: str | None
    version: int | None
    applicable_fields: int = 0
    filled_fields: int = 0
    required_fields: int = 0
    filled_required_fields: int = 0
    missing_required: list[str] = field(default_factory=list)
    missing_conditional: list[str] = field(default_factory=list)
    missing_anticipated: list[str] = field(default_factory=list)
    not_applicable: list[str] = field(default_factory=list)
    format_errors: dict[str, list[str]] = field(default_factory=dict)
    by_access_level: dict[str, AccessLevelCount] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    @property
    def critical(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == CRITICAL]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == WARNING]

    @property
    def info(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == INFO]

    @property
    def is_complete(self) -> bool:
        """No critical issue: every applicable required field is present."""
        return not self.critical

    @property
    def score(self) -> float:
        """Share of applicable required fields that are filled, 0..100 (100 when none)."""
        if not self.required_fields:
            return 100.0
        return round(100.0 * self.filled_required_fields / self.required_fields, 1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "subcategory": self.subcategory,
            "templateId": self.template_id,
            "version": self.version,
            "complete": self.is_complete,
            "score": self.score,
            "applicableFields": self.applicable_fields,
            "filledFields": self.filled_fields,
            "requiredFields": self.required_fields,
            "filledRequiredFields": self.filled_required_fields,
            "missingRequired": list(self.missing_required),
            "missingConditional": list(self.missing_conditional),
            "missingAnticipated": list(self.missing_anticipated),
            "notApplicable": list(self.not_applicable),
            "formatErrors": {k: list(v) for k, v in self.format_errors.items()},
            "byAccessLevel": {k: v.to_dict() for k, v in self.by_access_level.items()},
            "counts": {
                CRITICAL: len(self.critical),
                WARNING: len(self.warnings),
                INFO: len(self.info),
            },
            "issues": [i.to_dict() for i in self.issues],
        }


def completeness_report(
    template: Category | Template,
    values: Mapping[str, Any] | None,
    subcategory: str | None = None,
) -> CompletenessReport:
    """Report on `values` against `template` for `subcategory`.

    Without an explicit sub-category, the value of the category's selector field
    (battery: `battery_category`) is used when it names a known sub-category.
    """
    category = category_of(template)
    normalised, errors = validate_values(category, values or {})
    if subcategory is None and category.subcategory_field:
        chosen = normalised.get(category.subcategory_field)
        if isinstance(chosen, str) and chosen in category.subcategory_keys:
            subcategory = chosen

    report = CompletenessReport(
        category=category.key,
        subcategory=subcategory,
        template_id=getattr(template, "template_id", None),
        version=getattr(template, "version", None),
        by_access_level={level: AccessLevelCount() for level in ACCESS_LEVELS},
    )
    if subcategory is not None and subcategory not in category.subcategory_keys:
        report.issues.append(
            Issue(
                WARNING,
                SUBCATEGORY_ERROR_KEY,
                "UNKNOWN_SUBCATEGORY",
                f"`{subcategory}` is not a sub-category of `{category.key}`; "
                "sub-category rules were not applied.",
            )
        )
        subcategory = None
        report.subcategory = None

    # Values present but invalid are reported as format errors, and are not "filled".
    for key, messages in errors.items():
        report.format_errors[key] = list(messages)
        if key in category.field_by_key:
            code = "INVALID_VALUE"
        elif key == SUBCATEGORY_ERROR_KEY:
            continue
        else:
            code = "UNKNOWN_FIELD"
        for message in messages:
            report.issues.append(Issue(WARNING, key, code, message))

    for f in category.fields:
        state = f.applicability(subcategory)
        counts = report.by_access_level.setdefault(f.access_level, AccessLevelCount())
        if state == "notApplicable":
            report.not_applicable.append(f.key)
            continue
        filled = f.key in normalised and is_filled(f, normalised[f.key])
        report.applicable_fields += 1
        counts.fields += 1
        if filled:
            report.filled_fields += 1
            counts.filled += 1
        if state == "required":
            report.required_fields += 1
            counts.required += 1
            if filled:
                report.filled_required_fields += 1
            else:
                report.missing_required.append(f.key)
                counts.missing_required += 1
                why = "has no valid value" if f.key in report.format_errors else "is missing"
                report.issues.append(
                    Issue(CRITICAL, f.key, "MISSING_REQUIRED", f"Required field `{f.key}` {why}.")
                )
        elif state == "conditional" and not filled:
            report.missing_conditional.append(f.key)
            where = f" for `{subcategory}`" if subcategory else " for some sub-categories"
            report.issues.append(
                Issue(
                    WARNING,
                    f.key,
                    "MISSING_CONDITIONAL",
                    f"`{f.key}` is required{where} when its condition applies.",
                )
            )
        elif state == "anticipated" and not filled:
            report.missing_anticipated.append(f.key)
            under = f" (expected under {f.anticipated_under})" if f.anticipated_under else ""
            report.issues.append(
                Issue(
                    INFO,
                    f.key,
                    "ANTICIPATED",
                    f"`{f.key}` is not required yet{under}.",
                )
            )
    return report
