"""Yes or no by the source's condition, as a calculation the whole chain already handles.

When a yes/no question comes with a quantity of the user's ("une CIP de 8 mois ?", "40h/sem, c'est
ok ?"), the best-ranked passage sentences that state a limit of the same unit (limits.py) are
compared with it. The comparison becomes a `Calculation` (name `limit_check`): its statement opens
the answer with the verdict and the brochure's sentence, its card shows the limit and the source,
and the guard treats its figures as it treats the calculator's.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from assistant.calculator.result import Calculation
from assistant.extractive import rank, sentences
from assistant.limits import Verdict, compare, statement
from assistant.question import Question
from assistant.schemas import Passage
from assistant.sentences import Sentence

_TOP = 1  # the sentence with a limit that is compared: the best-ranked one (further down, another matter's)


def limit_checks(question: Question, passages: Sequence[Passage]) -> list[Calculation]:
    """At most one comparison per quantity the user states, with the best-ranked sentence."""
    if not question.is_yes_no or not question.stated or not passages or not question.asked.content_terms:
        return []  # (a message that only states a fact, "et si j'ai 21 ans ?", continues a request)
    pool = sentences(passages)
    # Among the sentences that share a word with what is asked (not with the story around it: "j'ai
    # 19 ans… on est encore sur la mutuelle ?" is not about the family allowance's age limit),
    # those stating a limit of the user's kind of quantity, best first ("1 à 6 mois." shares
    # little more than "mois").
    ranked = rank(question.asked, pool)
    compared = [(s, found) for score, s in ranked if score > 0 and (found := compare(question.stated, s.text))]
    chosen: list[tuple[Verdict, Sentence]] = []
    done: set[tuple[str, str | None, Decimal]] = set()
    for s, verdicts in compared[:_TOP]:
        for verdict in verdicts:
            if s.excluded and not verdict.holds:
                continue  # outside a case where it is not possible: other conditions decide
            said = verdict.stated or verdict.quantity  # one comparison per quantity as the user said it
            key = (*said.kind, said.value)
            if key not in done:
                done.add(key)
                chosen.append((verdict, s))
    return [_calculation(v, s, passages[s.marker - 1]) for v, s in chosen]


def _calculation(verdict: Verdict, s: Sentence, passage: Passage) -> Calculation:
    sentence, title = s.text, s.title
    q, lim = verdict.stated or verdict.quantity, verdict.limit  # (as the user stated it)
    unit = f"{q.unit}/{q.per}" if q.per else q.unit
    limit_unit = f"{lim.unit}/{lim.per}" if lim.per else lim.unit
    bounds = " ; ".join(b for b in (f"minimum {lim.low} {limit_unit}" if lim.low is not None else "",
                                    f"maximum {lim.high} {limit_unit}" if lim.high is not None else "") if b)
    return Calculation(
        name="limit_check",
        label="Limite indiquée par la source",
        inputs={"quantity": q.text},
        result=q.value,
        unit=unit,
        formula=f"{q.text} comparé à la limite ({bounds})",
        source_ids=[passage.doc_id],
        notes=[f"Phrase de la source : « {sentence.strip()} »"],
        statement=statement(verdict, sentence, title, s.excluded),
        verdict=None if verdict.holds else (
            "above" if lim.high is not None and verdict.quantity.value > lim.high else "below"),
    )
