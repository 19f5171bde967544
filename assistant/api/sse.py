"""From the chain's stream (a blocking iterator, run in a thread) to Server-Sent Events.

The chain generates on the CPU for seconds: it runs in a worker thread and hands each event to the
event loop, so other requests are served meanwhile and a client that leaves stops the generation.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import suppress
from typing import Any

from fastapi.encoders import jsonable_encoder

from assistant.api.core import Core, index_unavailable
from assistant.api.present import calculation_views, finish
from assistant.api.queue import NoQueue, Ticket
from assistant.schemas import CalculationOut, ChatRequest, ChatResponse

log = logging.getLogger(__name__)

INTERRUPTED = {
    "error": "internal_error",
    "message": "La réponse a été interrompue par une erreur. Réessayez.",
    "message_en": "The answer was interrupted by an error. Please try again.",
}


def queue_event(position: int, seconds: int) -> dict[str, str]:
    """Where a waiting question stands: its place in line and about how long until its answer starts
    (0 once it is being answered)."""
    if position == 0:
        message = "L'assistant rédige sa réponse…"
    else:
        place = "1re" if position == 1 else f"{position}e"
        wait = f"{seconds} s" if seconds < 90 else f"{round(seconds / 60)} min"
        message = f"Votre question est {place} dans la file d'attente : réponse dans {wait} environ."
    return sse_event("queue", {"position": position, "wait_seconds": seconds, "message": message})


def sse_event(event: str, data: object) -> dict[str, str]:
    """Every data is JSON, so a token's newlines survive the event format."""
    return {"event": event, "data": json.dumps(jsonable_encoder(data), ensure_ascii=False)}


async def stream_events(
    core: Core, ticket: Ticket | NoQueue, req: ChatRequest, conversation_id: str, chars: int
) -> AsyncIterator[dict[str, str]]:
    """Pass the chain's events through as they come; add the conversation id and store at done."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    cancelled = threading.Event()

    def produce() -> None:
        events: Iterator[tuple[str, Any]] | None = None
        try:
            assert core.assistant is not None  # require_ready() passed
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
        async for position in ticket.turns():
            yield queue_event(position, core.gate.wait_seconds(position) if core.gate and position else 0)
        async with ticket:
            producer = loop.run_in_executor(None, produce)
            while True:
                kind, event = await queue.get()
                if kind == "end":
                    break
                if kind == "error":
                    yield sse_event("error", INTERRUPTED)
                    continue
                name, data = event[0], event[1]
                if name == "done":
                    response = ChatResponse.model_validate(jsonable_encoder(data))
                    if await core.index_lost(response):
                        error = index_unavailable()
                        yield sse_event("error", {"error": error.code, "message": error.fr, "message_en": error.en})
                        continue
                    answer = await finish(core, "stream", conversation_id, req.message, response, chars, started)
                    yield sse_event("done", answer)
                elif name == "calculations":
                    calcs = [CalculationOut.model_validate(jsonable_encoder(c)) for c in data or []]
                    yield sse_event("calculations", calculation_views(calcs))
                else:
                    yield sse_event(name, data)
            await producer
    finally:
        cancelled.set()
        ticket.release()
