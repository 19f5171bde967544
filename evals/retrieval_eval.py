"""`assistant eval --retrieval`: the retrieval modes side by side on the same questions.

Query: for a follow-up, the user turns of ``history`` joined with the question (the assistant's
replies are left out: they are long and would drown the user's words); this is what a follow-up
needs to be retrievable at all ("et à 21 ans ?" names no scheme).
A hit is a passage of an expected document; answer@3 holds when the top-3 passages' texts
together contain every expected fact and every expected amount (numbers read as the guard does).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from assistant.calculator.money import find_numbers
from assistant.schemas import Passage, Turn
from evals.judge import contains, near, norm
from evals.metrics import percentile
from evals.suites import Case

MODES = ("dense", "bm25", "hybrid")
SearchFn = Callable[..., list[Passage]]


def retrieval_query(case: Case) -> str:
    return joined_query(case.history, case.question)


def joined_query(history: Sequence[Turn], question: str) -> str:
    """The user's turns, then the question: what a follow-up is searched with."""
    return " ".join([*(t.content for t in history if t.role == "user"), question])


def answer_at(case: Case, passages: Sequence[Passage], k: int = 3) -> bool:
    text = " ".join(p.text for p in passages[:k])
    folded = norm(text)
    numbers = find_numbers(text)
    return all(any(contains(folded, p) for p in group) for group in case.facts) and all(
        near(a, numbers, case.tol) for a in case.amounts
    )


def first_rank(case: Case, passages: Sequence[Passage]) -> int | None:
    for rank, passage in enumerate(passages, 1):
        if passage.doc_id in case.sources:
            return rank
    return None


def evaluate_mode(search: SearchFn, cases: Sequence[Case], mode: str, k: int = 10) -> dict[str, Any]:
    """Metrics of one mode; ``available: False`` with the reason when the mode is not there."""
    scored = [c for c in cases if c.sources]
    try:
        search(retrieval_query(scored[0]) if scored else "stage", k=k, mode=mode)  # warm-up, not timed
    except Exception as exc:  # noqa: BLE001 - NotImplementedError/ValueError for a mode not built yet, or no index
        return {"available": False, "reason": f"{type(exc).__name__}: {exc}"}
    ranks: list[int | None] = []
    answered: list[bool] = []
    latencies: list[float] = []
    misses: list[dict[str, Any]] = []
    per_doc: dict[str, list[int | None]] = {}
    for case in scored:
        start = time.perf_counter()
        passages = search(retrieval_query(case), k=k, mode=mode)
        latencies.append((time.perf_counter() - start) * 1000)
        rank = first_rank(case, passages)
        ranks.append(rank)
        for doc in case.sources:
            per_doc.setdefault(doc, []).append(rank)
        ok = answer_at(case, passages) if (case.facts or case.amounts) else None
        if ok is not None:
            answered.append(ok)
        if rank != 1 or ok is False:
            misses.append(
                {"id": case.id, "rank": rank, "answer_at_3": ok, "top": [p.doc_id for p in passages[:3]]}
            )
    n = len(ranks)

    def mrr(values: Sequence[int | None]) -> float | None:
        return sum(1 / r for r in values if r is not None) / len(values) if values else None

    return {
        "available": True,
        "cases": n,
        "hit_at_1": sum(1 for r in ranks if r == 1) / n if n else None,
        "hit_at_3": sum(1 for r in ranks if r is not None and r <= 3) / n if n else None,
        "mrr_at_10": mrr(ranks),
        "answer_at_3": sum(answered) / len(answered) if answered else None,
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
        "mrr_per_doc": {doc: mrr(values) for doc, values in sorted(per_doc.items())},
        "misses": misses,
    }


def evaluate_retrieval(
    search: SearchFn, cases: Sequence[Case], modes: Sequence[str] = MODES, k: int = 10
) -> dict[str, dict[str, Any]]:
    return {mode: evaluate_mode(search, cases, mode, k) for mode in modes}
