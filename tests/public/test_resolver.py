"""The Digital Link resolver: URL forms, statuses, negotiation, caching headers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.public.conftest import (
    MakePublished,
    create_passport,
    create_product,
    new_gtin,
    path_of,
    publish,
    set_field,
    set_status,
    suspend,
)
from tests.public.conftest import (
    published_passport as make_published_api,
)

BASE = "https://dpp.example.test"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


async def test_item_resolves_to_public_json_by_default(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    passport = await make_published()
    response = await client.get(path_of(passport))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["passportId"] == passport["_id"]
    assert body["status"] == "published"
    assert body["accessLevel"] == "public"
    assert body["gs1"] == {**passport["gs1"], "lot": None}
    assert body["product"]["name"] == "Winter tyre 205/55 R16"
    assert body["manufacturer"] == {"name": "Acme"}
    assert body["fields"]["speed_rating_kmh"] == {
        "label": "Speed Rating (km/h)",
        "dataType": "number",
        "unit": "km/h",
        "section": "tyre_dimensions_and_specifications",
        "accessLevel": "public",
        "value": 240,
        "sourceLocale": "en",
        "translations": {},
    }


async def test_curl_style_accept_any_gets_json(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    passport = await make_published()
    response = await client.get(path_of(passport), headers={"Accept": "*/*"})
    assert response.headers["content-type"] == "application/json"
    assert response.json()["passportId"] == passport["_id"]


async def test_browser_accept_gets_the_viewer_page(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    passport = await make_published()
    response = await client.get(path_of(passport), headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<h1>Winter tyre 205/55 R16</h1>" in response.text


async def test_public_responses_carry_cache_and_cors_headers(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    passport = await make_published()
    response = await client.get(path_of(passport))
    assert response.headers["cache-control"] == "public, max-age=300"
    assert response.headers["etag"].startswith('"')
    assert response.headers["access-control-allow-origin"] == "*"
    vary = {v.strip() for v in response.headers["vary"].split(",")}
    assert {"Accept", "Accept-Language"} <= vary
    assert response.headers["link"] == (
        f'<{path_of(passport)}?linkType=all>; rel="linkset"; type="application/linkset+json"'
    )


async def test_html_carries_security_headers(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    passport = await make_published()
    response = await client.get(path_of(passport), headers={"Accept": "text/html"})
    assert response.headers["content-security-policy"] == (
        "default-src 'none'; img-src 'self' https: data:; style-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "<script" not in response.text


async def test_matching_if_none_match_answers_304(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    passport = await make_published()
    first = await client.get(path_of(passport))
    again = await client.get(path_of(passport), headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["cache-control"] == "public, max-age=300"


async def test_stale_if_none_match_gets_the_full_body(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    passport = await make_published()
    response = await client.get(path_of(passport), headers={"If-None-Match": '"stale"'})
    assert response.status_code == 200
    assert response.json()["passportId"] == passport["_id"]


async def test_etag_differs_per_representation_and_locale(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    passport = await make_published()
    path = path_of(passport)
    etags = {
        (await client.get(path, headers=headers)).headers["etag"]
        for headers in (
            {"Accept": "application/json"},
            {"Accept": "text/html"},
            {"Accept": "application/ld+json"},
            {"Accept": "application/json", "Accept-Language": "de"},
        )
    }
    assert len(etags) == 4


async def test_republishing_changes_the_etag_and_the_content(
    client: httpx.AsyncClient, api: Any, backend: Any
) -> None:
    passport = await create_passport(api)
    await publish(api, passport["_id"])
    before = await client.get(path_of(passport))
    await set_field(api, passport["_id"], "speed_rating_kmh", {"value": 210})
    unchanged = await client.get(path_of(passport))
    await publish(api, passport["_id"])
    after = await client.get(path_of(passport))
    assert unchanged.headers["etag"] == before.headers["etag"]
    assert unchanged.json()["fields"]["speed_rating_kmh"]["value"] == 240
    assert after.headers["etag"] != before.headers["etag"]
    assert after.json()["fields"]["speed_rating_kmh"]["value"] == 210


async def test_head_answers_like_get_without_a_body(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    passport = await make_published()
    get = await client.get(path_of(passport), headers={"Accept": "text/html"})
    head = await client.head(path_of(passport), headers={"Accept": "text/html"})
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == str(len(get.content))


async def test_head_of_an_unknown_passport_is_404(client: httpx.AsyncClient) -> None:
    response = await client.head(f"/p/01/{new_gtin()}/21/NOPE")
    assert response.status_code == 404
    assert response.content == b""


async def test_short_gtin_form_resolves_the_same_passport(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    gtin13_body = new_gtin()[1:]  # a GTIN-14 with a leading zero is a GTIN-13
    passport = await make_published(gtin="0" + gtin13_body)
    serial = passport["gs1"]["serialNumber"]
    response = await client.get(f"/p/01/{gtin13_body}/21/{serial}")
    assert response.status_code == 200
    assert response.json()["passportId"] == passport["_id"]


async def test_percent_encoded_serial_resolves(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    passport = await make_published(serial="A/B-1")
    assert path_of(passport).endswith("/21/A%2FB-1")
    response = await client.get(path_of(passport))
    assert response.status_code == 200
    assert response.json()["gs1"]["serialNumber"] == "A/B-1"


@pytest.mark.parametrize(
    ("suffix", "reason"),
    [
        ("/21/A/21/B", "Application identifier 21 appears more than once"),
        ("/17/260101",
         "Unknown or unsupported key qualifier AI '17' for a GTIN (supported: 22, 10, 21)"),
        ("/21/S/10/L", "Key qualifiers must come in the order 22, 10, 21"),
        ("/21//", "The serial (AI 21) is empty"),
    ],
)  # fmt: skip
async def test_bad_digital_link_syntax_is_400(
    client: httpx.AsyncClient, suffix: str, reason: str
) -> None:
    response = await client.get(f"/p/01/{new_gtin()}{suffix}")
    assert response.status_code == 400
    assert response.json() == {"error": "Invalid Digital Link", "details": {"reason": reason}}


async def test_bad_check_digit_is_400(client: httpx.AsyncClient) -> None:
    gtin = new_gtin()
    wrong = gtin[:-1] + str((int(gtin[-1]) + 1) % 10)
    response = await client.get(f"/p/01/{wrong}/21/S")
    assert response.status_code == 400
    assert response.json() == {
        "error": "Invalid Digital Link",
        "details": {"reason": f"GTIN (AI 01) {wrong} has a wrong check digit"},
    }


async def test_non_digit_gtin_is_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/p/01/ABCDEFGHIJKLMN/21/S")
    assert response.status_code == 400
    assert response.json()["details"]["reason"] == (
        "GTIN (AI 01) must contain digits only, got 'ABCDEFGHIJKLMN'"
    )


async def test_bad_syntax_for_a_browser_is_a_human_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/p/01/123/21/S", headers={"Accept": "text/html"})
    assert response.status_code == 400
    assert "This link is not valid" in response.text
    assert "8, 12, 13 or 14 digits" in response.text


async def test_unknown_passport_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/p/01/{new_gtin()}/21/UNKNOWN")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found", "details": {"resource": "passport"}}
    assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize("status", ["draft", "in_review", "approved", "archived", "expired"])
async def test_unpublished_statuses_are_404(
    client: httpx.AsyncClient, api: Any, backend: Any, status: str
) -> None:
    passport = await make_published_api(api)
    await set_status(backend, passport["_id"], status)
    response = await client.get(path_of(passport))
    assert response.status_code == 404
    assert response.json() == {"error": "Not found", "details": {"resource": "passport"}}


async def test_never_published_draft_is_404(client: httpx.AsyncClient, api: Any) -> None:
    passport = await create_passport(api)
    response = await client.get(path_of(passport))
    assert response.status_code == 404


async def test_suspended_passport_is_423_with_a_structured_body(
    client: httpx.AsyncClient, api: Any, backend: Any
) -> None:
    passport = await make_published_api(api)
    await suspend(api, passport["_id"], "Recall 2026-07")
    response = await client.get(path_of(passport))
    assert response.status_code == 423
    assert response.json() == {
        "error": "Passport suspended",
        "details": {
            "status": "suspended",
            "gtin": passport["gs1"]["gtin"],
            "serialNumber": passport["gs1"]["serialNumber"],
            "reason": "Recall 2026-07",
        },
    }


async def test_suspended_passport_page_tells_a_person_why(
    client: httpx.AsyncClient, api: Any, backend: Any
) -> None:
    passport = await make_published_api(api)
    await suspend(api, passport["_id"], "Recall <2026>")
    response = await client.get(
        path_of(passport), headers={"Accept": "text/html", "Accept-Language": "de"}
    )
    assert response.status_code == 423
    assert "Dieser Produktpass ist ausgesetzt" in response.text
    assert "Recall &lt;2026&gt;" in response.text
    assert "Winter Grip" not in response.text


async def test_jsonld_has_the_documented_context(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    passport = await make_published()
    response = await client.get(path_of(passport), headers={"Accept": "application/ld+json"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/ld+json"
    body = response.json()
    assert body["@context"] == f"{BASE}/contexts/dpp/v1.jsonld"
    assert body["@id"] == passport["gs1"]["digitalLinkUri"]
    assert body["@type"] == "DigitalProductPassport"
    assert body["gtin"] == passport["gs1"]["gtin"]
    assert body["product"]["@type"] == "Product"
    assert {f["key"] for f in body["fields"]} >= {"speed_rating_kmh", "supplier_name"}


async def test_jsonld_context_document_defines_every_term_used(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    passport = await make_published()
    document = (
        await client.get(path_of(passport), headers={"Accept": "application/ld+json"})
    ).json()
    response = await client.get("/contexts/dpp/v1.jsonld")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/ld+json"
    context = response.json()["@context"]
    assert context["gtin"] == "gs1:gtin"
    assert context["value"] == {"@id": "tp:value", "@type": "@json"}
    used = set(document) | set(document["product"]) | set(document["fields"][0])
    undefined = {k for k in used if not k.startswith("@") and k not in context}
    # Terms not listed explicitly fall under @vocab, which the context declares.
    assert context["@vocab"] == f"{BASE}/contexts/dpp/v1.jsonld#"
    assert undefined <= {"passportId", "status", "revision", "accessLevel", "category",
                         "key", "dataType", "section", "sourceLocale", "locale"}  # fmt: skip


@pytest.mark.parametrize(
    ("params", "headers"),
    [({"linkType": "all"}, {}), ({}, {"Accept": "application/linkset+json"})],
)
async def test_linkset_lists_the_passport_links(
    client: httpx.AsyncClient,
    make_published: MakePublished,
    params: dict[str, str],
    headers: dict[str, str],
) -> None:
    passport = await make_published()
    uri = passport["gs1"]["digitalLinkUri"]
    response = await client.get(path_of(passport), params=params, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/linkset+json"
    assert response.headers["access-control-allow-origin"] == "*"
    (entry,) = response.json()["linkset"]
    assert entry["anchor"] == uri
    viewer = {"href": uri, "type": "text/html", "title": "Winter tyre 205/55 R16: viewer"}
    assert entry["https://gs1.org/voc/defaultLink"] == [viewer]
    assert entry["https://gs1.org/voc/dpp"] == [
        viewer,
        {"href": f"{uri}?format=json", "type": "application/json",
         "title": "Winter tyre 205/55 R16: JSON"},
        {"href": f"{uri}?format=jsonld", "type": "application/ld+json",
         "title": "Winter tyre 205/55 R16: JSON-LD"},
    ]  # fmt: skip
    assert entry["https://gs1.org/voc/relatedImage"] == [
        {"href": "https://img.example.test/tyre.png", "title": "Winter tyre 205/55 R16: image 1"}
    ]
    assert entry["describedby"] == [
        {"href": "https://eprel.example.test/tyre/42", "title": "EPREL Product URL"}
    ]


async def test_format_parameter_forms_match_their_media_types(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    passport = await make_published()
    for fmt, media_type in (("json", "application/json"), ("jsonld", "application/ld+json")):
        response = await client.get(path_of(passport), params={"format": fmt})
        assert response.headers["content-type"] == media_type


async def test_lang_resolves_values_and_labels(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    passport = await make_published()
    response = await client.get(path_of(passport), params={"lang": "de"})
    body = response.json()
    assert body["locale"] == "de"
    assert body["fields"]["commercial_name"]["value"] == "Wintergriff"
    assert body["fields"]["commercial_name"]["label"] == "Handelsname"
    assert body["fields"]["commercial_name"]["locale"] == "de"
    assert "translations" not in body["fields"]["commercial_name"]


async def test_accept_language_resolves_like_lang(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    passport = await make_published()
    response = await client.get(path_of(passport), headers={"Accept-Language": "de-AT, en;q=0.5"})
    assert response.json()["fields"]["commercial_name"]["value"] == "Wintergriff"


async def test_untranslated_locale_falls_back_to_the_source_value(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    passport = await make_published()
    body = (await client.get(path_of(passport), params={"lang": "fr"})).json()
    assert body["fields"]["commercial_name"]["value"] == "Winter Grip"
    assert body["fields"]["commercial_name"]["locale"] == "en"
    assert body["fields"]["commercial_name"]["label"] == "Nom commercial"


async def test_model_level_shows_the_product_behind_the_gtin(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    passport = await make_published()
    gtin = passport["gs1"]["gtin"]
    response = await client.get(f"/p/01/{gtin}")
    assert response.status_code == 200
    body = response.json()
    assert body["level"] == "model"
    assert body["gs1"] == {"gtin": gtin, "lot": None, "digitalLinkUri": f"{BASE}/p/01/{gtin}"}
    assert body["product"]["name"] == "Winter tyre 205/55 R16"
    assert body["manufacturer"] == {"name": "Acme"}
    assert "fields" not in body
    assert response.headers["cache-control"] == "public, max-age=300"


async def test_model_level_page_renders_for_a_browser(
    client: httpx.AsyncClient, make_published: MakePublished
) -> None:
    passport = await make_published()
    response = await client.get(f"/p/01/{passport['gs1']['gtin']}", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "<h1>Winter tyre 205/55 R16</h1>" in response.text
    assert "This code identifies a product model." in response.text


async def test_model_level_without_a_published_passport_is_404(
    client: httpx.AsyncClient, api: Any
) -> None:
    passport = await create_passport(api)  # a draft only
    response = await client.get(f"/p/01/{passport['gs1']['gtin']}")
    assert response.status_code == 404


async def test_lot_level_needs_a_published_passport_of_that_lot(
    client: httpx.AsyncClient, api: Any, backend: Any
) -> None:
    product = await create_product(api)
    gtin = new_gtin()
    passport = await create_passport(api, product_id=product["_id"], gtin=gtin, lot="L-7")
    await publish(api, passport["_id"])
    found = await client.get(f"/p/01/{gtin}/10/L-7")
    assert found.status_code == 200
    assert found.json()["level"] == "lot"
    assert found.json()["gs1"]["lot"] == "L-7"
    assert (await client.get(f"/p/01/{gtin}/10/OTHER")).status_code == 404


async def test_item_with_lot_qualifier_must_match_the_lot(
    client: httpx.AsyncClient, api: Any, backend: Any
) -> None:
    passport = await create_passport(api, lot="L-9")
    await publish(api, passport["_id"])
    gtin, serial = passport["gs1"]["gtin"], passport["gs1"]["serialNumber"]
    assert (await client.get(f"/p/01/{gtin}/10/L-9/21/{serial}")).status_code == 200
    assert (await client.get(f"/p/01/{gtin}/22/V1/10/L-9/21/{serial}")).status_code == 200
    assert (await client.get(f"/p/01/{gtin}/10/L-8/21/{serial}")).status_code == 404


async def test_well_known_resolver_description(client: httpx.AsyncClient) -> None:
    response = await client.get("/.well-known/gs1resolver")
    assert response.status_code == 200
    assert response.json() == {
        "name": "TracePass Digital Product Passport resolver",
        "resolverRoot": f"{BASE}/p",
        "supportedPrimaryKeys": ["01"],
        "supportedLinkType": [{"namespace": "https://gs1.org/voc/", "prefix": "gs1:"}],
        "linkTypeDefaultCanBeLinkset": False,
        "supportedContextValuesEnumerated": [],
    }


async def test_stylesheet_is_served_with_a_validator(client: httpx.AsyncClient) -> None:
    response = await client.get("/assets/viewer.css")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/css; charset=utf-8"
    again = await client.get(
        "/assets/viewer.css", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304
