"""Sentences: the one segmenter of passages and answers.

Chunking cuts an over-long line at its sentence ends, the extractive answer ranks a passage's
sentences, and the guard checks an answer (whole or streamed) sentence by sentence against the
passages' sentences and their polarity. One rule for all three, so that they agree on what a
sentence is, what a list item is and which line introduces it.

A sentence ends at . ! ? … (with the citation markers written after it, "… 848,90 €. [1]")
followed by a space and something that is not a lower-case letter or a marker. The well-kept
segmenters were measured on the corpus before keeping this rule (README, "Sentences"): sentencex
and pysbd cut 2 of the 137 paragraphs differently, both wrongly for these brochures (one joins
two sentences after "…", sentencex cuts the form name "D.ALT.", pysbd cuts "p. 3"), pysbd at 60×
the time; spaCy's fr_core_news_sm cut 33 of them, mostly wrongly ("Bon | à savoir :").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from itertools import zip_longest

from assistant.calculator.money import find_amounts, find_numbers
from assistant.lexical import analyze
from assistant.passages import MERGE_SEPARATOR, section_label
from assistant.text import BULLET, fold, normalize_spaces

# Citation markers: "[1]", "[1, 2]", "[1][2]", "[Source 1]", "[source 2, 3]".
MARKER_RE = re.compile(r"\[\s*(?:sources?\s*:?\s*)?(\d{1,2}(?:\s*[,;]\s*\d{1,2})*)\s*\]", re.IGNORECASE)
_MARKERS = r"(?:\s*\[\s*(?:(?i:sources?)\s*:?\s*)?\d{1,2}(?:\s*[,;]\s*\d{1,2})*\s*\])*"
# The end of a sentence: its punctuation and markers, then the space before the next one, which
# starts with anything but a lower-case letter or a marker; a line break after spaces too.
_BOUNDARY = re.compile(rf"(?:[.!?…]+{_MARKERS}|\n)(\s+)(?=[^\s\[a-zà-ÿ])")

_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
# Emphasis marks; a footnote mark "(*)" stays (it ties an amount to its note).
_MD_MARKS = re.compile(r"\*\*|__|(?<![\w(])\*(?![\s)])|(?<![\s(])\*(?![\w)])|<[^>]{1,10}>|\\(?=[*_#\[\]])")
_FOOTNOTE = re.compile(r"^\s*(?:\(\*+\)|\*+)\s")  # "(*) Montants au 1er août 2022": a note, not an intro
# Markdown tables: each row becomes a sentence that names its columns ("Future rémunération : <
# 2.004 euros ; Le montant du forfait : 767 euros."), the row a reader would point at.
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?(?:\s*:?-{3,}:?\s*\|)+\s*(?::?-{3,}:?\s*)?$")
_HEADING = re.compile(r"^\s*#{1,6}\s*")
_TERMINAL = re.compile(r"[.!?:;…»\")]\s*$")
_FULL_STOP = re.compile(r"[.!?;…]\s*$")
_NEGATION = re.compile(
    r"\bne\b|\bn'|\bpas\b|\baucune?\b|\bjamais\b|\bimpossible\b|\binterdite?s?\b|\bexclue?s?\b|^\W*non\b"
)


def normalize_markers(text: str) -> str:
    """One spelling for citation markers: "[1, 2]" and "[Source 1]" become "[1][2]" and "[1]"."""

    def one(m: re.Match[str]) -> str:
        return "".join(f"[{int(n)}]" for n in re.split(r"\s*[,;]\s*", m.group(1)))

    return MARKER_RE.sub(one, text)


def markers_in(text: str) -> list[int]:
    """Citation markers in order of appearance (duplicates kept)."""
    return [int(n) for m in MARKER_RE.finditer(text) for n in re.split(r"\s*[,;]\s*", m.group(1))]


def ends(text: str, start: int = 0, end: int | None = None) -> list[int]:
    """Offsets where the sentences of text[start:end] end (after the space that follows them);
    never inside parentheses closed later on the same line ("(jusqu'à 52 semaines dans certains
    cas. Voir ci-dessous)")."""
    stop = len(text) if end is None else end
    out: list[int] = []
    begin = start
    for m in _BOUNDARY.finditer(text, start, stop):
        cut = m.end(1)
        opened = text.count("(", begin, cut) - text.count(")", begin, cut)
        line_end = text.find("\n", cut, stop)
        if opened > 0 and ")" in text[cut : stop if line_end < 0 else line_end]:
            continue
        out.append(cut)
        begin = cut
    return out


def complete(text: str) -> tuple[list[str], str]:
    """Complete sentences (each with its trailing markers and the space after it) and the rest.

    A sentence is complete once the next non-space character is known and is not "[", so the
    markers written after a full stop ("… 848,90 €. [1]") stay with their sentence: this is what
    lets a stream be checked sentence by sentence.
    """
    out: list[str] = []
    begin = 0
    for cut in ends(text):
        if cut > begin:
            out.append(text[begin:cut])
            begin = cut
    return out, text[begin:]


def split(text: str) -> list[str]:
    """Every sentence of a text, the last one included."""
    done, rest = complete(text)
    return done + ([rest] if rest.strip() else [])


def negated(text: str) -> bool:
    """Does the sentence deny something ("n'est pas possible", "aucune obligation", "Non, …")?"""
    return bool(_NEGATION.search(fold(MARKER_RE.sub(" ", text))))


def clean_line(line: str) -> str:
    """A line without its Markdown (links, emphasis, small HTML tags) and extra spaces."""
    line = _MD_LINK.sub(r"\1", line)
    line = _MD_MARKS.sub("", line)
    return normalize_spaces(line).strip()


