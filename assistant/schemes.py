"""Which scheme and region a question is about, from data: the YAML vocabulary, and for a brochure
the vocabulary does not know, its sources.yaml entry (no word lists in code).

Retrieval uses it to prefer the passages of the right scheme, the calculator to choose a rate
table, the chain to name the competent body. A document whose entry lists no vocabulary `schemes`
has a scheme of its own, named by its `scheme` label, its title and its `synonyms` (multi-word
names that are not only domain words, and acronyms), answered for by its `contact` or publisher:
an advisor adds a brochure without writing regular expressions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from assistant.config import get_settings
from assistant.text import fold
from ingest.sources import SourceEntry, current_entries

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


def load_vocabulary(path: Path = VOCABULARY_FILE) -> Vocabulary:
    """The vocabulary, with the schemes of the corpus's documents it does not know (sources.yaml as
    it is now)."""
    return _vocabulary(path, current_entries(get_settings().corpus_dir))


@lru_cache(maxsize=4)
def _vocabulary(path: Path, entries: tuple[SourceEntry, ...]) -> Vocabulary:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    vocabulary = Vocabulary(
        schemes={k: [re.compile(p) for p in v["patterns"]] for k, v in data["schemes"].items()},
        labels={k: v.get("label", k) for k, v in data["schemes"].items()},
        articles={k: v.get("article", "") for k, v in data["schemes"].items()},
        offered=list(data.get("offered") or data["schemes"]),
        regions={k: [re.compile(p) for p in v] for k, v in data["regions"].items()},
        bodies=dict(data.get("bodies", {})),
        raw=data,
    )
    generic = [re.compile(p) for p in (data.get("domain", {}) or {}).get("core", [])]
    for entry in entries:
        _add_document_schemes(vocabulary, entry, generic)
    return vocabulary


# Words that do not name anything: dropped from a scheme's name, optional between its words.
_LINKS = frozenset(["a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les", "pour", "un", "une"])


def name_patterns(names: list[str], generic: list[re.Pattern[str]]) -> list[re.Pattern[str]]:
    """Patterns for the names of a scheme: each name and each part in parentheses ("Plan
    Formation-Insertion (PFI)" gives "plan formation insertion" and "pfi"). A name of one word is
    kept only as an acronym (PFI); a name made only of domain words ("convention de stage") is
    dropped: it would claim every question about a stage."""
    patterns: list[re.Pattern[str]] = []
    for name in names:
        for part in re.split(r"[()]", name):
            words = [w for w in re.findall(r"[a-z0-9]+", fold(part)) if w not in _LINKS]
            if len(words) == 1 and re.fullmatch(r"[A-Z0-9]{2,8}", part.strip()):
                pattern = rf"\b{re.escape(words[0])}\b"
            elif len(words) >= 2 and not all(any(g.search(w) for g in generic) for w in words):
                pattern = r"\b" + r"s?\W+(?:\w{1,3}\W+)?".join(re.escape(w) for w in words) + r"s?\b"
            else:
                continue
            if pattern not in (p.pattern for p in patterns):
                patterns.append(re.compile(pattern))
    return patterns


def _add_document_schemes(vocabulary: Vocabulary, entry: SourceEntry, generic: list[re.Pattern[str]]) -> None:
    """A listed document's schemes the vocabulary does not know become schemes of their own."""
    if not entry.listed:
        return
    for scheme in entry.scheme_ids:
        if scheme in vocabulary.schemes:
            continue
        label = entry.scheme or entry.title
        vocabulary.schemes[scheme] = name_patterns([label, entry.title, *entry.synonyms], generic)
        vocabulary.labels[scheme] = label
        vocabulary.articles[scheme] = ""
        vocabulary.bodies[scheme] = entry.contact or entry.publisher or vocabulary.bodies.get("default", "")
        vocabulary.offered.append(scheme)


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
