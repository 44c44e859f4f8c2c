"""Product queries. Every one is scoped by workspace_id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tracepass.core.pagination import PageParams, paginate
from tracepass.db.ids import is_object_id
from tracepass.media.models import MediaObject
from tracepass.passports.models import Passport
from tracepass.products.models import Product

_LIKE_ESCAPE = "\\"


@dataclass(frozen=True, slots=True)
class ProductFilter:
    category: str | None = None  # slug
    statuses: tuple[str, ...] = ("active",)
    search: str | None = None


async def get(
    session: AsyncSession, workspace_id: str, product_id: str, for_update: bool = False
) -> Product | None:
    """The product, or None when unknown, malformed or another workspace's."""
    if not is_object_id(product_id):
        return None
    query = select(Product).where(Product.workspace_id == workspace_id, Product.id == product_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def model_taken(
    session: AsyncSession, workspace_id: str, model: str, except_id: str | None = None
) -> bool:
    query = select(Product.id).where(Product.workspace_id == workspace_id, Product.model == model)
    if except_id is not None:
        query = query.where(Product.id != except_id)
    return (await session.execute(query.limit(1))).first() is not None


def escape_like(text: str) -> str:
    return (
        text.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2)
        .replace("%", _LIKE_ESCAPE + "%")
        .replace("_", _LIKE_ESCAPE + "_")
    )


def _list_query(workspace_id: str, filters: ProductFilter) -> Select[Any]:
    query = select(Product).where(
        Product.workspace_id == workspace_id, Product.status.in_(filters.statuses)
    )
    if filters.category is not None:
        query = query.where(Product.category == filters.category)
    if filters.search:
        pattern = f"%{escape_like(filters.search.lower())}%"
        query = query.where(
            or_(
                func.lower(Product.name).like(pattern, escape=_LIKE_ESCAPE),
                func.lower(Product.model).like(pattern, escape=_LIKE_ESCAPE),
            )
        )
    # Ids are time-ordered, so they break createdAt ties in a stable, sensible order.
    return query.order_by(Product.created_at.desc(), Product.id.desc())


async def list_page(
    session: AsyncSession, workspace_id: str, filters: ProductFilter, params: PageParams
) -> tuple[list[Product], int]:
    return await paginate(session, _list_query(workspace_id, filters), params)


async def count_passports(
    session: AsyncSession, workspace_id: str, product_id: str, only_unarchived: bool
) -> int:
    query = select(func.count()).where(
        Passport.workspace_id == workspace_id, Passport.product_id == product_id
    )
    if only_unarchived:
        query = query.where(Passport.status != "archived")
    return int(await session.scalar(query) or 0)


async def media_names(session: AsyncSession, workspace_id: str, product_id: str) -> list[str]:
    query = select(MediaObject.name).where(
        MediaObject.workspace_id == workspace_id, MediaObject.product_id == product_id
    )
    return list((await session.execute(query)).scalars().all())


async def owned_media(
    session: AsyncSession, workspace_id: str, product_id: str, name: str
) -> MediaObject | None:
    query = select(MediaObject).where(
        MediaObject.workspace_id == workspace_id,
        MediaObject.product_id == product_id,
        MediaObject.name == name,
    )
    return (await session.execute(query)).scalar_one_or_none()


async def delete_product(session: AsyncSession, workspace_id: str, product_id: str) -> None:
    await session.execute(
        delete(MediaObject).where(
            MediaObject.workspace_id == workspace_id, MediaObject.product_id == product_id
        )
    )
    await session.execute(
        delete(Product).where(Product.workspace_id == workspace_id, Product.id == product_id)
    )
