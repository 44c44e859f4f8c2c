"""Product rules: category and template binding, model uniqueness, seed values, images,
archive and delete eligibility. Functions take the request's session and commit."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi import UploadFile
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tracepass.catalog.definitions import Category, Template, load_catalog, resolve_category
from tracepass.catalog.service import current_template, template_by_id
from tracepass.catalog.validation import url_problem, validate_values
from tracepass.core.auth import AuthContext
from tracepass.core.errors import ApiError, conflict, not_found, validation_error
from tracepass.core.pagination import PageParams
from tracepass.core.timeutil import utcnow
from tracepass.media.images import MEDIA_NAME
from tracepass.media.models import MediaObject
from tracepass.media.service import MEDIA_URL_PREFIX, StoredImage, media_url, store_upload
from tracepass.media.storage import Storage
from tracepass.products import repository
from tracepass.products.models import Product
from tracepass.products.repository import ProductFilter
from tracepass.products.schemas import MAX_IMAGES, ProductCreate, ProductUpdate

logger = logging.getLogger("tracepass.products")

MODEL_CONSTRAINT = "uq_products_workspace_id_model"
_SQLITE_MODEL_CONSTRAINT = "products.workspace_id, products.model"
_ONE_MS = timedelta(milliseconds=1)

FieldErrors = dict[str, list[str]]


# --- validation helpers -------------------------------------------------------------


def category_problem(value: str) -> str:
    slugs = list(load_catalog())
    message = f"Unknown category `{value}`. Use one of: {', '.join(slugs)}."
    close = difflib.get_close_matches(value.strip().lower(), slugs, n=1, cutoff=0.7)
    return f"{message} Did you mean `{close[0]}`?" if close else message


def resolve_category_or_error(value: str, errors: FieldErrors, field: str) -> Category | None:
    category = resolve_category(value)
    if category is None:
        errors[field] = [category_problem(value)]
    return category


def _seed_value_errors(
    template: Category | Template, values: dict[str, Any], errors: FieldErrors
) -> dict[str, Any]:
    """Normalised seed values (snake_case keys, nulls dropped); problems go into `errors`."""
    normalised, problems = validate_values(template, values)
    for key, messages in problems.items():
        errors[f"defaultFieldValues.{key}"] = messages
    return {key: value for key, value in normalised.items() if value is not None}


def _image_url_errors(urls: Iterable[str], public_base: str, errors: FieldErrors) -> None:
    own_prefix = f"{public_base}{MEDIA_URL_PREFIX}"
    for index, url in enumerate(urls):
        # Our own upload URLs pass even on a plain-http self-hosted base, so a client
        # can PATCH back the array it read.
        if url.startswith(own_prefix):
            continue
        problem = url_problem(url)
        if problem is None and urlsplit(url).scheme.lower() != "https":
            problem = "Expected an absolute https:// URL."
        if problem is not None:
            errors[f"imageUrls.{index}"] = [problem]


def _raise_if_any(errors: FieldErrors) -> None:
    if errors:
        raise validation_error(errors)


def _is_model_conflict(exc: IntegrityError) -> bool:
    text = str(exc.orig)
    return MODEL_CONSTRAINT in text or _SQLITE_MODEL_CONSTRAINT in text


def duplicate_model(model: str) -> ApiError:
    return conflict(
        "Duplicate model",
        reason=f"A product with model `{model}` already exists in this workspace",
        field="model",
        model=model,
    )


def _next_updated_at(product: Product) -> datetime:
    """Now, but always later than the previous value, so every change shows."""
    now = utcnow()
    return now if now > product.updated_at else product.updated_at + _ONE_MS


async def _commit_guarding_model(session: AsyncSession, model: str) -> None:
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        if _is_model_conflict(exc):  # lost a race with a concurrent create/rename
            raise duplicate_model(model) from None
        raise


async def _template_of(session: AsyncSession, product: Product) -> Template:
    template = await template_by_id(session, product.template_id)
    if template is None:
        template = await current_template(session, product.category)
    if template is None:
        raise ApiError(503, "Service unavailable", {"reason": "Category catalogue not seeded"})
    return template


async def get_product(session: AsyncSession, auth: AuthContext, product_id: str) -> Product:
    product = await repository.get(session, auth.workspace_id, product_id)
    if product is None:
        raise not_found("product")
    return product


async def _get_for_update(session: AsyncSession, auth: AuthContext, product_id: str) -> Product:
    product = await repository.get(session, auth.workspace_id, product_id, for_update=True)
    if product is None:
        raise not_found("product")
    return product


# --- create / read / update ---------------------------------------------------------


async def create_product(
    session: AsyncSession, auth: AuthContext, body: ProductCreate, public_base: str
) -> Product:
    errors: FieldErrors = {}
    category = resolve_category_or_error(body.category, errors, "category")
    template = await current_template(session, category.slug) if category else None
    if category is not None and template is None:
        raise ApiError(503, "Service unavailable", {"reason": "Category catalogue not seeded"})
    seed_values = (
        _seed_value_errors(template, body.default_field_values, errors) if template else {}
    )
    _image_url_errors(body.image_urls, public_base, errors)
    _raise_if_any(errors)
    assert category is not None and template is not None

    if await repository.model_taken(session, auth.workspace_id, body.model):
        raise duplicate_model(body.model)
    now = utcnow()
    product = Product(
        workspace_id=auth.workspace_id,
        name=body.name,
        model=body.model,
        category=category.slug,
        template_id=template.template_id,
        description=body.description,
        default_field_values=seed_values,
        image_urls=list(body.image_urls),
        source_locale=body.source_locale or auth.default_source_locale,
        passport_count=0,
        status="active",
        created_at=now,
        updated_at=now,
    )
    session.add(product)
    await _commit_guarding_model(session, body.model)
    return product


async def list_products(
    session: AsyncSession,
    auth: AuthContext,
    params: PageParams,
    category: str | None,
    status: str | None,
    search: str | None,
    show_archived: bool,
) -> tuple[list[Product], int]:
    slug = None
    if category:
        errors: FieldErrors = {}
        found = resolve_category_or_error(category, errors, "category")
        _raise_if_any(errors)
        assert found is not None
        slug = found.slug
    if status is not None:
        statuses: tuple[str, ...] = (status,)
    else:
        statuses = ("active", "archived") if show_archived else ("active",)
    filters = ProductFilter(category=slug, statuses=statuses, search=search or None)
    return await repository.list_page(session, auth.workspace_id, filters, params)


async def _refuse_if_unarchived_passports(
    session: AsyncSession, auth: AuthContext, product: Product
) -> None:
    live = await repository.count_passports(
        session, auth.workspace_id, product.id, only_unarchived=True
    )
    if live:
        raise conflict(
            "Product has active passports",
            reason=(
                f"{live} passport(s) not yet archived still use this product; archive them first"
            ),
            passportCount=live,
        )


async def update_product(
    session: AsyncSession,
    auth: AuthContext,
    product_id: str,
    body: ProductUpdate,
    public_base: str,
) -> Product:
    product = await _get_for_update(session, auth, product_id)
    sent = body.model_fields_set
    changes: dict[str, Any] = {}
    errors: FieldErrors = {}
    if "default_field_values" in sent and body.default_field_values is not None:
        template = await _template_of(session, product)
        changes["default_field_values"] = _seed_value_errors(
            template, body.default_field_values, errors
        )
    if "image_urls" in sent and body.image_urls is not None:
        _image_url_errors(body.image_urls, public_base, errors)
        changes["image_urls"] = list(body.image_urls)
    _raise_if_any(errors)
    for field in ("name", "model", "description", "status", "source_locale"):
        if field in sent:
            changes[field] = getattr(body, field)

    changes = {k: v for k, v in changes.items() if getattr(product, k) != v}
    if not changes:
        return product
    if "model" in changes and await repository.model_taken(
        session, auth.workspace_id, changes["model"], except_id=product.id
    ):
        raise duplicate_model(changes["model"])
    if changes.get("status") == "archived":
        await _refuse_if_unarchived_passports(session, auth, product)
    for field, value in changes.items():
        setattr(product, field, value)
    product.updated_at = _next_updated_at(product)
    await _commit_guarding_model(session, product.model)
    return product


# --- archive / delete ---------------------------------------------------------------


async def archive_product(session: AsyncSession, auth: AuthContext, product_id: str) -> Product:
    # The row lock makes a concurrent passport create (which locks the product to read
    # its status) wait for us, so no passport can slip in between count and archive.
    product = await _get_for_update(session, auth, product_id)
    if product.status == "archived":
        return product
    await _refuse_if_unarchived_passports(session, auth, product)
    product.status = "archived"
    product.updated_at = _next_updated_at(product)
    await session.commit()
    return product


async def delete_product(
    session: AsyncSession, storage: Storage, auth: AuthContext, product_id: str
) -> tuple[Product, int]:
    """Hard delete; returns the deleted product and how many stored images went with it."""
    if not auth.plan.paid:
        raise ApiError(
            403,
            "Forbidden",
            {
                "reason": "Deleting a product needs a paid plan; archive it instead",
                "plan": auth.plan.name,
                "feature": "products.delete",
            },
        )
    product = await _get_for_update(session, auth, product_id)
    total = await repository.count_passports(
        session, auth.workspace_id, product.id, only_unarchived=False
    )
    if total:
        raise conflict(
            "Product has passports",
            reason=(
                f"{total} passport(s) of any status still reference this product; "
                "only a product without passports can be deleted"
            ),
            passportCount=total,
        )
    names = await repository.media_names(session, auth.workspace_id, product.id)
    await repository.delete_product(session, auth.workspace_id, product.id)
    await session.commit()
    removed = 0
    for name in names:
        removed += await _remove_stored(storage, name)
    return product, removed


async def _remove_stored(storage: Storage, name: str) -> int:
    """Delete a stored file after its record is gone; a failure leaves an orphan, not an error."""
    try:
        return int(await storage.delete(name))
    except OSError:
        logger.warning("could not delete stored media %s", name, exc_info=True)
        return 0


# --- images -------------------------------------------------------------------------


def _image_limit_reached() -> ApiError:
    return conflict(
        "Image limit reached",
        reason=f"A product holds at most {MAX_IMAGES} images; delete one first",
        limit=MAX_IMAGES,
    )


async def add_image(
    session: AsyncSession,
    storage: Storage,
    auth: AuthContext,
    product_id: str,
    upload: UploadFile,
    public_base: str,
    size_limit: int,
) -> tuple[Product, str]:
    """Store an uploaded image and append its URL; returns the product and the URL."""
    product = await get_product(session, auth, product_id)
    if len(product.image_urls) >= MAX_IMAGES:
        raise _image_limit_reached()
    await session.rollback()  # do not hold the (SQLite) write lock while the file is copied

    stored = await store_upload(storage, upload, size_limit)
    try:
        return await _attach_image(session, auth, product_id, stored, public_base)
    except BaseException:
        await _remove_stored(storage, stored.name)
        raise


async def _attach_image(
    session: AsyncSession,
    auth: AuthContext,
    product_id: str,
    stored: StoredImage,
    public_base: str,
) -> tuple[Product, str]:
    product = await _get_for_update(session, auth, product_id)
    if len(product.image_urls) >= MAX_IMAGES:  # filled up while we were storing
        raise _image_limit_reached()
    url = media_url(public_base, stored.name)
    session.add(
        MediaObject(
            name=stored.name,
            workspace_id=auth.workspace_id,
            product_id=product.id,
            content_type=stored.kind.content_type,
            size_bytes=stored.size,
        )
    )
    product.image_urls = [*product.image_urls, url]
    product.updated_at = _next_updated_at(product)
    await session.commit()
    return product, url


def _media_name_of(url: str) -> str | None:
    path = urlsplit(url).path
    if not path.startswith(MEDIA_URL_PREFIX):
        return None
    name = path[len(MEDIA_URL_PREFIX) :]
    return name if MEDIA_NAME.match(name) else None


async def remove_image(
    session: AsyncSession, storage: Storage, auth: AuthContext, product_id: str, index: int
) -> Product:
    product = await _get_for_update(session, auth, product_id)
    if not 0 <= index < len(product.image_urls):
        raise ApiError(
            404,
            "Not found",
            {"resource": "image", "index": index, "imageCount": len(product.image_urls)},
        )
    urls = list(product.image_urls)
    removed_url = urls.pop(index)
    product.image_urls = urls
    product.updated_at = _next_updated_at(product)

    # Only a file this product uploaded is deleted, and only once no entry points to it.
    name = _media_name_of(removed_url)
    record = None
    if name is not None and all(_media_name_of(u) != name for u in urls):
        record = await repository.owned_media(session, auth.workspace_id, product.id, name)
        if record is not None:
            await session.delete(record)
    await session.commit()
    if record is not None:
        await _remove_stored(storage, record.name)
    return product
