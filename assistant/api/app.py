"""The app factory and the routes (closures of ``create_app``)."""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import fastapi_offline
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from slowapi import Limiter
from slowapi.errors import RateLimitExceeded
from slowapi.util import get_remote_address
from sse_starlette import EventSourceResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.api import errors
from assistant.api.core import (
    Answerer,
    Core,
    CorpusLibrary,
    Library,
    Searcher,
    index_unavailable,
    require_advisor,
    store_passages,
)
from assistant.api.errors import ApiError
from assistant.api.middleware import (
    BodyLimitMiddleware,
    SecurityHeadersMiddleware,
    install_log_filter,
    install_log_handler,
)
from assistant.api.present import finish
from assistant.api.sse import stream_events
from assistant.availability import IndexProbe
from assistant.config import Settings, get_settings
from assistant.privacy import mask
from assistant.schemas import (
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


# --- the application ---------------------------------------------------------------------------
def create_app(
    settings: Settings | None = None,
    assistant: Answerer | None = None,
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
        core.open_gate()
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
        await core.require_index()
        started = time.perf_counter()
        async with core.reserve():
            response: ChatResponse = await run_in_threadpool(core.assistant.ask, chain_req)
        if await core.index_lost(response):
            raise index_unavailable()
        return await finish(core, "chat", conversation_id, chain_req.message, response, len(body.message), started)

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
        await core.require_index()
        ticket = core.reserve()
        return EventSourceResponse(
            stream_events(core, ticket, chain_req, conversation_id, len(body.message)),
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
    @app.get("/api/advisor/conversations", tags=["advisor"], dependencies=[Depends(require_advisor)])
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

    @app.get("/api/advisor/search", response_model=list[Passage], tags=["advisor"], dependencies=[Depends(require_advisor)])
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
    await core.require_index()
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
