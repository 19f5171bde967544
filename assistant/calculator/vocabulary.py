"""The calculator's vocabulary (vocabulary.yaml next to this file), loaded and compiled once.

Slot extraction and the router read their words from there, so advisors can teach a new way of
asking without touching code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from assistant.calculator.money import find_numbers
from assistant.text import fold

VOCABULARY_FILE = Path(__file__).with_name("vocabulary.yaml")


@dataclass(frozen=True)
class CalculatorVocabulary:
    number_words: dict[str, int]
    number_pattern: str  # a regex group matching digits or a number word, named "num"
    slots: dict[str, Any]
    intents: dict[str, list[re.Pattern[str]]]


def _number_pattern(words: dict[str, int]) -> str:
    # Longest first so "dix-neuf" wins over "dix"; hyphens and spaces are interchangeable.
    alternatives = sorted(words, key=len, reverse=True)
    escaped = [re.escape(w).replace(r"\-", "[- ]").replace(r"\ ", "[- ]") for w in alternatives]
    return rf"(?P<num>\d+|(?:{'|'.join(escaped)})\b)"


@lru_cache
def load_vocabulary(path: Path = VOCABULARY_FILE) -> CalculatorVocabulary:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    words = {fold(k): int(v) for k, v in data["number_words"].items()}
    return CalculatorVocabulary(
        number_words=words,
        number_pattern=_number_pattern(words),
        slots=data["slots"],
        intents={k: [re.compile(p) for p in v] for k, v in data["intents"].items()},
    )


def word_to_int(token: str) -> int | None:
    """'19' -> 19, 'dix-neuf' / 'dix neuf' -> 19, anything else -> None."""
    token = fold(token).strip()
    if token.isdigit():
        return int(token)
    return load_vocabulary().number_words.get(token.replace(" ", "-")) or load_vocabulary().number_words.get(token)


def numbers_in(text: str) -> list[Decimal]:
    """Numbers written in digits or in words ("d'un an" -> 1)."""
    values = find_numbers(text)
    for word in re.findall(r"[a-z]+(?:[- ][a-z]+)*", fold(text)):
        for token in [word, *word.split()]:
            number = word_to_int(token)
            if number is not None:
                values.append(Decimal(number))
    return values
