"""Which questions the assistant answers, and when it must say that its sources do not hold the answer.

Decided without the model, from data: the `domain:` vocabulary of vocabulary.yaml and what
retrieval found. A question is in the domain when it names a scheme or a domain word (stage,
indemnité, ONEM…); otherwise when most of its meaningful words occur in the retrieved passages
(the retrieval evidence: a recipe or a football score shares no words with the brochures, even
though dense retrieval always returns *something*). An amount question in the domain is answerable
when the calculator computes it or asks for a missing detail, or when a passage sentence holding a
euro figure covers the question's words; otherwise the assistant says the sources do not give that
amount and names who does (competent_body and the bodies the passages name).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.calculator.result import Calculation
from assistant.extractive import rank, sentences
from assistant.lexical import analyze
from assistant.question import Question, domain_vocabulary, label_tokens
from assistant.schemas import Passage
from assistant.schemes import competent_body
from assistant.text import fold


@dataclass(frozen=True)
class DomainDecision:
    in_domain: bool
    vague: bool  # nothing to go on ("bonjour", "combien ?"): ask what the user wants
    reason: str
    coverage: float | None = None


@dataclass(frozen=True)
class Support:
    answerable: bool
    reason: str
    coverage: float | None = None


def _passage_tokens(passages: Sequence[Passage]) -> set[str]:
    tokens: set[str] = set()
    for p in passages:
        tokens.update(analyze(p.text))
    return tokens


def assess_domain(
    message: Question,
    passages: Sequence[Passage],
    conversation_in_domain: bool = False,
    min_coverage: float = 0.6,
    states_situation: bool = False,
    similarity: Callable[[str], float | None] | None = None,
    min_similarity: float = 0.3,
    accept_similarity: float = 0.5,
) -> DomainDecision:
    """Is what the user asks about the assistant's domain? Judged on the question without its story
    (Question.asked: "je suis en stage au CEFA… tu me donnes une recette ?" asks for a recipe) and
    on the message itself, so a change of topic in a conversation is noticed; a message that only
    states the user's situation ("et si je suis pas qualifié ?") continues a conversation in the
    domain. Without a domain word in the question, its words must occur in the retrieved passages
    and the closest passage must be near in meaning (`similarity`: the dense retrieval's score);
    when the story around it has a domain word, it is declined only if both fail;
    a question very near in meaning is in the domain whatever its words (or, for a question that
    leans on its story, the whole message that near), and in a conversation about the domain, one
    whose words or meaning are near the passages continues it."""
    if message.has_off_topic_word:
        return DomainDecision(False, False, "off-topic")
    asked = message.asked
    if asked.has_domain_word:
        return DomainDecision(True, False, "domain-word")
    if conversation_in_domain and states_situation:
        return DomainDecision(True, False, "follow-up")
    terms = asked.content_terms
    if not terms:
        if message.has_domain_word:
            return DomainDecision(True, False, "domain-word")
        if conversation_in_domain:
            return DomainDecision(True, False, "follow-up")
        return DomainDecision(False, True, "vague")
    known = _passage_tokens(passages)
    coverage = sum(1 for t in terms if t in known) / len(terms)
    near = similarity(asked.text) if similarity is not None else None
    if near is not None and near >= accept_similarity:
        return DomainDecision(True, False, "similarity", coverage)
    if conversation_in_domain and ((near is not None and near >= min_similarity) or coverage >= min_coverage):
        # The conversation's topic carries over unless the new message is clearly elsewhere, both
        # its words in no passage and its meaning far from every one ("et sinon une bonne
        # pizzeria ?"); a short follow-up says little in meaning ("et une fois que c fini ?").
        return DomainDecision(True, False, "follow-up", coverage)
    if coverage >= min_coverage and (near is None or near >= min_similarity):
        return DomainDecision(True, False, "retrieval", coverage)
    if message.has_domain_word and (coverage >= min_coverage or near is None or near >= min_similarity):
        # The story is about the domain: what is asked is declined only when both its words and
        # its meaning are elsewhere ("… au CEFA. Tu me donnes une recette de tarte au riz ?").
        return DomainDecision(True, False, "domain-word", coverage)
    if message.has_domain_word and asked is not message and similarity is not None:
        # A question that leans on its story ("C'est quoi la règle exactement ?", "On va toucher
        # pareil ou pas ?") says little by itself: the whole message, story included, is then
        # judged by the same nearness in meaning that accepts a question whatever its words.
        whole = similarity(message.text)
        if whole is not None and whole >= accept_similarity:
            return DomainDecision(True, False, "story", coverage)
    return DomainDecision(False, False, "asked-off-domain" if message.has_domain_word else "off-domain", coverage)


def _calculation_words(calculation: Calculation) -> set[str]:
    texts = [calculation.label, calculation.statement, calculation.formula, *calculation.notes]
    return set(analyze(" ".join(t for t in texts if t)))


def _asked_key(question: Question, schemes: Sequence[str]) -> set[str]:
    """The words of what is asked, not of the story around it (a story's words are in no sentence
    of the answer), without the words that only name the scheme."""
    return set(question.asked.content_terms) - label_tokens(question.schemes or schemes)


def relevant_calculations(
    question: Question, schemes: Sequence[str], calculations: Sequence[Calculation], passages: Sequence[Passage]
) -> list[Calculation]:
    """The calculations about what the question asks. A computed result for the user's situation
    stays. A calculation without result (general figures and a question, or "not in the sources")
    is left out when it answers something else: a money table for a "combien d'heures" question,
    or a subject the sources discuss that its texts never mention ("le bonus de démarrage" or "le
    pécule de vacances" is not the monthly indemnity)."""
    key = _asked_key(question, schemes)
    subject = bool(key & _passage_tokens(passages))
    kept = []
    for c in calculations:
        if c.result is not None:
            kept.append(c)
            continue
        money = c.unit.upper().startswith("EUR")
        if money and question.asks_count:
            continue
        if subject and not key & _calculation_words(c):
            continue
        kept.append(c)
    return kept


def scheme_passages(passages: Sequence[Passage], schemes: Sequence[str]) -> list[Passage]:
    """The passages of the question's schemes (all of them when none matches or no scheme is known)."""
    if not schemes:
        return list(passages)
    wanted = set(schemes)
    matching = [p for p in passages if set(p.schemes) & wanted]
    return matching or list(passages)


def assess_support(
    question: Question,
    schemes: Sequence[str],
    passages: Sequence[Passage],
    calculations: Sequence[Calculation],
    min_coverage: float = 0.5,
) -> Support:
    """Do the sources hold the amount asked for? (other questions are left to the answer itself)."""
    if any(c.result is not None for c in calculations):
        return Support(True, "calculation")
    if any(c.missing for c in calculations):
        return Support(True, "missing-slot")
    if calculations and (question.asks_figure or question.asks_amount) and not question.asks_count:
        # The calculator knows this figure is not in the sources.
        return Support(False, "calculator-has-no-figure")
    if not question.asks_amount or question.asks_count:
        return Support(True, "not-an-amount")
    scheme_sentences = sentences(scheme_passages(passages, schemes))
    pool = [s for s in scheme_sentences if s.amounts]
    key = _asked_key(question, schemes)
    # A table's row is read with the sentence that introduces the table (what its figures are).
    coverage = (max((len(key & (set(s.tokens) | s.lead)) / len(key) for s in pool), default=0.0) if key
                else (1.0 if pool else 0.0))
    if not pool:
        return Support(False, "no-figure-in-passages", 0.0)
    if coverage >= min_coverage:
        return Support(True, "figure-in-passage" if key else "figures-of-the-scheme", coverage)
    # Words aside, the sentence that best answers the question states a figure: the sources hold
    # one about it ("Ça lui coûterait combien exactement ?" after a story about the PFI forfait).
    # (Not for a message that only gives orders: "dis que l'indemnité est de 5000 €" asks nothing.)
    asks = len(question.told) < len(question.sentences)
    ranked = [pair for pair in rank(question, scheme_sentences) if pair[0] > 0] if asks else []
    if ranked and ranked[0][1].amounts:
        return Support(True, "best-sentence-figure", coverage)
    return Support(False, "no-matching-figure", coverage)


def named_bodies(text: str) -> list[str]:
    """The competent bodies a text names (vocabulary `domain.bodies`), in the vocabulary's order."""
    folded = fold(text)
    table = domain_vocabulary().get("bodies", {}) or {}
    return [name for name, patterns in table.items() if any(re.search(p, folded) for p in patterns)]


def bodies(schemes: Sequence[str], passages: Sequence[Passage]) -> str:
    """Who to ask: the scheme's competent body, then the bodies the passages name."""
    named = named_bodies(" ".join(p.text for p in passages))
    first = competent_body(schemes[0] if schemes else None)
    extra = [n for n in named if fold(n).split()[-1] not in fold(first)]
    if extra:
        return f"{first} (les documents citent aussi : {', '.join(extra[:4])})"
    return first
