"""UI strings of the viewer (`locales/<lang>.json`), with English as the fallback."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
FALLBACK_LOCALE = "en"


@lru_cache(maxsize=1)
def _catalogues() -> dict[str, dict[str, str]]:
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(LOCALES_DIR.glob("*.json"))
    }


def ui_locales() -> tuple[str, ...]:
    """Locales the UI text is translated into, English first."""
    others = sorted(code for code in _catalogues() if code != FALLBACK_LOCALE)
    return (FALLBACK_LOCALE, *others)


def language_name(locale: str) -> str:
    return _catalogues().get(locale, {}).get("_name", locale)


@lru_cache(maxsize=64)
def ui_strings(locale: str) -> dict[str, str]:
    """Every UI string in `locale`, missing ones taken from English."""
    catalogues = _catalogues()
    return {**catalogues[FALLBACK_LOCALE], **catalogues.get(locale, {})}


def ui_locale(locale: str | None) -> str:
    """The locale the UI text is shown in: the requested one if translated, else English."""
    return locale if locale in _catalogues() else FALLBACK_LOCALE
