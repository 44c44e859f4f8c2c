"""The server-rendered viewer page: content, grouping, languages, escaping."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.public.conftest import MakePublished, create_product, path_of
from tracepass.public.i18n import ui_locales, ui_strings

HTML = {"Accept": "text/html"}


def headings(html: str) -> list[str]:
    return re.findall(r"<h2[^>]*>(.*?)</h2>", html)


async def test_fields_are_grouped_by_template_section_with_labels_and_units(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    passport = await make_published()
    html = (await client.get(path_of(passport), headers=HTML)).text
    assert headings(html) == [
        "Description",
        "Passport details",
        "Identification",
        "Tyre Dimensions and Specifications",
        "Machine-readable data",
    ]
    assert "<dt>Speed Rating (km/h)</dt>" in html
    assert "240 km/h" in html
    assert "C1 (Passenger car)" in html  # enum shown by its label
    assert (
        '<a href="https://eprel.example.test/tyre/42" rel="noopener noreferrer nofollow">' in html
    )


async def test_page_shows_identity_status_and_manufacturer(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    passport = await make_published()
    html = (await client.get(path_of(passport), headers=HTML)).text
    assert f'<dd class="mono">{passport["gs1"]["gtin"]}</dd>' in html
    assert f'<dd class="mono">{passport["gs1"]["serialNumber"]}</dd>' in html
    assert '<span class="badge">Published</span>' in html
    assert '<p class="maker">Acme</p>' in html
    assert '<img src="https://img.example.test/tyre.png"' in html


async def test_page_links_to_the_json_and_jsonld_forms(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    passport = await make_published()
    uri = passport["gs1"]["digitalLinkUri"]
    html = (await client.get(path_of(passport), params={"lang": "fr"}, headers=HTML)).text
    assert f'href="{uri}?format=json&amp;lang=fr"' in html
    assert f'href="{uri}?format=jsonld&amp;lang=fr"' in html


async def test_parties_are_listed(client: httpx.AsyncClient, api: Any) -> None:
    from tests.public.conftest import published_passport

    passport = await published_passport(
        api,
        parties={"manufacturer": {"legalName": "Acme Tyres GmbH", "gln": "4012345000009"}},
    )
    html = (await client.get(path_of(passport), headers=HTML)).text
    assert '<h2 id="s-parties">Economic operators</h2>' in html
    assert '<p class="party-name">Acme Tyres GmbH</p>' in html


@pytest.mark.parametrize(
    ("lang", "details", "speed", "name"),
    [
        ("en", "Passport details", "Speed Rating (km/h)", "Winter Grip"),
        ("de", "Angaben zum Pass", "Geschwindigkeitsindex (km/h)", "Wintergriff"),
        ("fr", "Détails du passeport", "Indice de vitesse (km/h)", "Winter Grip"),
        ("bg", "Данни за паспорта", "Скоростен рейтинг (km/h)", "Winter Grip"),
    ],
)
async def test_lang_picks_ui_text_labels_and_values(
    client: httpx.AsyncClient,
    make_published: MakePublished,
    lang: str,
    details: str,
    speed: str,
    name: str,
) -> None:
    passport = await make_published()
    html = (await client.get(path_of(passport), params={"lang": lang}, headers=HTML)).text
    assert f'<html lang="{lang}">' in html
    assert details in headings(html)
    assert f"<dt>{speed}</dt>" in html
    assert name in html


async def test_accept_language_picks_the_page_language(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    passport = await make_published()
    response = await client.get(
        path_of(passport), headers={**HTML, "Accept-Language": "fr-BE,fr;q=0.9"}
    )
    assert '<html lang="fr">' in response.text


async def test_lang_parameter_beats_accept_language(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    passport = await make_published()
    response = await client.get(
        path_of(passport), params={"lang": "bg"}, headers={**HTML, "Accept-Language": "de"}
    )
    assert '<html lang="bg">' in response.text


async def test_eu_language_without_ui_text_keeps_english_ui_but_local_labels(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    passport = await make_published()
    html = (await client.get(path_of(passport), params={"lang": "it"}, headers=HTML)).text
    assert '<html lang="it">' in html
    assert "Passport details" in headings(html)
    assert "<dt>Nome commerciale</dt>" in html


async def test_language_switcher_links_every_ui_language(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    passport = await make_published()
    path = path_of(passport)
    html = (await client.get(path, params={"lang": "de"}, headers=HTML)).text
    for code in ("en", "de", "fr", "bg"):
        assert f'href="{path}?lang={code}"' in html
    assert 'hreflang="de" lang="de" aria-current="page">Deutsch</a>' in html


async def test_everything_is_escaped(client: httpx.AsyncClient, api: Any) -> None:
    from tests.public.conftest import published_passport

    product = await create_product(
        api, name='<script>alert("x")</script>', description="<b>bold</b> & more"
    )
    passport = await published_passport(api, product_id=product["_id"])
    html = (await client.get(path_of(passport), headers=HTML)).text
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in html


def test_every_ui_language_translates_every_string() -> None:
    english = set(ui_strings("en"))
    assert {"en", "de", "fr", "bg"} <= set(ui_locales())
    for code in ui_locales():
        from tracepass.public import i18n

        own = set(i18n._catalogues()[code])
        assert own == english, code
