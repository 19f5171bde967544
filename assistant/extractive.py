"""Answers without a model: the calculator's statements plus the best sentences of the passages.

This is the `extractive` backend and the fallback whenever a model fails, times out or is caught
by the guard twice, so it has to be a real answer: short, French, on the question, every figure
copied from a calculation or a passage, every sentence carrying its citation marker [n].
The same sentence ranking chooses the excerpts the model sees (prompts.py), which keeps the
model's context small enough for a 2-core CPU.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from decimal import Decimal
from itertools import zip_longest

from assistant.calculator.money import find_amounts, find_numbers
from assistant.calculator.result import Calculation
from assistant.limits import bands
from assistant.passages import body as passage_body
from assistant.question import SCHEME_WEIGHT, Question, analysed, matches, weighty
from assistant.schemas import Passage
from assistant.schemes import load_vocabulary
from assistant.sentence_index import Nearness
from assistant.sentences import Sentence, of_passage
from assistant.text import fold

_WORDS = re.compile(r"\S+")
_ITEM_TAIL = re.compile(r"(?:[\s;,.]+(?:et|ou))?[\s;,.]*$")  # "Résider en Belgique ; et"


def sentences(passages: Sequence[Passage]) -> list[Sentence]:
    """Every sentence of the numbered passages (marker n = position n in the list, from 1)."""
    out: list[Sentence] = []
    for marker, passage in enumerate(passages, 1):
        out.extend(of_passage(marker, passage_body(passage), passage.section))
    return out


def heading_coverage(focus: dict[str, float], heading: frozenset[str]) -> float:
    """Share of the question's weight its passage's section title echoes ("comment s'inscrire au
    forem ?" under "3. Comment s'inscrire au forem ?"); neutral words alone never make a match."""
    total = sum(focus.values())
    if not total or not weighty(focus) & heading:
        return 0.0
    return sum(w for t, w in focus.items() if t in heading) / total


_HOLDS, _EXCLUDED = 1.6, 0.5  # as strong as a wanted unit (below); a row that cannot apply, halved


def rank(question: Question, candidates: Sequence[Sentence], heading_weight: float = 0.5,
         near: Nearness | None = None) -> list[tuple[float, Sentence]]:
    """BM25 over sentences, with their section title as a second, lighter field (a brochure's
    headings are often the very question asked), plus, with ``near``, their nearness in meaning
    to the question (a paraphrase shares few words with its answer); nudged towards the first
    passages and the figures the question asks for."""
    query = question.focus
    if not candidates or not query:
        return [(0.0, s) for s in candidates]
    meaning = _meaning(question, candidates, near)
    brackets = _brackets(question, candidates)
    n = len(candidates)
    df: Counter[str] = Counter()
    for s in candidates:
        df.update(set(s.tokens))
    avg = sum(len(s.tokens) for s in candidates) / n or 1.0
    wants_amount = question.asks_amount and not question.asks_count
    wants_count = question.asks_count
    units = question.wanted_units
    region = question.region
    region_patterns = load_vocabulary().regions.get(region, []) if region else []
    idf = {term: math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5)) for term in query}
    lexical = []
    for s in candidates:
        tf = Counter(s.tokens)
        length = len(s.tokens) or 1
        score = 0.0
        for term, weight in query.items():
            if tf[term]:
                score += weight * idf[term] * tf[term] * 2.2 / (tf[term] + 1.2 * (0.6 + 0.4 * length / avg))
            if term in s.heading:
                score += heading_weight * weight * idf[term]
        lexical.append(score)
    top = max(lexical) or 1.0
    # When no sentence holds a word that says what is asked (only the scheme's name or "combien"
    # match: "c combien de temps un stage first ?"), words tell little: they weigh as a scheme's name.
    wanted = weighty(query)
    held = any(df[t] for t in wanted) or any(t in s.heading for s in candidates for t in wanted)
    scale = 1.0 if held else SCHEME_WEIGHT
    scored = []
    for s, words, sense, bracket in zip(candidates, lexical, meaning, brackets, strict=True):
        score = (scale * words / top + sense) * bracket
        if score > 0:
            folded = fold(s.text)
            # (a count is not answered by a sum of money: "combien de temps" by "3 mois", not "500 €")
            if (wants_amount and s.amounts) or (wants_count and s.has_count):
                score *= 1.5
            if matches(units, folded):
                score *= 1.6
            if matches(region_patterns, folded):
                score *= 1.5
            score *= 1.0 + 0.15 / s.marker  # retrieval order as a tie-breaker
            if len(_WORDS.findall(s.text)) > 60:
                score *= 0.7
        scored.append((score, s))
    scored.sort(key=lambda pair: (-pair[0], pair[1].marker, pair[1].position))
    return scored


