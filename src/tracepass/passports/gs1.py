"""GS1 identifiers: GTIN and GLN check digits, AI 21/10 character sets, Digital Link URIs."""

from __future__ import annotations

import re
from urllib.parse import quote

GTIN_LENGTHS = frozenset({8, 12, 13, 14})
GLN_LENGTH = 13
SERIAL_MAX_LENGTH = 100
LOT_MAX_LENGTH = 20

# GS1 AI 21 / AI 10 use "GS1 AI encodable character set 82" (GS1 General Specifications 7.11).
_CSET82 = r"!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z"
_SERIAL_RE = re.compile(rf"^[{_CSET82}]{{1,{SERIAL_MAX_LENGTH}}}$")
_LOT_RE = re.compile(rf"^[{_CSET82}]{{1,{LOT_MAX_LENGTH}}}$")
_DIGITS_RE = re.compile(r"^[0-9]+$")


def check_digit(body: str) -> int:
    """The GS1 mod-10 check digit for `body` (all digits but the last one)."""
    total = 0
    for position, char in enumerate(reversed(body)):
        weight = 3 if position % 2 == 0 else 1
        total += int(char) * weight
    return (10 - total % 10) % 10


def has_valid_check_digit(digits: str) -> bool:
    return (
        len(digits) >= 2
        and bool(_DIGITS_RE.match(digits))
        and check_digit(digits[:-1]) == int(digits[-1])
    )


def normalise_gtin(raw: str) -> str | None:
    """The GTIN-14 form of a GTIN-8/12/13/14 with a valid check digit, or None."""
    if not isinstance(raw, str) or len(raw) not in GTIN_LENGTHS or not _DIGITS_RE.match(raw):
        return None
    gtin = raw.zfill(14)
    return gtin if has_valid_check_digit(gtin) else None


def gtin_problem(raw: str) -> str | None:
    if not isinstance(raw, str) or not _DIGITS_RE.match(raw) or len(raw) not in GTIN_LENGTHS:
        return "GTIN must be 14 digits (8, 12 and 13-digit GTINs are left-padded with zeros)."
    if normalise_gtin(raw) is None:
        return "GTIN check digit is invalid."
    return None


def is_valid_gln(raw: str) -> bool:
    return isinstance(raw, str) and len(raw) == GLN_LENGTH and has_valid_check_digit(raw)


def serial_problem(serial: str) -> str | None:
    if not 1 <= len(serial) <= SERIAL_MAX_LENGTH:
        return f"Serial number must be 1 to {SERIAL_MAX_LENGTH} characters."
    if not _SERIAL_RE.match(serial):
        return (
            "Serial number may only use the GS1 AI 21 character set "
            "(letters, digits and !\"%&'()*+,-./:;<=>?_)."
        )
    return None


def lot_problem(lot: str) -> str | None:
    if not _LOT_RE.match(lot):
        return f"Lot must be 1 to {LOT_MAX_LENGTH} characters of the GS1 AI 10 character set."
    return None


def digital_link_uri(public_base: str, gtin: str, serial: str) -> str:
    """`{base}/p/01/{gtin}/21/{serial}`, the serial percent-encoded as Digital Link requires."""
    return f"{public_base.rstrip('/')}/p/01/{gtin}/21/{quote(serial, safe='')}"
