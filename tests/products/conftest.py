"""Helpers for the products tests: product factory and tiny real image files."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Awaitable, Callable
from itertools import count
from typing import Any

import pytest

PRODUCTS = "/api/v1/products"
_models = count(1)

MakeProduct = Callable[..., Awaitable[dict[str, Any]]]


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def tiny_png() -> bytes:
    """A valid 1x1 RGB PNG."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x0b\x6e\x4f")  # filter byte + one RGB pixel
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )


def tiny_jpeg() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def tiny_webp() -> bytes:
    payload = b"WEBPVP8L" + struct.pack("<I", 5) + b"\x2f\x00\x00\x00\x00"
    return b"RIFF" + struct.pack("<I", len(payload)) + payload


def product_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Li-Ion 48V Battery Pack",
        "model": f"BP-{next(_models):05d}",
        "category": "batteries",
    }
    body.update(overrides)
    return body


@pytest.fixture
def make_product(api: Any) -> MakeProduct:
    """Create a product in `api`'s workspace (or `via=` another client); returns its JSON."""

    async def _make(via: Any = None, **overrides: Any) -> dict[str, Any]:
        response = await (via or api).post(PRODUCTS, json=product_body(**overrides))
        assert response.status_code == 201, response.text
        return dict(response.json())

    return _make
