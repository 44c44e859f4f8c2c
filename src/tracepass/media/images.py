"""Recognise image formats by their magic bytes (the declared content type is not trusted)."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ImageKind:
    extension: str
    content_type: str


PNG = ImageKind("png", "image/png")
JPEG = ImageKind("jpg", "image/jpeg")
WEBP = ImageKind("webp", "image/webp")

KINDS_BY_EXTENSION = {kind.extension: kind for kind in (PNG, JPEG, WEBP)}
SNIFF_BYTES = 12

# Generated names only: an ObjectId and one of our extensions. Nothing a client sends
# ever becomes part of a path.
MEDIA_NAME = re.compile(r"^[0-9a-f]{24}\.(png|jpg|webp)$")

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"


def sniff_image(head: bytes) -> ImageKind | None:
    """The format of a file starting with `head` (at least SNIFF_BYTES long), or None."""
    if head.startswith(_PNG_SIGNATURE):
        return PNG
    if head.startswith(_JPEG_SIGNATURE):
        return JPEG
    if len(head) >= SNIFF_BYTES and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None


def kind_of_name(name: str) -> ImageKind | None:
    """The format of a stored media name, or None when the name is not one we generate."""
    match = MEDIA_NAME.match(name)
    return KINDS_BY_EXTENSION[match.group(1)] if match else None
