"""Follow-up questions ("et si j'ai 21 ans ?", "et à Bruxelles ?") made standalone before retrieval.

Two layers. The deterministic one always runs: the scheme comes from the message or else from the
latest earlier user turn that names one (assistant.schemes.detect_schemes), the calculator slots
are carried over turn by turn (extract_slots with the previous slots: a later value wins), and
the standalone question is the message followed by the earlier question it continues. When a
model backend is active, the model may rewrite the message into a fluent question; the rewrite
is kept only if it passes a check against the deterministic layer (same scheme, every slot of the
message unchanged, no new figure); the slots always come from the deterministic layer.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from assistant.calculator import Slots, extract_slots
from assistant.calculator.money import find_amounts
from assistant.lexical import analyze
from assistant.prompts import rewrite_prompt, rewrite_request
from assistant.question import analysed, domain_vocabulary
from assistant.schemas import Turn
from assistant.schemes import detect_region, load_vocabulary
from assistant.text import fold

log = logging.getLogger(__name__)

_SLOT_FIELDS = ("age", "year", "qualified", "hours_per_week", "days_per_week", "days", "months", "amount", "region", "as_of")


@dataclass
class Standalone:
    """The question as the rest of the chain sees it."""

    message: str  # as typed
    question: str  # standalone: for retrieval, the calculator and the prompt
    slots: Slots  # calculator slots carried over the conversation
    schemes: list[str]
    followup: bool
    rewritten_by: str = "none"  # "none" | "rules" | "model"
    context: str = ""  # the earlier user question this message continues


@lru_cache
def _followup_patterns() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in domain_vocabulary().get("followup", []))


def user_turns(history: Sequence[Turn]) -> list[str]:
    return [t.content for t in history if t.role == "user"]


def is_followup(message: str, history: Sequence[Turn], max_words: int = 8) -> bool:
    """A message that leans on the conversation: it starts like a continuation, or is short and
    names no scheme while an earlier turn did."""
    if not user_turns(history):
        return False
    folded = fold(message)
    if any(p.search(folded) for p in _followup_patterns()):
        return True
    if analysed(message).schemes:
        return False
    return len(folded.split()) <= max_words


def carried_schemes(message: str, history: Sequence[Turn]) -> list[str]:
    """The message's schemes, else those of the latest earlier user turn that names one."""
    for text in [message, *reversed(user_turns(history))]:
        found = analysed(text).schemes
        if found:
            return list(found)
    return []


def carried_slots(message: str, history: Sequence[Turn]) -> Slots:
    """Calculator slots over the user turns in order; the message's own values win."""
    slots = None
    for earlier in user_turns(history):
        slots = extract_slots(earlier, slots)
    return extract_slots(message, slots)


def _previous_question(history: Sequence[Turn]) -> str:
    """The latest earlier user turn that reads as a question of its own (not a bare follow-up)."""
    turns = user_turns(history)
    for index in range(len(turns) - 1, -1, -1):
        if not is_followup(turns[index], [Turn(role="user", content=t) for t in turns[:index]]):
            return turns[index]
    return turns[-1] if turns else ""


def rules_rewrite(message: str, history: Sequence[Turn], schemes: Sequence[str]) -> tuple[str, str]:
    """Message + the question it continues; the scheme's name when neither text names it."""
    context = _previous_question(history)
    own = analysed(message).schemes
    if own and context and not set(own) & set(analysed(context).schemes):
        # The user moved to another scheme: keep what was asked, not the old scheme's name.
        context = _without_schemes(context)
    question = f"{message.strip()} ({context.strip()})" if context else message.strip()
    if schemes and not analysed(question).schemes:
        labels = load_vocabulary().labels
        question += " — " + ", ".join(labels.get(s, s) for s in schemes)
    return question, context


def _without_schemes(text: str) -> str:
    folded = fold(text)
    for patterns in load_vocabulary().schemes.values():
        for p in patterns:
            folded = p.sub(" ", folded)
    return re.sub(r"\s+", " ", folded).strip()


def _slot_values(slots: Slots) -> dict[str, object]:
    out = {}
    for name in _SLOT_FIELDS:
        value = getattr(slots, name, None)
        if value is not None:
            out[name] = value
    return out


def check_rewrite(candidate: str, message: str, history: Sequence[Turn], schemes: Sequence[str]) -> list[str]:
    """Why a model's rewrite cannot be used (empty list: it can)."""
    problems = []
    text = candidate.strip()
    if not text or len(text) > 400 or len(text) > 4 * (len(message) + len(_previous_question(history))) + 80:
        return ["longueur"]
    if schemes and not set(analysed(text).schemes) & set(schemes):
        problems.append("dispositif perdu")
    own = _slot_values(extract_slots(message))
    got = _slot_values(extract_slots(text))
    for name, value in own.items():
        if got.get(name) != value:
            problems.append(f"{name} modifié")
    region = detect_region(message)
    if region and detect_region(text) != region:
        problems.append("région modifiée")
    known = {Decimal(a) for t in [message, *user_turns(history)] for a in find_amounts(t)}
    if any(a not in known for a in find_amounts(text)):
        problems.append("montant ajouté")
    # What the follow-up asks ("jusqu'à quel âge ?") must survive: "C'est quoi une CISP ?" lost it.
    lost = {t for t in analysed(message).asked_terms if not t[:1].isdigit()} - set(analyze(text))
    if lost:
        problems.append(f"mots perdus : {', '.join(sorted(lost))}")
    return problems


def model_rewrite(message: str, history: Sequence[Turn], llm: Any, timeout: float) -> str | None:
    """One short generation: the message as a standalone question (None on failure)."""
    from langchain_core.output_parsers import StrOutputParser

    chain = rewrite_prompt() | llm | StrOutputParser()
    started = time.monotonic()
    out = []
    try:
        for chunk in chain.stream({"request": rewrite_request(message, history)}):
            out.append(chunk)
            if time.monotonic() - started > timeout or "\n\n" in "".join(out):
                break
    except Exception as exc:  # the deterministic rewrite takes over
        log.warning("follow-up rewrite failed: %s", exc)
        return None
    text = "".join(out).strip().split("\n")[0].strip().strip('"«» ')
    return text or None


def resolve(message: str, history: Sequence[Turn], llm: Any = None, timeout: float = 20.0) -> Standalone:
    """The standalone question for a message and its conversation."""
    schemes = carried_schemes(message, history)
    slots = carried_slots(message, history)
    if not is_followup(message, history):
        return Standalone(message=message, question=message, slots=slots, schemes=schemes, followup=False)
    question, context = rules_rewrite(message, history, schemes)
    standalone = Standalone(
        message=message, question=question, slots=slots, schemes=schemes, followup=True,
        rewritten_by="rules", context=context,
    )
    if llm is not None:
        candidate = model_rewrite(message, history, llm, timeout)
        if candidate:
            problems = check_rewrite(candidate, message, history, schemes)
            if not problems:
                standalone.question = candidate
                standalone.rewritten_by = "model"
            else:
                log.info("model rewrite %r rejected (%s); rules rewrite kept", candidate, ", ".join(problems))
    return standalone
