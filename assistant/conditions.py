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

_TOP = 2  # sentences with a limit that are compared: the best-ranked ones (further down, another subject's)


def limit_checks(question: Question, passages: Sequence[Passage]) -> list[Calculation]:
    """At most one comparison per quantity the user states, with the best-ranked sentence."""
    if not question.is_yes_no or not question.stated or not passages or not question.asked.content_terms:
        return []  # (a message that only states a fact, "et si j'ai 21 ans ?", continues a request)
    pool = sentences(passages)
    # Among the sentences that share a word with the question, those stating a limit of the
    # user's kind of quantity, best first ("1 à 6 mois." shares little more than "mois").
    compared = [(s, found) for score, s in rank(question, pool) if score > 0 and (found := compare(question.stated, s.text))]
    out: list[Calculation] = []
    done: set[tuple[str, str | None, Decimal]] = set()
    for s, verdicts in compared[:_TOP]:
        passage = passages[s.marker - 1]
        for verdict in verdicts:
            key = (*verdict.quantity.kind, verdict.quantity.value)
            if key in done:
                continue
            done.add(key)
            out.append(_calculation(verdict, s.text, s.title, passage))
    return out


def _calculation(verdict: Verdict, sentence: str, title: str, passage: Passage) -> Calculation:
    q, lim = verdict.quantity, verdict.limit
    unit = f"{q.unit}/{q.per}" if q.per else q.unit
    bounds = " ; ".join(b for b in (f"minimum {lim.low} {unit}" if lim.low is not None else "",
                                    f"maximum {lim.high} {unit}" if lim.high is not None else "") if b)
    return Calculation(
        name="limit_check",
        label="Limite indiquée par la source",
        inputs={"quantity": q.text},
        result=q.value,
        unit=unit,
        formula=f"{q.text} comparé à la limite ({bounds})",
        source_ids=[passage.doc_id],
        notes=[f"Phrase de la source : « {sentence.strip()} »"],
        statement=statement(verdict, sentence, title),
        verdict=None if verdict.holds else ("above" if lim.high is not None and q.value > lim.high else "below"),
    )
