"""Compliance verdict of one passport, built on the catalogue's completeness report.

Static tier: missing required fields and required parties are critical, values that
break their field's format are warnings, pending review values of required fields
count as missing. Conditional tier: the template's `requiredBy` rules for the
passport's sub-category (battery: the `battery_category` field) and the rule that a
non-EU manufacturer needs an EU-established operator. `conditionalCoverage` is
`evaluated` when the sub-category is known, else `static-only`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from tracepass.catalog.completeness import CRITICAL, INFO, WARNING, completeness_report
from tracepass.catalog.definitions import Template
from tracepass.passports.countries import EU_MEMBER_STATES
from tracepass.passports.fields import approved_values

COMPLIANT = "compliant"
WITH_WARNINGS = "compliant_with_warnings"
INCOMPLETE = "incomplete"

_BATTERY_REGULATION = {
    "instrument": "32023R1542",
    "instrumentName": "Battery Regulation",
    "kind": "legislation",
    "article": "Art. 77",
    "provision": "Annex XIII",
    "annex": "Annex XIII",
}
_MARKET_SURVEILLANCE = {
    "instrument": "32019R1020",
    "instrumentName": "Market Surveillance Regulation",
    "kind": "legislation",
    "article": "Art. 4",
    "provision": "Art. 4(1)",
    "annex": None,
}

# Economic-operator roles each category's law requires on the passport.
REQUIRED_PARTIES: dict[str, tuple[tuple[str, dict[str, Any]], ...]] = {
    "battery": (("manufacturer", _BATTERY_REGULATION), ("recycler", _BATTERY_REGULATION)),
}
EU_OPERATOR_ROLES = ("importer", "authorisedRepresentative")


@dataclass
class ComplianceResult:
    category: str
    subcategory: str | None
    coverage: str
    score: float
    findings: list[dict[str, Any]] = field(default_factory=list)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f["severity"] == severity)

    @property
    def critical(self) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["severity"] == CRITICAL]

    @property
    def verdict(self) -> str:
        if self.count(CRITICAL):
            return INCOMPLETE
        return WITH_WARNINGS if self.count(WARNING) else COMPLIANT

    def counts(self) -> dict[str, int]:
        return {s: self.count(s) for s in (CRITICAL, WARNING, INFO)}


def _finding(
    severity: str,
    code: str,
    message: str,
    *,
    field_key: str | None = None,
    party: str | None = None,
    ref: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "severity": severity,
        "code": code,
        "field": field_key,
        "party": party,
        "message": message,
        "regulationRef": dict(ref) if ref is not None else None,
    }


def _field_ref(template: Template, key: str) -> dict[str, Any] | None:
    f = template.field_by_key.get(key)
    return f.regulation_ref.to_dict() if f is not None else None


def evaluate(
    template: Template,
    fields: Mapping[str, Mapping[str, Any]],
    parties: Mapping[str, Mapping[str, Any]],
    pending_keys: Collection[str] = (),
) -> ComplianceResult:
    report = completeness_report(template, approved_values(fields))
    category = template.category
    has_subcategories = bool(category.subcategories)
    result = ComplianceResult(
        category=category.key,
        subcategory=report.subcategory,
        coverage="evaluated" if report.subcategory is not None else "static-only",
        score=report.score,
    )
    for issue in report.issues:
        message = issue.message
        if issue.code == "MISSING_REQUIRED" and issue.key in pending_keys:
            message = f"Required field `{issue.key}` has a value pending review, none approved."
        result.findings.append(
            _finding(
                issue.severity,
                issue.code,
                message,
                field_key=issue.key if issue.key in category.field_by_key else None,
                ref=_field_ref(template, issue.key),
            )
        )
    if has_subcategories and report.subcategory is None and category.subcategory_field:
        selector = category.subcategory_field
        result.findings.append(
            _finding(
                WARNING,
                "unverifiable_conditional",
                f"`{selector}` is not set, so the sub-category rules could not be evaluated; "
                f"set it to one of {', '.join(category.subcategory_keys)}.",
                field_key=selector,
                ref=_field_ref(template, selector),
            )
        )
    for role, ref in REQUIRED_PARTIES.get(category.key, ()):
        if role not in parties:
            result.findings.append(
                _finding(
                    CRITICAL,
                    "MISSING_PARTY",
                    f"The `{role}` economic operator is required.",
                    party=role,
                    ref=ref,
                )
            )
    result.findings.extend(_eu_operator_findings(parties))
    for key in sorted(set(pending_keys) - set(report.missing_required)):
        result.findings.append(
            _finding(
                INFO,
                "PENDING_REVIEW",
                f"A proposed value for `{key}` is waiting for review.",
                field_key=key,
                ref=_field_ref(template, key),
            )
        )
    return result


def _eu_operator_findings(parties: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    manufacturer = parties.get("manufacturer")
    country = manufacturer.get("country") if manufacturer else None
    if not country or country in EU_MEMBER_STATES:
        return []
    for role in EU_OPERATOR_ROLES:
        operator = parties.get(role)
        if operator and operator.get("country") in EU_MEMBER_STATES:
            return []
    return [
        _finding(
            CRITICAL,
            "MISSING_EU_OPERATOR",
            f"The manufacturer is established outside the EU ({country}); an importer or "
            "authorised representative established in the EU is required.",
            party="importer",
            ref=_MARKET_SURVEILLANCE,
        )
    ]
