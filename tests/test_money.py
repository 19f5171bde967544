"""French money formatting and parsing: examples from the brochures and property tests."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.calculator.money import (
    find_amounts,
    find_numbers,
    format_eur,
    format_number,
    iter_amounts,
    parse_number,
    round_cents,
)

cents = st.decimals(min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"), places=2)


@pytest.mark.parametrize(
    ("value", "cents_flag", "text"),
    [
        (Decimal("1035.20"), True, "1.035,20 €"),
        (Decimal("848.9"), True, "848,90 €"),
        (Decimal("7969"), False, "7.969 €"),
        (Decimal("7969"), True, "7.969,00 €"),
        (Decimal("796.9"), False, "796,90 €"),
        (Decimal("13242.86"), True, "13.242,86 €"),
        (Decimal("1234567.891"), True, "1.234.567,89 €"),
        (Decimal("0.005"), True, "0,01 €"),
        (Decimal("-40.72"), True, "-40,72 €"),
        (700, True, "700,00 €"),
    ],
)
def test_format_eur(value: Decimal, cents_flag: bool, text: str) -> None:
    assert format_eur(value, cents=cents_flag) == text


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("848,90", "848.90"),
        ("848,90€", "848.90"),
        ("1.035,20 €", "1035.20"),
        ("1 035,20", "1035.20"),
        ("1035.20", "1035.20"),
        ("7.813", "7813"),
        ("7969 €", "7969"),
        ("700e", "700"),
        ("700 euros", "700"),
        ("1,035.20", "1035.20"),
        ("13.242,86", "13242.86"),
        ("abc", None),
    ],
)
def test_parse_number(text: str, value: str | None) -> None:
    assert parse_number(text) == (Decimal(value) if value else None)


def test_find_amounts_in_brochure_text() -> None:
    text = "variera de 848,90€ (18 ans) à 1.035,20 € (21 ans et plus) ; 7969 €/100 jours ; 700e"
    assert find_amounts(text) == [Decimal("848.90"), Decimal("1035.20"), Decimal("7969"), Decimal("700")]


def test_find_amounts_skips_ordinals() -> None:
    assert find_amounts("En 2e année ou en 3e année : 1.073,49 €") == [Decimal("1073.49")]


def test_iter_amounts_gives_spans() -> None:
    text = "je gagne 800 € par mois"
    [(value, start, end)] = list(iter_amounts(text))
    assert value == Decimal("800") and text[start:end] == "800 €"


@pytest.mark.parametrize(
    ("value", "text"),
    [(24, "24"), (Decimal("24.5"), "24,5"), (Decimal("1051.29375"), "1.051,29"), (Decimal("0.40"), "0,4"), (1000, "1.000")],
)
def test_format_number(value: Decimal, text: str) -> None:
    assert format_number(value) == text


def test_format_number_rejects_more_than_two_decimals() -> None:
    with pytest.raises(ValueError):
        format_number(1, decimals=3)


def test_round_cents_is_half_up() -> None:
    assert round_cents(Decimal("265.585")) == Decimal("265.59")
    assert round_cents(Decimal("265.5849")) == Decimal("265.58")
    assert round_cents(Decimal("-0.005")) == Decimal("-0.01")


@given(cents)
def test_format_parse_round_trip(value: Decimal) -> None:
    text = format_eur(value)
    assert parse_number(text.lstrip("-")) == abs(value)
    if value >= 0:
        assert find_amounts(f"montant : {text}.") == [value]


@given(st.decimals(min_value=0, max_value=10**7, places=4, allow_nan=False, allow_infinity=False))
def test_rounding_is_within_half_a_cent(value: Decimal) -> None:
    rounded = round_cents(value)
    assert abs(rounded - value) <= Decimal("0.005")
    assert rounded == rounded.quantize(Decimal("0.01"))


@given(cents)
def test_find_numbers_reads_formatted_numbers(value: Decimal) -> None:
    assert abs(value) in find_numbers(format_number(value).lstrip("-"))
