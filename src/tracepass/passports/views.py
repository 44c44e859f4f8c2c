"""Wire shapes of passports, review items and audit entries, and the published snapshot."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from tracepass.catalog.completeness import completeness_report
from tracepass.catalog.definitions import Template
from tracepass.core.auth import AuthContext
from tracepass.core.timeutil import iso_z
from tracepass.passports.fields import approved_values, wire_fields
from tracepass.passports.gs1 import digital_link_uri
from tracepass.passports.models import AuditEntry, Passport, ReviewItem
from tracepass.products.models import Product


def gs1_wire(p: Passport, public_base: str) -> dict[str, Any]:
    return {
        "gtin": p.gtin,
        "serialNumber": p.serial,
        "lot": p.lot,
        "digitalLinkUri": digital_link_uri(public_base, p.gtin, p.serial),
    }


_COMPLETION_CACHE_LIMIT = 1024
_completion_cache: dict[tuple[str, bytes], float] = {}


def completion(p: Passport, template: Template | None) -> float | None:
    """Share of required fields filled; memoised, as a batch's passports often share values."""
    if template is None:
        return None
    values = approved_values(p.fields or {})
    key = (template.template_id, orjson.dumps(values, option=orjson.OPT_SORT_KEYS))
    score = _completion_cache.get(key)
    if score is None:
        score = completeness_report(template, values).score
        if len(_completion_cache) >= _COMPLETION_CACHE_LIMIT:
            _completion_cache.clear()
        _completion_cache[key] = score
    return score


def has_unpublished_changes(p: Passport) -> bool:
    return p.published_revision is not None and p.revision != p.published_revision


def product_ref(product: Product) -> dict[str, Any]:
    return {
        "_id": product.id,
        "name": product.name,
        "model": product.model,
        "category": product.category,
    }


def passport_wire(
    p: Passport,
    template: Template | None,
    public_base: str,
    *,
    product: Product | None = None,
    lang: str | None = None,
    full: bool = False,
    pending_reviews: int = 0,
) -> dict[str, Any]:
    return {
        "_id": p.id,
        "productId": p.product_id,
        "product": product_ref(product) if product is not None else None,
        "templateId": p.template_id,
        "category": template.category.slug if template is not None else None,
        "status": p.status,
        "gs1": gs1_wire(p, public_base),
        "parties": dict(p.parties or {}),
        "fields": wire_fields(p.fields or {}, template, lang=lang, full=full),
        "revision": p.revision,
        "publishedRevision": p.published_revision,
        "hasUnpublishedChanges": has_unpublished_changes(p),
        "pendingReviewCount": pending_reviews,
        "completionPercentage": completion(p, template),
        "suspensionReason": p.suspend_reason,
        "createdAt": iso_z(p.created_at),
        "updatedAt": iso_z(p.updated_at),
        "publishedAt": iso_z(p.published_at),
        "suspendedAt": iso_z(p.suspended_at),
        "archivedAt": iso_z(p.archived_at),
    }


def list_item_wire(p: Passport, template: Template | None, public_base: str) -> dict[str, Any]:
    return {
        "_id": p.id,
        "productId": p.product_id,
        "gs1": gs1_wire(p, public_base),
        "status": p.status,
        "completionPercentage": completion(p, template),
        "createdAt": iso_z(p.created_at),
        "updatedAt": iso_z(p.updated_at),
        "publishedAt": iso_z(p.published_at),
    }


def review_item_wire(item: ReviewItem) -> dict[str, Any]:
    return {
        "_id": item.id,
        "passportId": item.passport_id,
        "key": item.key,
        "value": item.value,
        "source": item.source,
        "sourceLocale": item.source_locale,
        "translations": dict(item.translations or {}),
        "status": item.status,
        "proposedBy": item.actor,
        "createdAt": iso_z(item.created_at),
        "decidedAt": iso_z(item.decided_at),
        "decidedBy": item.decided_by,
    }


def audit_wire(entry: AuditEntry) -> dict[str, Any]:
    return {
        "_id": entry.id,
        "passportId": entry.passport_id,
        "actor": entry.actor,
        "action": entry.action,
        "changes": entry.changes,
        "createdAt": iso_z(entry.created_at),
    }


def build_snapshot(
    p: Passport,
    template: Template,
    product: Product,
    auth: AuthContext,
    public_base: str,
    published_at: str | None,
) -> dict[str, Any]:
    """The frozen public version of a passport (every field; the viewer filters by access)."""
    return {
        "passportId": p.id,
        "revision": p.revision,
        "publishedAt": published_at,
        "updatedAt": iso_z(p.updated_at),
        "status": "published",
        "templateId": p.template_id,
        "category": template.category.slug,
        "gs1": gs1_wire(p, public_base),
        "product": {
            "_id": product.id,
            "name": product.name,
            "model": product.model,
            "description": product.description,
            "imageUrls": list(product.image_urls or []),
            "sourceLocale": product.source_locale,
        },
        "workspace": {"name": auth.workspace_name, "brandColor": auth.brand_color},
        "fields": {
            key: {
                "value": entry.get("value"),
                "sourceLocale": entry.get("sourceLocale"),
                "translations": dict(entry.get("translations") or {}),
            }
            for key, entry in (p.fields or {}).items()
        },
        "parties": dict(p.parties or {}),
    }


def snapshot_etag(snapshot: dict[str, Any]) -> str:
    """A strong validator: sha256 of the snapshot's canonical JSON."""
    return hashlib.sha256(orjson.dumps(snapshot, option=orjson.OPT_SORT_KEYS)).hexdigest()
