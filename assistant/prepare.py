"""Everything known about a request before an answer is written, one LCEL step each.

Follow-up resolution (history → standalone question, slots carried over) → hybrid retrieval →
scope (in the domain by its words or the retrieval evidence) → calculator routing → context (the
passages shown, numbered, plus each calculation's source passage) → support (do the sources hold
the amount asked?). The steps read the message and the standalone question as `Question` values.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import zip_longest

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableLambda, RunnablePassthrough

from assistant import answer_text, guard
from assistant.calculator.money import find_amounts
from assistant.calculator.result import Calculation
from assistant.conditions import limit_checks
from assistant.config import Settings
from assistant.extractive import calculation_sentences
from assistant.followup import Standalone, resolve
from assistant.injection import without_instructions
from assistant.lexical import analyze
from assistant.llm import generation_slot
from assistant.question import Question, analysed
from assistant.schemas import ChatRequest, Passage
from assistant.scope import DomainDecision, Support, assess_domain, assess_support, relevant_calculations

log = logging.getLogger(__name__)

Search = Callable[..., list[Passage]]
Route = Callable[..., list[Calculation]]


@dataclass
class Prepared:
    """Everything known before generation."""

    request: ChatRequest
    standalone: Standalone
    retrieved: list[Passage]
    domain: DomainDecision
    calculations: list[Calculation]
    context: list[Passage]  # numbered [1]..[n] in prompts, extractive answers and the guard
    support: Support
    evidence: guard.Evidence
    started: float
    notes: list[str] = field(default_factory=list)

    @property
    def asked(self) -> Question:
        """What is answered: the message, with the question it continues for a follow-up (the
        model's rewrite, when it made one, as a question of its own)."""
        s = self.standalone
        if s.followup and s.rewritten_by == "rules":
            return analysed(s.message, s.context)
        return analysed(s.question)

    @property
    def typed(self) -> Question:
        """The message as the user typed it."""
        return analysed(self.standalone.message)

    @property
    def asks(self) -> list[str]:
        return calculation_sentences(self.calculations, self.context)[1]

    @cached_property
    def calculation_tokens(self) -> set[str]:
        """Words a model sentence may use besides its passage's: the calculations' (computed once
        per question, not once per sentence)."""
        texts = [f"{c.statement} {c.formula} {' '.join(c.notes)}" for c in self.calculations]
        return set(analyze(" ".join(texts)))


def order_by_scheme(passages: Sequence[Passage], schemes: Sequence[str]) -> list[Passage]:
    """Passages of exactly the question's schemes first; other schemes' passages left out when
    enough remain (small models otherwise take a figure from the wrong scheme)."""
    if not schemes:
        return list(passages)
    wanted = set(schemes)
    strict = [p for p in passages if p.schemes and set(p.schemes) <= wanted]
    loose = [p for p in passages if p not in strict and set(p.schemes) & wanted]
    chosen = strict if len(strict) >= 2 else strict + loose
    return chosen or list(passages)


def _in_turn(lists: Sequence[Sequence[Passage]], k: int) -> list[Passage]:
    """The first of each list, then the second of each…, without repeats, up to k."""
    out: list[Passage] = []
    seen: set[str] = set()
    for row in zip_longest(*lists):
        for p in row:
            if p is not None and p.chunk_id not in seen and len(out) < k:
                out.append(p)
                seen.add(p.chunk_id)
    return out


class Preparation:
    """The preparation pipeline; the search, the calculator and the rewriting model are looked up
    through callables, so that the Assistant can load them lazily and tests can inject fakes."""

    def __init__(
        self,
        settings: Settings,
        search: Callable[[], Search],
        route: Callable[[], Route],
        rewriter: Callable[[], BaseChatModel | None],
    ) -> None:
        self.settings = settings
        self._search = search
        self._route = route
        self._rewriter = rewriter
        self._pipeline = (
            RunnablePassthrough.assign(standalone=RunnableLambda(self._resolve))
            | RunnablePassthrough.assign(retrieved=RunnableLambda(self._retrieve))
            | RunnablePassthrough.assign(domain=RunnableLambda(self._assess_domain))
            | RunnablePassthrough.assign(calculations=RunnableLambda(self._calculate))
            | RunnablePassthrough.assign(context=RunnableLambda(self._context))
            | RunnablePassthrough.assign(support=RunnableLambda(self._assess_support))
        )

    def _resolve(self, state: dict) -> Standalone:
        req: ChatRequest = state["request"]
        rewriter = self._rewriter() if req.history else None
        if rewriter is None:
            return resolve(req.message, req.history)
        with generation_slot(self.settings):
            return resolve(req.message, req.history, llm=rewriter, timeout=min(20.0, self.settings.llm_timeout))

    def _retrieve(self, state: dict) -> list[Passage]:
        standalone: Standalone = state["standalone"]
        k, schemes = self.settings.retrieval_k, standalone.schemes or None
        try:
            found = self._search()(standalone.question, k=k, schemes=schemes)
            parts = analysed(standalone.message).parts
            lists = [found]
            if len(parts) > 1:
                # Each question of the message finds its own passages, taken in turn with the whole's.
                lists += [self._search()(part, k=k, schemes=schemes) for part in parts]
            if schemes and len(schemes) > 1:
                # Several schemes compared ("le plus long, une CISP ou le stage d'insertion ?"): each
                # finds its own passages, or the one nearer the words fills the context alone.
                lists += [self._search()(standalone.question, k=k, schemes=[scheme]) for scheme in schemes]
            if len(lists) > 1:
                found = _in_turn(lists, k)
            # Orders planted in a document (prompt injection) never reach the prompt, the answer or the guard.
            return [without_instructions(p) for p in found]
        except Exception as exc:
            log.error("retrieval failed: %s", exc)
            return []

    def _assess_domain(self, state: dict) -> DomainDecision:
        req: ChatRequest = state["request"]
        in_conversation = any(analysed(t.content).has_domain_word for t in req.history if t.role == "user")
        states_situation = in_conversation and analysed(req.message).slots.has_situation()
        return assess_domain(
            analysed(req.message),
            state["retrieved"],
            in_conversation,
            min_coverage=self.settings.scope_min_coverage,
            states_situation=states_situation,
            similarity=self._similarity,
            min_similarity=self.settings.scope_min_similarity,
            accept_similarity=self.settings.scope_accept_similarity,
        )

    def _similarity(self, text: str) -> float | None:
        """How near in meaning the closest passage is (the dense retrieval's cosine score)."""
        try:
            found = self._search()(text, k=1, mode="dense", schemes=[])
        except Exception as exc:  # no evidence rather than a failed request
            log.warning("dense search for the scope failed: %s", exc)
            return None
        return found[0].score if found and "dense" in found[0].retrievers else None

    def _calculate(self, state: dict) -> list[Calculation]:
        """The calculator on the message with the conversation's slots; a follow-up that states no
        situation of its own ("et en IFAPME ?") is routed with its standalone question."""
        if not state["domain"].in_domain:
            return []
        standalone: Standalone = state["standalone"]
        route = self._route()
        first = standalone.question if standalone.rewritten_by == "model" else standalone.message
        schemes = standalone.schemes or None
        try:
            found = self._per_part(route, analysed(first), standalone)
            if not found:
                found = list(route(analysed(first), standalone.slots, schemes))
            if not found and standalone.followup and first != standalone.question:
                found = list(route(analysed(standalone.question), standalone.slots, schemes))
        except Exception as exc:  # no figure rather than a wrong one
            log.error("calculator failed: %s", exc)
            return []
        kept = relevant_calculations(analysed(first), standalone.schemes, found, state["retrieved"])
        try:
            # A named scheme's limits come from its own passages, as its answer does (_context).
            own = order_by_scheme(state["retrieved"], standalone.schemes)
            kept += [c for c in limit_checks(analysed(first), own) if c not in kept]
        except Exception as exc:  # no verdict rather than a failed answer
            log.error("limit check failed: %s", exc)
        if len(kept) < len(found):
            log.info("calculations about another subject left out: %s", [c.name for c in found if c not in kept])
        return kept

    @staticmethod
    def _per_part(route: Route, question: Question, standalone: Standalone) -> list[Calculation]:
        """A message that asks several things ("cb dure une CIP et cb on touche à 21 ans ?") gets
        the calculations of each part, with the message's schemes and facts; [] for one part."""
        if len(question.parts) < 2:
            return []
        schemes = standalone.schemes or list(question.schemes) or None
        found: list[Calculation] = []
        for part in question.parts:
            for c in route(analysed(part), standalone.slots, schemes):
                if c not in found:
                    found.append(c)
        return found

    def _context(self, state: dict) -> list[Passage]:
        """The passages shown (numbered): the question's scheme first, plus the source passage of
        any calculation whose figures none of them quotes (so its statement can be cited)."""
        standalone: Standalone = state["standalone"]
        context = order_by_scheme(state["retrieved"], standalone.schemes)[: self.settings.prompt_passages]
        for calculation in state["calculations"]:
            quoted = {round(a, 2) for a in find_amounts(calculation.statement)}
            if not quoted or any(quoted <= answer_text.figures(p) for p in context):
                continue
            sources = set(calculation.source_ids)
            try:
                # Not preferring the question's schemes: the figure may be another document's (a
                # master student's income against the IFAPME brochure's tax ceilings).
                found = self._search()(calculation.statement, k=5, schemes=None)
            except Exception as exc:
                log.warning("retrieval for a calculation's source failed: %s", exc)
                continue
            best = max(
                (p for p in found if p.doc_id in sources and p.chunk_id not in {c.chunk_id for c in context}),
                key=lambda p: len(quoted & answer_text.figures(p)),
                default=None,
            )
            if best is not None and quoted & answer_text.figures(best):
                context.append(best)
        return context

    def _assess_support(self, state: dict) -> Support:
        standalone: Standalone = state["standalone"]
        return assess_support(
            analysed(standalone.question),
            standalone.schemes,
            state["context"],
            state["calculations"],
            min_coverage=self.settings.support_min_coverage,
        )

    def prepare(self, req: ChatRequest) -> Prepared:
        started = time.perf_counter()
        state = self._pipeline.invoke({"request": req})
        user_texts = [req.message, *(t.content for t in req.history if t.role == "user")]
        evidence = guard.Evidence.build(state["calculations"], state["context"], user_texts)
        return Prepared(
            request=req,
            standalone=state["standalone"],
            retrieved=state["retrieved"],
            domain=state["domain"],
            calculations=state["calculations"],
            context=state["context"],
            support=state["support"],
            evidence=evidence,
            started=started,
        )
