"""Small stand-ins for the chain, the retrieval and the index, so API tests need no model.

FakeAssistant follows the agreed chain interface (``ask``, ``stream`` of StreamEvent-like
``(event, data)`` tuples, ``warm``) with a scripted answer, one citation and one calculation.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from typing import Any, NamedTuple

from assistant.schemas import CalculationOut, ChatRequest, ChatResponse, Citation, Passage

DEFAULT_ANSWER = (
    "En CIP, à 18 ans, l'indemnité mensuelle est de 848,90 € [1]. "
    "Elle est payée par l'employeur chaque mois. "
    "Demandez la convention à Actiris ou à Bruxelles Formation [1]."
)

DEFAULT_CITATION = Citation(
    doc_id="cip-bruxelles",
    title="La convention d'immersion professionnelle",
    chunk_id="cip-bruxelles-0003",
    section="Quelle est l'indemnité ?",
    page=None,
    snippet="L'indemnité mensuelle minimale dépend de votre âge : 848,90 € à 18 ans.",
    url=None,
    score=0.82,
    marker=1,
)

DEFAULT_CALCULATION = CalculationOut(
    name="cip_indemnity",
    label="Indemnité CIP mensuelle",
    inputs={"age": 18},
    result=848.90,
    unit="EUR",
    formula="Montant minimum à 18 ans : 848,90 € par mois",
    source_ids=["cip-bruxelles"],
    valid_from="2024-05-01",
    notes=[],
    source_titles=["La convention d'immersion professionnelle"],
    dated="1er mai 2024",
    stale=True,
)


class StreamEvent(NamedTuple):
    event: str
    data: Any


class FakeAssistant:
    """Scripted answers; records every request it receives."""

    backend = "fake"

    def __init__(
        self,
        answer: str = DEFAULT_ANSWER,
        citations: list[Citation] | None = None,
        calculations: list[CalculationOut] | None = None,
        refused: bool = False,
        warm_seconds: float = 0.0,
        delay: float = 0.0,
        fail: bool = False,
    ) -> None:
        self.answer = answer
        self.citations = [DEFAULT_CITATION] if citations is None else citations
        self.calculations = [DEFAULT_CALCULATION] if calculations is None else calculations
        self.refused = refused
        self.warm_seconds = warm_seconds
        self.delay = delay
        self.fail = fail
        self.requests: list[ChatRequest] = []
        self.release = threading.Event()  # set() lets a blocked answer finish (queue tests)
        self.release.set()
        self.warmed = False

    def warm(self) -> None:
        time.sleep(self.warm_seconds)
        self.warmed = True

    def _response(self, req: ChatRequest) -> ChatResponse:
        return ChatResponse(
            answer=self.answer,
            citations=list(self.citations),
            calculations=list(self.calculations),
            refused=self.refused,
            conversation_id=req.conversation_id,
            backend=self.backend,
        )

    def _work(self, req: ChatRequest) -> None:
        self.requests.append(req)
        self.release.wait(timeout=30)
        if self.delay:
            time.sleep(self.delay)
        if self.fail:
            raise RuntimeError("the model crashed")

    def ask(self, req: ChatRequest) -> ChatResponse:
        self._work(req)
        return self._response(req)

    def stream(self, req: ChatRequest) -> Iterator[StreamEvent]:
        self.requests.append(req)
        self.release.wait(timeout=30)
        response = self._response(req)
        for sentence in re.findall(r"[^.!?]+[.!?]?\s*", response.answer):
            if self.delay:
                time.sleep(self.delay)
            yield StreamEvent("token", sentence)
        if self.fail:
            raise RuntimeError("the model crashed midway")
        yield StreamEvent("citations", [c.model_dump() for c in response.citations])
        yield StreamEvent("calculations", [c.model_dump() for c in response.calculations])
        yield StreamEvent("done", response.model_dump())


PASSAGES = [
    Passage(
        chunk_id="cip-bruxelles-0003",
        doc_id="cip-bruxelles",
        title="La convention d'immersion professionnelle",
        section="Quelle est l'indemnité ?",
        page=None,
        text="L'indemnité mensuelle minimale dépend de votre âge : 848,90 € à 18 ans.",
        score=0.82,
        retrievers=["dense", "bm25"],
        schemes=["cip"],
    ),
    Passage(
        chunk_id="ifapme-convention-stage-0002",
        doc_id="ifapme-convention-stage",
        title="Informations générales sur la convention de stage",
        section="Rétribution",
        page=2,
        text="La rétribution mensuelle de l'apprenant varie selon l'année de formation.",
        score=0.41,
        retrievers=["bm25"],
        schemes=["ifapme"],
    ),
    Passage(
        chunk_id="cisp-cefa-0001",
        doc_id="cisp-cefa",
        title="La convention d'insertion socioprofessionnelle dans les CEFA",
        section="Allocation",
        page=None,
        text="Le jeune reçoit une allocation d'insertion calculée selon les heures prestées.",
        score=0.33,
        retrievers=["dense"],
        schemes=["cisp"],
    ),
]


class FakeSearch:
    """search(query, k, mode, schemes) over a fixed list; records its calls."""

    def __init__(self, passages: list[Passage] | None = None) -> None:
        self.passages = PASSAGES if passages is None else passages
        self.calls: list[dict[str, Any]] = []

    def __call__(self, query: str, k: int = 5, mode: str = "hybrid", schemes: list[str] | None = None) -> list[Passage]:
        self.calls.append({"query": query, "k": k, "mode": mode, "schemes": schemes})
        found = [p for p in self.passages if mode == "hybrid" or mode in p.retrievers]
        return found[:k]


class FakePassages:
    """A passage provider for CorpusLibrary: passages(doc_id | None)."""

    def __init__(self, passages: list[Passage] | None = None) -> None:
        self.passages = PASSAGES if passages is None else passages

    def __call__(self, doc_id: str | None) -> list[Passage]:
        return [p for p in self.passages if doc_id is None or p.doc_id == doc_id]


class CorpusSearch:
    """search(query, k, mode, schemes) over the real passages of a corpus folder, model-free.

    The passages are the ingest pipeline's own chunks (loaders, cleaning, chunking); the ranking is
    plain word overlap (folded, 3+ letters), with the named schemes first. Enough for chain tests
    on real text (fallbacks, planted prompt injections, logs) without an embedding model or index.
    """

    def __init__(self, corpus_dir: Any = None, chunk_max_chars: int = 1200, chunk_min_chars: int = 200) -> None:
        from assistant.config import PROJECT_ROOT
        from ingest.chunking import chunk_document
        from ingest.loaders import load_document
        from ingest.normalize import normalize
        from ingest.sources import load_catalog

        self.passages: list[Passage] = []
        for entry, path in load_catalog(corpus_dir or PROJECT_ROOT / "corpus").documents:
            chunks = chunk_document(normalize(load_document(path)), entry.id, entry.title, chunk_max_chars, chunk_min_chars)
            self.passages += [
                Passage(
                    chunk_id=c.chunk_id, doc_id=c.doc_id, title=c.title, section=c.section, page=c.page,
                    text=c.text, score=0.0, retrievers=["bm25"], schemes=list(entry.schemes), url=entry.url,
                )
                for c in chunks
            ]
        self._words = [self._terms(p.text) for p in self.passages]
        self.calls: list[str] = []

    @staticmethod
    def _terms(text: str) -> set[str]:
        from assistant.text import fold

        return {w for w in re.findall(r"[a-z0-9]+", fold(text)) if len(w) >= 3}

    def __call__(self, query: str, k: int = 5, mode: str = "hybrid", schemes: list[str] | None = None) -> list[Passage]:
        self.calls.append(query)
        terms = self._terms(query)
        scored = []
        for passage, words in zip(self.passages, self._words, strict=True):
            overlap = len(terms & words)
            if overlap:
                preferred = bool(schemes and set(passage.schemes) & set(schemes))
                scored.append((preferred, overlap, passage))
        scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
        top = scored[:k]
        best = max((o for _, o, _ in top), default=1)
        return [p.model_copy(update={"score": round(o / best, 3)}) for _, o, p in top]
