"""Turning an uploaded file into a stored image: size cap, type sniffing, streaming save."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from fastapi import UploadFile

from tracepass.core.errors import ApiError
from tracepass.db.ids import new_object_id
from tracepass.media.images import KINDS_BY_EXTENSION, SNIFF_BYTES, ImageKind, sniff_image
from tracepass.media.storage import Storage

COPY_CHUNK = 64 * 1024
MEDIA_URL_PREFIX = "/media/"


@dataclass(frozen=True, slots=True)
class StoredImage:
    name: str
    kind: ImageKind
    size: int


class _OverLimit(Exception):
    pass


def payload_too_large(limit: int) -> ApiError:
    return ApiError(413, "Payload too large", {"limitBytes": limit})


def unsupported_image() -> ApiError:
    accepted = sorted(kind.content_type for kind in KINDS_BY_EXTENSION.values())
    return ApiError(
        415,
        "Unsupported media type",
        {"reason": "Only PNG, JPEG and WebP images are accepted", "accepted": accepted},
    )


def media_url(public_base: str, name: str) -> str:
    return f"{public_base}{MEDIA_URL_PREFIX}{name}"


async def store_upload(storage: Storage, upload: UploadFile, limit: int) -> StoredImage:
    """Check and store one uploaded image under a generated name; 413 / 415 otherwise."""
    if upload.size is not None and upload.size > limit:
        raise payload_too_large(limit)
    head = await upload.read(SNIFF_BYTES)
    kind = sniff_image(head)
    if kind is None:
        raise unsupported_image()

    async def bounded_chunks() -> AsyncIterator[bytes]:
        total = len(head)
        yield head
        while chunk := await upload.read(COPY_CHUNK):
            total += len(chunk)
            if total > limit:  # the declared size may be absent or wrong
                raise _OverLimit
            yield chunk

    name = f"{new_object_id()}.{kind.extension}"
    try:
        size = await storage.save(name, bounded_chunks())
    except _OverLimit:
        raise payload_too_large(limit) from None
    return StoredImage(name, kind, size)
