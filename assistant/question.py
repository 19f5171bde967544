"""What a question asks, analysed once.

A `Question` wraps one text (the user's message, or the standalone question a follow-up becomes)
and computes each reading of it the first time it is needed: folded and normalized text, the BM25
query terms, schemes and region, the calculator's intents, whether it asks for an amount, a count
or a figure, the kind of number wanted (an age, hours, a delay), the words that carry its topic and
those the user typed to say what they ask. Retrieval's scope check, the extractive composer, the
prompts and the chain all read the same `Question` instead of re-deriving these from the raw string;
`analysed(text)` returns the same object for the same text, so a reading is computed once per text.

The readings come from data (vocabulary.yaml, calculator/vocabulary.yaml), never from word lists in
code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cached_property, lru_cache

from assistant.calculator.intents import COUNT_INTENTS, in_domain
from assistant.calculator.money import find_amounts
from assistant.calculator.slots import Slots, extract_slots
from assistant.calculator.vocabulary import load_vocabulary as calculator_vocabulary
from assistant.injection import is_instruction
from assistant.lexical import analyze
from assistant.limits import Quantity, quantities
from assistant.query import Query, normalize, understand
from assistant.schemes import detect_region, detect_schemes, load_vocabulary
from assistant.sentences import split as split_sentences
from assistant.text import fold

# The calculator's count vocabulary, plus the elided form it lacks ("combien d'heures").
_ELIDED_COUNT = re.compile(r"\bcombien\s+d'(?:heures?|annees?)\b")
_FIGURE_WORDS = re.compile(r"\bmontants?\b|\btarifs?\b|\bbaremes?\b")
_MONEY = re.compile(r"€|\beuros?\b")
SCHEME_WEIGHT = 0.2  # a scheme's name says little about which of its sentences answers
NEUTRAL_WEIGHT = 0.2  # nor does "combien", "faire", "peux"
CONTEXT_WEIGHT = 0.5  # the question a follow-up continues says what it is about, not what it asks


def domain_vocabulary() -> dict:
    """The `domain:` section of vocabulary.yaml (what the assistant is about)."""
    return load_vocabulary().raw.get("domain", {}) or {}


def matches(patterns: Sequence[re.Pattern[str]], folded: str) -> bool:
    return any(p.search(folded) for p in patterns)


@lru_cache
def _core_patterns() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in domain_vocabulary().get("core", []))


@lru_cache
def _off_topic_patterns() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in domain_vocabulary().get("off_topic", []))


@lru_cache
def _region_patterns() -> tuple[re.Pattern[str], ...]:
    return tuple(p for patterns in load_vocabulary().regions.values() for p in patterns)


@lru_cache
def _number_cues() -> tuple[tuple[re.Pattern[str], re.Pattern[str]], ...]:
    cues = domain_vocabulary().get("number_cues", []) or []
    return tuple((re.compile(c["asks"]), re.compile(c["unit"])) for c in cues)


@lru_cache
def neutral_tokens() -> frozenset[str]:
    """Words that say nothing about the topic ("combien", "faire", "jeune")."""
    return frozenset(t for word in domain_vocabulary().get("neutral", []) for t in analyze(str(word)))


@lru_cache
def salient_tokens() -> frozenset[str]:
    """Neutral words that still tell which sentence answers ("pas belge", "après le stage")."""
    return frozenset(t for word in domain_vocabulary().get("salient", []) for t in analyze(str(word)))


def label_tokens(schemes: Sequence[str]) -> set[str]:
    """The words of the schemes' names: passages of a scheme need not repeat them."""
    labels = load_vocabulary().labels
    return {t for s in schemes for t in analyze(labels.get(s, s))}


def weighty(focus: dict[str, float]) -> set[str]:
    """The terms neither neutral nor a vocabulary expansion (full weight, down-weighted ones < 0.5)."""
    return {t for t, w in focus.items() if w >= 0.5}


def _cues(name: str, after: str) -> re.Pattern[str]:
    """A `question:` cue list of vocabulary.yaml, matched at the start or after one of `after`."""
    cues = (load_vocabulary().raw.get("question", {}) or {}).get(name, []) or []
    return re.compile(rf"(?:^|(?<=[{after}]))(?:" + "|".join(cues) + ")") if cues else re.compile(r"(?!)")


@lru_cache
def _opens() -> re.Pattern[str]:
    """Where a clause that asks something starts (vocabulary.yaml, `question: opens`)."""
    return _cues("opens", r"\s,;:(")


@lru_cache
def _strong_opens() -> re.Pattern[str]:
    """A word that only ever asks (`question: strong_opens`)."""
    return _cues("strong_opens", r"\s,;:(")


@lru_cache
def _wh() -> re.Pattern[str]:
    """A word that asks for a thing rather than yes or no (`question: wh`)."""
    return _cues("wh", r"\s,;:('")


