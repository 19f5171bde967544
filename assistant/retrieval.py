"""Passages for a question: dense (EmbeddingGemma, Chroma) and BM25, fused, scheme-aware.

- ``dense``: the question, abbreviations spelled out (assistant/query.py), embedded with the
  model's query prompt; nearest live passages in Chroma.
- ``bm25``: the question analyzed in French and expanded with the vocabulary's synonyms, over a
  BM25 index of the same live passages (assistant/lexical.py).
- ``hybrid`` (default): both, fused by reciprocal rank (settings.rrf_k); then passages of the
  schemes the question names (or ``schemes=``) are preferred (settings.scheme_boost,
  assistant/fusion.py), so an IFAPME question does not get a CIP amount first.

The BM25 index follows the manifest of the vector store (assistant/store.py): it is rebuilt and
saved under settings.bm25_dir after every ingest (``on_index_changed``, called by the ingest
pipeline) and, at query time, reloaded or rebuilt whenever the manifest it was built from differs
from the store's current one, so several processes sharing a Chroma server stay consistent.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.config import Settings, get_settings
from assistant.fusion import prefer, rrf, scheme_match
from assistant.lexical import BM25Index
from assistant.query import Query, understand
from assistant.schemas import Passage
from assistant.schemes import load_vocabulary
from assistant.sentence_index import SentenceVectors, passage_sentences
from assistant.sentences import Sentence

log = logging.getLogger(__name__)

MODES = ("dense", "bm25", "hybrid")


def manifest_fingerprint(records: dict[str, Any]) -> str:
    """Identity of the live index: which documents, at which content hash, with which passages."""
    rows = sorted((doc_id, r.content_hash, list(r.chunk_ids)) for doc_id, r in records.items())
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def build_lexical(store: Any) -> BM25Index:
    """BM25 over the store's live passages, labelled with the manifest it reflects.

    Each passage is indexed with the names of its schemes (vocabulary.yaml labels): the IFAPME
    brochure's amounts page never says "IFAPME", yet "ifapme combien" should find it.
    The manifest is read before the passages: if an ingest commits in between, the label is the
    older manifest, so the next search sees a mismatch and rebuilds (never a stale index that
    claims to be current).
    """
    records = store.records()
    chunks = store.live_chunks()
    labels = load_vocabulary().labels
    return BM25Index.build(
        [(h.chunk_id, h.text) for h in chunks],
        metadata={h.chunk_id: h.metadata for h in chunks},
        fingerprint_=manifest_fingerprint(records),
        fields={h.chunk_id: " ; ".join(labels.get(s, s) for s in chunk_schemes(h.metadata)) for h in chunks},
    )


def chunk_schemes(metadata: dict[str, Any]) -> list[str]:
    return [x for x in str(metadata.get("schemes") or "").split(",") if x]


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"unknown retrieval mode {mode!r} (expected one of {', '.join(MODES)})")


class Searcher:
    """One per index (store + BM25 folder): keeps the BM25 index in memory and current."""

    def __init__(self, settings: Settings, store: Any = None, embedder: Embeddings | None = None) -> None:
        self.settings = settings
        self._store = store
        self._embedder = embedder
        self._lexical: BM25Index | None = None
        self._sentences: SentenceVectors | None = None
        self._lock = threading.Lock()
        self._sentences_lock = threading.Lock()

    # --- collaborators, loaded on first use ----------------------------------------------------
    @property
    def embedder(self) -> Embeddings:
        if self._embedder is None:
            from assistant.embeddings import get_embedder

            self._embedder = get_embedder(self.settings)
        return self._embedder

    @property
    def store(self) -> Any:
        if self._store is None:
            from assistant.embeddings import embedder_name
            from assistant.store import get_store

            if self._embedder is not None or self.settings.embedding_backend == "hashing":
                name = embedder_name(self.embedder)
            else:  # the model's name, without loading the model for a BM25-only search
                name = self.settings.embedding_model
            self._store = get_store(self.settings, embedding_model=name)
        return self._store

    # --- lexical index -------------------------------------------------------------------------
    def lexical(self, records: dict[str, Any]) -> BM25Index:
        """The BM25 index of exactly these manifest records: memory, else disk, else rebuilt."""
        wanted = manifest_fingerprint(records)
        current = self._lexical
        if current is not None and current.fingerprint == wanted:
            return current
        with self._lock:
            current = self._lexical
            if current is not None and current.fingerprint == wanted:
                return current
            index = BM25Index.load(self.settings.bm25_dir)
            if index is None or index.fingerprint != wanted:
                log.info("BM25 index out of date with the vector store; rebuilding it")
                index = build_lexical(self.store)
                self._save(index)
            self._lexical = index
            return index

    def refresh(self, store: Any = None) -> BM25Index:
        """Rebuild from the store and save (after an ingest), the sentence vectors with it."""
        if store is not None:
            self._store = store
        index = build_lexical(self.store)
        self._save(index)
        with self._lock:
            self._lexical = index
        if self.settings.sentence_dense_weight > 0:
            self.sentence_vectors(index)
        return index

    # --- sentence vectors --------------------------------------------------------------------
    def sentence_vectors(self, lexical: BM25Index | None = None) -> SentenceVectors:
        """The vectors of the live passages' sentences: memory, else disk, else (re)built."""
        from assistant.embeddings import embedder_name
        from assistant.store import Hit, passage_from_hit

        # The index the last search used (a search reads the manifest each time); a ranking
        # call does not read the manifest again.
        lexical = lexical or self._lexical or self.lexical(self.store.records())
        current = self._sentences
        if current is not None and current.fingerprint == lexical.fingerprint:
            return current
        with self._sentences_lock:
            current = self._sentences
            if current is not None and current.fingerprint == lexical.fingerprint:
                return current
            path = self.settings.sentence_vectors_file
            saved = SentenceVectors.load(path)
            model = embedder_name(self.embedder)
            passages = [passage_from_hit(Hit(cid, lexical.texts[cid], lexical.metadata.get(cid, {}), 0.0))
                        for cid in lexical.ids if cid in lexical.texts]
            texts = passage_sentences(passages)
            # Also rebuilt when a sentence has no vector: the segmentation (sentences.py) changed.
            if saved is None or saved.model != model or set(texts) - set(saved.keys):
                saved = SentenceVectors.build(texts, self.embedder, lexical.fingerprint, model, reuse=saved or current)
                try:
                    saved.save(path)
                except OSError as exc:  # a read-only data folder: serve from memory
                    log.warning("sentence vectors not saved to %s: %s", path, exc)
            saved.fingerprint = lexical.fingerprint  # extra vectors of removed sentences do no harm
            self._sentences = saved
            return saved

    def nearness(self, text: str, sentences: Sequence[Sentence]) -> list[float | None]:
        """Cosine in meaning of ``text`` (embedded as a question) with each sentence."""
        if not sentences or self.settings.sentence_dense_weight <= 0:
            return [None] * len(sentences)
        vectors = self.sentence_vectors()
        # Embedded as the retrieval embeds it, so a question already searched costs nothing more.
        query = understand(text).dense_text(self.settings.dense_query_expansion)
        return vectors.similarities(self.embedder.embed_query(query), sentences)

    def _save(self, index: BM25Index) -> None:
        try:
            index.save(self.settings.bm25_dir)
        except OSError as exc:  # a read-only data folder: serve from memory
            log.warning("BM25 index not saved to %s: %s", self.settings.bm25_dir, exc)

    # --- search --------------------------------------------------------------------------------
    def preferences(
        self, ids: Iterable[str], lexical: BM25Index, schemes: Sequence[str], boost: float
    ) -> dict[str, float]:
        """Score factor per chunk: 1 + scheme_boost x the share of the named schemes it answers for.

        (A region boost was tried and dropped: "Forem" or "Bruxelles" name a body more often than
        the region a question is about, and it lowered hit@1 on the development suite.)
        """
        return {
            cid: 1.0 + boost * scheme_match(schemes, chunk_schemes(lexical.metadata.get(cid, {})))
            for cid in ids
        }

    def search(
        self, query: Query, k: int, mode: str, schemes: Sequence[str], settings: Settings | None = None
    ) -> list[Passage]:
        from assistant.store import Hit, passage_from_hit

        _check_mode(mode)
        s = settings or self.settings
        records = self.store.records()
        lexical = self.lexical(records)
        rankings: dict[str, list[str]] = {}
        raw: dict[str, dict[str, float]] = {}
        if mode in ("dense", "hybrid") and lexical.ids:
            vector = self.embedder.embed_query(query.dense_text(s.dense_query_expansion))
            hits = self.store.query(vector, max(k, s.dense_k), ids=lexical.ids)
            rankings["dense"] = [h.chunk_id for h in hits]
            raw["dense"] = {h.chunk_id: h.score for h in hits}
        if mode in ("bm25", "hybrid"):
            found = lexical.search(query.terms, max(k, s.bm25_k))
            rankings["bm25"] = [cid for cid, _ in found]
            raw["bm25"] = dict(found)

        if mode == "hybrid":
            candidates = {cid for ids in rankings.values() for cid in ids}
            fused = prefer(
                rrf(rankings, k=s.rrf_k), self.preferences(candidates, lexical, schemes, s.scheme_boost)
            )
            ranked = [(f.chunk_id, f.score, f.retrievers) for f in fused[:k]]
        else:
            ranked = [(cid, raw[mode][cid], [mode]) for cid in rankings.get(mode, [])[:k]]

        passages = []
        for cid, score, retrievers in ranked:
            if cid not in lexical.texts:  # cannot happen with a consistent snapshot; never invent text
                continue
            hit = Hit(cid, lexical.texts[cid], lexical.metadata.get(cid, {}), float(score))
            passages.append(passage_from_hit(hit, retrievers=list(retrievers)))
        return passages