def units(body: str) -> list[tuple[str, bool, bool, bool]]:
    """Logical lines: (text, is_item, is_heading, is_table_row); wrapped PDF lines are joined back."""
    found: list[list[str | bool]] = []
    lines = body.splitlines()
    columns: list[str] | None = None  # the header of the table being read
    for index, raw in enumerate(lines):
        if _TABLE_ROW.match(raw) or (columns is not None and _TABLE_RULE.match(raw)):
            if _TABLE_RULE.match(raw):
                continue
            cells = [clean_line(c) for c in raw.strip().strip("|").split("|")]
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if columns is None and _TABLE_RULE.match(following):
                columns = cells
                continue
            named = [f"{h} : {c}" if h else c for h, c in zip_longest(columns or [], cells, fillvalue="") if c]
            if named:
                found.append([" ; ".join(named) + ".", False, False, True])
            continue
        columns = None
        if not raw.strip():
            found.append(["", False, False, False])  # paragraph break
            continue
        if _HEADING.match(raw):
            found.append([clean_line(_HEADING.sub("", raw)), False, True, False])
            found.append(["", False, False, False])
            continue
        line = clean_line(raw)
        if not line or set(line) <= set("-—_=*|"):
            continue
        is_item = bool(BULLET.match(line))
        if is_item:
            line = BULLET.sub("", line)
        next_line = next((lines[j].strip() for j in range(index + 1, len(lines)) if lines[j].strip()), "")
        previous_text = str(found[-1][0]) if found else ""
        # A short line without final punctuation, followed by a capital, is a PDF heading.
        heading = (
            not is_item
            and len(line) < 60
            and not _TERMINAL.search(line)
            and bool(next_line[:1].isupper())
            and (not previous_text or _TERMINAL.search(previous_text) is not None)
        )
        previous = found[-1] if found else None
        continues = (
            previous is not None
            and bool(previous[0])
            and not previous[2]
            and not is_item
            and not heading
            and not _TERMINAL.search(str(previous[0]))
        )
        if continues and previous is not None:
            previous[0] = f"{previous[0]} {line}"
        else:
            found.append([line, is_item, heading or line.endswith("?"), False])
    return [(str(u[0]), bool(u[1]), bool(u[2]), bool(u[3])) for u in found if u[0]]


def _titled(text: str) -> list[tuple[str, bool, str, str]]:
    """Sentences and list items of a passage body with the heading they stand under ("" before
    any) and, for a table's row, the sentence that introduces the table ("" otherwise)."""
    out: list[tuple[str, bool, str, str]] = []
    title = ""
    last = ""  # the last sentence before a table: what its rows are about
    for unit, is_item, heading, row in units(text):
        if heading:
            title, last = unit, ""
            continue
        parts = [unit] if is_item or row else split(unit)
        for part in parts:
            part = part.strip()
            if len(part) >= 3 and not part.endswith("?"):
                out.append((part, is_item, title, last if row else ""))
                if not row:
                    last = part
    return out


def split_body(text: str) -> list[tuple[str, bool]]:
    """Sentences and list items of a passage body, headings and questions left out: (text, is_item)."""
    return [(part, is_item) for part, is_item, _, _ in _titled(text)]


@dataclass(frozen=True)
class Sentence:
    """One sentence (or list item) of a numbered passage."""

    marker: int
    position: int
    text: str
    tokens: tuple[str, ...]
    amounts: tuple[Decimal, ...]
    has_count: bool  # a number that is not a sum of money ("3 mois", "20 jours")
    intro: bool  # ends with ":" — the list items that follow belong to it
    item: bool  # a list item
    heading: frozenset[str] = frozenset()  # analyzed words of its passage's section title
    negated: bool = False  # denies something; a list item takes the polarity of its intro line
    excluded: bool = False  # a list item under a denying intro: a case where it is not possible
    title: str = ""  # the heading it stands under in its passage, else the passage's section name
    lead: frozenset[str] = frozenset()  # a table row: analyzed words of the sentence introducing the table


@lru_cache(maxsize=2048)
def of_passage(marker: int, body: str, section: str = "") -> tuple[Sentence, ...]:
    """The sentences of one passage body (marker n = its number in the context)."""
    heading = frozenset(analyze(section))
    parts = _titled(body)
    label = section_label(section)
    # Short sibling sections merged into one passage: its first lines stand under the first one.
    opening = section_label(section.split(MERGE_SEPARATOR)[0])
    if parts and parts[0][1] and label:
        # A passage that opens on a list: its section title introduces it ("2ème année du master
        # (environ 106 jours)" over a list of dates).
        parts.insert(0, (label, False, "", ""))
    out: list[Sentence] = []
    intro_negated = False
    for position, (sentence, is_item, title, lead) in enumerate(parts):
        # "...voici les conditions :" or an unpunctuated line right above list items.
        followed_by_items = position + 1 < len(parts) and parts[position + 1][1]
        intro = not _FOOTNOTE.match(sentence) and (
            sentence.rstrip().endswith(":") or (not is_item and followed_by_items and not _FULL_STOP.search(sentence))
        )
        denies = negated(sentence)
        amounts = tuple(find_amounts(sentence))
        numbers = find_numbers(sentence)
        out.append(
            Sentence(
                marker=marker,
                position=position,
                text=sentence,
                tokens=tuple(analyze(sentence)),
                amounts=amounts,
                has_count=bool(set(numbers) - set(amounts)),
                intro=intro,
                item=is_item,
                heading=heading,
                negated=denies or (is_item and intro_negated),
                excluded=is_item and intro_negated,
                title=title or opening,
                lead=frozenset(analyze(lead)) if lead else frozenset(),
            )
        )
        if not is_item:
            # "Il n'est pas possible de … dans les situations suivantes :" denies every item below it.
            intro_negated = intro and denies
    return tuple(out)