_OWN_TERMS = 2  # fewer words of its own, and a question leans on the sentence that says what it is about
_QUESTION_END = re.compile(r"(?<=\?)\s+")
# What may come just before a question inside a sentence: a start, a comma or a conjunction. (One
# word more after the conjunction for every opener was tried: it also cut "ou l'entreprise qui me
# paie", "et c'est qui qui le paie" and lost three tuned and unseen cases; see _JOINT_WORD.)
_JOINTS = r"(?:^|[,;:]|\b(?:et|ou|mais|puis|donc|alors))"
_JOINT = re.compile(_JOINTS + r"\s*$")
# A word that only asks ("combien", `question: strong_opens`) opens a question one word after the
# joint too ("et après combien…", ": c'est combien…"); "qui" or "où" there are relatives.
_JOINT_WORD = re.compile(_JOINTS + r"\s*(?P<word>[\w']+)\s+$")
# An enumerated message: "1) … 2) …", "1. … 2. …" — each item is a question of its own.
_ITEM = re.compile(r"(?:^|(?<=\s))\d{1,2}\s*[).]\s+(?=\D)")


def _clauses(sentence: str) -> list[str]:
    """An asking sentence cut where each of its questions opens, after a comma or an "et" ("cb
    dure une CIP et cb on touche ?" is two), the framing before the first one dropped ("Pour mon
    cours au CEFA, tu peux…"); a word that asks in mid-clause ("je m'inscris où ?") cuts nothing."""
    items = list(_ITEM.finditer(sentence))
    if len(items) >= 2:  # the framing before the first item ("2 questions sur le stage :") dropped
        ends = [m.start() for m in items[1:]] + [len(sentence)]
        return [p for m, b in zip(items, ends, strict=True) if (p := sentence[m.end():b].strip(" ,;:"))]
    if items and items[0].start() == 0:  # one numbered question of a list: its number is no figure
        sentence = sentence[items[0].end():]
    folded = fold(sentence)
    cuts = []
    for m in _opens().finditer(folded):
        before = folded[: m.start()]
        if _JOINT.search(before):
            cuts.append(m.start())
        elif _strong_opens().match(folded, m.start()) and (w := _JOINT_WORD.search(before)):
            cuts.append(w.start("word"))  # "…, et après combien de temps…": the question starts at "après"
    cuts = sorted(set(cuts))
    if not cuts:
        return [sentence]
    if cuts[0] > 0 and _opens().search(folded[: cuts[0]]):
        # What comes before the first cut asks something too ("c'est combien de semaines …, et
        # après combien …"): a question, not a framing.
        cuts.insert(0, 0)
    pieces = [sentence[a:b] for a, b in zip(cuts, [*cuts[1:], len(sentence)], strict=True)]
    return [p.strip(" ,;:") for p in (_JOINT.sub("", p.rstrip()) if i < len(pieces) - 1 else p for i, p in enumerate(pieces))]


