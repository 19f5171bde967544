"""The answer: fixed texts, or generation → guard → complement, released as a stream.

`get_assistant()` returns one cached Assistant per settings. `stream` is the one answer path: it
yields StreamEvents "token" (whole sentences, each released only after the guard passed it), then
"citations", "calculations" and "done" (the full response, see CONTRACT.md); `ask` collects it, so
the API, the CLI and the evaluation gates get exactly what the widget shows.

Preparation (`assistant/prepare.py`) is an LCEL pipeline of small steps over a dict; generation is
`prompt | model | StrOutputParser()`. Whatever the backend, an answer that fails the guard before anything of it was
shown is regenerated once with the problems named, then replaced by the extractive answer; a model
that fails or times out is replaced by the extractive answer too (`fallback: true`). Citation
markers are renumbered 1, 2, 3… in order of first use and `citations` lists exactly the passages
the answer cites.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.output_parsers import StrOutputParser

from assistant import answer_text, calculator, freshness, guard, prompts, sentences
from assistant.calculator.money import find_amounts
from assistant.calculator.result import Calculation
from assistant.config import Settings, get_settings
from assistant.extractive import calculation_sentences, compose
from assistant.llm import ModelUnavailable, build_chat_model, generation_slot
from assistant.prepare import Preparation, Prepared
from assistant.schemas import CalculationOut, ChatRequest, ChatResponse, Citation, Passage
from assistant.schemes import competent_body
from assistant.scope import (
    bodies,
    named_bodies,
)
from assistant.sentence_index import Nearness
from assistant.text import fold
from ingest.sources import SourceEntry, current_entries

log = logging.getLogger(__name__)

_WORDS = re.compile(r"\S+")


class StreamEvent(NamedTuple):
    event: str  # "token" | "citations" | "calculations" | "done"
    data: Any


@dataclass
class Draft:
    """An answer on its way out: text with context markers, and how it was produced."""

    text: str
    refused: bool = False
    fallback: bool = False
    guard: list[str] = field(default_factory=list)


class Assistant:
    """One per process and settings (see get_assistant); thread-safe."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        llm: BaseChatModel | None = None,
        rewriter: BaseChatModel | None = None,
        search: Callable[..., list[Passage]] | None = None,
        route: Callable[..., list[Calculation]] | None = None,
        near: Nearness | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self._llm = llm
        self._rewriter = rewriter
        self._search = search
        self._route = route
        # A search given by the caller (tests) ranks sentences by their words unless a nearness is
        # given too; the real index brings its sentence vectors.
        self._near = near
        self._near_from_index = search is None and near is None
        self.backend = "fake" if llm is not None else self.settings.llm_backend
        self._preparation = Preparation(self.settings, self._search_fn, self._route_fn, self._rewrite_model)

    # --- models -----------------------------------------------------------------------------

    def _answer_model(self, echo: Callable[[], str]) -> BaseChatModel | None:
        if self._llm is not None:
            return self._llm
        return build_chat_model(self.settings, echo=echo)

    def _rewrite_model(self) -> BaseChatModel | None:
        if self._rewriter is not None:
            return self._rewriter
        if self._llm is not None or not self.settings.followup_rewrite:
            return None
        if self.settings.llm_backend in ("llamacpp", "openai"):
            try:
                return build_chat_model(self.settings)
            except ModelUnavailable as exc:
                log.warning("no model for follow-up rewriting: %s", exc)
        return None

    def warm(self) -> None:
        """Load the model and evaluate the fixed system prompt once, so the first user waits less."""
        try:
            self._search_fn()("indemnité de stage", k=1)
        except Exception as exc:  # the API reports the index state itself
            log.warning("retrieval warm-up failed: %s", exc)
        if self._llm is None and self.settings.llm_backend == "llamacpp":
            try:
                model = build_chat_model(self.settings)
                if model is not None:
                    with generation_slot(self.settings):
                        (prompts.answer_prompt() | model).invoke({"request": "Bonjour"}, max_tokens=1)
            except Exception as exc:
                log.warning("model warm-up failed: %s", exc)

    # --- preparation steps (LCEL) -----------------------------------------------------------

    def _search_fn(self) -> Callable[..., list[Passage]]:
        if self._search is None:
            # (lazily: the real index loads Chroma and the embedding model; tests inject a search)
            from assistant.retrieval import search

            self._search = search
        return self._search

    @property
    def near(self) -> Nearness | None:
        """The sentences' nearness in meaning to a question (assistant/sentence_index.py)."""
        if self._near is None and self._near_from_index and self.settings.sentence_dense_weight > 0:
            from assistant.retrieval import get_searcher

            self._near = Nearness(get_searcher(self.settings).nearness, self.settings.sentence_dense_weight)
        return self._near

    def _route_fn(self) -> Callable[..., list[Calculation]]:
        return self._route or calculator.route

    def prepare(self, req: ChatRequest) -> Prepared:
        return self._preparation.prepare(req)

    # --- answers without a model ------------------------------------------------------------

    def fixed_answer(self, prep: Prepared) -> Draft | None:
        """Out of scope, too vague, or a figure the sources do not hold: no generation."""
        if prep.domain.vague:
            return Draft(prompts.VAGUE.format(schemes=prompts.schemes_offered()), guard=["question trop vague"])
        if not prep.domain.in_domain:
            return Draft(prompts.out_of_scope(), refused=True, guard=[f"hors sujet ({prep.domain.reason})"])
        if not prep.support.answerable or (not prep.context and not prep.calculations):
            # `refused` when a figure was asked for and the sources do not hold it (CONTRACT.md);
            # "et après je touche quoi ?" still gets what the sources say.
            refused = prep.asked.asks_figure or not prep.context
            reason = prep.support.reason if prep.context else "aucun passage trouvé"
            return Draft(self._not_in_sources(prep), refused=refused, guard=[f"réponse absente des sources ({reason})"])
        return None

    def _not_in_sources(self, prep: Prepared) -> str:
        """What the sources do say, that they do not give the figure, and who does."""
        schemes = prep.standalone.schemes
        statements, _ = calculation_sentences(prep.calculations, prep.context)
        parts = list(statements)
        if not statements:
            scheme = f" pour {prompts.scheme_labels(schemes[:1], articles=True)}" if schemes else ""
            what = prompts.NOT_IN_SOURCES_WHAT_AMOUNT if prep.asked.asks_amount else prompts.NOT_IN_SOURCES_WHAT
            parts.append(prompts.NOT_IN_SOURCES.format(what=what, scheme=scheme))
        general = compose(prep.asked, prep.context, (), max_words=50, max_sentences=1, with_amounts=False, near=self.near)
        if general and not answer_text.already_said(general, " ".join(parts)):
            parts.append(general)
        text = " ".join(parts)
        if not named_bodies(" ".join(statements)):
            text += " " + prompts.ASK_BODY.format(bodies=bodies(schemes, prep.context))
        return text

    def extractive_answer(self, prep: Prepared) -> str:
        return compose(
            prep.asked,
            prep.context,
            prep.calculations,
            max_words=self.settings.answer_max_words,
            near=self.near,
        )

    # --- generation ---------------------------------------------------------------------------

    def _inputs(self, prep: Prepared, retry: list | None = None) -> dict:
        request = prompts.answer_request(
            prep.asked,
            prep.context,
            prep.calculations,
            self.settings.prompt_chars,
            self.settings.prompt_sentences,
            self.near,
        )
        return {"request": request, "retry": retry or []}

    def _generate(self, model: BaseChatModel, inputs: dict) -> Iterator[str]:
        """Text deltas; TimeoutError past settings.llm_timeout.

        The parser is applied chunk by chunk, outside the streamed sequence: closing a stream whose
        sequence ends with a parser waits for the model to finish, so a timed-out (or abandoned)
        generation would keep the user and the generation slot waiting anyway.
        """
        chain = prompts.answer_prompt() | model
        parse = StrOutputParser()
        with generation_slot(self.settings):
            started = time.monotonic()
            stream = chain.stream(inputs)
            try:
                for chunk in stream:
                    yield parse.invoke(chunk)
                    if time.monotonic() - started > self.settings.llm_timeout:
                        raise TimeoutError(f"génération interrompue après {self.settings.llm_timeout:.0f} s")
            finally:
                stream.close()  # stops the model now

    def _no_figure_note(self, text: str, prep: Prepared) -> str:
        """"Combien ?" answered without any number: say plainly that the sources give none."""
        typed = prep.typed
        if typed.asks_figure and not typed.asks_count and not find_amounts(text):
            if "adressez-vous" in text:
                return " " + prompts.NO_FIGURE
            # Who does know the figure (non-negotiable: point to the competent body).
            ask = prompts.ASK_BODY.format(bodies=bodies(prep.standalone.schemes, prep.context))
            return f" {prompts.NO_FIGURE} {ask}"
        return ""

    def _with_asks(self, text: str, prep: Prepared) -> str:
        """The calculator's question for a missing detail ends the answer (rule 6 of the prompt)."""
        text = text.rstrip() + self._no_figure_note(text, prep)
        missing = [a for a in prep.asks if fold(a).rstrip(" ?") not in fold(text)]
        return f"{text.rstrip()} {' '.join(missing)}".strip() if missing else text

    def _lead(self, prep: Prepared) -> str:
        """The calculator's statements, each citing its source passage: they open the answer as
        written (figures never come from the model, which only completes them)."""
        return " ".join(calculation_sentences(prep.calculations, prep.context)[0])

    def _says_new(self, sentence: str, shown: str) -> bool:
        """Not a fragment or bare markers, and not a repetition of what is already shown."""
        return answer_text.says_something(sentence) and not (shown and answer_text.already_said(sentence, shown))

    def _supported(self, sentence: str, prep: Prepared, notes: list[str]) -> bool:
        """A sentence (already past the guard) whose words are the sources': an invented one is left out."""
        share = guard.support(sentence, prep.evidence, prep.calculation_tokens, answer_text.scheme_name_tokens())
        if share < self.settings.min_sentence_support:
            notes.append(f"{guard.CAUGHT['unsupported_sentence']} ({share:.0%})")
            log.info("unsupported sentence left out (%.2f): %s", share, sentence)
            return False
        if not guard.markers_in(sentence):
            # (the guard found no passage most of its words come from: a sentence the model made up)
            notes.append(guard.CAUGHT["uncited_sentence"])
            log.info("sentence without a source left out: %s", sentence)
            return False
        if guard.contradicts(sentence, prep.evidence, answer_text.scheme_name_tokens()):
            notes.append(guard.CAUGHT["contradiction"])
            log.info("sentence contradicting its source left out: %s", sentence)
            return False
        return True

    def _complement(self, prep: Prepared, shown: str, extractive: str | None = None) -> str:
        """The sources' own sentences that best answer the question (the extractive answer's), when
        the model's text has not said them: a small model's paraphrase drops the detail users need
        ("Bruxelles Formation", "31 octobre"), the brochure's sentence keeps it."""
        extra: list[str] = []
        words = len(_WORDS.findall(shown))
        cited: set[int] = set()
        source = self._safe_extractive(prep) if extractive is None else extractive
        # The kind of number asked for (an age, a phone number…) that the model's text lacks: the
        # source sentence holding one comes first, even past the word budget.
        units = prep.asked.wanted_units
        lacking = [] if any(u.search(fold(shown)) for u in units) else units

        def answers_lacking(sentence: str) -> bool:
            return any(u.search(fold(sentence)) for u in lacking)

        candidates = sorted((s.strip() for s in sentences.split(source)), key=lambda s: not answers_lacking(s))
        for sentence in candidates:
            if len(extra) >= self.settings.answer_complement_sentences:
                break
            if not sentence or sentence.endswith("?") or not guard.markers_in(sentence):
                continue  # the calculator's question, or a fixed text without a source
            so_far = " ".join([shown, *extra])
            if not answer_text.adds(sentence, so_far) or answer_text.restates(sentence, so_far):
                continue
            if not guard.check_sentence(sentence, prep.evidence, cited).ok:
                continue  # another figure than the calculator's (strict)
            n = len(_WORDS.findall(sentence))
            answers_unit = answers_lacking(sentence)
            if words + n > self.settings.answer_max_words and not answers_unit:
                break
            extra.append(sentence)
            words += n
            if answers_unit:
                lacking = []
        return " ".join(extra)

    def _safe_extractive(self, prep: Prepared) -> str:
        """The extractive answer, with any sentence the guard would not pass left out."""
        text = self.extractive_answer(prep)
        kept = []
        cited: set[int] = set()
        # Not strict: the calculator's own statements are in it (a passage sentence with another
        # figure is never added next to them).
        evidence = dataclasses.replace(prep.evidence, strict=False)
        for sentence in sentences.split(text):
            verdict = guard.check_sentence(sentence, evidence, cited)
            if verdict.bad_markers or verdict.unsupported_amounts or verdict.unsupported_numbers:
                log.error("extractive sentence failed the guard: %s", verdict.problems())
                continue
            kept.append(verdict.text)
        return "".join(kept).strip() or prompts.NOT_IN_SOURCES.format(what=prompts.NOT_IN_SOURCES_WHAT, scheme="")

    # --- responses ------------------------------------------------------------------------------

    def _response(self, prep: Prepared, draft: Draft, renumber: guard.Renumberer | None = None) -> ChatResponse:
        renumber = renumber or guard.Renumberer()
        answer = renumber.apply(draft.text)
        citations = []
        for old, new in renumber.order():
            if 1 <= old <= len(prep.context):
                p = prep.context[old - 1]
                citations.append(
                    Citation(
                        doc_id=p.doc_id, title=p.title, chunk_id=p.chunk_id, section=p.section, page=p.page,
                        snippet=p.text, url=p.url, score=p.score, marker=new,
                    )
                )
        return ChatResponse(
            answer=answer,
            citations=citations,
            calculations=self._cards(prep),
            refused=draft.refused,
            conversation_id=prep.request.conversation_id,
            backend=self.backend,
            fallback=draft.fallback,
            guard=draft.guard,
            latency_ms=round((time.perf_counter() - prep.started) * 1000, 1),
        )

    # --- how old the amounts are (assistant/freshness.py) ------------------------------------

    def _documents(self) -> dict[str, SourceEntry]:
        return {e.id: e for e in current_entries(self.settings.corpus_dir)}

    def _dated(self, prep: Prepared, documents: dict[str, SourceEntry]) -> list[tuple[Calculation, freshness.Dated]]:
        return [(c, freshness.amount_date(c.valid_from, c.source_ids, documents)) for c in prep.calculations]

    def _is_stale(self, calculation: Calculation, dated: freshness.Dated) -> bool:
        """An amount shown to the user (a computed sum of money) older than the setting allows."""
        shown = calculation.result is not None and calculation.unit.upper().startswith("EUR")
        return shown and dated.stale(self.settings.today or date.today(), self.settings.stale_after_months)

    def _stale_note(self, prep: Prepared) -> str:
        """"Montant de septembre 2023 ; il a pu être indexé depuis : vérifiez auprès de …"."""
        documents = self._documents()
        stale = [(c, d) for c, d in self._dated(prep, documents) if self._is_stale(c, d)]
        if not stale:
            return ""
        first = next((documents[s] for c, _ in stale for s in c.source_ids if s in documents), None)
        body = competent_body(first.scheme_ids[0] if first else None)
        today = self.settings.today or date.today()
        return freshness.stale_note([d for _, d in stale], today, self.settings.stale_after_months, body)

    def _cards(self, prep: Prepared) -> list[CalculationOut]:
        """The calculations for the amount cards: document titles, the date in French, staleness."""
        documents = self._documents()
        cards = []
        for calculation, dated in self._dated(prep, documents):
            card = calculation.to_api()
            card.source_titles = [documents[s].title if s in documents else s for s in calculation.source_ids]
            card.dated = dated.label()
            card.stale = self._is_stale(calculation, dated)
            cards.append(card)
        return cards

    def ask(self, req: ChatRequest) -> ChatResponse:
        """The stream, collected (as simonw/llm's `text()`): the API, the CLI and the evaluation
        gates get exactly what the widget shows."""
        for event in self.stream(req):
            if event.event == "done":
                return ChatResponse.model_validate(event.data)
        raise RuntimeError("le flux de réponse s'est terminé sans événement done")

    def _log(self, prep: Prepared, response: ChatResponse) -> None:
        log.info(
            "answer backend=%s fallback=%s refused=%s calc=%d cites=%d guard=%s %.0f ms (%s)",
            response.backend, response.fallback, response.refused, len(response.calculations),
            len(response.citations), response.guard, response.latency_ms or 0, prep.standalone.rewritten_by,
        )

    # --- the answer, as a stream ---------------------------------------------------------------

    def stream(self, req: ChatRequest) -> Iterator[StreamEvent]:
        """The one answer path: sentences as they pass the guard, then citations, calculations and
        the full response; on a model failure, the extractive answer for the rest."""
        prep = self.prepare(req)
        out = _Release()
        draft, model, extractive = self._without_model(prep)
        if draft is not None:  # no generation: release the (already safe) text sentence by sentence
            for sentence in sentences.split(draft.text):
                yield out.emit(sentence)
        else:
            assert model is not None
            draft = yield from self._stream_model(prep, model, extractive, out)
        note = "" if draft.refused else self._stale_note(prep)
        if note and note not in out.text:
            yield out.emit(" " + note)
        draft.text = out.text
        response = self._response(prep, draft, out.renumber)
        self._log(prep, response)
        yield StreamEvent("citations", [c.model_dump() for c in response.citations])
        yield StreamEvent("calculations", [c.model_dump() for c in response.calculations])
        yield StreamEvent("done", response.model_dump())

    def _without_model(self, prep: Prepared) -> tuple[Draft | None, BaseChatModel | None, str]:
        """The answer when no generation is needed or possible, else the model and the extractive
        answer it falls back on."""
        draft = self.fixed_answer(prep)
        if draft is not None:
            return draft, None, ""
        extractive = self._safe_extractive(prep)
        try:
            model = self._answer_model(lambda: extractive)
        except ModelUnavailable as exc:
            log.warning("model unavailable (%s): extractive answer", exc)
            return Draft(self._with_asks(extractive, prep), fallback=True, guard=[f"modèle indisponible : {exc}"]), None, extractive
        if model is None:
            return Draft(self._with_asks(extractive, prep)), None, extractive
        return None, model, extractive

    def _stream_model(
        self, prep: Prepared, model: BaseChatModel, extractive: str, out: _Release
    ) -> Generator[StreamEvent, None, Draft]:
        """The calculator's statements at once, the model's guarded sentences, the sources'
        complement, any result the text lacks, and the calculator's questions."""
        notes: list[str] = []
        lead = self._lead(prep)
        for sentence in sentences.split(lead):  # the calculator's figures: shown at once
            yield out.emit(sentence)
        fallback = yield from self._generated(prep, model, lead, extractive, out, notes)
        if not fallback:
            for sentence in sentences.split(self._complement(prep, out.text, extractive)):
                yield out.emit(sentence)
        # Rule 4: a complete result the model did not state is added, as written.
        missing = guard.missing_results(out.text, prep.evidence)
        if missing:
            notes += [f"résultat du calcul ajouté : {m}" for m in missing]
            for statement in calculation_sentences(prep.calculations, prep.context)[0]:
                if guard.missing_results(out.text, prep.evidence):
                    yield out.emit(" " + statement)
        text = out.text
        ended = self._with_asks(text, prep)
        if ended != text:
            yield out.emit(ended[len(text):])
        return Draft(out.text, fallback=fallback, guard=notes)

    def _generated(
        self, prep: Prepared, model: BaseChatModel, lead: str, extractive: str, out: _Release, notes: list[str]
    ) -> Generator[StreamEvent, None, bool]:
        """Generate, guard sentence by sentence, regenerate once naming the problems when nothing
        was shown, else the extractive answer for the rest. Returns whether it fell back."""
        retry: list = []
        model_shown = False
        for attempt in (1, 2):
            gate = guard.SentenceGate(prep.evidence, must_cite=bool(prep.evidence.markers) and not guard.markers_in(lead))
            error: Exception | None = None
            raw: list[str] = []
            try:
                for sentence in self._gated(model, self._inputs(prep, retry), gate, raw):
                    sentence = answer_text.plain(sentence, prep.context)
                    if self._says_new(sentence, out.text) and self._supported(sentence, prep, notes):
                        model_shown = True
                        yield out.emit(sentence)
            except Exception as exc:  # timeout, server down, model crash
                error = exc
                log.warning("streamed generation failed (%s)", exc)
                notes.append(f"modèle indisponible : {type(exc).__name__}")
            notes += gate.repairs
            problems = gate.failure.problems() if gate.failure is not None else []
            # Under a cited lead the gate lets uncited sentences through; if all were left out, the
            # model is asked once to cite, as when no lead covers it (rule 5).
            if not model_shown and not gate.cited and any(self._says_new(s, lead) for s in gate.released):
                problems = problems or [guard.CAUGHT["uncited"]]
            notes += problems
            if error is None and not gate.failed and (model_shown or (lead and (attempt == 2 or not problems))):
                if attempt == 2:
                    notes.append(guard.REGENERATED)
                return False
            if error is None and problems and not model_shown and attempt == 1:
                # (a failure of rules 1-3 or 5; sentences merely left out lead to the fallback)
                log.info("guard caught (attempt %d): %s", attempt, "; ".join(problems))
                retry = [
                    AIMessage(content=answer_text.clean("".join(raw))),
                    HumanMessage(content=prompts.correction_request(problems, len(prep.context))),
                ]
                continue
            break
        # Fallback: the extractive answer for the rest (sentences already shown are not repeated).
        notes.append("réponse de secours (extractive)")
        shown = out.text
        for sentence in sentences.split(extractive):
            if not answer_text.already_said(sentence, shown):
                yield out.emit(sentence)
        return True

    def _gated(self, model: BaseChatModel, inputs: dict, gate: guard.SentenceGate, raw: list[str]) -> Iterator[str]:
        """The sentences the guard releases from one generation (its text kept in `raw`); a failed
        sentence or an answer past the word budget stops the model."""
        with closing(self._generate(model, inputs)) as deltas:
            for delta in deltas:
                raw.append(delta)
                yield from gate.feed(delta)
                if gate.failed:
                    break
                if len(_WORDS.findall("".join(raw))) > self.settings.answer_max_words * 1.3:
                    gate.buffer = ""  # too long: the unfinished sentence is dropped
                    break
        yield from gate.finish()


