"""/api/v1/products: TracePass v1 products, their images, archive and delete.

Authentication, Idempotency-Key and the daily budgets are the gateway's job
(core/gateway.py); these handlers only parse, call the service and shape answers.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Query, Request, UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from tracepass.config import Settings
from tracepass.core.auth import AuthContext, current_auth
from tracepass.core.pagination import Page, PageParams, page_envelope, page_params
from tracepass.core.responses import app_settings
from tracepass.core.schemas import error_responses
from tracepass.core.timeutil import iso_z
from tracepass.db.session import get_session
from tracepass.media.storage import Storage, storage_for
from tracepass.products import service
from tracepass.products.models import Product
from tracepass.products.schemas import (
    DeletedCounts,
    DeleteSummary,
    ImageUploaded,
    ProductCreate,
    ProductDeleted,
    ProductOut,
    ProductStatus,
    ProductUpdate,
)

router = APIRouter(prefix="/api/v1/products", tags=["products"])

ProductId = Annotated[
    str, Path(alias="id", description="Product ID.", examples=["6650a1b2c3d4e5f6a7b8c9d0"])
]
Auth = Annotated[AuthContext, Depends(current_auth)]
Session = Annotated[AsyncSession, Depends(get_session)]


def get_storage(request: Request) -> Storage:
    return storage_for(request.app.state, app_settings(request))


AppSettings = Annotated[Settings, Depends(app_settings)]
MediaStorage = Annotated[Storage, Depends(get_storage)]


def product_out(product: Product) -> ProductOut:
    return ProductOut(
        id=product.id,
        name=product.name,
        model=product.model,
        category=product.category,
        template_id=product.template_id,
        description=product.description,
        default_field_values=product.default_field_values,
        image_urls=product.image_urls,
        source_locale=product.source_locale,
        passport_count=product.passport_count,
        status=product.status,  # type: ignore[arg-type]
        created_at=iso_z(product.created_at) or "",
        updated_at=iso_z(product.updated_at) or "",
    )


@router.post(
    "",
    status_code=201,
    response_model=ProductOut,
    summary="Create a product",
    responses=error_responses(400, 401, 409, 413, 422, 429),
)
async def create_product(
    body: ProductCreate, auth: Auth, session: Session, settings: AppSettings
) -> ProductOut:
    """Create a product under a seeded category; `model` is unique within the workspace.
    One v1 write; honours Idempotency-Key."""
    product = await service.create_product(session, auth, body, settings.public_base)
    return product_out(product)


@router.get(
    "",
    response_model=Page[ProductOut],
    summary="List products",
    responses=error_responses(400, 401, 429),
)
async def list_products(
    auth: Auth,
    session: Session,
    params: Annotated[PageParams, Depends(page_params)],
    category: Annotated[
        str | None, Query(max_length=40, description="Category slug (or template key).")
    ] = None,
    status: Annotated[ProductStatus | None, Query(description="`active` or `archived`.")] = None,
    search: Annotated[
        str | None,
        Query(max_length=200, description="Case-insensitive substring of name or model."),
    ] = None,
    show_archived: Annotated[
        bool, Query(alias="showArchived", description="Include archived products.")
    ] = False,
) -> dict[str, Any]:
    """Newest first (createdAt descending). Archived products only when `status=archived`
    or `showArchived=true`. One v1 read."""
    products, total = await service.list_products(
        session, auth, params, category, status, search, show_archived
    )
    return page_envelope([product_out(p) for p in products], total, params)


@router.get(
    "/{id}",
    response_model=ProductOut,
    summary="Get a single product",
    responses=error_responses(401, 404, 429),
)
async def get_product(product_id: ProductId, auth: Auth, session: Session) -> ProductOut:
    """The full product. One v1 read."""
    return product_out(await service.get_product(session, auth, product_id))


@router.patch(
    "/{id}",
    response_model=ProductOut,
    summary="Update a product",
    responses=error_responses(400, 401, 404, 409, 413, 422, 429),
)
async def update_product(
    product_id: ProductId,
    body: ProductUpdate,
    auth: Auth,
    session: Session,
    settings: AppSettings,
) -> ProductOut:
    """Change only the keys sent; `description: null` clears it, `imageUrls` replaces the
    array, `defaultFieldValues` replaces the seed values. One v1 write; honours
    Idempotency-Key."""
    product = await service.update_product(session, auth, product_id, body, settings.public_base)
    return product_out(product)


@router.post(
    "/{id}/archive",
    response_model=ProductOut,
    summary="Archive a product",
    responses=error_responses(401, 404, 409, 422, 429),
)
async def archive_product(product_id: ProductId, auth: Auth, session: Session) -> ProductOut:
    """Soft-archive: hidden from default listings, no new passports. 409 while a passport
    that is not archived uses it. One v1 write; honours Idempotency-Key."""
    return product_out(await service.archive_product(session, auth, product_id))


@router.delete(
    "/{id}",
    response_model=ProductDeleted,
    summary="Delete a product permanently",
    responses=error_responses(401, 403, 404, 409, 422, 429),
)
async def delete_product(
    product_id: ProductId, auth: Auth, session: Session, storage: MediaStorage
) -> ProductDeleted:
    """Hard delete with its uploaded images; paid plans only (403 on Free), and only with
    no passports of any status (409). One v1 write; honours Idempotency-Key."""
    product, images_removed = await service.delete_product(session, storage, auth, product_id)
    return ProductDeleted(
        id=product.id,
        summary=DeleteSummary(
            product_id=product.id,
            name=product.name,
            deleted_counts=DeletedCounts(r2_objects_deleted=images_removed),
        ),
    )


@router.post(
    "/{id}/images",
    status_code=201,
    response_model=ImageUploaded,
    summary="Upload a product image",
    responses=error_responses(400, 401, 404, 409, 413, 415, 429),
)
async def upload_image(
    product_id: ProductId,
    auth: Auth,
    session: Session,
    settings: AppSettings,
    storage: MediaStorage,
    file: Annotated[UploadFile, File(description="PNG, JPEG or WebP, at most 5 MB.")],
) -> ImageUploaded:
    """Store one image (multipart field `file`) and append its public URL to `imageUrls`.
    The format is read from the bytes, not the declared type. At most 20 images per
    product. One v1 write; no Idempotency-Key (a multipart body is not replayed)."""
    product, url = await service.add_image(
        session,
        storage,
        auth,
        product_id,
        file,
        settings.public_base,
        settings.image_upload_limit,
    )
    return ImageUploaded(**product_out(product).model_dump(), image_url=url)


@router.delete(
    "/{id}/images/{index}",
    response_model=ProductOut,
    summary="Delete one product image",
    responses=error_responses(400, 401, 404, 422, 429),
)
async def delete_image(
    product_id: ProductId,
    index: Annotated[int, Path(description="Zero-based position in `imageUrls`.")],
    auth: Auth,
    session: Session,
    storage: MediaStorage,
) -> ProductOut:
    """Remove `imageUrls[index]`; an image uploaded to this product is deleted from
    storage too. One v1 write; honours Idempotency-Key."""
    return product_out(await service.remove_image(session, storage, auth, product_id, index))
