"""Content and language negotiation for the resolver, and `If-None-Match` matching.

Representation, in order of precedence:
1. `?linkType=all` (or `linkset`) -> the RFC 9264 linkset;
2. `?format=html|json|jsonld|linkset` -> that form (what the viewer's own links use);
3. the `Accept` header: the acceptable form with the highest q, then the most
   specific media range; ties go to JSON, so `*/*` (curl) and no header at all get
   JSON while a browser (`text/html,...,*/*;q=0.8`) gets the page. An `Accept`
   that allows none of our forms gets JSON too (the header is advisory).
"""

from __future__ import annotations

from typing import Literal

Representation = Literal["html", "json", "jsonld", "linkset"]

MEDIA_TYPES: dict[str, str] = {
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "jsonld": "application/ld+json",
    "linkset": "application/linkset+json",
}
# Candidates in tie-break order (the first wins an exact tie).
_CANDIDATES: tuple[tuple[Representation, str, str], ...] = (
    ("json", "application", "json"),
    ("html", "text", "html"),
    ("html", "application", "xhtml+xml"),
    ("jsonld", "application", "ld+json"),
    ("linkset", "application", "linkset+json"),
)
_FORMATS: dict[str, Representation] = {
    "html": "html",
    "json": "json",
    "jsonld": "jsonld",
    "json-ld": "jsonld",
    "linkset": "linkset",
}
LINKSET_LINK_TYPES = frozenset({"all", "linkset"})
_MAX_ACCEPT_RANGES = 32

# The 24 official EU languages: what field labels and translations may come in.
EU_LOCALES = (
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr",
    "hu", "it", "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv",
)  # fmt: skip
_EU_LOCALE_SET = frozenset(EU_LOCALES)


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(1.0, max(0.0, float(value.strip())))
            except ValueError:
                return 0.0
    return 1.0


def parse_accept(header: str) -> list[tuple[str, str, float]]:
    """`(type, subtype, q)` for each media range, lower-cased; bounded in number."""
    ranges = []
    for item in header.split(",")[:_MAX_ACCEPT_RANGES]:
        media, *params = item.split(";")
        kind, _, subtype = media.strip().lower().partition("/")
        if kind and subtype:
            ranges.append((kind, subtype, _quality(params)))
    return ranges


def _score(ranges: list[tuple[str, str, float]], kind: str, subtype: str) -> tuple[float, int]:
    """(q, specificity) of the most specific range matching `kind/subtype`."""
    best: tuple[float, int] | None = None
    for r_kind, r_sub, q in ranges:
        if r_kind == kind and r_sub == subtype:
            specificity = 2
        elif r_kind == kind and r_sub == "*":
            specificity = 1
        elif r_kind == "*" and r_sub == "*":
            specificity = 0
        else:
            continue
        if best is None or specificity > best[1]:
            best = (q, specificity)
    return best or (0.0, -1)


def choose_representation(
    accept: str | None, format_param: str | None = None, link_type: str | None = None
) -> Representation:
    if link_type is not None and link_type.lower() in LINKSET_LINK_TYPES:
        return "linkset"
    if format_param is not None and format_param.lower() in _FORMATS:
        return _FORMATS[format_param.lower()]
    if not accept:
        return "json"
    ranges = parse_accept(accept)
    best: Representation = "json"
    best_score = (0.0, -1)
    for representation, kind, subtype in _CANDIDATES:
        score = _score(ranges, kind, subtype)
        if score[0] > 0 and score > best_score:
            best, best_score = representation, score
    return best


def base_locale(tag: str) -> str | None:
    """`de-AT`, `DE` or `de_at` -> `de` when it is an EU language, else None."""
    base = tag.strip().replace("_", "-").split("-")[0].lower()
    return base if base in _EU_LOCALE_SET else None


def locale_from_accept_language(header: str) -> str | None:
    """The EU language the caller prefers most (highest q, then header order)."""
    best: tuple[float, int, str] | None = None
    for position, item in enumerate(header.split(",")[:_MAX_ACCEPT_RANGES]):
        tag, *params = item.split(";")
        locale = base_locale(tag)
        quality = _quality(params)
        if locale is None or quality <= 0:
            continue
        candidate = (quality, -position, locale)
        if best is None or candidate > best:
            best = candidate
    return best[2] if best else None


def choose_locale(lang_param: str | None, accept_language: str | None) -> str | None:
    """`?lang=` first, then `Accept-Language`; None when the caller expressed nothing usable."""
    if lang_param:
        locale = base_locale(lang_param)
        if locale is not None:
            return locale
    if accept_language:
        return locale_from_accept_language(accept_language)
    return None


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison of `If-None-Match` against our (strong) ETag."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(
        candidate.strip().removeprefix("W/") == wanted for candidate in if_none_match.split(",")
    )
