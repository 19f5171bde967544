"""Which scheme and region a question is about, from the YAML vocabulary (no word lists in code).

Retrieval uses it to prefer the passages of the right scheme, the calculator to choose a rate
table, the chain to name the competent body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from assistant.text import fold

VOCABULARY_FILE = Path(__file__).with_name("vocabulary.yaml")


@dataclass(frozen=True)
class Vocabulary:
    schemes: dict[str, list[re.Pattern[str]]]
    labels: dict[str, str]
    articles: dict[str, str]  # "la", "le": what goes before the label in a sentence
    offered: list[str]  # the schemes the assistant says it covers, in order
    regions: dict[str, list[re.Pattern[str]]]
    bodies: dict[str, str]
    raw: dict


@lru_cache
def load_vocabulary(path: Path = VOCABULARY_FILE) -> Vocabulary:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Vocabulary(
        schemes={k: [re.compile(p) for p in v["patterns"]] for k, v in data["schemes"].items()},
        labels={k: v.get("label", k) for k, v in data["schemes"].items()},
        articles={k: v.get("article", "") for k, v in data["schemes"].items()},
        offered=list(data.get("offered") or data["schemes"]),
        regions={k: [re.compile(p) for p in v] for k, v in data["regions"].items()},
        bodies=data.get("bodies", {}),
        raw=data,
    )


# "pas un master", "pas en master", "sans CIP", "ni l'IFAPME": a scheme named to be ruled out.
_RULED_OUT = re.compile(r"\b(?:pas|non|sans|ni|plutot que|au lieu d)\W+(?:(?:un|une|en|le|la|l|de|du|d|dans|par)\W+){0,2}$")


def _first_hits(text: str, table: dict[str, list[re.Pattern[str]]], ruled_out: bool = False) -> list[str]:
    folded = fold(text)
    hits: list[tuple[int, str]] = []
    for key, patterns in table.items():
        positions = [
            m.start()
            for p in patterns
            for m in p.finditer(folded)
            if not (ruled_out and _RULED_OUT.search(folded[max(0, m.start() - 30) : m.start()]))
        ]
        if positions:
            hits.append((min(positions), key))
    return [key for _, key in sorted(hits)]


def detect_schemes(text: str) -> list[str]:
    """Scheme ids named in the text, in order of first mention; a scheme the user rules out ("CIP
    classique, pas un master") is not one of them."""
    return _first_hits(text, load_vocabulary().schemes, ruled_out=True)


def detect_region(text: str) -> str | None:
    hits = _first_hits(text, load_vocabulary().regions)
    return hits[0] if hits else None


def competent_body(scheme: str | None) -> str:
    bodies = load_vocabulary().bodies
    return bodies.get(scheme or "default", bodies["default"])
