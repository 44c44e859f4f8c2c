"""Wire models of the products API (camelCase, `_id`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints, field_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from tracepass.core.schemas import ResponseModel, WireModel

MAX_IMAGES = 20
MAX_URL_LENGTH = 2048

ProductStatus = Literal["active", "archived"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ModelCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Description = Annotated[str, StringConstraints(max_length=2000)]
Locale = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z]{2}$", to_lower=True), Field(examples=["en"])
]
ImageUrl = Annotated[str, StringConstraints(min_length=1, max_length=MAX_URL_LENGTH)]
ImageUrls = Annotated[list[ImageUrl], Field(max_length=MAX_IMAGES)]
FieldValues = Annotated[
    dict[str, Any],
    Field(description="Seed values for new passports, keyed by template field key."),
]


class ProductCreate(WireModel):
    name: Name = Field(examples=["Li-Ion 48V Battery Pack"])
    model: ModelCode = Field(description="Unique within the workspace.", examples=["BP-48V-100"])
    category: str = Field(
        max_length=40,
        description="Seeded category slug (`batteries`); the template key (`battery`) also works.",
        examples=["batteries"],
    )
    description: Description | None = None
    default_field_values: FieldValues = Field(default_factory=dict)
    image_urls: ImageUrls = Field(default_factory=list, description="Public https:// URLs.")
    source_locale: Locale | None = Field(
        default=None, description="ISO 639-1; defaults to the workspace's defaultSourceLocale."
    )


_NOT_NULLABLE = ("name", "model", "default_field_values", "image_urls", "status", "source_locale")


def _document_not_nullable(schema: dict[str, Any]) -> None:
    """OpenAPI: keys that refuse null are optional, not nullable (found by contract fuzzing)."""
    for name in _NOT_NULLABLE:
        prop = schema.get("properties", {}).get(to_camel(name))
        if not prop or "anyOf" not in prop:
            continue
        options = [o for o in prop.pop("anyOf") if o.get("type") != "null"]
        prop.pop("default", None)
        if len(options) == 1:
            prop.update(options[0])
        else:
            prop["anyOf"] = options


class ProductUpdate(WireModel):
    """Every key optional; an omitted key is left alone, `description: null` clears it."""

    model_config = ConfigDict(**WireModel.model_config, json_schema_extra=_document_not_nullable)

    name: Name | None = None
    model: ModelCode | None = None
    description: Description | None = None
    default_field_values: FieldValues | None = None
    image_urls: ImageUrls | None = Field(default=None, description="Replaces the whole array.")
    status: ProductStatus | None = None
    source_locale: Locale | None = None

    @field_validator(*_NOT_NULLABLE, mode="before")
    @classmethod
    def _refuse_null(cls, value: Any) -> Any:
        # Runs only for keys present in the body: omission stays allowed.
        if value is None:
            raise PydanticCustomError("null_not_allowed", "May not be null")
        return value


class ProductOut(ResponseModel):
    id: str = Field(serialization_alias="_id", examples=["6650a1b2c3d4e5f6a7b8c9d0"])
    name: str
    model: str
    category: str
    template_id: str
    description: str | None
    default_field_values: dict[str, Any]
    image_urls: list[str]
    source_locale: str
    passport_count: int
    status: ProductStatus
    created_at: str = Field(examples=["2026-05-09T10:00:00.000Z"])
    updated_at: str = Field(examples=["2026-05-09T10:00:00.000Z"])


class ImageUploaded(ProductOut):
    image_url: str = Field(description="The public URL of the uploaded image.")


class DeletedCounts(ResponseModel):
    document_refs_unlinked: int = 0
    documents_deleted: int = 0
    r2_objects_deleted: int = Field(0, description="Stored images removed with the product.")
    document_r2_objects_deleted: int = 0


class DeleteSummary(ResponseModel):
    product_id: str
    name: str
    deleted_counts: DeletedCounts


class ProductDeleted(ResponseModel):
    id: str = Field(serialization_alias="_id")
    deleted: Literal[True] = True
    message: str = "Product permanently deleted"
    summary: DeleteSummary
