"""The last check before text reaches a user: figures and citation markers must be supported.

Rules, sentence by sentence (the same code serves `ask` and the stream):

1. Every euro figure (money.find_amounts, any format) equals a calculation result or a figure of
   its formula or notes (what the API returns), or a number of a passage the answer cites. When
   a euro result was computed, only the calculator's figures pass (strict). A figure found
   in a passage given to the model but not cited yet is repaired by citing that passage in the
   sentence (the figure is then "quoted in a cited passage", as the contract asks).
2. Every number followed by a unit (jours, mois, semaines, heures, ans, %) is found in a passage
   given to the model, a calculation or the user's own words: small models invent durations too.
3. Every marker [n] points to a passage given to the model.

And over the whole answer: 4. each complete calculation result is stated (a model that ignores
the calculator and gives another figure, even one printed in a brochure, is caught); 5. an answer
built on passages cites at least one (a sentence without marker is first attributed to the passage
most of its words come from).
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from assistant import sentences
from assistant.calculator.money import find_amounts, find_numbers, format_eur, round_cents
from assistant.calculator.result import Calculation
from assistant.lexical import analyze
from assistant.passages import body
from assistant.question import neutral_tokens
from assistant.schemas import Passage
from assistant.sentences import MARKER_RE, markers_in, normalize_markers

log = logging.getLogger(__name__)

_UNIT_NUMBER = re.compile(
    r"(?<![\w.,])(\d+(?:[.,]\d+)?)\s*(?:jours?|mois|semaines?|heures?|h\b|ans?\b|années?|annees?|%|pour ?cent)",
    re.IGNORECASE,
)
def _key(value: Decimal | float | int) -> Decimal:
    return round_cents(Decimal(str(value)))


@dataclass
class Evidence:
    """What an answer may rely on."""

    calc_amounts: set[Decimal] = field(default_factory=set)
    passage_numbers: dict[int, set[Decimal]] = field(default_factory=dict)  # marker -> numbers
    other_numbers: set[Decimal] = field(default_factory=set)  # user's words, calculation inputs
    passage_tokens: dict[int, set[str]] = field(default_factory=dict)  # marker -> analyzed words
    # marker -> (analyzed words, negated?) of each sentence of the passage
    passage_sentences: dict[int, list[tuple[frozenset[str], bool]]] = field(default_factory=dict)
    # A euro result was computed: only the calculator's figures may appear (a brochure's other
    # figures are another age's, year's or scheme's amount).
    strict: bool = False
    required: list[tuple[str, Decimal, str]] = field(default_factory=list)  # (label, value, unit)

    @classmethod
    def build(
        cls,
        calculations: Sequence[Calculation] = (),
        passages: Sequence[Passage] = (),
        user_texts: Iterable[str] = (),
    ) -> Evidence:
        ev = cls()
        for c in calculations:
            # What the API returns of a calculation (result, formula, notes) vouches for a figure;
            # a figure only in the statement must be quoted in a cited passage (CONTRACT.md).
            for text in [c.formula, *c.notes]:
                ev.calc_amounts.update(_key(v) for v in find_amounts(text))
            for text in [c.statement, c.formula, *c.notes]:
                ev.other_numbers.update(_key(v) for v in find_numbers(text))
            result = c.result
            if result is not None:
                ev.other_numbers.add(_key(result))
                if c.unit.upper() == "EUR":
                    ev.calc_amounts.add(_key(result))
                    ev.strict = ev.strict or not c.missing
                if not c.missing:
                    ev.required.append((c.label or c.name, _key(result), c.unit))
            for value in c.inputs.values():
                with contextlib.suppress(ArithmeticError, ValueError, TypeError):
                    ev.other_numbers.add(_key(value))
        for marker, passage in enumerate(passages, 1):
            ev.passage_numbers[marker] = {_key(v) for v in [*find_amounts(passage.text), *find_numbers(passage.text)]}
            ev.passage_tokens[marker] = set(analyze(passage.text))
            ev.passage_sentences[marker] = polar_sentences(passage, marker)
        for text in user_texts:
            ev.other_numbers.update(_key(v) for v in find_numbers(text))
        return ev

    @property
    def markers(self) -> set[int]:
        return set(self.passage_numbers)

    def all_numbers(self) -> set[Decimal]:
        out = set(self.calc_amounts) | self.other_numbers
        for numbers in self.passage_numbers.values():
            out |= numbers
        return out


@dataclass
class Verdict:
    """What the guard found in a text (after its repairs)."""

    text: str
    unsupported_amounts: list[Decimal] = field(default_factory=list)
    unsupported_numbers: list[str] = field(default_factory=list)
    bad_markers: list[int] = field(default_factory=list)
    missing_results: list[str] = field(default_factory=list)
    uncited: bool = False  # no sentence cites a source, though sources were given
    repairs: list[str] = field(default_factory=list)

    @property
    def _unsupported(self) -> bool:
        """Rules 1-4: a figure, number, marker or calculation result the sources do not back."""
        return bool(self.unsupported_amounts or self.unsupported_numbers or self.bad_markers or self.missing_results)

    @property
    def ok(self) -> bool:
        return not (self._unsupported or self.uncited)

    @property
    def only_uncited(self) -> bool:
        """Every figure and marker passed; only rule 5 (no citation at all) failed."""
        return self.uncited and not self._unsupported

    def problems(self) -> list[str]:
        """Short log lines (also returned in ChatResponse.guard)."""
        out = [f"{CAUGHT['amount']} : {format_eur(a)}" for a in self.unsupported_amounts]
        out += [f"{CAUGHT['number']} : {n}" for n in self.unsupported_numbers]
        out += [f"{CAUGHT['marker']} : [{m}]" for m in self.bad_markers]
        out += [f"{CAUGHT['result']} : {r}" for r in self.missing_results]
        if self.uncited:
            out.append(CAUGHT["uncited"])
        return out


# What the guard writes in ChatResponse.guard when it catches something (evaluations count them).
CAUGHT = {
    "amount": "montant non justifié",
    "number": "nombre non justifié",
    "marker": "source inexistante",
    "result": "résultat du calcul absent",
    "uncited": "aucune source citée",
    "unsupported_sentence": "phrase non étayée retirée",
    "contradiction": "phrase contredite par la source retirée",
    "uncited_sentence": "phrase sans source retirée",
}


REGENERATED = "réponse régénérée"  # the chain's note when a regenerated answer passed


def caught(notes: Iterable[str]) -> bool:
    """Did the guard catch something in the model's text (ChatResponse.guard)?"""
    return any(note.startswith(label) for note in notes for label in CAUGHT.values())


