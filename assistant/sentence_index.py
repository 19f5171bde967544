"""Sentence vectors: every sentence of the live passages, embedded once, for the sentence ranking.

The extractive answer, the model's excerpts and the limit checks choose sentences by their words
(BM25, extractive.rank); a paraphrase ("il doit m'engager combien de temps ?" for "l'engager pour
une durée au moins équivalente") shares few of them. The embedding model already encodes the
question for retrieval: with each passage sentence encoded too (document prompt, under its section
title), the ranking also knows which sentences are near the question in meaning.

Built after every ingest from the BM25 index's passages (the same live passages, the same
manifest fingerprint), saved atomically to ``settings.sentence_vectors_path`` and reloaded, or
rebuilt, whenever the fingerprint differs, as the BM25 index is. A rebuild re-encodes only the
sentences it does not have yet. A sentence without a vector (an index built before this file)
is ranked by its words alone.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.passages import body as passage_body
from assistant.schemas import Passage
from assistant.sentences import Sentence, of_passage

log = logging.getLogger(__name__)

FORMAT = 1
_ENCODED: dict[str, dict[str, np.ndarray]] = {}  # model -> sentence key -> vector, for this process


@dataclass(frozen=True)
class Nearness:
    """How near in meaning a text is to sentences (cosine, None without a vector), and how much
    that counts beside the words in the sentence ranking (extractive.rank)."""

    score: Callable[[str, Sequence[Sentence]], list[float | None]]
    weight: float


def sentence_key(text: str, title: str) -> str:
    return hashlib.sha1(f"{title}\n{text}".encode()).hexdigest()[:20]


def sentence_document(text: str, title: str) -> str:
    """What is embedded: the sentence under its section title (a heading is often the question)."""
    return f"{title} : {text}" if title else text


def passage_sentences(passages: Iterable[Passage]) -> dict[str, str]:
    """key -> embedded text, for every sentence of these passages (as the ranking segments them)."""
    out: dict[str, str] = {}
    for passage in passages:
        for s in of_passage(1, passage_body(passage), passage.section):
            out.setdefault(sentence_key(s.text, s.title), sentence_document(s.text, s.title))
    return out


@dataclass
class SentenceVectors:
    """Unit vectors of sentences, by key; ``fingerprint`` is the manifest they were built from."""

    fingerprint: str
    model: str
    keys: dict[str, int] = field(default_factory=dict)
    matrix: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))

    @classmethod
    def build(cls, texts: dict[str, str], embedder: Embeddings, fingerprint: str, model: str,
              reuse: SentenceVectors | None = None, batch: int = 64) -> SentenceVectors:
        """Vectors for ``texts`` (key -> embedded text); those ``reuse`` has are not re-encoded."""
        known = reuse if reuse is not None and reuse.model == model and reuse.matrix.size else None
        memo = _ENCODED.setdefault(model, {})  # this process's earlier builds (tests build many indexes)
        keys = sorted(texts)
        todo = [k for k in keys if (known is None or k not in known.keys) and k not in memo]
        for start in range(0, len(todo), batch):
            part = todo[start : start + batch]
            for k, vector in zip(part, embedder.embed_documents([texts[k] for k in part]), strict=True):
                memo[k] = np.asarray(vector, dtype=np.float32)
        rows = [known.matrix[known.keys[k]] if known is not None and k in known.keys else memo[k] for k in keys]
        matrix = np.vstack(rows).astype(np.float32) if rows else np.zeros((0, 0), dtype=np.float32)
        if matrix.size:
            norms = np.linalg.norm(matrix, axis=1, keepdims=True)
            matrix = matrix / np.where(norms == 0, 1.0, norms)
        log.info("sentence vectors: %d sentences, %d encoded", len(keys), len(todo))
        return cls(fingerprint, model, {k: i for i, k in enumerate(keys)}, matrix)

    def similarities(self, query: Sequence[float], sentences: Sequence[Sentence]) -> list[float | None]:
        """Cosine of the question with each sentence (None for one without a vector)."""
        if not self.matrix.size:
            return [None] * len(sentences)
        q = np.asarray(query, dtype=np.float32)
        norm = float(np.linalg.norm(q))
        if norm == 0 or q.shape[0] != self.matrix.shape[1]:
            return [None] * len(sentences)
        rows = [self.keys.get(sentence_key(s.text, s.title)) for s in sentences]
        found = [r for r in rows if r is not None]
        scores = iter((self.matrix[found] @ (q / norm)).tolist()) if found else iter(())
        return [next(scores) if r is not None else None for r in rows]

    # --- persistence ------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write atomically (a reader sees the old file or the new one)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
        os.close(fd)
        try:
            meta = json.dumps({"format": FORMAT, "fingerprint": self.fingerprint, "model": self.model})
            with open(tmp, "wb") as fh:
                np.savez(fh, matrix=self.matrix, keys=np.asarray(sorted(self.keys, key=self.keys.__getitem__)),
                         meta=np.asarray(meta))
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    @classmethod
    def load(cls, path: Path) -> SentenceVectors | None:
        """The saved vectors, or None when absent or unreadable (they are rebuilt)."""
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                if meta.get("format") != FORMAT:
                    return None
                keys = [str(k) for k in data["keys"].tolist()]
                return cls(meta["fingerprint"], meta["model"], {k: i for i, k in enumerate(keys)},
                           data["matrix"].astype(np.float32))
        except (OSError, ValueError, KeyError) as exc:
            if path.exists():
                log.info("sentence vectors at %s not usable (%s); they will be rebuilt", path, exc)
            return None
