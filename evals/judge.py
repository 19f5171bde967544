"""The judge: one case and one ChatResponse in, pass/fail and readable reasons out.

Every comparison goes through the project's own helpers (fold for text, find_amounts /
find_numbers for euro figures), so the judge reads answers the way the guard and users do.
The unsupported-figure rule is the guard's: a euro figure in the answer must be a calculation
result (or a figure its formula/notes state) or appear in a cited passage.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from assistant.calculator.money import find_amounts, find_numbers, format_eur
from assistant.schemas import ChatResponse
from assistant.text import fold
from evals.suites import Case

PHRASES_FILE = Path(__file__).with_name("judge.yaml")
_WS = re.compile(r"\s+")


@lru_cache
def phrases(path: Path = PHRASES_FILE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def norm(text: str) -> str:
    """fold() plus line breaks as spaces (PDF passages break lines mid-sentence)."""
    return _WS.sub(" ", fold(text or ""))


def contains(haystack_norm: str, phrase: str) -> bool:
    return norm(phrase) in haystack_norm


def eur(value: Decimal) -> str:
    return format_eur(value)


def near(value: Decimal, candidates: Iterable[Decimal], tol: Decimal) -> bool:
    return any(abs(value - c) <= tol for c in candidates)


def supported_figures(response: ChatResponse) -> list[Decimal]:
    """Figures the guard accepts: calculation results and the figures of their formula and notes,
    and every number of a cited passage (passages write '265,59 euros' or table cells)."""
    figures: list[Decimal] = []
    for calc in response.calculations:
        if calc.result is not None:
            figures.append(Decimal(str(calc.result)))
        figures.extend(find_amounts(calc.formula))
        for note in calc.notes:
            figures.extend(find_amounts(note))
    for citation in response.citations:
        figures.extend(find_numbers(citation.snippet))
    return figures


def unsupported_figures(response: ChatResponse, tol: Decimal = Decimal("0.01")) -> list[Decimal]:
    supported = supported_figures(response)
    return [a for a in find_amounts(response.answer) if not near(a, supported, tol)]


def first_hit_rank(case: Case, response: ChatResponse) -> int | None:
    """1-based rank of the first citation from an expected document (None: none cited)."""
    for rank, citation in enumerate(response.citations, 1):
        if citation.doc_id in case.sources:
            return rank
    return None


def says_unanswered(response: ChatResponse) -> bool:
    answer = norm(response.answer)
    return response.refused or any(contains(answer, p) for p in phrases()["unanswered"])


@dataclass
class Verdict:
    """The judgement of one case, with the counts the metrics aggregate."""

    case_id: str
    suite: str
    passed: bool
    reasons: list[str] = field(default_factory=list)
    facts_total: int = 0
    facts_found: int = 0
    amounts_total: int = 0
    amounts_found: int = 0
    hit_rank: int | None = None
    unsupported: list[Decimal] = field(default_factory=list)
    refused: bool = False
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "reasons": self.reasons,
            "facts_total": self.facts_total,
            "facts_found": self.facts_found,
            "amounts_total": self.amounts_total,
            "amounts_found": self.amounts_found,
            "hit_rank": self.hit_rank,
            "unsupported": [float(u) for u in self.unsupported],
            "refused": self.refused,
            "error": self.error,
        }


def judge_error(case: Case, error: str) -> Verdict:
    """A case whose request failed (exception, HTTP error): failed, nothing found."""
    return Verdict(
        case_id=case.id,
        suite=case.suite,
        passed=False,
        reasons=[f"erreur : {error}"],
        facts_total=len(case.facts),
        amounts_total=len(case.amounts),
        error=error,
    )


def judge(case: Case, response: ChatResponse) -> Verdict:
    """Check one response against one case; every failed check adds a reason."""
    reasons: list[str] = []
    answer = norm(response.answer)

    # Refusal: out-of-scope cases must be refused; ordinary cases must not be.
    if case.refuse and not response.refused:
        reasons.append("devait refuser (hors sujet) mais a répondu")
    elif case.unanswered and not says_unanswered(response):
        reasons.append("devait dire que les sources ne donnent pas cette information")
    elif not case.refuse and not case.refusal_is_free and response.refused:
        reasons.append("a refusé à tort une question du domaine")

    hit_rank = first_hit_rank(case, response) if case.sources else None
    if case.sources and hit_rank is None:
        cited = sorted({c.doc_id for c in response.citations}) or ["aucune"]
        reasons.append(f"aucune citation de {', '.join(case.sources)} (citées : {', '.join(cited)})")

    facts_found = 0
    for group in case.facts:
        if any(contains(answer, p) for p in group):
            facts_found += 1
        else:
            reasons.append("fait manquant : " + " | ".join(f"« {p} »" for p in group))

    in_answer = find_amounts(response.answer)
    numbers = in_answer + find_numbers(response.answer)
    amounts_found = 0
    for expected in case.amounts:
        if near(expected, numbers, case.tol):
            amounts_found += 1
        else:
            seen = ", ".join(eur(a) for a in in_answer) or "aucun"
            reasons.append(f"montant attendu {eur(expected)} absent (montants lus : {seen})")

    if case.only_amounts:
        permitted = list(case.amounts) + list(case.allowed)
        extra = [a for a in in_answer if not near(a, permitted, case.tol)]
        if extra:
            reasons.append("montant non attendu : " + ", ".join(eur(a) for a in extra))

    for text in case.forbid:
        if contains(answer, text):
            reasons.append(f"texte interdit présent : « {text} »")

    unsupported = unsupported_figures(response, case.tol)
    if unsupported:
        reasons.append(
            "chiffre non étayé (ni calcul ni passage cité) : " + ", ".join(eur(a) for a in unsupported)
        )

    if case.asks_for:
        words = phrases()["asks_for"][case.asks_for]
        if "?" not in response.answer or not any(contains(answer, w) for w in words):
            reasons.append(f"devait demander : {case.asks_for}")

    if case.expect_calculation and case.expect_calculation not in {c.name for c in response.calculations}:
        names = ", ".join(c.name for c in response.calculations) or "aucun"
        reasons.append(f"calcul attendu {case.expect_calculation} absent (calculs : {names})")

    return Verdict(
        case_id=case.id,
        suite=case.suite,
        passed=not reasons,
        reasons=reasons,
        facts_total=len(case.facts),
        facts_found=facts_found,
        amounts_total=len(case.amounts),
        amounts_found=amounts_found,
        hit_rank=hit_rank,
        unsupported=unsupported,
        refused=response.refused,
    )