def _insert_marker(sentence: str, marker: int) -> str:
    """Cite a passage at the end of a sentence, before its final punctuation and trailing space."""
    body = sentence.rstrip()
    trailing = sentence[len(body) :]
    m = re.search(r"([.!?…:;]+)$", body)
    if m:
        return f"{body[: m.start()].rstrip()} [{marker}]{m.group(1)}{trailing}"
    return f"{body} [{marker}]{trailing}"


def attribute(sentence: str, evidence: Evidence, min_share: float = 0.6, min_words: int = 3) -> int | None:
    """The passage a sentence without marker was taken from: most of its words are that passage's."""
    words = set(analyze(MARKER_RE.sub(" ", sentence)))
    if len(words) < min_words:
        return None
    best, share = None, 0.0
    for marker, tokens in sorted(evidence.passage_tokens.items()):
        overlap = len(words & tokens) / len(words)
        if overlap > share:
            best, share = marker, overlap
    return best if share >= min_share else None


def _words(sentence: str, ignore: set[str] | frozenset[str] = frozenset()) -> set[str]:
    """A sentence's analyzed words, without its markers, numbers and ``ignore``."""
    return {t for t in analyze(MARKER_RE.sub(" ", sentence)) if not t[:1].isdigit()} - set(ignore)


def support(
    sentence: str,
    evidence: Evidence,
    extra_tokens: set[str] | frozenset[str] = frozenset(),
    ignore: set[str] | frozenset[str] = frozenset(),
) -> float:
    """Share of a sentence's meaningful words found in the passages it cites (all passages given
    to the model when it cites none) or in ``extra_tokens``: a sentence made of other words says
    something its source does not ("Actiris paie l'indemnité [1]" when [1] says the employer does).
    Neutral words and ``ignore`` (scheme names) count neither way."""
    words = _words(sentence, ignore) - neutral_tokens()
    if not words:
        return 1.0
    marks = [m for m in markers_in(sentence) if m in evidence.passage_tokens]
    known = set(extra_tokens)
    for marker in marks or list(evidence.passage_tokens):
        known |= evidence.passage_tokens[marker]
    return len(words & known) / len(words)


