"""Unsupported methods: every path template of the route table answers 405 with an
`Allow` that lists exactly the methods its routes declare (never a 5xx)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from tests.conftest import Api
from tests.reliability.support import PATH_PARAM, api_routes

FILLER = "0123456789abcdef01234567"


def _concrete(path: str) -> str:
    return PATH_PARAM.sub(FILLER, path)


def _methods_by_template(app: Any) -> dict[str, set[str]]:
    templates: dict[str, set[str]] = defaultdict(set)
    for route in api_routes(app):
        if "{rest" in route.path:  # catch-all resolver: its own tests cover it
            continue
        templates[route.path].update(route.methods)
    return templates


async def test_an_unsupported_method_answers_405_with_the_exact_allow_list(
    app: Any, api: Api
) -> None:
    for template, methods in _methods_by_template(app).items():
        response = await api.request("PUT", _concrete(template))
        assert response.status_code == 405, (template, response.status_code, response.text)
        allowed = {m.strip() for m in response.headers["allow"].split(",")}
        assert allowed - {"HEAD"} == methods, (template, allowed)
        assert response.json() == {"error": "Method not allowed", "details": {"method": "PUT"}}
