"""GET /api/search: the ranked passages for a question, as the chain would see them."""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from assistant.api.core import Core, CoreDep
from assistant.api.errors import ApiError
from assistant.privacy import mask
from assistant.schemas import Passage

log = logging.getLogger(__name__)

router = APIRouter()

Mode = Annotated[Literal["hybrid", "dense", "bm25"], Query()]
TopK = Annotated[int, Query(ge=1, le=50)]


async def search_passages(core: Core, q: str, k: int, mode: str) -> list[Passage]:
    """Shared with the advisor's search: the same checks, the same 503 when the index fails; the
    query is masked like a chat message (it reaches the embedding model and its cache)."""
    if not q.strip():
        raise ApiError(422, "query_empty", "La recherche est vide.", "The query is empty.", [{"field": "q"}])
    core.require_ready()
    await core.require_index()
    assert core.searcher is not None
    try:
        return await run_in_threadpool(core.searcher, mask(q), k=k, mode=mode)
    except Exception as exc:
        log.error("search failed: %s", exc.__class__.__name__, exc_info=exc)
        raise ApiError(
            503,
            "search_unavailable",
            "La recherche est indisponible pour le moment.",
            "Search is unavailable at the moment.",
            headers={"Retry-After": "30"},
        ) from None


@router.get("/api/search", response_model=list[Passage], tags=["search"], summary="Passages classés")
async def search(
    core: CoreDep,
    q: Annotated[str, Query(max_length=2000, description="La question")],
    k: TopK = 5,
    mode: Mode = "hybrid",
) -> list[Passage]:
    return await search_passages(core, q, k, mode)
