"""GET /api/health: whether the models are loaded (and what is still warming), and the state of
the index, database and queue."""

from __future__ import annotations

import os
import time
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from assistant.api.core import Core, CoreDep

router = APIRouter()


def _documents_or_none(core: Core) -> list[dict[str, Any]]:
    """Health must answer even when the corpus catalog cannot be read."""
    try:
        return core.library.documents(counts=False)
    except Exception:
        return []


@router.get("/api/health", tags=["health"], summary="État du service")
async def health(core: CoreDep) -> dict[str, Any]:
    settings = core.settings
    index_ok = await run_in_threadpool(core.probe.ok, True)
    chunks = await run_in_threadpool(core.library.chunk_count) if core.ready and index_ok else None
    documents = await run_in_threadpool(_documents_or_none, core)
    storage = core.storage
    status = "ok" if core.ready else ("error" if core.error else "starting")
    return {
        "status": "degraded" if status == "ok" and not index_ok else status,
        "ready": core.ready,
        "warming": list(core.warming),
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