_searchers: dict[tuple[Any, ...], Searcher] = {}
_searchers_lock = threading.Lock()


def _index_key(settings: Settings) -> tuple[Any, ...]:
    where = (
        (settings.chroma_host, settings.chroma_port) if settings.chroma_host else (str(settings.chroma_dir),)
    )
    model = (settings.embedding_backend, settings.embedding_model)
    return (*where, settings.collection, str(settings.bm25_dir), *model)


def get_searcher(settings: Settings | None = None) -> Searcher:
    """The process-wide searcher of the index these settings point to."""
    settings = settings or get_settings()
    key = _index_key(settings)
    with _searchers_lock:
        searcher = _searchers.get(key)
        if searcher is None:
            searcher = _searchers[key] = Searcher(settings)
        return searcher


def search(
    query: str,
    k: int = 5,
    mode: str = "hybrid",
    schemes: list[str] | None = None,
    settings: Settings | None = None,
    context: Sequence[str] = (),
) -> list[Passage]:
    """Ranked live passages.

    ``schemes=None``: prefer the schemes the question (else ``context``, earlier user turns)
    names; ``schemes=[...]``: prefer those; ``schemes=[]``: no preference.
    """
    _check_mode(mode)
    if not query.strip() or k <= 0:
        return []
    settings = settings or get_settings()
    q = understand(query, context=context, expansion_weight=settings.expansion_weight)
    wanted = q.schemes if schemes is None else list(schemes)
    return get_searcher(settings).search(q, k, mode, wanted, settings)


def on_index_changed(store: Any, settings: Settings | None = None) -> None:
    """Ingest hook (ingest/pipeline.py): rebuild and save the BM25 index from the store."""
    get_searcher(settings).refresh(store)


class AssistantRetriever(BaseRetriever):
    """LangChain view of `search`: one Document per passage, its fields in the metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    k: int = 5
    mode: str = "hybrid"
    schemes: list[str] | None = None
    settings: Settings | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        passages = search(query, k=self.k, mode=self.mode, schemes=self.schemes, settings=self.settings)
        return [
            Document(page_content=p.text, metadata=p.model_dump(exclude={"text"}), id=p.chunk_id)
            for p in passages
        ]


def get_retriever(
    k: int | None = None,
    mode: str = "hybrid",
    schemes: list[str] | None = None,
    settings: Settings | None = None,
    **_: Any,
) -> AssistantRetriever:
    _check_mode(mode)
    k = k or (settings or get_settings()).retrieval_k
    return AssistantRetriever(k=k, mode=mode, schemes=schemes, settings=settings)
