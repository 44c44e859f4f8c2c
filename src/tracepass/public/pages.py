"""Server-rendered viewer pages (Jinja2, autoescaped, no JavaScript)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape

from tracepass.catalog.definitions import Template, localise
from tracepass.public.i18n import language_name, ui_locale, ui_locales, ui_strings
from tracepass.public.views import FieldView, Links, is_web_url, parties

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STYLESHEET_PATH = "/assets/viewer.css"

_env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True, slots=True)
class Part:
    """One piece of a displayed value: text, optionally a link."""

    text: str
    href: str | None = None


@dataclass(frozen=True, slots=True)
class SectionView:
    key: str
    label: str
    fields: list[tuple[FieldView, list[Part]]]


def _text(value: Any, strings: Mapping[str, str]) -> str:
    if isinstance(value, bool):
        return strings["yes"] if value else strings["no"]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {_text(v, strings)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_text(v, strings) for v in value)
    return str(value)


def _part(value: Any, strings: Mapping[str, str]) -> Part:
    if is_web_url(value):
        return Part(str(value), str(value))
    return Part(_text(value, strings))


def display_parts(view: FieldView, locale: str, strings: Mapping[str, str]) -> list[Part]:
    if view.data_type == "enum":
        label = view.option_label(locale)
        return [Part(label if label is not None else _text(view.value, strings))]
    if isinstance(view.value, list):
        return [_part(item, strings) for item in view.value]
    part = _part(view.value, strings)
    if view.unit and part.href is None:
        return [Part(f"{part.text} {view.unit}")]
    return [part]


def sections(
    template: Template, views: list[FieldView], locale: str, strings: Mapping[str, str]
) -> list[SectionView]:
    """Visible fields grouped by the template's sections, in template order."""
    by_section: dict[str, list[tuple[FieldView, list[Part]]]] = {}
    for view in views:
        by_section.setdefault(view.section, []).append((view, display_parts(view, locale, strings)))
    grouped = [
        SectionView(s.key, localise(s.label, locale), by_section.pop(s.key))
        for s in template.sections
        if s.key in by_section
    ]
    leftovers = [item for items in by_section.values() for item in items]
    if leftovers:
        grouped.append(SectionView("other", strings["other_section"], leftovers))
    return grouped


def _language_links(base_url: str, locale: str, access: str | None) -> list[dict[str, Any]]:
    links = []
    for code in ui_locales():
        query = {"lang": code, **({"access": access} if access else {})}
        links.append(
            {
                "code": code,
                "name": language_name(code),
                "href": f"{base_url}?{urlencode(query)}",
                "current": code == locale,
            }
        )
    return links


def _common(locale: str, links: Links | None, access: str | None, path_url: str) -> dict[str, Any]:
    extra = {"access": access} if access else {}
    return {
        "lang": locale,
        "t": ui_strings(ui_locale(locale)),
        "stylesheet": STYLESHEET_PATH,
        "languages": _language_links(path_url, locale, access),
        "json_url": links.form("json", lang=locale, **extra) if links else None,
        "jsonld_url": links.form("jsonld", lang=locale, **extra) if links else None,
        "linkset_url": links.linkset if links else None,
    }


def render_item_page(
    snapshot: Mapping[str, Any],
    template: Template,
    views: list[FieldView],
    level: str,
    locale: str,
    links: Links,
    access: str | None,
    path_url: str,
) -> str:
    context = _common(locale, links, access, path_url)
    strings = context["t"]
    product = snapshot.get("product") or {}
    gs1 = snapshot.get("gs1") or {}
    return _env.get_template("passport.html").render(
        **context,
        kind="item",
        level=level,
        product=product,
        images=[u for u in product.get("imageUrls") or [] if is_web_url(u)],
        manufacturer=(snapshot.get("workspace") or {}).get("name"),
        category=localise(template.category.label, locale),
        gs1=gs1,
        updated_at=snapshot.get("updatedAt") or snapshot.get("publishedAt"),
        revision=snapshot.get("revision"),
        sections=sections(template, views, locale, strings),
        parties=parties(snapshot),
    )


def render_model_page(
    snapshot: Mapping[str, Any],
    template: Template | None,
    gtin: str,
    lot: str | None,
    locale: str,
    links: Links,
    path_url: str,
) -> str:
    context = _common(locale, links, None, path_url)
    product = snapshot.get("product") or {}
    return _env.get_template("passport.html").render(
        **context,
        kind="model",
        level="public",
        product=product,
        images=[u for u in product.get("imageUrls") or [] if is_web_url(u)],
        manufacturer=(snapshot.get("workspace") or {}).get("name"),
        category=localise(template.category.label, locale) if template else None,
        gs1={"gtin": gtin, "lot": lot},
        updated_at=None,
        revision=None,
        sections=[],
        parties={},
    )


def render_message_page(
    locale: str, title_key: str, text: str | None, reason: str | None, path_url: str
) -> str:
    context = _common(locale, None, None, path_url)
    strings = context["t"]
    return _env.get_template("message.html").render(
        **context, title=strings[title_key], text=text, reason=reason
    )
