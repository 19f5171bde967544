"""The advisor's API: recent conversations (with feedback), their erasure on a user's request,
a search that shows scores, and the dates of the documents and amounts (what may be out of date).

Every route needs the advisor token (core.require_advisor).
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from starlette.concurrency import run_in_threadpool

from assistant import freshness
from assistant.api.core import CoreDep, require_advisor
from assistant.api.errors import ApiError
from assistant.api.routes.conversations import ERASED, ConversationId, erase
from assistant.api.routes.search import Mode, TopK, search_passages
from assistant.calculator.rates import load_rates
from assistant.schemas import Passage
from assistant.storage import StorageError
from ingest.sources import current_entries

log = logging.getLogger(__name__)

router = APIRouter(tags=["advisor"], dependencies=[Depends(require_advisor)])


@router.get("/api/advisor/conversations")
async def advisor_conversations(
    core: CoreDep,
    thumbs: Annotated[Literal["up", "down"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    if core.storage is None:
        return []
    try:
        return await run_in_threadpool(core.storage.recent_conversations, limit, thumbs)
    except StorageError as exc:
        log.error("cannot read conversations: %s", exc)
        raise ApiError(503, "storage_unavailable", "Base indisponible.", "Database unavailable.") from None


@router.delete(
    "/api/advisor/conversations/{conversation_id}", status_code=204, response_class=Response, responses=ERASED
)
async def advisor_erase(core: CoreDep, conversation_id: ConversationId) -> Response:
    """Erase a conversation (its messages and feedback) at its user's request."""
    return await erase(core, conversation_id, "advisor")


@router.get("/api/advisor/search", response_model=list[Passage])
async def advisor_search(
    core: CoreDep,
    q: Annotated[str, Query(max_length=2000)],
    k: TopK = 10,
    mode: Mode = "hybrid",
) -> list[Passage]:
    return await search_passages(core, q, k, mode)


@router.get("/api/advisor/freshness", summary="Dates des documents et des montants (les anciens d'abord)")
async def advisor_freshness(core: CoreDep) -> dict[str, Any]:
    """Every document and money rate with its date in French; `stale` past ASSISTANT_STALE_AFTER_MONTHS."""
    settings = core.settings
    today = settings.today or date.today()
    rows = freshness.review(load_rates().rates, current_entries(settings.corpus_dir), today,
                            settings.stale_after_months)
    return {"today": today.isoformat(), "stale_after_months": settings.stale_after_months,
            "items": [asdict(row) for row in rows]}
