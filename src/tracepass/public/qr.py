"""QR codes of a passport's Digital Link URI (segno): SVG, PNG or SVG wrapped in JSON.

Error correction is at least M (segno raises it for free when the symbol has room)
and the quiet zone is the 4 modules ISO/IEC 18004 asks for. Colours are validated
here so a bad parameter is a 400 naming the parameter, never a renderer crash.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Literal

import segno

QrFormat = Literal["svg", "png", "json"]
QR_FORMATS: tuple[str, ...] = ("svg", "png", "json")
ERROR_CORRECTION = "m"
QUIET_ZONE = 4
DEFAULT_SCALE = 8
MIN_SCALE = 1
MAX_SCALE = 40
DEFAULT_DARK = "#000000"

_RGB = re.compile(r"#?([0-9A-Fa-f]{6})")
_RGB_OR_RGBA = re.compile(r"#?([0-9A-Fa-f]{6}|[0-9A-Fa-f]{8})")


class QrParameterError(ValueError):
    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


def parse_color(value: str, parameter: str, allow_alpha: bool = False) -> str:
    """`FF6600` / `#ff6600` (and `RRGGBBAA` when allowed) -> `#FF6600`."""
    match = (_RGB_OR_RGBA if allow_alpha else _RGB).fullmatch(value.strip())
    if match is None:
        sizes = "6- or 8-digit" if allow_alpha else "6-digit"
        raise QrParameterError(parameter, f"Must be a {sizes} hex colour such as FF6600")
    return "#" + match.group(1).upper()


@dataclass(frozen=True, slots=True)
class QrStyle:
    dark: str = DEFAULT_DARK
    light: str | None = None  # None = transparent
    scale: int = DEFAULT_SCALE


def style_from_params(
    color: str | None,
    background_color: str | None,
    use_company_branding: bool,
    brand_color: str | None,
    scale: int,
) -> QrStyle:
    """An explicit `color` wins over the company's brand colour, which wins over black."""
    if not MIN_SCALE <= scale <= MAX_SCALE:
        raise QrParameterError("scale", f"Must be between {MIN_SCALE} and {MAX_SCALE}")
    dark = DEFAULT_DARK
    if color is not None:
        dark = parse_color(color, "color")
    elif use_company_branding and brand_color:
        dark = parse_color(brand_color, "useCompanyBranding")
    light = (
        parse_color(background_color, "backgroundColor", allow_alpha=True)
        if background_color is not None
        else None
    )
    return QrStyle(dark=dark, light=light, scale=scale)


def _symbol(data: str) -> segno.QRCode:
    return segno.make_qr(data, error=ERROR_CORRECTION)


def render_svg(data: str, style: QrStyle) -> str:
    buffer = io.BytesIO()
    _symbol(data).save(
        buffer,
        kind="svg",
        scale=style.scale,
        border=QUIET_ZONE,
        dark=style.dark,
        light=style.light,
        xmldecl=False,
        svgclass=None,
        lineclass=None,
        title="QR code",
    )
    return buffer.getvalue().decode("utf-8")


def render_png(data: str, style: QrStyle) -> bytes:
    buffer = io.BytesIO()
    _symbol(data).save(
        buffer,
        kind="png",
        scale=style.scale,
        border=QUIET_ZONE,
        dark=style.dark,
        light=style.light,
    )
    return buffer.getvalue()
