"""Page/limit pagination and the list envelope every list endpoint answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True, slots=True)
class PageParams:
    page: int
    limit: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


async def page_params(
    page: int = Query(1, ge=1, le=1_000_000, description="1-based page number"),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page (1-100)"),
) -> PageParams:
    """FastAPI dependency (async: no worker-thread hand-off); out of range is a 400."""
    return PageParams(page, limit)


class PageData(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    limit: int
    totalPages: int


class Page(BaseModel, Generic[T]):
    data: PageData[T]


def page_envelope(items: list[Any], total: int, params: PageParams) -> dict[str, Any]:
    total_pages = (total + params.limit - 1) // params.limit if total else 0
    return {
        "data": {
            "items": items,
            "total": total,
            "page": params.page,
            "limit": params.limit,
            "totalPages": total_pages,
        }
    }


async def paginate(
    session: AsyncSession, query: Select[Any], params: PageParams
) -> tuple[list[Any], int]:
    """Rows of one page and the total. `query` must already be ordered and scoped."""
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = (await session.execute(query.limit(params.limit).offset(params.offset))).scalars().all()
    return list(rows), int(total or 0)
