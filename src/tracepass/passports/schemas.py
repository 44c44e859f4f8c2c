"""Wire models of the passports API (camelCase on the wire, `_id` for ids)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, StrictBool

from tracepass.core.schemas import ResponseModel, WireModel

PartyRole = Literal[
    "manufacturer",
    "importer",
    "authorisedRepresentative",
    "distributor",
    "recycler",
    "producerResponsibilityOrg",
]
PARTY_ROLES: tuple[str, ...] = PartyRole.__args__  # type: ignore[attr-defined]

FieldSource = Literal["manual", "ai_suggested", "ai_approved", "reference_db", "supplier", "system"]
REVIEWED_SOURCES = frozenset({"ai_suggested", "supplier"})


class Gs1Input(WireModel):
    gtin: str = Field(
        description="GTIN-14 (8/12/13-digit GTINs are left-padded) with a valid check digit"
    )
    serial_number: str = Field(
        description="GS1 AI 21 serial, 1-100 characters, unique within the GTIN"
    )
    lot: str | None = Field(None, description="Optional GS1 AI 10 batch/lot, 1-20 characters")


class PartyInput(WireModel):
    legal_name: str = Field(min_length=1, max_length=200)
    gln: str | None = Field(None, description="GS1 Global Location Number, 13 digits")
    country: str | None = Field(None, description="ISO 3166-1 alpha-2")
    legacy_operator_id: str | None = Field(
        None, min_length=1, max_length=100, description="VAT / EORI / supplier code"
    )
    url: str | None = Field(None, max_length=2048, description="https:// URL")
    address: str | None = Field(None, max_length=500)
    email: str | None = Field(None, max_length=254)


class CreatePassportInput(WireModel):
    product_id: str
    gs1: Gs1Input
    parties: dict[str, PartyInput] | None = None
    field_values: dict[str, Any] | None = None
    confirm_overage: StrictBool = False


class BatchCreateInput(WireModel):
    # Items stay loose here: each one is validated on its own so one bad item
    # fails alone instead of failing the whole batch.
    passports: list[dict[str, Any]] = Field(min_length=1, max_length=100)
    confirm_overage: StrictBool = Field(
        False,
        description="Accept the overage charge for the whole batch (as does every item saying so)",
    )


class FieldUpdateInput(WireModel):
    value: Any = Field(description="The new value in the template's type; null clears the field")
    source: FieldSource = "manual"
    source_locale: str | None = Field(None, pattern=r"^[a-z]{2}$")
    translations: dict[str, Any] | None = None


class PublishInput(WireModel):
    force: StrictBool = Field(False, description="Publish despite critical compliance findings")


class SuspendInput(WireModel):
    reason: str | None = Field(None, description="Free text, truncated at 500 characters")


class Gs1Out(ResponseModel):
    gtin: str
    serialNumber: str
    lot: str | None = None
    digitalLinkUri: str


class ProductRef(ResponseModel):
    model_config = ConfigDict(populate_by_name=True)
    id: str = Field(alias="_id")
    name: str
    model: str
    category: str


class PassportOut(ResponseModel):
    model_config = ConfigDict(populate_by_name=True, extra="allow")
    id: str = Field(alias="_id")
    productId: str
    product: ProductRef | None = None
    templateId: str
    category: str | None = None
    status: str
    gs1: Gs1Out
    parties: dict[str, dict[str, Any]]
    fields: dict[str, dict[str, Any]]
    revision: int
    publishedRevision: int | None
    hasUnpublishedChanges: bool
    pendingReviewCount: int = 0
    completionPercentage: float | None = None
    suspensionReason: str | None = None
    createdAt: str
    updatedAt: str
    publishedAt: str | None
    suspendedAt: str | None
    archivedAt: str | None


class PassportListItem(ResponseModel):
    model_config = ConfigDict(populate_by_name=True)
    id: str = Field(alias="_id")
    productId: str
    gs1: Gs1Out
    status: str
    completionPercentage: float | None = None
    createdAt: str
    updatedAt: str
    publishedAt: str | None


class PassportListData(ResponseModel):
    items: list[PassportListItem]
    total: int
    page: int
    limit: int
    totalPages: int


class PassportList(ResponseModel):
    data: PassportListData


class BatchResult(ResponseModel):
    index: int
    status: Literal["created", "error"]
    data: PassportOut | None = None
    error: str | None = None
    details: dict[str, Any] | None = None


class BatchOut(ResponseModel):
    results: list[BatchResult]
    created: int
    failed: int


class FieldOut(ResponseModel):
    passportId: str
    key: str
    status: Literal["approved", "pending_review"]
    value: Any = None
    source: str
    sourceLocale: str | None = None
    translations: dict[str, Any] = Field(default_factory=dict)
    revision: int
    reviewItemId: str | None = None
    updatedAt: str


class PartyOut(ResponseModel):
    passportId: str
    role: str
    party: dict[str, Any] | None
    revision: int
    updatedAt: str


class ReviewItemOut(ResponseModel):
    model_config = ConfigDict(populate_by_name=True)
    id: str = Field(alias="_id")
    passportId: str
    key: str
    value: Any = None
    source: str
    sourceLocale: str
    translations: dict[str, Any]
    status: str
    proposedBy: str
    createdAt: str
    decidedAt: str | None = None
    decidedBy: str | None = None


class ReviewListData(ResponseModel):
    items: list[ReviewItemOut]
    total: int
    page: int
    limit: int
    totalPages: int


class ReviewList(ResponseModel):
    data: ReviewListData


class AuditEntryOut(ResponseModel):
    model_config = ConfigDict(populate_by_name=True)
    id: str = Field(alias="_id")
    passportId: str
    actor: str
    action: str
    changes: dict[str, Any]
    createdAt: str


class AuditListData(ResponseModel):
    items: list[AuditEntryOut]
    total: int
    page: int
    limit: int
    totalPages: int


class AuditList(ResponseModel):
    data: AuditListData


class Finding(ResponseModel):
    severity: Literal["critical", "warning", "info"]
    code: str
    field: str | None = None
    party: str | None = None
    message: str
    regulationRef: dict[str, Any] | None = None


class ComplianceOut(ResponseModel):
    passportId: str
    verdict: Literal["compliant", "compliant_with_warnings", "incomplete"]
    category: str
    subcategory: str | None
    conditionalCoverage: Literal["evaluated", "static-only"]
    templateId: str
    templateVersion: int | None
    completionPercentage: float
    counts: dict[str, int]
    findings: list[Finding]
    checkedAt: str


class DeletedOut(ResponseModel):
    model_config = ConfigDict(populate_by_name=True)
    id: str = Field(alias="_id")
    deleted: bool
