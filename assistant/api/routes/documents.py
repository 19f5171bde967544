"""GET /api/documents and /api/documents/{doc_id}: the sources and their indexed passages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from assistant.api.core import CoreDep
from assistant.api.errors import ApiError

router = APIRouter(tags=["documents"])


@router.get("/api/documents", summary="Les documents sources")
async def documents(core: CoreDep) -> list[dict[str, Any]]:
    return await run_in_threadpool(core.library.documents)


@router.get("/api/documents/{doc_id}", summary="Un document et ses passages")
async def document(core: CoreDep, doc_id: str) -> dict[str, Any]:
    doc = await run_in_threadpool(core.library.document, doc_id)
    if doc is None:
        raise ApiError(404, "document_not_found", "Document inconnu.", "Unknown document.", {"doc_id": doc_id})
    return doc
