"""What the public sees of a published snapshot: field filtering, locale resolution,
and the JSON, JSON-LD and linkset documents (the HTML page is built from `FieldView`s).

Everything here is pure: a snapshot, the pinned template and the viewer's access
level and locale in, plain data out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from tracepass.catalog.definitions import ACCESS_LEVELS, FieldDef, Template, localise
from tracepass.public.digital_link import DigitalLink, encode_path

LEVEL_RANK = {level: rank for rank, level in enumerate(ACCESS_LEVELS)}
PUBLIC = "public"
CONTEXT_PATH = "/contexts/dpp/v1.jsonld"
RESOLVER_PATH = "/p"
GS1_VOC = "https://gs1.org/voc/"
PARTY_ROLES = (
    "manufacturer",
    "importer",
    "authorisedRepresentative",
    "distributor",
    "recycler",
    "producerResponsibilityOrg",
)


def can_see(field_level: str, viewer_level: str) -> bool:
    """A viewer sees the fields of its level and every level below it."""
    return LEVEL_RANK.get(field_level, len(LEVEL_RANK)) <= LEVEL_RANK[viewer_level]


def is_web_url(value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith(("https://", "http://"))


def resolve_entry(entry: Any, locale: str | None) -> tuple[Any, str | None]:
    """A field's value in `locale`: translation, else source value, else en, else any.

    Returns `(value, locale_of_value)`.
    """
    if not isinstance(entry, Mapping):
        return entry, None
    value = entry.get("value")
    source = entry.get("sourceLocale")
    translations = entry.get("translations") or {}
    if not isinstance(translations, Mapping):
        translations = {}
    if locale is not None:
        if locale == source and value not in (None, ""):
            return value, source
        if translations.get(locale) not in (None, ""):
            return translations[locale], locale
    if value not in (None, ""):
        return value, source
    for fallback in ("en", *translations):
        if translations.get(fallback) not in (None, ""):
            return translations[fallback], fallback
    return value, source


@dataclass(frozen=True, slots=True)
class FieldView:
    key: str
    label: str
    value: Any
    value_locale: str | None
    unit: str | None
    section: str
    access_level: str
    data_type: str
    definition: FieldDef

    def option_label(self, locale: str | None) -> str | None:
        for option in self.definition.options:
            if option.value == self.value:
                return localise(option.label, locale)
        return None


def visible_fields(
    snapshot: Mapping[str, Any], template: Template, level: str, locale: str | None
) -> list[FieldView]:
    """The fields `level` may see that have a value, in template order.

    A snapshot key the pinned template does not define has no known access level,
    so it is never shown.
    """
    stored = snapshot.get("fields") or {}
    views = []
    for definition in template.fields:
        if definition.key not in stored or not can_see(definition.access_level, level):
            continue
        value, value_locale = resolve_entry(stored[definition.key], locale)
        if value is None or value == "" or value == [] or value == {}:
            continue
        views.append(
            FieldView(
                key=definition.key,
                label=localise(definition.label, locale),
                value=value,
                value_locale=value_locale,
                unit=definition.unit,
                section=definition.section,
                access_level=definition.access_level,
                data_type=definition.data_type,
                definition=definition,
            )
        )
    return views


@dataclass(frozen=True, slots=True)
class Links:
    """Where the forms of one resolver entity live (all absolute URLs)."""

    uri: str

    def form(self, fmt: str, **extra: str) -> str:
        return f"{self.uri}?{urlencode({'format': fmt, **extra})}"

    @property
    def linkset(self) -> str:
        return f"{self.uri}?linkType=all"


def item_uri(snapshot: Mapping[str, Any], public_base: str) -> str:
    """The passport's canonical Digital Link URI (as it was printed on the item)."""
    gs1 = snapshot.get("gs1") or {}
    uri = gs1.get("digitalLinkUri")
    if isinstance(uri, str) and uri:
        return uri
    link = DigitalLink(gtin=str(gs1.get("gtin", "")), serial=str(gs1.get("serialNumber", "")))
    return public_base + RESOLVER_PATH + encode_path(link)


def model_uri(public_base: str, gtin: str, lot: str | None) -> str:
    return public_base + RESOLVER_PATH + encode_path(DigitalLink(gtin=gtin, lot=lot))