def _brackets(question: Question, candidates: Sequence[Sentence]) -> list[float]:
    """A passage's sentences that each state a euro range (a table's rows, a list's brackets) are
    alternatives: when the user states a figure, those whose range holds it go up, the others
    down ("je serai payé 2.500 € brut" picks the row "2.467 euros - 2.710,99 euros")."""
    factors = [1.0] * len(candidates)
    figures = question.stated_amounts
    if not figures:
        return factors
    rows: dict[int, list[int]] = {}
    for i, s in enumerate(candidates):
        if s.amounts and bands(s.text):
            rows.setdefault(s.marker, []).append(i)
    for siblings in rows.values():
        holding = {i for i in siblings if any(b.holds(f) for b in bands(candidates[i].text) for f in figures)}
        if len(siblings) > 1 and 0 < len(holding) < len(siblings):
            for i in siblings:
                factors[i] = _HOLDS if i in holding else _EXCLUDED
    return factors


def _meaning(question: Question, candidates: Sequence[Sentence], near: Nearness | None) -> list[float]:
    """Each sentence's nearness in meaning, on the scale of the best one's words (1): 0 up to the
    median cosine of the candidates, ``near.weight`` for the nearest one."""
    if near is None or near.weight <= 0 or len(candidates) < 2:
        return [0.0] * len(candidates)
    cosines = near.score(question.asked.text, candidates)  # what is asked, without the story around it
    known = sorted(c for c in cosines if c is not None)
    if len(known) < 2:
        return [0.0] * len(candidates)
    floor, best = known[len(known) // 2], known[-1]
    if best <= floor:
        return [0.0] * len(candidates)
    return [near.weight * max(0.0, (c - floor) / (best - floor)) if c is not None else 0.0 for c in cosines]


def _intro_of(item: Sentence, pool: Sequence[Sentence]) -> Sentence | None:
    before = sorted(
        (s for s in pool if s.marker == item.marker and s.position < item.position),
        key=lambda s: -s.position,
    )
    for s in before:
        if s.intro:
            return s
        if not s.item:
            return None
    return None


def _with_items(sentence: Sentence, pool: Sequence[Sentence], max_items: int = 6) -> str:
    """A sentence that introduces a list ("voici les conditions :") comes with its items."""
    if not sentence.intro:
        return sentence.text
    items: list[str] = []
    for s in sorted(pool, key=lambda s: (s.marker, s.position)):
        if s.marker != sentence.marker or s.position <= sentence.position:
            continue
        if not s.item or len(items) >= max_items:
            break
        items.append(_ITEM_TAIL.sub("", s.text))
    if not items:
        return sentence.text
    head = sentence.text if sentence.text.rstrip().endswith(":") else sentence.text + " :"
    return f"{head} {' ; '.join(items)}."


def excerpt(question: Question, passage: Passage, marker: int, max_chars: int, near: Nearness | None = None) -> str:
    """The passage's sentences that best answer the question, in their original order, within max_chars."""
    pool = list(of_passage(marker, passage_body(passage), passage.section))
    if not pool:
        return passage_body(passage)[:max_chars]
    ranked = [s for score, s in rank(question, pool, near=near) if score > 0] or pool
    chosen: list[Sentence] = []
    size = 0
    for s in ranked:
        cost = len(s.text) + 1
        if size + cost > max_chars and chosen:
            continue
        chosen.append(s)
        size += cost
        # Keep the list items of an introducing sentence, when there is room.
        if s.intro:
            for item in pool:
                if item.position > s.position and item.item and item not in chosen:
                    if size + len(item.text) + 1 > max_chars:
                        break
                    chosen.append(item)
                    size += len(item.text) + 1
        if size >= max_chars:
            break
    chosen.sort(key=lambda s: s.position)
    lines = []
    for s in chosen:
        lines.append(f"- {s.text}" if s.item else s.text)
    return "\n".join(lines)[: max_chars + 200]


def evidence(question: Question, passages: Sequence[Passage], max_sentences: int = 6, max_chars: int = 1500,
             near: Nearness | None = None) -> dict[int, list[str]]:
    """The best sentences over all passages (with the items of a list they introduce), grouped by
    passage marker in reading order: a small model reads a few relevant lines better than whole
    passages, and a 2-core CPU evaluates them several times faster."""
    pool = sentences(passages)
    ranked = _ranked_by_part(question, pool, keep=0.3, near=near)
    if not ranked:
        return {}
    max_sentences += len(question.parts) - 1
    chosen: list[Sentence] = []
    size = 0
    for _, s in ranked:
        if len(chosen) >= max_sentences:
            break
        group = [s]
        if s.intro:
            group += [i for i in pool if i.marker == s.marker and i.position > s.position and i.item][:6]
        for item in group:
            if item in chosen or (chosen and size + len(item.text) > max_chars):
                continue
            chosen.append(item)
            size += len(item.text) + 1
    out: dict[int, list[str]] = {}
    for s in sorted(chosen, key=lambda s: (s.marker, s.position)):
        out.setdefault(s.marker, []).append(f"- {s.text}" if s.item else s.text)
    return out


def _word_count(text: str) -> int:
    return len(_WORDS.findall(text))


def _with_marker(text: str, marker: int | None) -> str:
    """Put the citation marker before the final full stop: "… 848,90 € [1]."."""
    text = text.strip()
    if marker is None or f"[{marker}]" in text:
        return text if text.endswith((".", "!", "?", ":")) else text + "."
    body = text.rstrip(" .;:")
    return f"{body} [{marker}]."


def _calculation_marker(calculation: Calculation, passages: Sequence[Passage]) -> int | None:
    """The passage of the calculation's sources holding most of the figures its statement quotes
    (so each figure is "quoted in a cited passage"), else the first passage of those sources."""
    sources = set(calculation.source_ids)
    quoted = set(find_amounts(calculation.statement))
    result = calculation.result
    if result is not None:
        quoted.add(Decimal(str(result)))
    best, best_hits = None, 0
    for marker, passage in enumerate(passages, 1):
        if passage.doc_id not in sources:
            continue
        numbers = set(find_numbers(passage.text)) | set(find_amounts(passage.text))
        hits = len({round(q, 2) for q in quoted} & {round(n, 2) for n in numbers})
        if best is None or hits > best_hits:
            best, best_hits = marker, hits
    return best


def calculation_sentences(calculations: Sequence[Calculation], passages: Sequence[Passage]) -> tuple[list[str], list[str]]:
    """The calculator's statements (with a marker to their source passage) and its questions."""
    statements: list[str] = []
    asks: list[str] = []
    for c in calculations:
        if c.missing and c.ask and c.ask not in asks:
            asks.append(c.ask)
        # A calculation waiting for a detail still states what the sources say in general.
        if c.statement and c.statement not in statements:
            statements.append(_with_marker(c.statement, _calculation_marker(c, passages)))
    return statements, asks


def compose(
    question: Question,
    passages: Sequence[Passage],
    calculations: Sequence[Calculation] = (),
    max_words: int = 120,
    max_sentences: int = 3,
    with_amounts: bool = True,
    near: Nearness | None = None,
) -> str:
    """The extractive answer: calculations first, then the best passage sentences, then what to ask."""
    statements, asks = calculation_sentences(calculations, passages)
    stated = set(find_amounts(" ".join(statements)))
    parts: list[str] = list(statements)
    pool = sentences(passages)
    if not statements and question.is_definition:
        opening = _opening(pool, max_sentences, max_words)
        if opening:
            return " ".join([*opening, *asks])
    figure_first = with_amounts and not statements and question.asks_amount and not question.asks_count
    # A count asked ("ça dure combien de temps ?") is answered by a sentence with a number of the
    # unit asked ("3 mois ou 6 mois"), not by one that only shares a word ("pendant votre stage").
    count_first = not statements and question.asks_count and bool(question.wanted_units)
    # The message's own ranking: a single part's ranking and the figure-first rule's (ranked once).
    whole = rank(question, pool, near=near) if figure_first or len(question.parts) < 2 else None
    by_scheme = _compared_schemes(question, passages)
    ranked = _ranked_by_part(question, pool, near=near, whole=whole, by_scheme=by_scheme)
    if figure_first and whole is not None:
        ranked = _figure_first(whole, ranked, lambda s: bool(s.amounts))
    elif count_first and whole is not None:
        ranked = _figure_first(whole, ranked, lambda s: matches(question.wanted_units, fold(s.text)))
    quoted = fold(" ".join(statements))
    # One more sentence, and room for it, per further part and per further scheme compared.
    extra = len(question.parts) - 1 + max(0, len(by_scheme) - 1)
    max_words += 40 * extra
    budget = max_sentences + extra - (1 if statements else 0) - (1 if statements and len(statements) > 1 else 0)
    budget = max(1, budget)
    if ranked:
        used_text: set[str] = set()
        taken = 0
        for score, s in ranked:
            if taken >= budget or score <= 0:
                break
            if s.item:
                # A lone list item means little: give the sentence that introduces the list; a
                # short item without one is a table of contents entry.
                intro = _intro_of(s, pool)
                if intro is not None:
                    s = intro
                elif _word_count(s.text) < 8:
                    continue
            text = _with_items(s, pool)
            key = fold(text)[:80]
            if key in used_text or fold(s.text)[:60] in quoted:  # a statement quotes it already
                continue
            # Once the calculator has given the figures, a passage sentence brings context, not
            # other figures (a brochure's table holds every year's and every age's amount).
            # (A list's items may repeat the stated figure, not bring others.)
            if (statements or not with_amounts) and (s.amounts or set(find_amounts(text)) - stated):
                continue
            candidate = _with_marker(text, s.marker)
            if parts and _word_count(" ".join(parts + [candidate])) > max_words:
                if taken:
                    break
                candidate = _truncate(candidate, max_words - _word_count(" ".join(parts)), s.marker)
                if not candidate:
                    break
            parts.append(candidate)
            used_text.add(key)
            taken += 1
    if asks:
        parts.append(" ".join(asks))
    if not parts:
        return ""
    answer = " ".join(parts)
    if _word_count(answer) > max_words + 40:
        answer = _truncate(answer, max_words, None) or answer
    return answer


def _figure_first(whole: Sequence[tuple[float, Sentence]], ranked: list[tuple[float, Sentence]],
                  states: Callable[[Sentence], bool]) -> list[tuple[float, Sentence]]:
    """A figure asked for and no calculation to give it (an amount of a scheme without rates, such
    as a brochure an advisor added; a duration): the best-ranked sentence that `states` such a
    figure comes first, so that the figure the user asked for is said, with its source, rather
    than the sentences around it."""
    best = next(((score, s) for score, s in whole if score > 0 and states(s)), None)
    if best is None:
        return ranked
    return [best, *(pair for pair in ranked if pair[1] is not best[1])]


def _compared_schemes(question: Question, passages: Sequence[Passage]) -> list[frozenset[int]]:
    """The markers of each scheme's passages when the question names several schemes that the
    passages cover ("c'est quoi le plus long, une CISP ou le stage d'insertion ?"); [] otherwise."""
    if len(question.schemes) < 2:
        return []
    groups = [frozenset(i for i, p in enumerate(passages, 1) if scheme in p.schemes) for scheme in question.schemes]
    groups = [g for g in groups if g]
    return groups if len(groups) >= 2 else []


def _ranked_by_part(question: Question, pool: Sequence[Sentence], keep: float = 0.6,
                    near: Nearness | None = None,
                    whole: Sequence[tuple[float, Sentence]] | None = None,
                    by_scheme: Sequence[frozenset[int]] = ()) -> list[tuple[float, Sentence]]:
    """The sentences worth showing, best first: those within `keep` of the best one; for a message
    that asks several things, each part's own best sentences in turn (part 1's best, part 2's
    best, then the next ones), so that every part gets its answer; for a question that compares
    schemes (`by_scheme`: the markers of each one's passages), each part's best in each scheme's
    passages in turn, so that both sides are answered. ``whole``: the question's own ranking when
    the caller has it (used for a single-part question)."""
    readings = [question] if len(question.parts) < 2 else [analysed(p) for p in question.parts]
    lists = []
    for reading in readings:
        ranking = whole if whole is not None and reading is question else rank(reading, pool, near=near)
        positive = [(score, s) for score, s in ranking if score > 0]
        sides = [[(score, s) for score, s in positive if s.marker in markers] for markers in by_scheme] or [positive]
        for side in sides:
            ranked = read_on(reading, side, pool)
            if ranked:
                best = ranked[0][0]
                lists.append([(score, s) for score, s in ranked if score >= keep * best])
    merged: list[tuple[float, Sentence]] = []
    taken: set[Sentence] = set()
    for row in zip_longest(*lists):
        for pair in row:
            if pair is not None and pair[1] not in taken:
                merged.append(pair)
                taken.add(pair[1])
    return merged


def read_on(
    question: Question, ranked: list[tuple[float, Sentence]], pool: Sequence[Sentence], min_coverage: float = 0.5
) -> list[tuple[float, Sentence]]:
    """When the best sentence's section title is the question itself ("Comment s'inscrire au
    Forem ?"), the sentences after it in that section are the rest of the answer (the steps, the
    documents to bring): they follow it, in reading order, ahead of other passages' sentences."""
    if not ranked:
        return ranked
    best, top = ranked[0]
    if heading_coverage(question.typed_focus, top.heading) < min_coverage:
        return ranked
    following = sorted((s for s in pool if s.marker == top.marker and s.position > top.position), key=lambda s: s.position)
    followers = [(best, s) for s in following]
    rest = [(score, s) for score, s in ranked[1:] if s not in following]
    return [ranked[0], *followers, *rest]


def _opening(pool: Sequence[Sentence], max_sentences: int, max_words: int, min_words: int = 6) -> list[str]:
    """The first sentences of the first passage that has them: where a text says what a scheme is."""
    for marker in sorted({s.marker for s in pool}):
        chosen: list[str] = []
        for s in sorted((s for s in pool if s.marker == marker), key=lambda s: s.position):
            if s.item or len(_WORDS.findall(s.text)) < min_words or s.amounts:
                continue
            if chosen and _word_count(" ".join(chosen) + s.text) > max_words:
                break
            chosen.append(_with_marker(s.text, marker))
            if len(chosen) >= max_sentences:
                break
        if len(chosen) >= 2:
            return chosen
    return []


def _truncate(text: str, words: int, marker: int | None) -> str:
    """Cut a long sentence at a word boundary, keeping its marker."""
    if words < 8:
        return ""
    tokens = _WORDS.findall(re.sub(r"\s*\[\d+\]\s*\.?$", "", text))
    if len(tokens) <= words:
        return text
    cut = " ".join(tokens[:words]).rstrip(",;:")
    return f"{cut}… [{marker}]." if marker else f"{cut}…"
