"""The chain on the real index: the extractive backend end to end, and the default model (slow).

Uses the project's index (var/chroma, built by `assistant ingest`) when it is there; otherwise
builds a temporary one from corpus/ with the real embedding model, once per session.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from assistant.calculator.money import find_amounts
from assistant.chain import Assistant
from assistant.config import Settings
from assistant.schemas import ChatRequest, ChatResponse, Turn
from tests.real_index import search_with as _search_with

pytestmark = pytest.mark.slow

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def extractive(index_settings: Settings) -> Assistant:
    settings = index_settings.model_copy(update={"llm_backend": "extractive"})
    return Assistant(settings, search=_search_with(settings))


@pytest.fixture(scope="session")
def default_model(index_settings: Settings) -> Assistant:
    # A generous timeout: this test checks the answers; a loaded CI machine is slow, not wrong.
    settings = index_settings.model_copy(update={"llm_backend": "llamacpp", "llm_timeout": 600.0})
    if not Path(settings.resolve_model(settings.llm_model)).is_file():
        pytest.skip("default GGUF not fetched (assistant models fetch)")
    assistant = Assistant(settings, search=_search_with(settings))
    assistant.warm()
    return assistant


def cited_docs(response: ChatResponse) -> set[str]:
    return {c.doc_id for c in response.citations}


def test_extractive_answers_amounts_durations_and_refusals(extractive: Assistant) -> None:
    cip = extractive.ask(ChatRequest(message="g 18 ans combien je touche en cip"))
    assert "848,90 €" in cip.answer and "cip-bruxelles" in cited_docs(cip) and not cip.refused

    ifapme = extractive.ask(ChatRequest(message="jsuis en 2e annee ifapme non qualifie combien je touche"))
    assert "908,29 €" in ifapme.answer and "ifapme-convention-stage" in cited_docs(ifapme)
    assert {str(a) for a in find_amounts(ifapme.answer)} == {"908.29"}

    sip = extractive.ask(ChatRequest(message="le stage d'insertion professionnelle dure combien de temps ?"))
    assert "310 jours" in sip.answer and "stage-insertion-professionnelle" in cited_docs(sip)

    off = extractive.ask(ChatRequest(message="donne moi une recette de lasagnes"))
    assert off.refused and not off.citations

    unknown = extractive.ask(ChatRequest(message="c'est combien les allocations d'insertion par mois ?"))
    assert unknown.refused and "ONEM" in unknown.answer


def test_extractive_follow_up_and_stream(extractive: Assistant) -> None:
    history = [
        Turn(role="user", content="j'ai 18 ans, combien je touche en cip ?"),
        Turn(role="assistant", content="À 18 ans : 848,90 € par mois."),
    ]
    events = list(extractive.stream(ChatRequest(message="et si j'ai 21 ans ?", history=history)))
    done = ChatResponse(**events[-1].data)
    assert "1.035,20 €" in done.answer
    assert "".join(e.data for e in events if e.event == "token") == done.answer


QUESTIONS = [
    ("J'ai 18 ans, combien je gagne en CIP ?", "848,90", "cip-bruxelles"),
    ("Je suis en 2e année IFAPME, non qualifié : combien je touche par mois ?", "908,29", "ifapme-convention-stage"),
    ("Combien de jours dure le stage d'insertion professionnelle ?", "310", "stage-insertion-professionnelle"),
]


@pytest.mark.parametrize(("question", "figure", "doc_id"), QUESTIONS)
def test_default_model_answers_with_the_right_figure(
    default_model: Assistant, question: str, figure: str, doc_id: str
) -> None:
    started = time.perf_counter()
    response = default_model.ask(ChatRequest(message=question))
    elapsed = time.perf_counter() - started
    print(f"\n{question}\n→ {response.answer}\n  {elapsed:.1f} s, guard={response.guard}")
    assert response.backend == "llamacpp"
    assert not response.fallback, response.guard  # the model's own answer passed the guard
    assert figure in response.answer
    assert doc_id in cited_docs(response) or any(doc_id in c.source_ids for c in response.calculations)
