"""Content and language negotiation, and If-None-Match matching (pure functions)."""

from __future__ import annotations

import pytest

from tracepass.public.negotiation import (
    choose_locale,
    choose_representation,
    etag_matches,
)

BROWSER_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "json"),
        ("", "json"),
        ("*/*", "json"),
        (BROWSER_ACCEPT, "html"),
        ("text/html", "html"),
        ("application/xhtml+xml", "html"),
        ("application/json", "json"),
        ("application/ld+json", "jsonld"),
        ("application/linkset+json", "linkset"),
        ("application/ld+json, application/json;q=0.5", "jsonld"),
        ("text/html;q=0.2, application/json", "json"),
        ("application/*", "json"),
        ("text/*", "html"),
        ("image/png", "json"),
        ("text/html;q=0", "json"),
    ],
)
def test_accept_header_picks_the_representation(accept: str | None, expected: str) -> None:
    assert choose_representation(accept) == expected


def test_link_type_all_asks_for_the_linkset_whatever_the_accept() -> None:
    assert choose_representation("text/html", None, "all") == "linkset"
    assert choose_representation(None, "html", "linkset") == "linkset"


def test_format_parameter_overrides_accept() -> None:
    assert choose_representation(BROWSER_ACCEPT, "json") == "json"
    assert choose_representation("application/json", "jsonld") == "jsonld"
    assert choose_representation(None, "html") == "html"


def test_unknown_format_parameter_falls_back_to_accept() -> None:
    assert choose_representation("text/html", "xml") == "html"


@pytest.mark.parametrize(
    ("lang", "accept_language", "expected"),
    [
        ("de", None, "de"),
        ("DE-at", "fr", "de"),
        ("xx", "fr-CH, de;q=0.9", "fr"),
        (None, "en-GB;q=0.5, bg;q=0.8", "bg"),
        (None, "ja, pt-BR;q=0.3", "pt"),
        (None, "ja", None),
        (None, None, None),
        (None, "de;q=0", None),
    ],
)
def test_locale_comes_from_lang_then_accept_language(
    lang: str | None, accept_language: str | None, expected: str | None
) -> None:
    assert choose_locale(lang, accept_language) == expected


@pytest.mark.parametrize(
    ("header", "matches"),
    [('"abc"', True), ('W/"abc"', True), ('"x", "abc"', True), ("*", True),
     ('"abd"', False), (None, False), ("", False)],
)  # fmt: skip
def test_if_none_match_uses_weak_comparison(header: str | None, matches: bool) -> None:
    assert etag_matches(header, '"abc"') is matches


def test_render_cache_is_a_bounded_lru() -> None:
    from tracepass.core.cache import LruCache

    cache: LruCache[tuple[str, ...], bytes] = LruCache(max_entries=2)
    cache.put(("a",), b"1")
    cache.put(("b",), b"2")
    assert cache.get(("a",)) == b"1"  # a is now the most recent
    cache.put(("c",), b"3")
    assert (cache.get(("a",)), cache.get(("b",)), cache.get(("c",))) == (b"1", None, b"3")
    assert len(cache) == 2
