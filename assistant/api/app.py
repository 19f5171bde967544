"""The app factory: it only wires the pieces (state, lifespan, middlewares, error handlers, routers)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from slowapi import Limiter
from slowapi.errors import RateLimitExceeded
from slowapi.util import get_remote_address
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.api.core import Answerer, Core, CorpusLibrary, Library, Searcher, store_passages
from assistant.api.errors import (
    ApiError,
    api_error,
    http_error,
    rate_limited,
    server_error,
    validation_error,
)
from assistant.api.middleware import (
    BodyLimitMiddleware,
    SecurityHeadersMiddleware,
    install_log_filter,
    install_log_handler,
)
from assistant.api.routes import (
    advisor,
    chat,
    conversations,
    corpus,
    documents,
    feedback,
    health,
    pages,
    search,
)
from assistant.api.routes.chat import Endpoint, EndpointDecorator
from assistant.availability import IndexProbe
from assistant.config import Settings, get_settings
from assistant.retention import purge_periodically
from assistant.storage import Storage

log = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the generation queue, load the models in the background (the port opens at once,
    /api/health says what is still warming) and delete what is past its retention period, now
    and every hour."""
    core: Core = app.state.core
    core.open_gate()
    threading.Thread(target=core.warm, name="assistant-warm", daemon=True).start()
    purge = None
    if core.storage is not None:
        purge = asyncio.create_task(purge_periodically(core.storage, core.settings.retention_days))
    yield
    if purge is not None:
        purge.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await purge
    if core.storage is not None:
        core.storage.close()
    if core.jobs is not None:
        core.jobs.close()


def open_storage(settings: Settings) -> Storage | None:
    try:
        return Storage(settings.db_url)
    except Exception as exc:  # a bad URL or a missing driver must not stop answering
        log.error("storage disabled: %s", exc)
        return None


def chat_limit(settings: Settings, limiter: Limiter) -> EndpointDecorator:
    """The chat routes share one per-client budget (``settings.rate_limit``; none when it is empty)."""

    def limit(endpoint: Endpoint) -> Endpoint:
        if not settings.rate_limit:
            return endpoint
        return limiter.shared_limit(settings.rate_limit, scope="chat")(endpoint)

    return limit


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
        storage = open_storage(settings)
    core = Core(
        settings=settings,
        assistant=assistant,
        searcher=searcher,
        library=library or CorpusLibrary(settings, store_passages(settings)),
        storage=storage,
        probe=probe or IndexProbe.for_settings(settings),
    )
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

    # Middleware: the last added is the outermost.
    # An advisor's brochure travels base64-encoded (4/3 of its size) in a JSON body.
    upload_limit = int(settings.max_file_mb * 1024 * 1024 * 4 / 3) + settings.max_body_bytes
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body_bytes,
                       wider={"/api/advisor/documents": upload_limit})
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
        allow_headers=["Content-Type", "Authorization"],
        expose_headers=["Retry-After"],
        max_age=600,
    )
    app.add_middleware(SecurityHeadersMiddleware)

    app.add_exception_handler(ApiError, api_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RateLimitExceeded, rate_limited)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, server_error)

    app.include_router(chat.build_router(chat_limit(settings, limiter)))
    for module in (search, health, documents, feedback, conversations, advisor, corpus, pages):
        app.include_router(module.router)

    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")
    app.mount("/docs-assets", StaticFiles(directory=pages.DOCS_ASSETS_DIR), name="docs-assets")
    return app
