"""The app factory, the state the routes share, and the routes (closures of ``create_app``)."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol

import fastapi_offline
from fastapi import Depends, FastAPI, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from slowapi import Limiter
from slowapi.errors import RateLimitExceeded
from slowapi.util import get_remote_address
from sse_starlette import EventSourceResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.api import errors
from assistant.api.errors import ApiError
from assistant.api.middleware import (
    BodyLimitMiddleware,
    SecurityHeadersMiddleware,
    install_log_filter,
    install_log_handler,
)
from assistant.api.queue import Busy, GenerationGate, NoQueue, Ticket
from assistant.availability import IndexProbe
from assistant.calculator.money import format_eur
from assistant.config import Settings, get_settings
from assistant.privacy import mask
from assistant.schemas import (
    CalculationOut,
    ChatAnswer,
    ChatRequest,
    ChatResponse,
    FeedbackRequest,
    FeedbackSaved,
    Passage,
    Turn,
)
from assistant.storage import Storage, StorageError, UnknownConversation

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
DOCS_ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
CONVERSATION_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
RETRY_AFTER_BUSY = 15  # seconds: about one answer on two cores
RETRY_AFTER_INDEX = 10  # seconds: a Chroma server restart
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
                    "file": e.file,
                }
                for e in entries
            ]
        return self._sources

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


# --- response shapes ---------------------------------------------------------------------------
def format_result(calc: CalculationOut) -> str:
    """The figure the way the rest of the assistant writes it: "1.035,20 €", "20 jours"."""
    if calc.result is None:
        return ""
    if calc.unit.upper() in ("EUR", "€"):
        return format_eur(Decimal(str(calc.result)))
    value = Decimal(str(calc.result)).normalize()
    number = f"{value:f}".replace(".", ",")
    return f"{number} {calc.unit}".strip()


def present(response: ChatResponse, conversation_id: str, message_id: int | None) -> ChatAnswer:
    data = response.model_dump()
    data["conversation_id"] = conversation_id
    data["message_id"] = message_id
    data["calculations"] = [
        {**c.model_dump(), "display": format_result(c)} for c in response.calculations
    ]
    return ChatAnswer.model_validate(data)


# --- application state -------------------------------------------------------------------------
Searcher = Callable[..., list[Passage]]


@dataclass
class Core:
    settings: Settings
    assistant: Any
    searcher: Searcher | None
    library: Library
    storage: Storage | None
    probe: IndexProbe = field(default_factory=lambda: IndexProbe(None))
    gate: GenerationGate | None = None
    ready: bool = False
    error: str | None = None
    started: float = field(default_factory=time.monotonic)

    def warm(self) -> None:
        """Load the models and the index once, off the event loop: /api/health says when."""
        try:
            if self.storage is not None:
                try:
                    self.storage.create_tables()
                except StorageError as exc:
                    log.error("storage unavailable, answers will not be stored: %s", exc)
            if self.assistant is None:
                from assistant.chain import get_assistant

                self.assistant = get_assistant(self.settings)
            warm = getattr(self.assistant, "warm", None)
            if callable(warm):
                warm()
            if self.searcher is None:
                from assistant.retrieval import search

                self.searcher = search
            self.ready = True
            log.info("assistant ready in %.1f s", time.monotonic() - self.started)
        except Exception as exc:
            self.error = f"{exc.__class__.__name__}: {exc}"
            log.exception("assistant failed to start")

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


def _core(request: Request) -> Core:
    return request.app.state.core


# --- request handling --------------------------------------------------------------------------
def _check_chat(req: ChatRequest, settings: Settings) -> None:
    if not req.message.strip():
        raise ApiError(
            422, "message_empty", "Le message est vide.", "The message is empty.", [{"field": "message"}]
        )
    if len(req.message) > settings.max_message_chars:
        raise ApiError(
            422,
            "message_too_long",
            f"Le message est trop long (maximum {settings.max_message_chars} caractères).",
            f"The message is too long (at most {settings.max_message_chars} characters).",
            [{"field": "message", "length": len(req.message), "max": settings.max_message_chars}],
        )
    if len(req.history) > settings.max_history_turns:
        raise ApiError(
            422,
            "history_too_long",
            f"L'historique compte trop de tours (maximum {settings.max_history_turns}).",
            f"The history has too many turns (at most {settings.max_history_turns}).",
            [{"field": "history", "turns": len(req.history), "max": settings.max_history_turns}],
        )
    if req.conversation_id is not None and not CONVERSATION_ID_RE.match(req.conversation_id):
        raise ApiError(
            422,
            "conversation_id_invalid",
            "L'identifiant de conversation est invalide (lettres, chiffres, - et _ ; 100 caractères au plus).",
            "The conversation id is invalid (letters, digits, - and _; at most 100 characters).",
            [{"field": "conversation_id"}],
        )


async def _prepare(core: Core, req: ChatRequest) -> tuple[ChatRequest, str]:
    """The request the chain sees: masked user text, history from storage when asked for."""
    _check_chat(req, core.settings)
    conversation_id = req.conversation_id or str(uuid.uuid4())
    history = [
        Turn(role=t.role, content=mask(t.content) if t.role == "user" else t.content) for t in req.history
    ]
    if req.conversation_id and not req.history:
        history = await run_in_threadpool(core.load_history, req.conversation_id)
    chain_req = ChatRequest(message=mask(req.message), history=history, conversation_id=conversation_id)
    return chain_req, conversation_id


def _reserve(core: Core) -> Ticket | NoQueue:
    if not core.generates:
        return NoQueue()
    if core.gate is None:  # served without the lifespan (some ASGI test clients)
        core.gate = GenerationGate(core.settings.generation_concurrency, core.settings.generation_queue)
    try:
        return core.gate.reserve()
    except Busy:
        raise ApiError(
            503,
            "busy",
            "L'assistant répond déjà à beaucoup de questions. Réessayez dans un instant.",
            "The assistant is busy with other questions. Try again in a moment.",
            headers={"Retry-After": str(RETRY_AFTER_BUSY)},
        ) from None


def _index_unavailable() -> ApiError:
    return ApiError(
        503,
        "index_unavailable",
        "La base documentaire est momentanément indisponible. Réessayez dans un instant.",
        "The document index is unavailable at the moment. Try again shortly.",
        headers={"Retry-After": str(RETRY_AFTER_INDEX)},
    )


async def _require_index(core: Core) -> None:
    """503 rather than an answer built on no passage when the Chroma server is down."""
    if core.probe.remote and not await run_in_threadpool(core.probe.ok):
        log.error("index unavailable (%s): answering 503", core.probe.last_error)
        raise _index_unavailable()


async def _index_lost(core: Core, response: ChatResponse) -> bool:
    """An answer without a single citation, and the index gone meanwhile: the index failed mid-answer."""
    if response.citations or not core.probe.remote:
        return False
    if await run_in_threadpool(core.probe.ok, True):
        return False
    log.error("index lost during an answer (%s): answering 503", core.probe.last_error)
    return True


def _sse(event: str, data: Any) -> dict[str, str]:
    return {"event": event, "data": json.dumps(jsonable_encoder(data), ensure_ascii=False)}


# --- the application ---------------------------------------------------------------------------
def create_app(
    settings: Settings | None = None,
    assistant: Any = None,
    searcher: Searcher | None = None,
    library: Library | None = None,
    storage: Storage | None = None,
    probe: IndexProbe | None = None,
) -> FastAPI:
    """The app; every collaborator can be injected (tests use fakes), defaults load lazily."""
    settings = settings or get_settings()
    install_log_filter()
    install_log_handler()
    if storage is None:
        try:
            storage = Storage(settings.db_url)
        except Exception as exc:  # a bad URL or a missing driver must not stop answering
            log.error("storage disabled: %s", exc)
            storage = None
    core = Core(
        settings=settings,
        assistant=assistant,
        searcher=searcher,
        library=library or CorpusLibrary(settings, store_passages(settings)),
        storage=storage,
        probe=probe or IndexProbe.for_settings(settings),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        core.gate = GenerationGate(settings.generation_concurrency, settings.generation_queue)
        threading.Thread(target=core.warm, name="assistant-warm", daemon=True).start()
        yield
        if core.storage is not None:
            core.storage.close()

    app = FastAPI(
        title="Assistant stages & alternance",
        description=(
            "Réponses sourcées sur la CIP, le stage d'insertion professionnelle, la convention de "
            "stage IFAPME et la CISP en CEFA. Les montants viennent d'un calculateur déterministe."
        ),
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.core = core

    limiter = Limiter(key_func=get_remote_address, storage_uri="memory://", headers_enabled=False)
    app.state.limiter = limiter

    def chat_limit(func: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        if not settings.rate_limit:
            return func
        return limiter.shared_limit(settings.rate_limit, scope="chat")(func)

    # Middleware: the last added is the outermost.
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body_bytes)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Content-Type", "Authorization"],
        expose_headers=["Retry-After"],
        max_age=600,
    )
    app.add_middleware(SecurityHeadersMiddleware)

    app.add_exception_handler(errors.ApiError, errors.api_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, errors.validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, errors.http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RateLimitExceeded, errors.rate_limited)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, errors.server_error)

    # --- chat --------------------------------------------------------------------------------
    @app.post("/api/chat", response_model=ChatAnswer, tags=["chat"], summary="Une réponse sourcée")
    @chat_limit
    async def chat(request: Request, body: ChatRequest) -> ChatAnswer:
        core = _core(request)
        chain_req, conversation_id = await _prepare(core, body)
        core.require_ready()
        await _require_index(core)
        started = time.perf_counter()
        async with _reserve(core):
            response: ChatResponse = await run_in_threadpool(core.assistant.ask, chain_req)
        if await _index_lost(core, response):
            raise _index_unavailable()
        if response.latency_ms is None:
            response.latency_ms = round((time.perf_counter() - started) * 1000, 1)
        message_id = await run_in_threadpool(core.save, conversation_id, chain_req.message, response)
        log.info(
            "chat conversation=%s chars=%d latency_ms=%.0f refused=%s",
            conversation_id,
            len(body.message),
            response.latency_ms or 0,
            response.refused,
        )
        return present(response, conversation_id, message_id)

    @app.post(
        "/api/chat/stream",
        tags=["chat"],
        summary="La même réponse en Server-Sent Events",
        response_class=EventSourceResponse,
        responses={200: {"content": {"text/event-stream": {}}, "description": "token*, citations, calculations, done"}},
    )
    @chat_limit
    async def chat_stream(request: Request, body: ChatRequest) -> EventSourceResponse:
        """Events: ``token`` (text delta, JSON string), ``citations``, ``calculations``, ``done``
        (the full response object); ``error`` if the answer fails midway. Every data is JSON."""
        core = _core(request)
        chain_req, conversation_id = await _prepare(core, body)
        core.require_ready()
        await _require_index(core)
        ticket = _reserve(core)
        return EventSourceResponse(
            _stream_events(core, ticket, chain_req, conversation_id, len(body.message)),
            ping=15,
            background=BackgroundTask(ticket.release),
        )

    # --- search, health, documents -------------------------------------------------------------
    @app.get("/api/search", response_model=list[Passage], tags=["search"], summary="Passages classés")
    async def search(
        request: Request,
        q: Annotated[str, Query(max_length=2000, description="La question")],
        k: Annotated[int, Query(ge=1, le=50)] = 5,
        mode: Annotated[Literal["hybrid", "dense", "bm25"], Query()] = "hybrid",
    ) -> list[Passage]:
        return await _search(_core(request), q, k, mode)

    @app.get("/api/health", tags=["health"], summary="État du service")
    async def health(request: Request) -> dict[str, Any]:
        core = _core(request)
        index_ok = await run_in_threadpool(core.probe.ok, True)
        chunks = await run_in_threadpool(core.library.chunk_count) if core.ready and index_ok else None
        documents = await run_in_threadpool(_safe_docs, core)
        storage = core.storage
        status = "ok" if core.ready else ("error" if core.error else "starting")
        return {
            "status": "degraded" if status == "ok" and not index_ok else status,
            "ready": core.ready,
            "documents": len(documents),
            "chunks": chunks,
            "embedding_model": settings.embedding_model,
            "llm_backend": getattr(core.assistant, "backend", None) or settings.llm_backend,
            "database": {"backend": storage.backend if storage else None, "ok": storage.healthy if storage else False},
            "index": {"server": core.probe.remote, "ok": index_ok},
            "queue": {
                "running": core.gate.running if core.gate else 0,
                "waiting": core.gate.waiting if core.gate else 0,
                "capacity": core.gate.capacity if core.gate else 0,
            },
            "error": core.error,
            "uptime_s": round(time.monotonic() - core.started, 1),
            "worker": os.getpid(),
        }

    @app.get("/api/documents", tags=["documents"], summary="Les documents sources")
    async def documents(request: Request) -> list[dict[str, Any]]:
        return await run_in_threadpool(_core(request).library.documents)

    @app.get("/api/documents/{doc_id}", tags=["documents"], summary="Un document et ses passages")
    async def document(request: Request, doc_id: str) -> dict[str, Any]:
        doc = await run_in_threadpool(_core(request).library.document, doc_id)
        if doc is None:
            raise ApiError(404, "document_not_found", "Document inconnu.", "Unknown document.", {"doc_id": doc_id})
        return doc

    # --- feedback ----------------------------------------------------------------------------
    @app.post("/api/feedback", response_model=FeedbackSaved, status_code=201, tags=["feedback"], summary="Un avis")
    async def give_feedback(request: Request, body: FeedbackRequest) -> FeedbackSaved:
        core = _core(request)
        if core.storage is None:
            raise ApiError(503, "storage_unavailable", "Avis non enregistré (base indisponible).", "Feedback not saved (database unavailable).")
        comment = mask(body.comment.strip()) if body.comment and body.comment.strip() else None
        try:
            feedback_id = await run_in_threadpool(
                core.storage.add_feedback, body.conversation_id, body.rating, comment, body.message_id
            )
        except UnknownConversation:
            raise ApiError(
                404,
                "conversation_not_found",
                "Conversation inconnue.",
                "Unknown conversation.",
                {"conversation_id": body.conversation_id},
            ) from None
        except StorageError as exc:
            log.error("cannot store feedback: %s", exc)
            raise ApiError(
                503,
                "storage_unavailable",
                "Avis non enregistré (base indisponible). Réessayez plus tard.",
                "Feedback not saved (database unavailable). Try again later.",
                headers={"Retry-After": "30"},
            ) from None
        return FeedbackSaved(feedback_id=feedback_id, conversation_id=body.conversation_id)

    # --- advisor -----------------------------------------------------------------------------
    def advisor(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)] = None) -> None:
        token = settings.advisor_token
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

    @app.get("/api/advisor/conversations", tags=["advisor"], dependencies=[Depends(advisor)])
    async def advisor_conversations(
        request: Request,
        thumbs: Annotated[Literal["up", "down"] | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> list[dict[str, Any]]:
        core = _core(request)
        if core.storage is None:
            return []
        try:
            return await run_in_threadpool(core.storage.recent_conversations, limit, thumbs)
        except StorageError as exc:
            log.error("cannot read conversations: %s", exc)
            raise ApiError(503, "storage_unavailable", "Base indisponible.", "Database unavailable.") from None

    @app.get("/api/advisor/search", response_model=list[Passage], tags=["advisor"], dependencies=[Depends(advisor)])
    async def advisor_search(
        request: Request,
        q: Annotated[str, Query(max_length=2000)],
        k: Annotated[int, Query(ge=1, le=50)] = 10,
        mode: Annotated[Literal["hybrid", "dense", "bm25"], Query()] = "hybrid",
    ) -> list[Passage]:
        return await _search(_core(request), q, k, mode)

    # --- pages -------------------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")

    @app.get("/advisor", include_in_schema=False)
    async def advisor_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "advisor.html")

    @app.get("/documents/{doc_id}", include_in_schema=False)
    async def document_page(doc_id: str) -> FileResponse:
        return FileResponse(STATIC_DIR / "document.html")

    @app.get("/widget.js", include_in_schema=False)
    async def widget() -> FileResponse:
        return FileResponse(STATIC_DIR / "widget.js", media_type="text/javascript")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> FileResponse:
        return FileResponse(STATIC_DIR / "docs.html")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.mount("/docs-assets", StaticFiles(directory=DOCS_ASSETS_DIR), name="docs-assets")
    return app


def _safe_docs(core: Core) -> list[dict[str, Any]]:
    try:
        return core.library.documents(counts=False)
    except Exception:
        return []


async def _search(core: Core, q: str, k: int, mode: str) -> list[Passage]:
    if not q.strip():
        raise ApiError(422, "query_empty", "La recherche est vide.", "The query is empty.", [{"field": "q"}])
    core.require_ready()
    await _require_index(core)
    assert core.searcher is not None
    try:
        return await run_in_threadpool(core.searcher, q, k=k, mode=mode)
    except Exception as exc:
        log.error("search failed: %s", exc.__class__.__name__, exc_info=exc)
        raise ApiError(
            503,
            "search_unavailable",
            "La recherche est indisponible pour le moment.",
            "Search is unavailable at the moment.",
            headers={"Retry-After": "30"},
        ) from None


async def _stream_events(
    core: Core, ticket: Ticket | NoQueue, req: ChatRequest, conversation_id: str, chars: int
) -> AsyncIterator[dict[str, str]]:
    """Pass the chain's events through as they come; add the conversation id and store at done."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    cancelled = threading.Event()

    def produce() -> None:
        events: Iterator[Any] | None = None
        try:
            events = iter(core.assistant.stream(req))
            for event in events:
                if cancelled.is_set():
                    break
                loop.call_soon_threadsafe(queue.put_nowait, ("event", event))
        except Exception as exc:
            log.error("stream failed: %s", exc.__class__.__name__, exc_info=exc)
            loop.call_soon_threadsafe(queue.put_nowait, ("error", None))
        finally:
            close = getattr(events, "close", None)
            if callable(close):
                with suppress(Exception):
                    close()
            loop.call_soon_threadsafe(queue.put_nowait, ("end", None))

    started = time.perf_counter()
    try:
        async with ticket:
            producer = loop.run_in_executor(None, produce)
            while True:
                kind, event = await queue.get()
                if kind == "end":
                    break
                if kind == "error":
                    yield _sse(
                        "error",
                        {
                            "error": "internal_error",
                            "message": "La réponse a été interrompue par une erreur. Réessayez.",
                            "message_en": "The answer was interrupted by an error. Please try again.",
                        },
                    )
                    continue
                name, data = event[0], event[1]
                if name == "done":
                    response = ChatResponse.model_validate(jsonable_encoder(data))
                    if await _index_lost(core, response):
                        error = _index_unavailable()
                        yield _sse("error", {"error": error.code, "message": error.fr, "message_en": error.en})
                        continue
                    if response.latency_ms is None:
                        response.latency_ms = round((time.perf_counter() - started) * 1000, 1)
                    message_id = await run_in_threadpool(core.save, conversation_id, req.message, response)
                    log.info(
                        "stream conversation=%s chars=%d latency_ms=%.0f refused=%s",
                        conversation_id,
                        chars,
                        response.latency_ms or 0,
                        response.refused,
                    )
                    yield _sse("done", present(response, conversation_id, message_id))
                elif name == "calculations":
                    calcs = [CalculationOut.model_validate(jsonable_encoder(c)) for c in data or []]
                    yield _sse("calculations", [{**c.model_dump(), "display": format_result(c)} for c in calcs])
                else:
                    yield _sse(name, data)
            await producer
    finally:
        cancelled.set()
        ticket.release()