def _product(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    product = snapshot.get("product") or {}
    return {
        "_id": product.get("_id"),
        "name": product.get("name"),
        "model": product.get("model"),
        "description": product.get("description"),
        "imageUrls": [u for u in product.get("imageUrls") or [] if is_web_url(u)],
        "sourceLocale": product.get("sourceLocale"),
    }


def _manufacturer(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    return {"name": (snapshot.get("workspace") or {}).get("name")}


def parties(snapshot: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Economic operators are public (ESPR): every role, known roles first."""
    stored = snapshot.get("parties") or {}
    ordered = [r for r in PARTY_ROLES if r in stored] + sorted(
        r for r in stored if r not in PARTY_ROLES
    )
    return {role: dict(stored[role]) for role in ordered if isinstance(stored[role], Mapping)}


def _field_json(view: FieldView, entry: Any, locale: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "label": view.label,
        "dataType": view.data_type,
        "unit": view.unit,
        "section": view.section,
        "accessLevel": view.access_level,
    }
    if locale is not None or not isinstance(entry, Mapping):
        out["value"] = view.value
        out["locale"] = view.value_locale
    else:
        out["value"] = entry.get("value")
        out["sourceLocale"] = entry.get("sourceLocale")
        out["translations"] = dict(entry.get("translations") or {})
    return out


def item_document(
    snapshot: Mapping[str, Any],
    template: Template,
    level: str,
    locale: str | None,
    links: Links,
) -> dict[str, Any]:
    """The public JSON of one passport, as `level` may see it.

    Without a locale, each field carries its source value and translations map;
    with one (`?lang=` / `Accept-Language`), one resolved value and a localised label.
    """
    gs1 = snapshot.get("gs1") or {}
    stored = snapshot.get("fields") or {}
    views = visible_fields(snapshot, template, level, locale)
    return {
        "passportId": snapshot.get("passportId"),
        "status": "published",
        "revision": snapshot.get("revision"),
        "publishedAt": snapshot.get("publishedAt"),
        "updatedAt": snapshot.get("updatedAt"),
        "accessLevel": level,
        "locale": locale,
        "category": snapshot.get("category"),
        "templateId": snapshot.get("templateId"),
        "gs1": {
            "gtin": gs1.get("gtin"),
            "serialNumber": gs1.get("serialNumber"),
            "lot": gs1.get("lot"),
            "digitalLinkUri": links.uri,
        },
        "product": _product(snapshot),
        "manufacturer": _manufacturer(snapshot),
        "parties": parties(snapshot),
        "fields": {v.key: _field_json(v, stored.get(v.key), locale) for v in views},
        "links": _links_json(links),
    }


def _links_json(links: Links) -> dict[str, str]:
    return {
        "self": links.uri,
        "html": links.form("html"),
        "json": links.form("json"),
        "jsonld": links.form("jsonld"),
        "linkset": links.linkset,
    }


def model_document(
    snapshot: Mapping[str, Any], gtin: str, lot: str | None, locale: str | None, links: Links
) -> dict[str, Any]:
    """The public JSON of a product model (GTIN) or lot: no item-level fields."""
    return {
        "level": "lot" if lot is not None else "model",
        "locale": locale,
        "category": snapshot.get("category"),
        "gs1": {"gtin": gtin, "lot": lot, "digitalLinkUri": links.uri},
        "product": _product(snapshot),
        "manufacturer": _manufacturer(snapshot),
        "links": _links_json(links),
    }


def context_url(public_base: str) -> str:
    return public_base + CONTEXT_PATH


def item_jsonld(document: Mapping[str, Any], public_base: str) -> dict[str, Any]:
    """The JSON-LD form of `item_document` (vocabulary in `jsonld_context`)."""
    gs1 = document["gs1"]
    product = document["product"]
    return {
        "@context": context_url(public_base),
        "@id": gs1["digitalLinkUri"],
        "@type": "DigitalProductPassport",
        "passportId": document["passportId"],
        "status": document["status"],
        "revision": document["revision"],
        "publishedAt": document["publishedAt"],
        "updatedAt": document["updatedAt"],
        "accessLevel": document["accessLevel"],
        "inLanguage": document["locale"],
        "category": document["category"],
        "gtin": gs1["gtin"],
        "serialNumber": gs1["serialNumber"],
        "lot": gs1["lot"],
        "product": _product_jsonld(product),
        "manufacturer": {"@type": "Organization", "name": document["manufacturer"]["name"]},
        "parties": [
            {"@type": "EconomicOperator", "role": role, **party}
            for role, party in document["parties"].items()
        ],
        "fields": [
            {"@type": "PassportField", "key": key, **field}
            for key, field in document["fields"].items()
        ],
    }


def _product_jsonld(product: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"@type": "Product"}
    if product.get("_id"):
        out["@id"] = f"urn:tracepass:product:{product['_id']}"
    return {
        **out,
        "name": product.get("name"),
        "model": product.get("model"),
        "description": product.get("description"),
        "image": product.get("imageUrls") or [],
    }


def model_jsonld(document: Mapping[str, Any], public_base: str) -> dict[str, Any]:
    gs1 = document["gs1"]
    return {
        "@context": context_url(public_base),
        "@id": gs1["digitalLinkUri"],
        "@type": "ProductModel",
        "inLanguage": document["locale"],
        "category": document["category"],
        "gtin": gs1["gtin"],
        "lot": gs1["lot"],
        "product": _product_jsonld(document["product"]),
        "manufacturer": {"@type": "Organization", "name": document["manufacturer"]["name"]},
    }


def jsonld_context(public_base: str) -> dict[str, Any]:
    """The `@context` every JSON-LD passport points to (served at CONTEXT_PATH)."""
    vocab = context_url(public_base) + "#"
    return {
        "@context": {
            "@version": 1.1,
            "@vocab": vocab,
            "tp": vocab,
            "schema": "https://schema.org/",
            "gs1": GS1_VOC,
            "xsd": "http://www.w3.org/2001/XMLSchema#",
            "DigitalProductPassport": "tp:DigitalProductPassport",
            "ProductModel": "schema:ProductModel",
            "Product": "schema:Product",
            "Organization": "schema:Organization",
            "EconomicOperator": "tp:EconomicOperator",
            "PassportField": "tp:PassportField",
            "gtin": "gs1:gtin",
            "serialNumber": "gs1:serialNumber",
            "lot": "gs1:hasBatchLotNumber",
            "name": "schema:name",
            "model": "schema:model",
            "description": "schema:description",
            "image": {"@id": "schema:image", "@type": "@id", "@container": "@list"},
            "product": "tp:product",
            "manufacturer": "schema:manufacturer",
            "inLanguage": "schema:inLanguage",
            "publishedAt": {"@id": "schema:datePublished", "@type": "xsd:dateTime"},
            "updatedAt": {"@id": "schema:dateModified", "@type": "xsd:dateTime"},
            "label": "schema:name",
            "unit": "schema:unitText",
            "value": {"@id": "tp:value", "@type": "@json"},
            "translations": {"@id": "tp:translations", "@type": "@json"},
            "fields": {"@id": "tp:field", "@container": "@set"},
            "parties": {"@id": "tp:party", "@container": "@set"},
            "url": {"@id": "schema:url", "@type": "@id"},
            "gln": "gs1:globalLocationNumber",
            "legalName": "schema:legalName",
            "country": "schema:addressCountry",
        }
    }


def _link(href: str, media_type: str, title: str) -> dict[str, str]:
    return {"href": href, "type": media_type, "title": title}


def linkset(
    links: Links,
    title: str,
    image_urls: list[str],
    documents: list[FieldView],
) -> dict[str, Any]:
    """RFC 9264 `application/linkset+json` for one resolver entity."""
    html = _link(links.uri, "text/html", f"{title}: viewer")
    entry: dict[str, Any] = {
        "anchor": links.uri,
        GS1_VOC + "defaultLink": [html],
        GS1_VOC + "pip": [html],
        GS1_VOC + "dpp": [
            html,
            _link(links.form("json"), "application/json", f"{title}: JSON"),
            _link(links.form("jsonld"), "application/ld+json", f"{title}: JSON-LD"),
        ],
    }
    if image_urls:
        entry[GS1_VOC + "relatedImage"] = [
            {"href": url, "title": f"{title}: image {n}"} for n, url in enumerate(image_urls, 1)
        ]
    urls = [d for d in documents if d.data_type == "url" and is_web_url(d.value)]
    if urls:
        entry["describedby"] = [{"href": d.value, "title": d.label} for d in urls]
    return {"linkset": [entry]}
