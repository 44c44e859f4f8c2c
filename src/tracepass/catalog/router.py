"""GET /api/v1/templates and GET /api/v1/templates/{category}."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from tracepass.catalog.definitions import DEFAULT_LOCALE, load_catalog, resolve_category
from tracepass.catalog.schemas import TemplateListOut, TemplateOut, summary_wire, template_wire
from tracepass.catalog.service import current_template
from tracepass.core.errors import ApiError
from tracepass.core.responses import json_response as _json
from tracepass.core.schemas import error_responses
from tracepass.db.session import get_session

router = APIRouter(prefix="/api/v1/templates", tags=["templates"])

LangQuery = Annotated[
    str | None,
    Query(
        pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$",
        max_length=35,
        description="Locale for labels (e.g. `de`); falls back to English.",
    ),
]

# Template versions are immutable, so their rendered JSON is too.
_rendered: dict[tuple[str, str], bytes] = {}
_RENDER_CACHE_LIMIT = 512


def _lang(lang: str | None) -> str:
    return (lang or DEFAULT_LOCALE).replace("_", "-").split("-")[0].lower()


@router.get(
    "",
    response_model=TemplateListOut,
    summary="List every category with its current template",
    responses=error_responses(400, 401),
)
async def list_templates(
    lang: LangQuery = None, session: AsyncSession = Depends(get_session)
) -> Response:
    locale = _lang(lang)
    data = []
    for category in load_catalog().values():
        template = await current_template(session, category.key)
        data.append(summary_wire(template or category, locale))
    return _json({"data": data})


@router.get(
    "/{category}",
    response_model=TemplateOut,
    summary="One category's current template with every field",
    responses=error_responses(400, 401, 404),
)
async def get_template(
    category: str, lang: LangQuery = None, session: AsyncSession = Depends(get_session)
) -> Response:
    if resolve_category(category) is None:
        raise ApiError(404, "TEMPLATE_NOT_FOUND", {"category": category})
    locale = _lang(lang)
    template = await current_template(session, category)
    if template is None:  # catalogue not seeded into this database (yet)
        found = resolve_category(category)
        assert found is not None
        return _json(template_wire(found, locale))
    cache_key = (template.template_id, locale)
    body = _rendered.get(cache_key)
    if body is None:
        body = orjson.dumps(template_wire(template, locale))
        if len(_rendered) < _RENDER_CACHE_LIMIT:
            _rendered[cache_key] = body
    return Response(body, media_type="application/json")