def polar_sentences(passage: Passage, marker: int = 1) -> list[tuple[frozenset[str], bool]]:
    """A passage's sentences with their words and polarity, as the extractive answer reads them
    (a list item takes the polarity of the line that introduces it); with the passage's marker,
    the segmenter's cached sentences are the extractive answer's, not a second analysis."""
    return [(frozenset(s.tokens), s.negated) for s in sentences.of_passage(marker, body(passage), passage.section)]


def contradicts(
    sentence: str, evidence: Evidence, ignore: set[str] | frozenset[str] = frozenset(), min_overlap: float = 0.5
) -> bool:
    """The source sentence closest to this one says the opposite: one denies what the other asserts
    ("Oui, vous pouvez …" where the brochure writes "Il n'est pas possible …"). Small models echo
    the question with a "oui"; word overlap alone would let that through."""
    every = _words(sentence, ignore)
    words = every - neutral_tokens()
    if not words:
        return False
    marks = [m for m in markers_in(sentence) if m in evidence.passage_sentences] or list(evidence.passage_sentences)
    # Closest by the meaningful words, ties broken by all words ("payer" tells "ne doit pas payer de
    # cotisations ONSS" from "réductions de cotisations ONSS").
    scored = [
        ((round(len(words & tokens) / len(words), 6), round(len(every & tokens) / len(every), 6)), neg)
        for m in marks
        for tokens, neg in evidence.passage_sentences[m]
    ]
    if not scored:
        return False
    best = max(score for score, _ in scored)
    if best[0] < min_overlap:
        return False
    own = sentences.negated(sentence)
    return not any(neg == own for score, neg in scored if score == best)


def check_sentence(sentence: str, evidence: Evidence, cited: set[int]) -> Verdict:
    """Rules 1-3 on one sentence; ``cited`` holds the markers cited so far (updated in place)."""
    verdict = Verdict(text=normalize_markers(sentence))
    marks = markers_in(verdict.text)
    verdict.bad_markers = [m for m in dict.fromkeys(marks) if m not in evidence.markers]
    valid = [m for m in marks if m in evidence.markers]
    cited.update(valid)
    for amount in find_amounts(verdict.text):
        key = _key(amount)
        if key in evidence.calc_amounts:
            continue
        if evidence.strict:
            verdict.unsupported_amounts.append(amount)
            continue
        if any(key in evidence.passage_numbers.get(m, ()) for m in cited):
            continue
        holder = next((m for m, numbers in sorted(evidence.passage_numbers.items()) if key in numbers), None)
        if holder is None:
            verdict.unsupported_amounts.append(amount)
            continue
        verdict.text = _insert_marker(verdict.text, holder)
        cited.add(holder)
        verdict.repairs.append(f"source [{holder}] ajoutée pour {format_eur(amount)}")
    if not marks and not verdict.repairs and not verdict.text.rstrip().endswith("?"):
        source = attribute(verdict.text, evidence)
        if source is not None:
            verdict.text = _insert_marker(verdict.text, source)
            cited.add(source)
            verdict.repairs.append(f"source [{source}] ajoutée (phrase reprise du passage)")
    allowed = evidence.all_numbers()
    for m in _UNIT_NUMBER.finditer(verdict.text):
        value = _key(Decimal(m.group(1).replace(",", ".")))
        if value not in allowed:
            verdict.unsupported_numbers.append(m.group(0).strip())
    return verdict


