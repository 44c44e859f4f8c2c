"""QR codes of a passport's Digital Link URI, including a real decode with zbarimg."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.public.conftest import PASSPORTS, create_passport, create_product, new_gtin

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def qr_url(passport: dict[str, Any]) -> str:
    return f"{PASSPORTS}/{passport['_id']}/qr"


async def test_default_is_black_svg_on_transparent(api: Any) -> None:
    passport = await create_passport(api)
    response = await api.get(qr_url(passport))
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.text.startswith("<svg")
    assert 'stroke="#000"' in response.text
    assert "fill=" not in response.text  # no background path: transparent


async def test_png_format(api: Any) -> None:
    passport = await create_passport(api)
    response = await api.get(qr_url(passport), params={"format": "png"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(PNG_MAGIC)


async def test_json_format_wraps_the_svg(api: Any) -> None:
    passport = await create_passport(api)
    svg = (await api.get(qr_url(passport))).text
    response = await api.get(qr_url(passport), params={"format": "json"})
    assert response.status_code == 200
    assert response.json() == {"result": svg}


@pytest.mark.parametrize("color", ["FF6600", "#ff6600", "ff6600"])
async def test_explicit_colour(api: Any, color: str) -> None:
    passport = await create_passport(api)
    response = await api.get(qr_url(passport), params={"color": color})
    assert response.status_code == 200
    assert 'stroke="#f60"' in response.text


async def test_background_colour_with_alpha(api: Any) -> None:
    passport = await create_passport(api)
    response = await api.get(qr_url(passport), params={"backgroundColor": "FFFFFF80"})
    assert response.status_code == 200
    assert 'fill="#fff" fill-opacity="0.5"' in response.text


async def test_company_branding_uses_the_brand_colour(make_api: Any) -> None:
    branded = await make_api(plan="enterprise", brand_color="#123456")
    passport = await create_passport(branded)
    response = await branded.get(qr_url(passport), params={"useCompanyBranding": "true"})
    assert 'stroke="#123456"' in response.text


async def test_explicit_colour_wins_over_branding(make_api: Any) -> None:
    branded = await make_api(plan="enterprise", brand_color="#123456")
    passport = await create_passport(branded)
    response = await branded.get(
        qr_url(passport), params={"useCompanyBranding": "true", "color": "00FF00"}
    )
    assert 'stroke="#0f0"' in response.text


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"color": "FF66"}, "color"),
        ({"color": "GGGGGG"}, "color"),
        ({"color": "FF660080"}, "color"),
        ({"backgroundColor": "FFF"}, "backgroundColor"),
        ({"format": "gif"}, "format"),
        ({"scale": "0"}, "scale"),
        ({"scale": "41"}, "scale"),
        ({"useCompanyBranding": "maybe"}, "useCompanyBranding"),
    ],
)
async def test_invalid_parameters_are_400(api: Any, params: dict[str, str], field: str) -> None:
    passport = await create_passport(api)
    response = await api.get(qr_url(passport), params=params)
    assert response.status_code == 400
    assert response.json()["error"] == "Validation error"
    assert list(response.json()["details"]["fieldErrors"]) == [field]


async def test_scale_sets_the_module_size(api: Any) -> None:
    passport = await create_passport(api)
    small = await api.get(qr_url(passport), params={"format": "png", "scale": "2"})
    large = await api.get(qr_url(passport), params={"format": "png", "scale": "10"})
    assert len(large.content) > len(small.content)


async def test_draft_passport_has_a_qr(api: Any) -> None:
    passport = await create_passport(api)
    assert passport["status"] == "draft"
    assert (await api.get(qr_url(passport))).status_code == 200


async def test_unknown_or_foreign_passport_is_404(api: Any, make_api: Any) -> None:
    passport = await create_passport(api)
    stranger = await make_api(name="Other", plan="enterprise")
    assert (await stranger.get(qr_url(passport))).status_code == 404
    missing = await api.get(f"{PASSPORTS}/aaaaaaaaaaaaaaaaaaaaaaaa/qr")
    assert missing.status_code == 404
    assert missing.json() == {"error": "Not found", "details": {"resource": "passport"}}


async def test_qr_needs_an_api_key(client: httpx.AsyncClient, api: Any) -> None:
    passport = await create_passport(api)
    assert (await client.get(qr_url(passport))).status_code == 401


async def test_by_serial_form(api: Any) -> None:
    passport = await create_passport(api)
    serial, gtin = passport["gs1"]["serialNumber"], passport["gs1"]["gtin"]
    by_id = await api.get(qr_url(passport))
    by_serial = await api.get(f"{PASSPORTS}/by-serial/{serial}/qr")
    with_gtin = await api.get(f"{PASSPORTS}/by-serial/{serial}/qr", params={"gtin": gtin})
    assert by_serial.status_code == with_gtin.status_code == 200
    assert by_serial.text == with_gtin.text == by_id.text


async def test_by_serial_shared_by_two_gtins_needs_the_gtin(api: Any) -> None:
    product = await create_product(api)
    first = await create_passport(api, product_id=product["_id"], serial="SHARED-1")
    await create_passport(api, product_id=product["_id"], serial="SHARED-1")
    ambiguous = await api.get(f"{PASSPORTS}/by-serial/SHARED-1/qr")
    assert ambiguous.status_code == 409
    chosen = await api.get(
        f"{PASSPORTS}/by-serial/SHARED-1/qr", params={"gtin": first["gs1"]["gtin"]}
    )
    assert chosen.status_code == 200
    assert chosen.text == (await api.get(qr_url(first))).text


async def test_by_serial_with_a_bad_gtin_is_400(api: Any) -> None:
    response = await api.get(f"{PASSPORTS}/by-serial/S/qr", params={"gtin": "123"})
    assert response.status_code == 400
    assert list(response.json()["details"]["fieldErrors"]) == ["gtin"]


async def test_by_serial_unknown_is_404(api: Any) -> None:
    response = await api.get(f"{PASSPORTS}/by-serial/NOPE-{new_gtin()}/qr")
    assert response.status_code == 404


async def test_qr_counts_as_one_read(make_api: Any) -> None:
    free = await make_api(plan="free")
    passport = await create_passport(free)
    first = await free.get(qr_url(passport))
    second = await free.get(qr_url(passport))
    used_first = int(first.headers["ratelimit"].split("r=")[1].split(";")[0])
    used_second = int(second.headers["ratelimit"].split("r=")[1].split(";")[0])
    assert first.headers["ratelimit"].startswith('"reads";')
    assert used_first - used_second == 1


def _zbarimg() -> str:
    path = shutil.which("zbarimg")
    if path is None:
        reason = "zbarimg (Debian package zbar-tools) is not installed"
        if os.environ.get("TRACEPASS_REQUIRE_BROWSER") == "1":
            pytest.fail(f"TRACEPASS_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return path


@pytest.mark.parametrize("params", [{"backgroundColor": "FFFFFF"}, {"color": "0B6E4F"}, {}])
async def test_png_decodes_to_exactly_the_digital_link_uri(
    api: Any, tmp_path: Path, params: dict[str, str]
) -> None:
    zbarimg = _zbarimg()
    passport = await create_passport(api, serial="Q/R%7?")
    response = await api.get(qr_url(passport), params={"format": "png", **params})
    image = tmp_path / "qr.png"
    image.write_bytes(response.content)
    decoded = subprocess.run(
        [zbarimg, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(image)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert decoded.rstrip("\n") == passport["gs1"]["digitalLinkUri"]
    assert decoded.startswith("https://dpp.example.test/p/01/")
