"""POST /api/feedback: a thumbs up or down on a conversation (or one answer), comment masked."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from assistant.api.core import CoreDep
from assistant.api.errors import ApiError, conversation_not_found
from assistant.privacy import mask
from assistant.schemas import FeedbackRequest, FeedbackSaved
from assistant.storage import StorageError, UnknownConversation

log = logging.getLogger(__name__)

router = APIRouter()


@router.post("/api/feedback", response_model=FeedbackSaved, status_code=201, tags=["feedback"], summary="Un avis")
async def give_feedback(core: CoreDep, body: FeedbackRequest) -> FeedbackSaved:
    if core.storage is None:
        raise ApiError(503, "storage_unavailable", "Avis non enregistré (base indisponible).", "Feedback not saved (database unavailable).")
    comment = mask(body.comment.strip()) if body.comment and body.comment.strip() else None
    try:
        feedback_id = await run_in_threadpool(
            core.storage.add_feedback, body.conversation_id, body.rating, comment, body.message_id
        )
    except UnknownConversation:
        raise conversation_not_found(body.conversation_id) from None
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
