"""A finished answer as API clients get it: timed, stored, logged, with its ids and formatted figures.

Apart from assistant.schemas because it needs the calculator's euro format, and the calculator
imports assistant.schemas.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Literal

from starlette.concurrency import run_in_threadpool

from assistant.api.core import Core
from assistant.calculator.money import format_eur
from assistant.schemas import CalculationOut, ChatAnswer, ChatResponse

log = logging.getLogger(__name__)


def format_result(calc: CalculationOut) -> str:
    """The figure the way the rest of the assistant writes it: "1.035,20 €", "20 jours"."""
    if calc.result is None:
        return ""
    if calc.unit.upper() in ("EUR", "€"):
        return format_eur(Decimal(str(calc.result)))
    value = Decimal(str(calc.result)).normalize()
    number = f"{value:f}".replace(".", ",")
    return f"{number} {calc.unit}".strip()


def calculation_views(calcs: Iterable[CalculationOut]) -> list[dict[str, Any]]:
    """Each calculation with its ``display`` (a CalculationView as a dict)."""
    return [{**c.model_dump(), "display": format_result(c)} for c in calcs]


def present(response: ChatResponse, conversation_id: str, message_id: int | None) -> ChatAnswer:
    data = response.model_dump()
    data["conversation_id"] = conversation_id
    data["message_id"] = message_id
    data["calculations"] = calculation_views(response.calculations)
    return ChatAnswer.model_validate(data)


async def finish(
    core: Core,
    route: Literal["chat", "stream"],
    conversation_id: str,
    question: str,
    response: ChatResponse,
    chars: int,
    started: float,
) -> ChatAnswer:
    """What both chat routes do with an answer: time it, store it (never fatal), log it, present it."""
    if response.latency_ms is None:
        response.latency_ms = round((time.perf_counter() - started) * 1000, 1)
    message_id = await run_in_threadpool(core.save, conversation_id, question, response)
    log.info(
        "%s conversation=%s chars=%d latency_ms=%.0f refused=%s",
        route,
        conversation_id,
        chars,
        response.latency_ms or 0,
        response.refused,
    )
    return present(response, conversation_id, message_id)
