"""Aggregate verdicts into the numbers an evaluator compares from one run to the next.

Definitions (a metric is None when no case measures it, e.g. no case expects a refusal):
- pass_rate: passed cases / cases.
- hit_at_1, hit_at_3, hit_at_5: among cases with expected sources, the share whose first
  citation of an expected document has rank <= k in the response's citation list.
- mrr: mean of 1/rank of that citation (0 when none).
- fact_recall: facts found / facts expected (all cases pooled).
- amount_exactness: expected amounts present in the answer within tol / amounts expected.
- unsupported_answers: answers holding at least one euro figure that is neither a calculation
  result nor in a cited passage (the guard's rule); unsupported_rate = that / cases.
- refusal_precision / refusal_recall: over cases whose refusal is judged (refuse: true are the
  positives; ordinary cases the negatives; `unanswered` and `may_refuse` cases are left out),
  with the response's `refused` flag as the prediction.
- latency_p50_ms / latency_p95_ms: wall-clock time per question as the runner measured it.
- errors: requests that raised or returned an HTTP error.
- guard_caught / regenerated / fallbacks (when the responses' guard notes are given): answers in
  which the guard caught something in the model's text (an unsupported figure or number, a marker
  to no source, no citation, a sentence its sources do not support), answers regenerated after a
  catch, and answers replaced by the extractive fallback (a catch twice, or the model failing).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from assistant.guard import REGENERATED, caught
from evals.judge import Verdict
from evals.suites import Case

HIT_KS = (1, 3, 5)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100): an observed value, stable for small samples."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def aggregate(
    cases: Sequence[Case],
    verdicts: Sequence[Verdict],
    latencies_ms: Sequence[float],
    guard_notes: Sequence[tuple[Sequence[str], bool | None]] | None = None,
) -> dict[str, Any]:
    """Metrics over parallel lists of cases, verdicts and latencies (and (guard, fallback) pairs)."""
    n = len(verdicts)
    with_sources = [v for c, v in zip(cases, verdicts, strict=True) if c.sources]
    ranks = [v.hit_rank for v in with_sources]
    metrics: dict[str, Any] = {
        "cases": n,
        "passed": sum(v.passed for v in verdicts),
        "pass_rate": _ratio(sum(v.passed for v in verdicts), n),
    }
    for k in HIT_KS:
        metrics[f"hit_at_{k}"] = _ratio(sum(1 for r in ranks if r is not None and r <= k), len(ranks))
    metrics["mrr"] = _ratio(sum(1 / r for r in ranks if r is not None), len(ranks))
    metrics["fact_recall"] = _ratio(sum(v.facts_found for v in verdicts), sum(v.facts_total for v in verdicts))
    metrics["amount_exactness"] = _ratio(
        sum(v.amounts_found for v in verdicts), sum(v.amounts_total for v in verdicts)
    )
    unsupported = sum(1 for v in verdicts if v.unsupported)
    metrics["unsupported_answers"] = unsupported
    metrics["unsupported_rate"] = _ratio(unsupported, n)

    judged = [
        (c, v) for c, v in zip(cases, verdicts, strict=True) if not c.refusal_is_free and v.error is None
    ]
    tp = sum(1 for c, v in judged if c.refuse and v.refused)
    fp = sum(1 for c, v in judged if not c.refuse and v.refused)
    fn = sum(1 for c, v in judged if c.refuse and not v.refused)
    metrics["refusal_precision"] = _ratio(tp, tp + fp)
    metrics["refusal_recall"] = _ratio(tp, tp + fn)

    metrics["latency_p50_ms"] = percentile(latencies_ms, 50)
    metrics["latency_p95_ms"] = percentile(latencies_ms, 95)
    metrics["errors"] = sum(1 for v in verdicts if v.error is not None)
    if guard_notes is not None:
        metrics["guard_caught"] = sum(1 for notes, _ in guard_notes if caught(notes))
        metrics["regenerated"] = sum(1 for notes, _ in guard_notes if REGENERATED in notes)
        metrics["fallbacks"] = sum(1 for _, fallback in guard_notes if fallback)
    return metrics


# French labels for reports, in display order.
LABELS: dict[str, str] = {
    "cases": "cas",
    "passed": "réussis",
    "pass_rate": "taux de réussite",
    "hit_at_1": "hit@1",
    "hit_at_3": "hit@3",
    "hit_at_5": "hit@5",
    "mrr": "MRR",
    "fact_recall": "rappel des faits",
    "amount_exactness": "montants exacts",
    "unsupported_answers": "réponses à chiffre non étayé",
    "unsupported_rate": "part à chiffre non étayé",
    "refusal_precision": "précision des refus",
    "refusal_recall": "rappel des refus",
    "latency_p50_ms": "latence p50 (ms)",
    "latency_p95_ms": "latence p95 (ms)",
    "errors": "erreurs",
    "guard_caught": "réponses où la garde a corrigé le modèle",
    "regenerated": "réponses régénérées",
    "fallbacks": "réponses de secours (extractives)",
}


def fmt(metric: str, value: Any) -> str:
    """Human formatting: ratios as percentages, latencies in whole ms, counts as integers."""
    if value is None:
        return "n/a"
    if metric.endswith("_ms"):
        return f"{value:.0f}"
    if isinstance(value, float):
        return f"{value:.1%}" if metric not in {"mrr", "mrr_at_10"} else f"{value:.3f}"
    return str(value)