def missing_results(text: str, evidence: Evidence) -> list[str]:
    """Rule 4: the complete calculation results the text does not state."""
    amounts = {_key(a) for a in find_amounts(text)}
    numbers = {_key(n) for n in find_numbers(text)}
    out = []
    for label, value, unit in evidence.required:
        present = value in amounts if unit.upper() == "EUR" else (value in numbers or value in amounts)
        if not present:
            out.append(f"{label} = {format_eur(value) if unit.upper() == 'EUR' else f'{value.normalize():f} {unit}'}")
    return out


def check(text: str, evidence: Evidence, require_results: bool = True, require_citation: bool = True) -> Verdict:
    """All rules over a whole answer; the returned text carries the repairs."""
    cited: set[int] = set()
    total = Verdict(text="")
    parts = []
    for sentence in sentences.split(normalize_markers(text)):
        v = check_sentence(sentence, evidence, cited)
        parts.append(v.text)
        total.unsupported_amounts += v.unsupported_amounts
        total.unsupported_numbers += v.unsupported_numbers
        total.bad_markers += [m for m in v.bad_markers if m not in total.bad_markers]
        total.repairs += v.repairs
    total.text = "".join(parts)
    if require_results:
        total.missing_results = missing_results(total.text, evidence)
    if require_citation:
        total.uncited = bool(evidence.markers) and not cited and bool(total.text.strip())
    return total


class Renumberer:
    """Markers renumbered 1, 2, 3… in order of first use; the response lists those passages only."""

    def __init__(self) -> None:
        self.mapping: dict[int, int] = {}

    def apply(self, text: str) -> str:
        def one(m: re.Match[str]) -> str:
            old = int(m.group(1))
            if old not in self.mapping:
                self.mapping[old] = len(self.mapping) + 1
            return f"[{self.mapping[old]}]"

        return re.sub(r"\[(\d{1,2})\]", one, normalize_markers(text))

    def order(self) -> list[tuple[int, int]]:
        """(old marker, new marker) in new order."""
        return sorted(self.mapping.items(), key=lambda kv: kv[1])


class SentenceGate:
    """Streaming: text goes in as deltas, comes out only as whole sentences that passed the guard.

    ``feed`` returns the sentences released by this delta; once a sentence fails, ``failed`` is
    set and nothing more is released (the caller switches to the fallback). Until a sentence cites
    a source, sentences are held back (rule 5: an answer built on passages cites one); they go out
    with the first cited sentence, or are dropped by ``finish`` if none comes.
    """

    def __init__(self, evidence: Evidence, must_cite: bool | None = None) -> None:
        self.evidence = evidence
        self.buffer = ""
        self.cited: set[int] = set()
        self.released: list[str] = []
        self.pending: list[str] = []
        self.failure: Verdict | None = None
        self.repairs: list[str] = []
        self.must_cite = bool(evidence.markers) if must_cite is None else must_cite

    @property
    def failed(self) -> bool:
        return self.failure is not None

    def _release(self, sentences: Iterable[str]) -> Iterator[str]:
        for sentence in sentences:
            if self.failed:
                return
            if not sentence.strip():
                self.pending.append(sentence)
                continue
            verdict = check_sentence(sentence, self.evidence, self.cited)
            if not verdict.ok:
                self.failure = verdict
                log.info("guard stopped a streamed sentence: %s", "; ".join(verdict.problems()))
                return
            self.repairs += verdict.repairs
            self.pending.append(verdict.text)
            if self.must_cite and not self.cited:
                continue
            for text in self.pending:
                self.released.append(text)
                yield text
            self.pending = []

    def feed(self, delta: str) -> list[str]:
        if self.failed:
            return []
        self.buffer += delta
        complete, self.buffer = sentences.complete(normalize_markers(self.buffer))
        return list(self._release(complete))

    def finish(self) -> list[str]:
        """Release the last sentence (no boundary after it); an answer that never cites is a failure."""
        if self.failed:
            return []
        rest, self.buffer = self.buffer, ""
        out = list(self._release([rest] if rest.strip() else []))
        if self.pending and not self.failed:
            if self.must_cite and not self.cited:
                self.failure = Verdict(text="".join(self.pending), uncited=True)
                log.info("guard: streamed answer cites no source")
            else:
                out += self.pending
                self.released += self.pending
            self.pending = []
        return out

    @property
    def text(self) -> str:
        return "".join(self.released)