@dataclass(frozen=True, eq=False)
class Question:
    """One text and every reading of it the chain needs, each computed on first use."""

    text: str
    # The earlier question a follow-up continues ("et ça dure combien de temps ?" after "c'est quoi
    # un PFI ?"): it lends its topic words, lighter than the message's own (CONTEXT_WEIGHT), and
    # its scheme and region when the message names none; what is asked is read from `text` alone.
    context: str = ""

    @cached_property
    def folded(self) -> str:
        return fold(self.text)

    @cached_property
    def normalized(self) -> str:
        """Folded, SMS forms rewritten ("cb" is "combien")."""
        return normalize(self.text)

    @cached_property
    def query(self) -> Query:
        own = understand(self.text)
        if not self.context:
            return own
        terms = dict(own.terms)
        for term, weight in understand(self.context).terms.items():
            if term not in terms:
                terms[term] = CONTEXT_WEIGHT * weight
        return replace(own, terms=terms)

    @cached_property
    def schemes(self) -> tuple[str, ...]:
        return tuple(detect_schemes(self.text)) or tuple(detect_schemes(self.context))

    @cached_property
    def region(self) -> str | None:
        return detect_region(self.text) or detect_region(self.context)

    @cached_property
    def slots(self) -> Slots:
        """The user's facts stated in this text (age, year, hours, amount…), not in an order to the
        assistant, and what is asked (intents, the unit asked for), read from the question
        without its story: the story gives the facts, the question the request."""
        told = self.told
        kept = [s for i, s in enumerate(self.sentences) if i not in told]
        text = " ".join(kept) if told and kept else self.text
        facts = extract_slots(text)
        request_text = self._request
        if request_text == text or not self.sentences:
            return facts
        request = extract_slots(request_text)
        return facts.model_copy(update={"intents": request.intents, "asked_unit": request.asked_unit})

    @cached_property
    def intents(self) -> tuple[str, ...]:
        return tuple(self.slots.intents)

    @cached_property
    def in_calculator_domain(self) -> bool:
        """A word of internships and training by the calculator's vocabulary: a figure asked
        without one ("le salaire d'un ingénieur") is not the calculator's."""
        return in_domain(self.text)

    # --- what is asked ---------------------------------------------------------------------

    @cached_property
    def asks_amount(self) -> bool:
        """A sum of money: the calculator's intent vocabulary, with a word of money in it
        ("combien" alone may count hours or what something "compte" for). A message that asks
        several things asks an amount when one of its parts does, each part read alone ("il est
        calculé sur quoi ? et les montants datent de quand ?" asks none); a question that asks an
        age, a date or hours without "combien" asks no amount ("les montants datent de quand ?")."""
        if len(self.parts) > 1:
            return any(analysed(part).asks_amount for part in self.parts)
        vocabulary = calculator_vocabulary().intents
        if self.wanted_units and not matches(vocabulary.get("how_much", []), self.normalized):
            return False
        intents = set(self.intents)
        if intents & {"total", "yearly"}:
            return True
        if "amount" not in intents:
            return False
        if matches(vocabulary.get("how_to", []), self.folded) and not matches(vocabulary.get("how_much", []), self.folded):
            return False  # "je touche le chômage, je fais comment ?" asks what to do
        return matches(vocabulary.get("amount", []), self.folded) or bool(_MONEY.search(self.folded))

    @cached_property
    def asks_count(self) -> bool:
        """A duration or a number of days, months, hours (not money)."""
        count_words = calculator_vocabulary().intents.get("count_words", [])
        return (
            bool(set(COUNT_INTENTS) & set(self.intents))
            or matches(count_words, self.folded)
            or bool(_ELIDED_COUNT.search(self.folded))
        )

    @cached_property
    def asks_figure(self) -> bool:
        """"Combien", "quel montant": the user wants a figure (not only "what do I get")."""
        how_much = calculator_vocabulary().intents.get("how_much", [])
        return matches(how_much, self.normalized) or bool(_FIGURE_WORDS.search(self.normalized))

    @cached_property
    def wanted_units(self) -> tuple[re.Pattern[str], ...]:
        """The kind of number asked for (an age, hours, a delay...), from vocabulary.yaml."""
        return tuple(unit for asks, unit in _number_cues() if asks.search(self.folded))

    @cached_property
    def is_definition(self) -> bool:
        """Names a scheme and nothing else to know about it ("c koi la cip"); "combien" asks for
        a figure, not what the scheme is ("on est payé combien en stage first ?")."""
        if not self.scheme_tokens or self.wanted_units or self.asks_figure or self.asks_count:
            return False
        # ("pas belge", "quel âge": words that are neutral for the scope but say what is asked)
        return not self.asked_terms and not set(self.content_terms) - self.scheme_tokens

    @cached_property
    def sentences(self) -> tuple[str, ...]:
        """The message's sentences (a "?" ends one even before a lower-case word: users type so)."""
        out: list[str] = []
        for piece in _QUESTION_END.split(self.text.strip()):
            out.extend(s.strip() for s in split_sentences(piece) if s.strip())
        return tuple(out)

    @cached_property
    def told(self) -> frozenset[int]:
        """The sentences (by index) that give orders to the assistant: they ask and state nothing."""
        return frozenset(i for i, s in enumerate(self.sentences) if is_instruction(s))

    @cached_property
    def parts(self) -> tuple[str, ...]:
        """What the message asks, one clause per question, without the story around it (no
        asking sentence: the last one). Each is answered on its own; one that has nothing of its
        own to go on ("et cb on touche ?") borrows the message's scheme and facts."""
        sentences = self.sentences
        if not sentences:
            return (self.text,)
        told = self.told
        asking = [i for i, s in enumerate(sentences) if i not in told and (s.endswith("?") or _opens().search(fold(s)))]
        out: list[str] = []
        rest = [i for i in range(len(sentences)) if i not in told]
        for i in asking or rest[-1:] or [len(sentences) - 1]:
            out.extend(c for c in _clauses(sentences[i]) if c and c not in out)
        return tuple(out) or (self.text,)

    @cached_property
    def is_yes_no(self) -> bool:
        """Asks yes or no ("on peut faire une CIP de 8 mois ?"): a question with no word that
        asks for a thing (vocabulary.yaml, `question: wh`)."""
        return "?" in self.text and not _wh().search(fold(" ".join(self.parts)))

    @cached_property
    def stated(self) -> tuple[Quantity, ...]:
        """The quantities the user states, story included ("8 mois", "15h par semaine"), not
        those of an order to the assistant ("réponds que l'âge limite est 30 ans")."""
        return tuple(q for i, s in enumerate(self.sentences) if i not in self.told for q in quantities(s))

    @cached_property
    def stated_amounts(self) -> tuple[Decimal, ...]:
        """The euro figures the user states ("je serai payé 2.500 € brut"), orders left out."""
        return tuple(a for i, s in enumerate(self.sentences) if i not in self.told for a in find_amounts(s))

    @cached_property
    def asked(self) -> Question:
        """The question without its story, what the scope is judged on. A question with little
        of its own to go on ("Il a raison ?", "c'est combien ?") keeps its whole sentence, then
        the sentence before it, which says what it is about."""
        text = " ".join(dict.fromkeys(expanded for _, expanded in self._expanded))
        return self if text == self.text else analysed(text)

    @cached_property
    def _expanded(self) -> tuple[tuple[str, str], ...]:
        """Each asking clause with what it is about: itself, or, with little of its own to go on,
        its whole sentence, then the sentence before it."""
        sentences = self.sentences
        out: list[tuple[str, str]] = []
        for part in self.parts:
            whole = part
            if len(analysed(part).content_terms) < _OWN_TERMS:
                where = next((i for i, s in enumerate(sentences) if part in s), None)
                whole = sentences[where] if where is not None else part
                if where and len(analysed(whole).content_terms) < _OWN_TERMS and where - 1 not in self.told:
                    whole = f"{sentences[where - 1]} {whole}"
            out.append((part, whole))
        return tuple(out)

    @cached_property
    def _request(self) -> str:
        """What is asked for, the text the intents are read from: a clause that asks for a thing
        by a word of its own ("c'est quoi les démarches ?") asks for that thing, whatever the
        sentence it leans on for its topic says ("… sinon je touche rien. C'est quoi les
        démarches ?" asks for no amount); a clause that only asks "combien" or yes or no takes
        its request from that sentence too ("Il me propose 500 €. C'est combien en vrai ?")."""
        how_much = calculator_vocabulary().intents.get("how_much", [])
        kept = [part if _wh().search(fold(part)) and not matches(how_much, normalize(part)) else whole
                for part, whole in self._expanded]
        return " ".join(dict.fromkeys(kept))

    # --- its words -------------------------------------------------------------------------

    @cached_property
    def has_domain_word(self) -> bool:
        return bool(self.schemes) or matches(_core_patterns(), self.folded)

    @cached_property
    def has_off_topic_word(self) -> bool:
        return matches(_off_topic_patterns(), self.folded)

    @cached_property
    def content_terms(self) -> tuple[str, ...]:
        """The words that carry the topic: no stop words, neutral words, numbers, ordinals or
        regions (SMS forms rewritten first)."""
        folded = self.normalized
        for pattern in _region_patterns():
            folded = pattern.sub(" ", folded)
        neutral = neutral_tokens()
        return tuple(t for t in analyze(folded) if t not in neutral and not t[:1].isdigit())

    @cached_property
    def scheme_tokens(self) -> frozenset[str]:
        """Tokens that only name the scheme: every passage of that scheme is about it anyway."""
        vocabulary = load_vocabulary()
        tokens: set[str] = set()
        for scheme, patterns in vocabulary.schemes.items():
            hits = [m.group(0) for p in patterns for text in (self.folded, fold(self.context)) if (m := p.search(text))]
            if hits:
                # With their vocabulary equivalents ("stage d'attente", "sip"…).
                tokens.update(understand(" ".join(hits) + " " + vocabulary.labels.get(scheme, "")).terms)
        return frozenset(tokens)

    @cached_property
    def focus(self) -> dict[str, float]:
        """The weighted terms (typed 1, vocabulary expansions less), scheme names and neutral
        words ("faire", "peux", "combien") down-weighted."""
        terms = dict(self.query.terms)
        for token in self.scheme_tokens:
            if token in terms:
                terms[token] *= SCHEME_WEIGHT
        for token in neutral_tokens() - salient_tokens():
            if token in terms:
                terms[token] *= NEUTRAL_WEIGHT
        return terms

    @cached_property
    def typed_focus(self) -> dict[str, float]:
        """The focus terms the user typed (no vocabulary expansion), scheme names left out: what a
        section title must echo to be the question the section answers."""
        typed = {t for t, w in self.query.terms.items() if w >= 1.0}
        return {t: w for t, w in self.focus.items() if t in typed and t not in self.scheme_tokens}

    @cached_property
    def asked_terms(self) -> frozenset[str]:
        """What the user typed that says what they ask ("âge" in "c'est jusqu'à quel âge ?")."""
        return frozenset(weighty(self.typed_focus))


@lru_cache(maxsize=2048)
def analysed(text: str, context: str = "") -> Question:
    """The one Question of a text (and of the question it continues): its readings are computed
    once, whoever asks."""
    return Question(text, context)
