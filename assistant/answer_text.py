"""The text of an answer, sentence by sentence: model sentences made plain, and what is new.

The chain releases sentences from three sources (the calculator's statements, the model, the
brochures' own sentences); these helpers tell whether a sentence says something, whether the user
has already read it (its figures or its words), and clean a model's sentence into plain text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from assistant import passages
from assistant.calculator.money import find_amounts, find_numbers
from assistant.lexical import analyze
from assistant.query import understand
from assistant.schemas import Passage
from assistant.schemes import load_vocabulary
from assistant.sentences import MARKER_RE
from assistant.text import BULLET, fold


def clean(text: str) -> str:
    """A model's text without the labels and tags it sometimes copies from the prompt."""
    text = text.strip()
    text = re.sub(r"^(?:réponse|reponse)\s*:\s*", "", text, flags=re.IGNORECASE)
    text = re.sub(r"</?(?:sources|calculs|question|reponse|réponse)>", "", text)
    return tidy_markers(text).strip()


def tidy_markers(text: str) -> str:
    """"… plein. [1]." and "… plein. [1]" become "… plein [1].": the marker inside the sentence."""
    return re.sub(r"\s*([.!?])\s*((?:\[\d{1,2}\]\s*)+)\.?(?=\s|$)", lambda m: f" {m.group(2).strip()}{m.group(1)}", text)


@lru_cache(maxsize=1)
def scheme_name_tokens() -> frozenset[str]:
    """The schemes' names and their equivalents ("cip", "immersion"…): they prove nothing."""
    return frozenset(understand(" ".join(load_vocabulary().labels.values())).terms)


def says_something(sentence: str, min_words: int = 3) -> bool:
    """Not a bare marker list or a fragment ("[1] [2] [3]", "Actiris.")."""
    return len(re.findall(r"[^\W\d_]{2,}", MARKER_RE.sub(" ", sentence))) >= min_words


def figures(passage: Passage) -> set:
    return {round(v, 2) for v in [*find_amounts(passage.text), *find_numbers(passage.text)]}


def already_said(sentence: str, shown: str) -> bool:
    """A fallback sentence that repeats what the user already read: its figures, or its words."""
    amounts = set(find_amounts(sentence))
    if amounts and amounts <= set(find_amounts(shown)):
        return True
    words = set(re.findall(r"\w+", fold(sentence)))
    seen = set(re.findall(r"\w+", fold(shown)))
    return not words or len(words & seen) / len(words) >= 0.8


_SOURCE_HEADER = re.compile(r"(?:^|\n)\s*\[\d{1,2}\][^\n\[]*?\s[—–-]\s[^\n\[]*(?=\n|\[\d|$)")


def plain(sentence: str, context: Sequence[Passage] = ()) -> str:
    """A model sentence as plain text: no markdown emphasis or bullets, no copy of a source's header
    ("[1] Annexe 1 … — Absences", "Titre — Section [1]"), one line (the widget shows text, not markdown)."""
    body = _SOURCE_HEADER.sub(" ", sentence)
    for passage in context:
        if passage.section:
            header = re.escape(passages.header(passage.title, passage.section))
            body = re.sub(rf"{header}\s*(?:\[\d{{1,2}}\]\s*)*", " ", body)
    body = re.sub(r"(?m)\*\*|__|^#+\s*", "", body)
    body = BULLET.sub("", body)
    trailing = " " if sentence[-1:].isspace() else ""
    return re.sub(r"\s+", " ", body).strip() + trailing


def adds(sentence: str, shown: str, min_new: int = 2) -> bool:
    """A source sentence brings at least two meaningful words the answer lacks ("appelé stage
    d'attente auparavant" next to the model's "Le stage d'attente est un stage…")."""
    amounts = set(find_amounts(sentence))
    if amounts and amounts <= set(find_amounts(shown)) and already_said(sentence, shown):
        return False
    new = set(analyze(MARKER_RE.sub(" ", sentence))) - set(analyze(shown))
    return len({t for t in new if not t[:1].isdigit()}) >= min_new


def restates(sentence: str, shown: str, min_share: float = 0.5) -> bool:
    """Its figures are all shown already and half its words too: the same fact in other words."""
    numbers = {round(v, 2) for v in find_numbers(MARKER_RE.sub(" ", sentence))}
    if not numbers or not numbers <= {round(v, 2) for v in find_numbers(shown)}:
        return False
    words = set(re.findall(r"\w+", fold(sentence)))
    return len(words & set(re.findall(r"\w+", fold(shown)))) / max(1, len(words)) >= min_share
