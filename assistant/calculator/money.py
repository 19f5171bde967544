"""Euro amounts: one French (Belgian) format for output, a tolerant parser for input.

Output is always "1.035,20 €" (dot for thousands, comma for cents). Input accepts what users,
brochures and models write: "1035.20", "1 035,20 €", "1.035,20€", "848,90", "700e", "7969 €".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")

# A number: digits with optional thousands separators (. or space or nbsp) and optional decimals.
_NUMBER = r"\d{1,3}(?:[.\u00a0\u202f ]\d{3})+(?:,\d{1,2})?|\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_EURO_AFTER = r"\s?(?:€|eur(?:os?)?\b|e\b)"
# "848,90 €", "7.813 €", "700 euros", "700e"; also "€ 848,90" / "EUR 848,90".
EURO_RE = re.compile(
    rf"(?<![\w.,])(?P<a>{_NUMBER}){_EURO_AFTER}|(?:€|\bEUR)\s?(?P<b>{_NUMBER})(?![\d])",
    re.IGNORECASE,
)
NUMBER_RE = re.compile(rf"(?<![\w.,])(?:{_NUMBER})(?![\d])")


def round_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def format_eur(value: Decimal | float | int, cents: bool = True) -> str:
    """Belgian usage: 1.035,20 € (cents always shown unless ``cents=False`` and they are zero)."""
    amount = round_cents(Decimal(str(value)))
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    whole, frac = f"{amount:.2f}".split(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = ".".join(groups)
    if cents or frac != "00":
        text += "," + frac
    return f"{sign}{text} €"


def format_number(value: Decimal | float | int, decimals: int = 2) -> str:
    """A plain number the French way, trailing zeros dropped: 24 -> "24", 24.5 -> "24,5", 1051.29 -> "1.051,29"."""
    if not 0 <= decimals <= 2:
        raise ValueError("decimals must be 0, 1 or 2")
    number = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = format_eur(number)[: -len(" €")]
    return text.rstrip("0").rstrip(",") if "," in text else text


def parse_number(text: str) -> Decimal | None:
    """Parse one number written in French, Belgian or English style; None if it is not one."""
    raw = text.strip().replace("\u00a0", " ").replace("\u202f", " ")
    raw = re.sub(r"\s*(€|euros?|eur|e)$", "", raw, flags=re.IGNORECASE).strip()
    if not raw:
        return None
    if "," in raw and "." in raw:
        # The last separator is the decimal one.
        if raw.rfind(",") > raw.rfind("."):
            raw = raw.replace(".", "").replace(" ", "").replace(",", ".")
        else:
            raw = raw.replace(",", "").replace(" ", "")
    elif "," in raw:
        # "848,90" is a decimal comma; "1,035" (three digits after each comma) English thousands.
        parts = raw.split(",")
        if all(len(p) == 3 for p in parts[1:]) and len(parts[-1]) == 3:
            raw = raw.replace(",", "").replace(" ", "")
        else:
            raw = raw.replace(" ", "").replace(",", ".")
    elif "." in raw:
        parts = raw.split(".")
        # "7.813" or "1.035" is a thousands separator (Belgian usage); "848.90" a decimal point.
        if len(parts) > 2 or len(parts[-1]) == 3:
            raw = raw.replace(".", "").replace(" ", "")
        else:
            raw = raw.replace(" ", "")
    else:
        raw = raw.replace(" ", "")
    try:
        return Decimal(raw)
    except InvalidOperation:
        return None


def _is_ordinal(match: re.Match[str]) -> bool:
    """'2e année', '3e mois', '18e anniversaire': a bare 1-2 digit integer before 'e' is an ordinal."""
    number = match.group("a")
    suffix = match.group(0)[len(number):].strip().lower() if number else ""
    return suffix == "e" and number.isdigit() and len(number) <= 2


def iter_amounts(text: str) -> Iterator[tuple[Decimal, int, int]]:
    """Each euro figure of a text with its span (start, end), ordinals skipped."""
    for m in EURO_RE.finditer(text):
        if _is_ordinal(m):
            continue
        value = parse_number(m.group("a") or m.group("b"))
        if value is not None:
            yield value, m.start(), m.end()


def find_amounts(text: str) -> list[Decimal]:
    """Every euro figure in a text (a number next to €, EUR, euro(s) or a trailing 'e', not an ordinal)."""
    return [value for value, _, _ in iter_amounts(text)]


def find_numbers(text: str) -> list[Decimal]:
    """Every number in a text, euro sign or not (for passages that write '265,59 euros' or tables)."""
    values = []
    for m in NUMBER_RE.finditer(text):
        value = parse_number(m.group(0))
        if value is not None:
            values.append(value)
    return values
