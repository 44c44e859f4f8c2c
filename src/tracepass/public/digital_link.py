"""GS1 Digital Link URI paths for GTINs: a pure parser and encoder.

Supported path (after the resolver root, e.g. `/p`):

    /01/{gtin}[/22/{cpv}][/10/{lot}][/21/{serial}]

Key qualifiers are optional but, when present, come in the order 22, 10, 21 (GS1
Digital Link standard). Values are percent-decoded per segment, so a serial that
holds `/` arrives as `%2F` and stays one value. GTIN-8/12/13 are left-padded to 14
digits after their check digit is verified.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

GTIN_AI = "01"
CPV_AI = "22"
LOT_AI = "10"
SERIAL_AI = "21"
QUALIFIER_ORDER = (CPV_AI, LOT_AI, SERIAL_AI)
QUALIFIER_NAMES = {CPV_AI: "consumer product variant", LOT_AI: "lot", SERIAL_AI: "serial"}
MAX_QUALIFIER_LENGTH = 20  # AIs 10 and 22 are X..20
# GS1 caps AI 21 at 20 characters too, but passports accept serials of up to 100 (the
# TracePass serial limit) and every printed Digital Link must resolve.
MAX_SERIAL_LENGTH = 100
GTIN_LENGTHS = (8, 12, 13, 14)

# GS1 AI encodable character set 82 (General Specifications, figure 7.11-1).
CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
_CSET82_RE = re.compile("[" + re.escape(CSET82) + "]+")
_DIGITS_RE = re.compile(r"[0-9]+")


class DigitalLinkError(ValueError):
    """A malformed Digital Link path; `str(error)` is a message fit for the caller."""


@dataclass(frozen=True, slots=True)
class DigitalLink:
    gtin: str  # always 14 digits
    cpv: str | None = None
    lot: str | None = None
    serial: str | None = None

    @property
    def level(self) -> str:
        """`item` (serialised), `lot`, or `model` (the GTIN alone)."""
        if self.serial is not None:
            return "item"
        return "lot" if self.lot is not None else "model"


def gtin_check_digit(body: str) -> str:
    """The GS1 mod-10 check digit for the digits before it."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


@functools.lru_cache(maxsize=4096)  # a fleet has few GTINs and every scan checks one
def normalise_gtin(raw: str) -> str:
    """A GTIN-8/12/13/14 as 14 digits; raises DigitalLinkError if it is not one."""
    if not _DIGITS_RE.fullmatch(raw):
        raise DigitalLinkError(f"GTIN (AI 01) must contain digits only, got {raw!r}")
    if len(raw) not in GTIN_LENGTHS:
        raise DigitalLinkError(f"GTIN (AI 01) must have 8, 12, 13 or 14 digits, got {len(raw)}")
    if gtin_check_digit(raw[:-1]) != raw[-1]:
        raise DigitalLinkError(f"GTIN (AI 01) {raw} has a wrong check digit")
    return raw.zfill(14)


def _check_qualifier(ai: str, value: str) -> None:
    name = QUALIFIER_NAMES[ai]
    limit = MAX_SERIAL_LENGTH if ai == SERIAL_AI else MAX_QUALIFIER_LENGTH
    if len(value) > limit:
        raise DigitalLinkError(f"The {name} (AI {ai}) may have at most {limit} characters")
    if not _CSET82_RE.fullmatch(value):
        raise DigitalLinkError(
            f"The {name} (AI {ai}) holds a character outside the GS1 character set 82"
        )


def _segments(path: str) -> list[str]:
    if path.endswith("/") and len(path) > 1:
        path = path[:-1]  # one trailing slash is tolerated
    if not path.startswith("/"):
        raise DigitalLinkError("A Digital Link path starts with '/'")
    return path[1:].split("/")


def parse_path(raw_path: str) -> DigitalLink:
    """Parse the still percent-encoded path after the resolver root."""
    segments = _segments(raw_path)
    if len(segments) % 2:
        raise DigitalLinkError(f"Application identifier {segments[-1]!r} has no value")
    pairs = [(segments[i], unquote(segments[i + 1])) for i in range(0, len(segments), 2)]
    primary_ai, gtin_raw = pairs[0]
    if primary_ai != GTIN_AI:
        raise DigitalLinkError(
            f"Unsupported primary key AI {primary_ai!r}: this resolver supports GTIN (AI 01)"
        )
    if not gtin_raw:
        raise DigitalLinkError("The GTIN (AI 01) is empty")
    values: dict[str, str] = {}
    last_position = -1
    for ai, value in pairs[1:]:
        if ai == GTIN_AI or ai in values:
            raise DigitalLinkError(f"Application identifier {ai} appears more than once")
        if ai not in QUALIFIER_ORDER:
            raise DigitalLinkError(
                f"Unknown or unsupported key qualifier AI {ai!r} for a GTIN (supported: 22, 10, 21)"
            )
        position = QUALIFIER_ORDER.index(ai)
        if position < last_position:
            raise DigitalLinkError("Key qualifiers must come in the order 22, 10, 21")
        if not value:
            raise DigitalLinkError(f"The {QUALIFIER_NAMES[ai]} (AI {ai}) is empty")
        _check_qualifier(ai, value)
        values[ai] = value
        last_position = position
    return DigitalLink(
        gtin=normalise_gtin(gtin_raw),
        cpv=values.get(CPV_AI),
        lot=values.get(LOT_AI),
        serial=values.get(SERIAL_AI),
    )


def encode_path(link: DigitalLink) -> str:
    """The canonical path for a link: `/01/{gtin}[/22/..][/10/..][/21/..]`, percent-encoded."""
    parts = [f"/{GTIN_AI}/{link.gtin}"]
    for ai, value in ((CPV_AI, link.cpv), (LOT_AI, link.lot), (SERIAL_AI, link.serial)):
        if value is not None:
            parts.append(f"/{ai}/{quote(value, safe='')}")
    return "".join(parts)


def item_uri(base_url: str, gtin: str, serial: str, lot: str | None = None) -> str:
    """The Digital Link URI of one serialised item under a resolver root URL."""
    return base_url.rstrip("/") + encode_path(DigitalLink(gtin=gtin, lot=lot, serial=serial))
