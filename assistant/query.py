"""Query understanding: SMS rewrites, synonym expansion and scheme detection, from vocabulary.yaml.

"jsuis en 2e annee ifapme combien je touche" has few words in common with "Montants bruts
allocations de stage ... (2ème année)". The `synonyms:` section of vocabulary.yaml bridges the two:
``rewrite`` turns SMS forms into French, ``equivalent`` groups abbreviations with their full names
(both ways), ``expand`` maps young people's words to the brochures' words (one way). Matching is on
analyzed tokens (see assistant/lexical.py), so "payé", "paye" and "payés" all hit the "payé" entry.

Typed words weigh 1 in the BM25 query and added words ``settings.expansion_weight``: expansion
can pull a passage up but should not outweigh what the user actually wrote.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from assistant.lexical import FrenchAnalyzer, get_analyzer
from assistant.limits import quantities
from assistant.schemes import detect_region, detect_schemes, load_vocabulary
from assistant.text import fold


@dataclass(frozen=True)
class Rule:
    """When the token sequence ``when`` occurs in the query, add ``add`` (each a token sequence)."""

    when: tuple[str, ...]
    add: tuple[tuple[str, ...], ...]
    phrases: tuple[str, ...]  # the added phrases as written in the YAML, for the dense query and logs
    spell_out: str | None = None  # for an abbreviation: its full name, for the dense query


@dataclass(frozen=True)
class QueryVocabulary:
    rewrites: tuple[tuple[re.Pattern[str], str], ...]
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Query:
    """What retrieval needs from one question."""

    text: str  # as typed
    normalized: str  # folded, SMS forms rewritten: the text the dense model and detectors see
    terms: dict[str, float]  # BM25 query: analyzed token -> weight
    added: list[str] = field(default_factory=list)  # expansion phrases, in YAML spelling
    abbreviations: list[str] = field(default_factory=list)  # full names of the abbreviations used
    schemes: list[str] = field(default_factory=list)
    region: str | None = None

    def dense_text(self, expand: bool = True) -> str:
        """The question for the embedding model: abbreviations spelled out ("cip" means nothing to it)."""
        if not expand or not self.abbreviations:
            return self.normalized
        return f"{self.normalized} ({', '.join(self.abbreviations)})"


def _contains(tokens: Sequence[str], phrase: Sequence[str]) -> bool:
    n = len(phrase)
    return n > 0 and any(tuple(tokens[i : i + n]) == tuple(phrase) for i in range(len(tokens) - n + 1))


def build_vocabulary(raw: dict, analyzer: FrenchAnalyzer) -> QueryVocabulary:
    syn = raw.get("synonyms", {}) or {}
    rewrites = tuple((re.compile(p), r) for p, r in (syn.get("rewrite") or {}).items())
    rules: list[Rule] = []
    for abbreviation, full in (syn.get("abbreviations") or {}).items():
        names = [n.strip() for n in full.split(",") if n.strip()]
        rules.append(
            Rule(
                when=tuple(analyzer.tokens(abbreviation)),
                add=tuple(tuple(analyzer.tokens(n)) for n in names),
                phrases=tuple(names),
                spell_out=full,
            )
        )
        for n in names:
            rules.append(
                Rule(
                    when=tuple(analyzer.tokens(n)),
                    add=(tuple(analyzer.tokens(abbreviation)),),
                    phrases=(abbreviation,),
                )
            )
    for group in syn.get("equivalent") or []:
        for term in group:
            others = [o for o in group if o != term]
            rules.append(
                Rule(
                    when=tuple(analyzer.tokens(term)),
                    add=tuple(tuple(analyzer.tokens(o)) for o in others),
                    phrases=tuple(others),
                )
            )
    for term, targets in (syn.get("expand") or {}).items():
        rules.append(
            Rule(
                when=tuple(analyzer.tokens(term)),
                add=tuple(tuple(analyzer.tokens(t)) for t in targets),
                phrases=tuple(targets),
            )
        )
    return QueryVocabulary(rewrites=rewrites, rules=tuple(r for r in rules if r.when))


@lru_cache
def get_query_vocabulary() -> QueryVocabulary:
    return build_vocabulary(load_vocabulary().raw, get_analyzer())


def normalize(text: str, vocabulary: QueryVocabulary | None = None) -> str:
    """Folded text with SMS forms rewritten ("c koi la cip" -> "c'est quoi la cip")."""
    vocabulary = vocabulary or get_query_vocabulary()
    out = fold(text)
    for pattern, replacement in vocabulary.rewrites:
        out = pattern.sub(replacement, out)
    return re.sub(r"\s+", " ", out).strip()


def _expand(terms: dict[str, float], tokens: Sequence[str], weight: float) -> bool:
    """Add the tokens the query lacks at an expansion's weight; whether any was added."""
    new = [t for t in tokens if t not in terms]
    for t in new:
        terms[t] = weight
    return bool(new)


def understand(
    text: str,
    context: Iterable[str] = (),
    expansion_weight: float = 0.5,
    vocabulary: QueryVocabulary | None = None,
    analyzer: FrenchAnalyzer | None = None,
) -> Query:
    """Analyze a question; ``context`` (earlier user turns) only informs scheme and region detection."""
    vocabulary = vocabulary or get_query_vocabulary()
    analyzer = analyzer or get_analyzer()
    normalized = normalize(text, vocabulary)
    tokens = analyzer.tokens(normalized)
    terms: dict[str, float] = {}
    for t in tokens:
        terms[t] = terms.get(t, 0.0) + 1.0
    added: list[str] = []
    abbreviations: list[str] = []
    for rule in vocabulary.rules:
        if not _contains(tokens, rule.when):
            continue
        for phrase_tokens, phrase in zip(rule.add, rule.phrases, strict=True):
            if _expand(terms, phrase_tokens, expansion_weight):
                added.append(phrase)
        if rule.spell_out:
            abbreviations.append(rule.spell_out)
    # A quantity written short ("40h/sem") is spelled out as the brochures write it ("40 heures par
    # semaine"), for BM25 and the embedding model alike, like an abbreviation.
    for quantity in quantities(normalized):
        if quantity.text not in normalized:
            _expand(terms, analyzer.tokens(quantity.text), expansion_weight)
            abbreviations.append(quantity.text)
    schemes = detect_schemes(normalized)
    region = detect_region(normalized)
    for earlier in reversed(list(context)):
        if not schemes:
            schemes = detect_schemes(normalize(earlier, vocabulary))
        if region is None:
            region = detect_region(normalize(earlier, vocabulary))
    return Query(
        text=text,
        normalized=normalized,
        terms=terms,
        added=added,
        abbreviations=list(dict.fromkeys(abbreviations)),
        schemes=schemes,
        region=region,
    )
