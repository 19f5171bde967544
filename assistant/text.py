"""Text folding shared by every matcher (BM25 analysis, slots, scheme detection, the judge).

Users type without accents, with typographic or ASCII apostrophes and non-breaking spaces; one
folding function keeps every comparison insensitive to those in the same way.
"""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})
_SPACES = re.compile(r"[\u00a0\u202f\u2007\t ]+")


# A list item's bullet at the start of a line ("- ", "• ", "✓ ", "1. "): brochures and model output.
BULLET = re.compile(r"(?m)^\s*(?:[-–•*✓]|\d{1,2}[.)])\s+")


def normalize_spaces(text: str) -> str:
    """Non-breaking and thin spaces become plain spaces; runs of spaces collapse."""
    return _SPACES.sub(" ", text)


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Lower-case, accent-free, ASCII apostrophes, single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES)
    return normalize_spaces(strip_accents(text).lower()).strip()
