"""Lexical retrieval: a French analyzer and a BM25 index (bm25s) over the stored chunks.

Young users type without accents, in SMS style, with "2e" for "deuxième"; brochures write
"indemnités", "2ème année", "1.035,20 €". The analyzer brings both sides to the same tokens:

- ``fold`` first (lower case, no accents, ASCII apostrophes), THEN the Snowball French stemmer.
  Stemming the accented form first would split a user's "indemnites" (stem ``indemnit``) from the
  brochure's "indemnités" (stem ``indemn``); folding first makes both ``indemnit``.
- elisions (l', d', qu', j', n', s', c', m', t', jusqu', lorsqu', puisqu') are dropped;
- stop words: the Snowball French list shipped with bm25s (question words such as "combien",
  "quand", "comment" are not in it and stay: query expansion keys on them);
- numbers stay tokens in one canonical form ("1.035,20" and "1035,20" -> ``1035,20``) and ordinals
  become ``2e`` ("2ème", "2e", "deuxième"; the words come from vocabulary.yaml).

The index is persisted next to the Chroma data with the chunk ids it holds and a fingerprint of
their texts, so the retriever can tell when it is stale (see assistant/retrieval.py).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_FRENCH

from assistant.calculator.money import parse_number
from assistant.schemes import load_vocabulary
from assistant.text import fold

log = logging.getLogger(__name__)

# Bump when the analysis changes in a way that invalidates persisted indexes.
ANALYZER_VERSION = "fr-1"

_ELISION = re.compile(r"\b(?:jusqu|lorsqu|puisqu|quoiqu|qu|[cdjlmnst])'")
# Ordinal: "2e", "2eme", "1er", "1ere", "1re", "2nd", "2de", "2 eme" (folded). Two digits at most, as
# in money.py; a space only before the unambiguous suffixes ("2 de ces" is not an ordinal).
_ORDINAL = r"(?P<ord>\d{1,2})(?:e|eme|ieme|em|er|ere|re|nd|nde|de| eme| ieme| ere| er)(?![a-z0-9])"
# Number: digits with . or , separators ("1.035,20", "848,90", "7969"); a trailing separator is not part of it.
_NUMBER = r"(?P<num>\d+(?:[.,]\d+)*)"
_WORD = r"(?P<word>[^\W\d_]+)"
_TOKEN = re.compile(f"{_ORDINAL}|{_NUMBER}|{_WORD}")


def canonical_number(raw: str) -> str:
    """One spelling per value: "1.035,20" / "1035,20" -> "1035,20"; "7.969" -> "7969"; "796,9" -> "796,90"."""
    value = parse_number(raw)
    if value is None or not re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d+(?:[.,]\d{1,2})?", raw):
        return raw  # phone numbers, dates, references: keep as written
    if value == value.to_integral_value():
        return str(int(value))
    return f"{value:.2f}".replace(".", ",")


class FrenchAnalyzer:
    """Text -> BM25 tokens. One instance per process (stemmer and caches are not free)."""

    def __init__(
        self, stopwords: Iterable[str] = STOPWORDS_FRENCH, ordinals: Mapping[str, str] | None = None
    ):
        self.stopwords = frozenset(fold(w) for w in stopwords)
        self.ordinals = {fold(k): v for k, v in (ordinals or {}).items()}
        self._stemmer = Stemmer.Stemmer("french")
        self._stem = lru_cache(maxsize=50_000)(self._stemmer.stemWord)

    def tokens(self, text: str) -> list[str]:
        folded = _ELISION.sub(" ", fold(text))
        out: list[str] = []
        for m in _TOKEN.finditer(folded):
            if m.group("ord"):
                out.append(f"{int(m.group('ord'))}e")
            elif m.group("num"):
                out.append(canonical_number(m.group("num")))
            else:
                word = m.group("word")
                if word in self.ordinals:
                    out.append(self.ordinals[word])
                elif len(word) > 1 and word not in self.stopwords:
                    out.append(self._stem(word))
        return out

    def signature(self) -> str:
        """Changes when the analysis would give different tokens (persisted indexes then rebuild)."""
        payload = json.dumps([ANALYZER_VERSION, sorted(self.stopwords), sorted(self.ordinals.items())])
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


@lru_cache
def get_analyzer() -> FrenchAnalyzer:
    synonyms = load_vocabulary().raw.get("synonyms", {}) or {}
    return FrenchAnalyzer(ordinals=synonyms.get("ordinals", {}))


def analyze(text: str) -> list[str]:
    return get_analyzer().tokens(text)


def fingerprint(chunks: Iterable[tuple[str, str]]) -> str:
    """Identity of a set of (chunk_id, text): equal iff the same chunks with the same texts."""
    h = hashlib.sha256()
    for chunk_id, text in sorted(chunks):
        h.update(chunk_id.encode())
        h.update(b"\0")
        h.update(hashlib.sha256(text.encode()).digest())
    return h.hexdigest()


@dataclass
class BM25Index:
    """bm25s over analyzed chunk texts, addressed by chunk id, with each chunk's text and metadata
    (so lexical hits become passages without another trip to the vector store)."""

    ids: list[str]
    fingerprint: str  # identity of what was indexed (the caller's, or the chunks' texts by default)
    analyzer_signature: str
    model: bm25s.BM25 | None  # None when there are no chunks
    texts: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, dict[str, Any]] = field(default_factory=dict)

    META = "meta.json"
    CHUNKS = "chunks.jsonl"
    LOCK = ".lock"

    @classmethod
    def build(
        cls,
        chunks: Sequence[tuple[str, str]],
        metadata: Mapping[str, Mapping[str, Any]] | None = None,
        fingerprint_: str | None = None,
        analyzer: FrenchAnalyzer | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> BM25Index:
        """chunks: (chunk_id, text) pairs, text as stored (with its "title — section" prefix).

        ``fields``: more text indexed with a chunk but not part of it (e.g. the name of the
        scheme its document is about, which the brochure's own pages seldom repeat).
        """
        analyzer = analyzer or get_analyzer()
        chunks = sorted(chunks)
        ids = [c for c, _ in chunks]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate chunk ids")
        model = None
        if chunks:
            model = bm25s.BM25()  # Lucene variant, k1=1.5, b=0.75
            fields = fields or {}
            # A field's words count once: a passage of two schemes is not twice about their shared word.
            corpus = [
                (analyzer.tokens(t) + list(dict.fromkeys(analyzer.tokens(fields.get(i, ""))))) or [""]
                for i, t in chunks
            ]
            model.index(corpus, show_progress=False)
        metadata = metadata or {}
        return cls(
            ids=ids,
            fingerprint=fingerprint_ or fingerprint(chunks),
            analyzer_signature=analyzer.signature(),
            model=model,
            texts=dict(chunks),
            metadata={i: dict(metadata.get(i, {})) for i in ids},
        )

    def scores(self, terms: Mapping[str, float]) -> np.ndarray:
        """BM25 score of every chunk for weighted query terms (sum of weight x per-term BM25)."""
        total = np.zeros(len(self.ids), dtype=np.float32)
        if self.model is None:
            return total
        vocab = self.model.vocab_dict
        for term, weight in terms.items():
            if weight and term in vocab:
                total += weight * self.model.get_scores([vocab[term]])
        return total

    def search(self, terms: Mapping[str, float] | Sequence[str], k: int) -> list[tuple[str, float]]:
        """Top k (chunk_id, score) with a positive score; ties broken by chunk id for stable output."""
        if not isinstance(terms, Mapping):
            weights: dict[str, float] = {}
            for t in terms:
                weights[t] = weights.get(t, 0.0) + 1.0
            terms = weights
        scores = self.scores(terms)
        order = sorted(
            (i for i in range(len(self.ids)) if scores[i] > 0), key=lambda i: (-scores[i], self.ids[i])
        )
        return [(self.ids[i], float(scores[i])) for i in order[:k]]

    # --- persistence ---------------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Write atomically: a reader sees the old index or the new one, never half of each."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        with (folder.parent / f"{folder.name}{self.LOCK}").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # two processes rebuilding at once take turns
            tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
            try:
                if self.model is not None:
                    self.model.save(str(tmp), show_progress=False)
                with (tmp / self.CHUNKS).open("w", encoding="utf-8") as fh:
                    for i in self.ids:
                        row = {"id": i, "text": self.texts.get(i, ""), "metadata": self.metadata.get(i, {})}
                        fh.write(json.dumps(row, ensure_ascii=False) + "\n")
                meta = {"ids": self.ids, "fingerprint": self.fingerprint, "analyzer": self.analyzer_signature}
                (tmp / self.META).write_text(json.dumps(meta), encoding="utf-8")
                old = folder.with_name(f".{folder.name}-old-{os.getpid()}")
                if folder.exists():
                    os.replace(folder, old)
                os.replace(tmp, folder)
                shutil.rmtree(old, ignore_errors=True)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> BM25Index | None:
        """The persisted index, or None when absent, unreadable or built by another analyzer."""
        try:
            meta = json.loads((folder / cls.META).read_text(encoding="utf-8"))
            if meta["analyzer"] != get_analyzer().signature():
                return None
            model = bm25s.BM25.load(str(folder), show_progress=False) if meta["ids"] else None
            texts: dict[str, str] = {}
            metadata: dict[str, dict[str, Any]] = {}
            with (folder / cls.CHUNKS).open(encoding="utf-8") as fh:
                for line in fh:
                    row = json.loads(line)
                    texts[row["id"]] = row["text"]
                    metadata[row["id"]] = row["metadata"]
            if set(texts) != set(meta["ids"]):
                raise ValueError("chunk texts do not match the index ids")
            return cls(
                ids=meta["ids"],
                fingerprint=meta["fingerprint"],
                analyzer_signature=meta["analyzer"],
                model=model,
                texts=texts,
                metadata=metadata,
            )
        except (OSError, ValueError, KeyError) as exc:
            log.info("BM25 index at %s not usable (%s); it will be rebuilt", folder, exc)
            return None
