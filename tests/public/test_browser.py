"""The viewer in a real browser: a real server process, headless Chromium, axe-core.

Needs Debian's `chromium`, the Python `playwright` package (no downloaded browser)
and npm (axe-core is installed from the registry with `npm ci` into tests/public/js).
Without them the tests skip, unless TRACEPASS_REQUIRE_BROWSER=1 (CI), where they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.server import ServerProcess, running_server

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
JS_DIR = Path(__file__).resolve().parent / "js"
AXE = JS_DIR / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _unavailable(reason: str) -> None:
    if os.environ.get("TRACEPASS_REQUIRE_BROWSER") == "1":
        pytest.fail(f"TRACEPASS_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def _ensure_axe() -> Path:
    if AXE.exists():
        return AXE
    npm = shutil.which("npm")
    if npm is None:
        _unavailable("npm is needed to install axe-core")
    subprocess.run([str(npm), "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, check=True, timeout=300)
    return AXE


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the Python package playwright is not installed")
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} (Debian package chromium) is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running_server(tmp_path_factory.mktemp("viewer")) as process:
        yield process


def _published_passport(server: ServerProcess) -> dict[str, Any]:
    """A workspace from the CLI, then a product and a published passport over HTTP."""
    workspace = server.create_workspace("Nordwind Reifen AG", plan="enterprise")
    headers = {"Authorization": f"Bearer {workspace['apiKey']}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as http:
        product = http.post(
            "/api/v1/products",
            json={"name": "Winterreifen 205/55 R16", "model": "NW-205", "category": "tyres"},
        )
        assert product.status_code == 201, product.text
        passport = http.post(
            "/api/v1/passports",
            json={
                "productId": product.json()["_id"],
                "gs1": {"gtin": "04012345000016", "serialNumber": "NW-0001"},
                "fieldValues": {
                    "supplier_name": "Nordwind Reifen AG",
                    "speed_rating_kmh": 240,
                    "tyre_class": "C1",
                    "importer_eori_number": "DE123456789012345",
                },
                "parties": {
                    "manufacturer": {"legalName": "Nordwind Reifen AG", "gln": "4012345000009"}
                },
            },
        )
        assert passport.status_code == 201, passport.text
        published = http.post(
            f"/api/v1/passports/{passport.json()['_id']}/publish", json={"force": True}
        )
        assert published.status_code == 200, published.text
        return dict(published.json())


def test_viewer_switches_language_and_shows_the_passport(
    browser: Any, server: ServerProcess
) -> None:
    passport = _published_passport(server)
    uri = passport["gs1"]["digitalLinkUri"]
    assert uri.startswith(server.base_url + "/p/01/04012345000016/21/NW-0001")
    page = browser.new_page(locale="en-GB", viewport={"width": 390, "height": 844})
    try:
        response = page.goto(uri)
        assert response is not None and response.status == 200
        assert page.locator("h1").inner_text() == "Winterreifen 205/55 R16"
        assert page.get_by_role("heading", name="Passport details").is_visible()
        assert page.get_by_text("Speed Rating (km/h)").is_visible()
        assert page.get_by_text("240 km/h").is_visible()
        assert page.get_by_text("Importer EORI Number").count() == 0  # restricted

        page.get_by_role("navigation", name="Language").get_by_role("link", name="Deutsch").click()
        page.wait_for_load_state()
        assert page.url.endswith("?lang=de")
        assert page.locator("html").get_attribute("lang") == "de"
        assert page.get_by_role("heading", name="Angaben zum Pass").is_visible()
        assert page.get_by_role("heading", name="Wirtschaftsakteure").is_visible()
        assert page.get_by_text("Geschwindigkeitsindex (km/h)").is_visible()
        assert page.get_by_text("Seriennummer", exact=True).is_visible()
        assert page.get_by_text("C1 (Pkw)").is_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "public-viewer-de.png"), full_page=True)
    finally:
        page.close()


def test_viewer_has_no_serious_accessibility_violations(
    browser: Any, server: ServerProcess
) -> None:
    axe = _ensure_axe()
    headers = {"Accept": "application/json"}
    found = httpx.get(
        f"{server.base_url}/p/01/04012345000016/21/NW-0001", headers=headers, timeout=30
    )
    if found.status_code == 404:
        _published_passport(server)
    # Our CSP forbids inline scripts, axe's injected one included: let the test bypass it.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    try:
        for lang in ("en", "bg"):
            page.goto(f"{server.base_url}/p/01/04012345000016/21/NW-0001?lang={lang}")
            page.add_script_tag(path=str(axe))
            result = page.evaluate("axe.run()")
            serious = [
                f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
                for v in result["violations"]
                if v["impact"] in ("serious", "critical")
            ]
            assert serious == [], f"{lang}: {serious}"
    finally:
        context.close()