class _Release:
    """The text the user has been shown, sentence by sentence, markers renumbered in order of use."""

    def __init__(self) -> None:
        self.renumber = guard.Renumberer()
        self.released: list[str] = []

    @property
    def text(self) -> str:
        return "".join(self.released)

    def emit(self, sentence: str) -> StreamEvent:
        body = sentence.rstrip()
        sentence = answer_text.tidy_markers(body) + sentence[len(body):]
        if not self.released:
            sentence = answer_text.clean(sentence) + (" " if sentence[-1:].isspace() else "")
        elif not self.released[-1][-1:].isspace() and not sentence[:1].isspace():
            sentence = " " + sentence
        self.released.append(sentence)
        return StreamEvent("token", self.renumber.apply(sentence))


_assistants: dict[str, Assistant] = {}
_assistants_lock = threading.Lock()


def get_assistant(settings: Settings | None = None) -> Assistant:
    """One Assistant per distinct settings, for the whole process (the model loads once)."""
    settings = settings or get_settings()
    key = settings.model_dump_json()
    with _assistants_lock:
        if key not in _assistants:
            _assistants[key] = Assistant(settings)
        return _assistants[key]


def _cache_clear() -> None:
    with _assistants_lock:
        _assistants.clear()


get_assistant.cache_clear = _cache_clear  # type: ignore[attr-defined]  # like functools caches
