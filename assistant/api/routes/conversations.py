"""DELETE /api/conversations/{id}: a user erases their conversation (GDPR right to erasure).

The conversation id is the user's key: the widget holds it and nobody can list it, so whoever
has it may erase the conversation, its messages and its feedback. Advisors erase one on a user's
request through DELETE /api/advisor/conversations/{id} (routes/advisor.py), with the same ``erase``.
"""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response
from starlette.concurrency import run_in_threadpool

from assistant.api.core import Core, CoreDep
from assistant.api.errors import ApiError, conversation_not_found
from assistant.api.routes.chat import CONVERSATION_ID_RE
from assistant.storage import StorageError

log = logging.getLogger(__name__)

router = APIRouter(tags=["conversations"])

ConversationId = Annotated[str, Path(pattern=CONVERSATION_ID_RE.pattern, description="L'identifiant de la conversation")]
ERASED = {204: {"description": "Conversation effacée"}, 404: {"description": "Conversation inconnue"}}


async def erase(core: Core, conversation_id: str, by: Literal["user", "advisor"]) -> Response:
    """Delete the conversation with its messages and feedback: 204, or 404 when it is unknown."""
    if core.storage is None:
        raise ApiError(503, "storage_unavailable", "Base indisponible.", "Database unavailable.")
    try:
        erased = await run_in_threadpool(core.storage.delete_conversation, conversation_id)
    except StorageError as exc:
        log.error("cannot erase a conversation: %s", exc)
        raise ApiError(
            503,
            "storage_unavailable",
            "Conversation non effacée (base indisponible). Réessayez plus tard.",
            "Conversation not erased (database unavailable). Try again later.",
            headers={"Retry-After": "30"},
        ) from None
    if erased is None:
        raise conversation_not_found(conversation_id)
    log.info("conversation erased at the %s's request (%d messages, %d feedback)", by, erased.messages, erased.feedback)
    return Response(status_code=204)


@router.delete(
    "/api/conversations/{conversation_id}",
    status_code=204,
    response_class=Response,
    responses=ERASED,
    summary="Effacer sa conversation",
)
async def delete_conversation(core: CoreDep, conversation_id: ConversationId) -> Response:
    return await erase(core, conversation_id, "user")
