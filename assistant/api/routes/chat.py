"""POST /api/chat and /api/chat/stream: one sourced answer, whole or as Server-Sent Events.

The router is built per app (``build_router``) because the rate limit is the app's: its own
limiter, its own counters, its own ``ASSISTANT_RATE_LIMIT``.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from sse_starlette import EventSourceResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from assistant.api.core import Core, CoreDep, index_unavailable
from assistant.api.errors import ApiError
from assistant.api.present import finish
from assistant.api.sse import stream_events
from assistant.config import Settings
from assistant.privacy import mask
from assistant.schemas import ChatAnswer, ChatRequest, ChatResponse, Turn

CONVERSATION_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,100}$")  # also the path parameter of the erasure routes

Endpoint = Callable[..., Awaitable[object]]
EndpointDecorator = Callable[[Endpoint], Endpoint]


def check_chat(req: ChatRequest, settings: Settings) -> None:
    """The limits pydantic cannot know: they come from the settings."""
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


async def prepare(core: Core, req: ChatRequest) -> tuple[ChatRequest, str]:
    """The request the chain sees: masked user text, history from storage when asked for."""
    check_chat(req, core.settings)
    conversation_id = req.conversation_id or str(uuid.uuid4())
    history = [
        Turn(role=t.role, content=mask(t.content) if t.role == "user" else t.content) for t in req.history
    ]
    if req.conversation_id and not req.history:
        history = await run_in_threadpool(core.load_history, req.conversation_id)
    chain_req = ChatRequest(message=mask(req.message), history=history, conversation_id=conversation_id)
    return chain_req, conversation_id


# `request` stays in both signatures: slowapi's decorator finds the client through it.
async def chat(request: Request, body: ChatRequest, core: CoreDep) -> ChatAnswer:
    chain_req, conversation_id = await prepare(core, body)
    core.require_ready()
    await core.require_index()
    assert core.assistant is not None  # require_ready() passed
    started = time.perf_counter()
    async with core.reserve():
        response: ChatResponse = await run_in_threadpool(core.assistant.ask, chain_req)
    if await core.index_lost(response):
        raise index_unavailable()
    return await finish(core, "chat", conversation_id, chain_req.message, response, len(body.message), started)


async def chat_stream(request: Request, body: ChatRequest, core: CoreDep) -> EventSourceResponse:
    """Events: ``queue`` while the question waits for the model (its place in line, the estimated
    wait, a French message; position 0 once answering), ``token`` (text delta, JSON string),
    ``citations``, ``calculations``, ``done`` (the full response object); ``error`` if the answer
    fails midway. Every data is JSON."""
    chain_req, conversation_id = await prepare(core, body)
    core.require_ready()
    await core.require_index()
    ticket = core.reserve()
    return EventSourceResponse(
        stream_events(core, ticket, chain_req, conversation_id, len(body.message)),
        ping=15,
        background=BackgroundTask(ticket.release),
    )


def build_router(limit: EndpointDecorator) -> APIRouter:
    """The two chat routes, each under ``limit`` (the app's shared chat rate limit)."""
    router = APIRouter(tags=["chat"])
    router.add_api_route(
        "/api/chat", limit(chat), methods=["POST"], response_model=ChatAnswer, summary="Une réponse sourcée"
    )
    router.add_api_route(
        "/api/chat/stream",
        limit(chat_stream),
        methods=["POST"],
        summary="La même réponse en Server-Sent Events",
        response_class=EventSourceResponse,
        responses={200: {"content": {"text/event-stream": {}}, "description": "queue*, token*, citations, calculations, done"}},
    )
    return router
