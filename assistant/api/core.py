"""The state one app serves from (Core) and the FastAPI dependencies routes reach it through.

Everything a route needs (the chain, the search, the corpus, the database, the index probe, the
generation queue, whether the models are loaded) hangs off one Core, so tests inject fakes through
``create_app`` and no route keeps state of its own.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from assistant.api.errors import ApiError
from assistant.api.jobs import IngestJobs
from assistant.api.queue import Busy, GenerationGate, NoQueue, Ticket
from assistant.availability import IndexProbe
from assistant.config import Settings
from assistant.schemas import ChatRequest, ChatResponse, Passage, Turn
from assistant.storage import Storage, StorageError

log = logging.getLogger(__name__)

RETRY_AFTER_INDEX = 10  # seconds: a Chroma server restart
# What Core.warm loads before the app says ready, in order; /api/health lists those still to come.
WARM_STEPS = ("database", "index", "embedding", "model")
WARM_QUESTION = "J'ai 18 ans, combien je touche en CIP ?"  # a widget starter: retrieval, calculator, model
# Backends warmed by one whole answer: the embedded model and the model-free one. Not `openai` (the
# model lives in its own server, and a hung one would hold the start-up for llm_timeout) nor `fake`
# (a warm-up would consume a scripted response).
WARM_ANSWER_BACKENDS = {"llamacpp", "extractive"}
MODEL_FREE_BACKENDS = {"extractive"}  # answers composed without a model: no generation queue
BEARER = HTTPBearer(auto_error=False, description="Le jeton conseiller (ASSISTANT_ADVISOR_TOKEN).")


# --- documents ---------------------------------------------------------------------------------
class Library(Protocol):
    """The corpus as advisors see it: its documents and their indexed passages."""

    def documents(self, counts: bool = True) -> list[dict[str, Any]]: ...

    def document(self, doc_id: str) -> dict[str, Any] | None: ...

    def chunk_count(self) -> int | None: ...


PassageProvider = Callable[[str | None], list[Passage]]


class CorpusLibrary:
    """Documents from the corpus catalog (sources.yaml); passages from the index through ``passages``.

    ``passages(doc_id)`` lists the indexed chunks of one document (``None``: all of them).
    """

    def __init__(self, settings: Settings, passages: PassageProvider | None = None) -> None:
        self.settings = settings
        self._passages = passages
        self._sources: list[dict[str, Any]] | None = None

    def _load(self) -> list[dict[str, Any]]:
        if self._sources is None:
            # Imported on first use, as are the store, the chain and the retrieval below: importing the
            # API loads neither the ingest side nor a model.
            from ingest.sources import SourcesError, load_catalog, read_entries

            try:
                catalog = load_catalog(self.settings.corpus_dir)
                order = {e.id: i for i, e in enumerate(read_entries(self.settings.corpus_dir))}
            except (OSError, SourcesError) as exc:
                log.warning("cannot read the corpus catalog: %s", exc)
                return []
            entries = sorted((e for e, _path in catalog.documents), key=lambda e: (not e.listed, order.get(e.id, 0), e.id))
            self._sources = [
                {
                    "doc_id": e.id,
                    "title": e.title,
                    "publisher": e.publisher,
                    "updated": e.updated,
                    "url": e.url,
                    "region": e.region,
                    "scheme": e.scheme,
                    "schemes": list(e.schemes),
                    "contact": e.contact,
                    "synonyms": list(e.synonyms),
                    "file": e.file,
                }
                for e in entries
            ]
        return self._sources

    def forget(self) -> None:
        """Read sources.yaml again on the next request (after an advisor changed the corpus)."""
        self._sources = None

    def _chunks(self, doc_id: str | None) -> list[Passage] | None:
        if self._passages is None:
            return None
        try:
            return self._passages(doc_id)
        except Exception as exc:  # the index may be missing or rebuilding
            log.warning("cannot list passages: %s", exc)
            return None

    def documents(self, counts: bool = True) -> list[dict[str, Any]]:
        tally: dict[str, int] = {}
        for p in (self._chunks(None) or []) if counts else []:
            tally[p.doc_id] = tally.get(p.doc_id, 0) + 1
        return [{**d, "passages": tally.get(d["doc_id"]) if counts else None} for d in self._load()]

    def document(self, doc_id: str) -> dict[str, Any] | None:
        doc = next((d for d in self._load() if d["doc_id"] == doc_id), None)
        if doc is None:
            return None
        chunks = self._chunks(doc_id)
        passages = [
            {"chunk_id": p.chunk_id, "section": p.section, "page": p.page or None, "text": p.text}
            for p in (chunks or [])
        ]
        return {**doc, "passages": passages, "passages_available": chunks is not None}

    def chunk_count(self) -> int | None:
        chunks = self._chunks(None)
        return None if chunks is None else len(chunks)


def store_passages(settings: Settings) -> PassageProvider:
    """Passages of the live index (assistant.store), in document order."""

    def provider(doc_id: str | None) -> list[Passage]:
        from assistant.store import get_store, passage_from_hit

        passages = [passage_from_hit(hit) for hit in get_store(settings).live_chunks()]
        return [p for p in passages if doc_id is None or p.doc_id == doc_id]

    return provider


# --- application state -------------------------------------------------------------------------
Searcher = Callable[..., list[Passage]]


class Answerer(Protocol):
    """What the API asks of the chain (assistant.chain.Assistant; tests pass fakes).

    ``warm()`` and ``backend`` are optional: Core looks them up with getattr.
    """

    def ask(self, req: ChatRequest) -> ChatResponse: ...

    def stream(self, req: ChatRequest) -> Iterable[tuple[str, Any]]: ...


def index_unavailable() -> ApiError:
    return ApiError(
        503,
        "index_unavailable",
        "La base documentaire est momentanément indisponible. Réessayez dans un instant.",
        "The document index is unavailable at the moment. Try again shortly.",
        headers={"Retry-After": str(RETRY_AFTER_INDEX)},
    )


@dataclass
class Core:
    settings: Settings
    assistant: Answerer | None
    searcher: Searcher | None
    library: Library
    storage: Storage | None
    probe: IndexProbe = field(default_factory=lambda: IndexProbe(None))
    gate: GenerationGate | None = None
    ready: bool = False
    error: str | None = None
    started: float = field(default_factory=time.monotonic)
    warming: list[str] = field(default_factory=lambda: list(WARM_STEPS))
    jobs: IngestJobs | None = None  # the advisor's background ingests (routes/corpus.py)

    def warm(self) -> None:
        """Load everything the first answer needs, off the event loop, before ``ready`` flips: the
        first user of the day must not wait longer than the next one. /api/health lists the steps
        still warming."""
        steps = {"database": self._warm_database, "index": self._warm_index,
                 "embedding": self._warm_embedding, "model": self._warm_model}
        try:
            for name in WARM_STEPS:
                started = time.monotonic()
                steps[name]()
                self.warming.remove(name)
                log.info("warm: %s in %.1f s", name, time.monotonic() - started)
            self.ready = True
            log.info("assistant ready in %.1f s", time.monotonic() - self.started)
        except Exception as exc:
            self.error = f"{exc.__class__.__name__}: {exc}"
            log.exception("assistant failed to start")

    def _warm_database(self) -> None:
        if self.storage is not None:
            try:
                self.storage.create_tables()
            except StorageError as exc:
                log.error("storage unavailable, answers will not be stored: %s", exc)

    def _warm_retrieval(self, mode: str) -> None:
        """One search (BM25: the store and the BM25 index; dense: the embedding model too); an
        index that fails is reported by /api/health and the probe, not fatal here."""
        if self.searcher is not None:  # injected (tests): nothing of ours to load
            return
        from assistant.retrieval import search

        try:
            search(WARM_QUESTION, k=1, mode=mode, settings=self.settings)
        except Exception as exc:
            log.warning("retrieval warm-up (%s) failed: %s", mode, exc)

    def _warm_index(self) -> None:
        self._warm_retrieval("bm25")

    def _warm_embedding(self) -> None:
        self._warm_retrieval("dense")
        if self.searcher is None:
            from assistant.retrieval import search

            self.searcher = search

    def _warm_model(self) -> None:
        """The chain and its model (the chain's own warm() evaluates the system prompt), then one
        whole answer when the chain is ours."""
        built = self.assistant is None
        if built:
            from assistant.chain import get_assistant

            self.assistant = get_assistant(self.settings)
        warm = getattr(self.assistant, "warm", None)
        if callable(warm):
            warm()
        if built and self.settings.llm_backend in WARM_ANSWER_BACKENDS:
            self._warm_answer()

    def _warm_answer(self) -> None:
        """One answer end to end (retrieval, scope, calculator, generation, guard): the lazy imports,
        caches and code paths the first user would otherwise pay for. Nothing is stored."""
        assert self.assistant is not None
        started = time.monotonic()
        try:
            response = self.assistant.ask(ChatRequest(message=WARM_QUESTION))
        except Exception as exc:  # the answers will say what is wrong; starting must not fail here
            log.warning("warm-up answer failed: %s", exc)
            return
        log.info("warm: one answer in %.1f s%s", time.monotonic() - started, " (fallback)" if response.fallback else "")

    @property
    def backend(self) -> str:
        return str(getattr(self.assistant, "backend", None) or self.settings.llm_backend)

    @property
    def generates(self) -> bool:
        """Whether answers go through a model (and so through the bounded generation queue)."""
        return self.backend not in MODEL_FREE_BACKENDS

    def require_ready(self) -> None:
        if not self.ready:
            if self.error:
                raise ApiError(
                    503,
                    "unavailable",
                    "L'assistant n'a pas pu démarrer. Réessayez plus tard.",
                    "The assistant failed to start. Try again later.",
                    headers={"Retry-After": "60"},
                )
            raise ApiError(
                503,
                "starting",
                "L'assistant démarre (chargement des modèles). Réessayez dans quelques secondes.",
                "The assistant is starting (loading models). Try again in a few seconds.",
                headers={"Retry-After": "10"},
            )

    def open_gate(self) -> GenerationGate:
        self.gate = GenerationGate(self.settings.generation_concurrency, self.settings.generation_queue)
        return self.gate

    def reserve(self) -> Ticket | NoQueue:
        """A place in the generation queue, or 503 busy; model-free answers skip the queue."""
        if not self.generates:
            return NoQueue()
        gate = self.gate or self.open_gate()  # served without the lifespan (some ASGI test clients)
        try:
            return gate.reserve()
        except Busy:
            raise ApiError(
                503,
                "busy",
                "L'assistant répond déjà à beaucoup de questions. Réessayez dans un instant.",
                "The assistant is busy with other questions. Try again in a moment.",
                headers={"Retry-After": str(gate.retry_after())},
            ) from None

    # --- the index, probed when it is a server ---------------------------------------------
    async def require_index(self) -> None:
        """503 rather than an answer built on no passage when the Chroma server is down."""
        if self.probe.remote and not await run_in_threadpool(self.probe.ok):
            log.error("index unavailable (%s): answering 503", self.probe.last_error)
            raise index_unavailable()

    async def index_lost(self, response: ChatResponse) -> bool:
        """An answer without a single citation, and the index gone meanwhile: the index failed mid-answer."""
        if response.citations or not self.probe.remote:
            return False
        if await run_in_threadpool(self.probe.ok, True):
            return False
        log.error("index lost during an answer (%s): answering 503", self.probe.last_error)
        return True

    # --- storage, never fatal ------------------------------------------------------------
    def load_history(self, conversation_id: str) -> list[Turn]:
        if self.storage is None:
            return []
        try:
            return self.storage.history(conversation_id, self.settings.max_history_turns)
        except StorageError as exc:
            log.error("cannot load history of %s: %s", conversation_id, exc)
            return []

    def save(self, conversation_id: str, question: str, response: ChatResponse) -> int | None:
        if self.storage is None:
            return None
        try:
            return self.storage.save_exchange(conversation_id, question, response)
        except StorageError as exc:
            log.error("cannot store the answer of %s: %s", conversation_id, exc)
            return None


# --- dependencies ------------------------------------------------------------------------------
async def get_core(request: Request) -> Core:
    """Async on purpose: a sync dependency would cost every request a trip through the threadpool."""
    return request.app.state.core


CoreDep = Annotated[Core, Depends(get_core)]


def require_advisor(
    core: CoreDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)] = None
) -> None:
    """The advisor routes need ASSISTANT_ADVISOR_TOKEN set (403 otherwise) and sent as a Bearer (401)."""
    token = core.settings.advisor_token
    if not token:
        raise ApiError(
            403,
            "advisor_disabled",
            "La vue conseiller est désactivée (ASSISTANT_ADVISOR_TOKEN n'est pas défini).",
            "The advisor view is disabled (ASSISTANT_ADVISOR_TOKEN is not set).",
        )
    given = credentials.credentials if credentials is not None else ""
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise ApiError(
            401,
            "unauthorized",
            "Jeton conseiller manquant ou invalide.",
            "Missing or invalid advisor token.",
            headers={"WWW-Authenticate": "Bearer"},
        )
