"""The GS1 Digital Link path parser and encoder (pure functions)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracepass.public.digital_link import (
    CSET82,
    DigitalLink,
    DigitalLinkError,
    encode_path,
    gtin_check_digit,
    normalise_gtin,
    parse_path,
)

GTIN14 = "04012345000016"


def test_item_path_parses_gtin_and_serial() -> None:
    assert parse_path(f"/01/{GTIN14}/21/ABC-1") == DigitalLink(gtin=GTIN14, serial="ABC-1")


def test_model_path_has_only_the_gtin() -> None:
    link = parse_path(f"/01/{GTIN14}")
    assert link == DigitalLink(gtin=GTIN14)
    assert link.level == "model"


def test_lot_path_is_lot_level() -> None:
    link = parse_path(f"/01/{GTIN14}/10/LOT7")
    assert (link.lot, link.serial, link.level) == ("LOT7", None, "lot")


def test_all_qualifiers_in_order_22_10_21() -> None:
    link = parse_path(f"/01/{GTIN14}/22/V2/10/LOT7/21/S1")
    assert link == DigitalLink(gtin=GTIN14, cpv="V2", lot="LOT7", serial="S1")
    assert link.level == "item"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("40123455", "00000040123455"), ("012345678905", "00012345678905"),
     ("4012345000016", "04012345000016"), (GTIN14, GTIN14)],
)  # fmt: skip
def test_short_gtins_are_padded_to_14_digits(raw: str, expected: str) -> None:
    assert parse_path(f"/01/{raw}/21/X").gtin == expected


def test_values_are_percent_decoded_per_segment() -> None:
    link = parse_path(f"/01/{GTIN14}/21/A%2FB%25C")
    assert link.serial == "A/B%C"


def test_one_trailing_slash_is_tolerated() -> None:
    assert parse_path(f"/01/{GTIN14}/21/S1/").serial == "S1"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (f"/01/{GTIN14}/21/A/21/B", "appears more than once"),
        (f"/01/{GTIN14}/01/{GTIN14}", "appears more than once"),
        (f"/01/{GTIN14}/17/260101", "Unknown or unsupported key qualifier AI '17'"),
        (f"/01/{GTIN14}/21/S/10/L", "order 22, 10, 21"),
        (f"/01/{GTIN14}/10/L/22/V", "order 22, 10, 21"),
        (f"/01/{GTIN14}/21/", "Application identifier '21' has no value"),
        (f"/01/{GTIN14}/21//", "The serial (AI 21) is empty"),
        (f"/01/{GTIN14}/21", "Application identifier '21' has no value"),
        ("/01//21/S", "The GTIN (AI 01) is empty"),
        ("/01/04012345000015/21/S", "wrong check digit"),
        ("/01/0401234500001X/21/S", "digits only"),
        ("/01/401234500002/21/S", "wrong check digit"),
        ("/01/12345/21/S", "8, 12, 13 or 14 digits"),
        ("/414/4012345000009", "Unsupported primary key AI '414'"),
        (f"/01/{GTIN14}/21/a%20b", "character set 82"),
        (f"/01/{GTIN14}/21/%C3%A9", "character set 82"),
        (f"/01/{GTIN14}/10/{'L' * 21}", "at most 20 characters"),
        (f"/01/{GTIN14}/21/{'S' * 101}", "at most 100 characters"),
    ],
)
def test_bad_syntax_is_rejected_with_a_clear_message(path: str, message: str) -> None:
    with pytest.raises(DigitalLinkError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_path(path)


def test_check_digit_matches_a_known_gtin() -> None:
    assert gtin_check_digit("0401234500001") == "6"
    assert normalise_gtin("40123455") == "00000040123455"


def test_encoder_percent_encodes_reserved_characters() -> None:
    link = DigitalLink(gtin=GTIN14, lot="L/1", serial="A B?#")
    assert encode_path(link) == f"/01/{GTIN14}/10/L%2F1/21/A%20B%3F%23"


gtin_bodies = st.text(alphabet="0123456789", min_size=13, max_size=13)
cset82_values = st.text(alphabet=CSET82, min_size=1, max_size=20)


@given(gtin_bodies, st.none() | cset82_values, st.none() | cset82_values, cset82_values)
def test_encode_then_parse_round_trips(
    body: str, cpv: str | None, lot: str | None, serial: str
) -> None:
    link = DigitalLink(gtin=body + gtin_check_digit(body), cpv=cpv, lot=lot, serial=serial)
    assert parse_path(encode_path(link)) == link


@given(gtin_bodies, st.sampled_from([8, 12, 13]))
def test_short_gtin_forms_parse_to_the_same_link(body: str, length: int) -> None:
    short_body = body[-(length - 1) :]
    short = short_body + gtin_check_digit(short_body)
    assert parse_path(f"/01/{short}").gtin == short.zfill(14)


@given(gtin_bodies, st.integers(min_value=0, max_value=9))
def test_any_wrong_check_digit_is_rejected(body: str, digit: int) -> None:
    right = gtin_check_digit(body)
    wrong = str(digit)
    if wrong == right:
        wrong = str((digit + 1) % 10)
    with pytest.raises(DigitalLinkError):
        parse_path(f"/01/{body}{wrong}")
