"""Clean extracted text without touching a single figure.

PDF extraction breaks sentences at every line end, doubles the spaces of justified text
("après  une  durée") and hyphenates words; web dumps carry navigation bars and footers;
Markdown carries link and emphasis syntax. All of that is removed here, line by line, while
every digit, separator and euro sign is kept as it was (tests check every amount and date of
every source). The result keeps, for each line, its page and (for Markdown) its heading level,
so chunks can cite pages and split on headings.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml

from assistant.text import fold, normalize_spaces
from ingest.loaders import LoadedDocument

RULES_FILE = Path(__file__).with_name("rules.yaml")

# Characters that carry no text: soft hyphen, zero-width spaces and joiners, BOM.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
LIST_ITEM = re.compile(r"^(?:[-•*✓▪◦–·●]|\d{1,2}[.)])\s+")
NUMBERED_QUESTION = re.compile(r"^\d{1,2}[.)]\s+\S.*\?$")
_SENTENCE_END = re.compile(r"[.!?…](?:[»\"')\]]*)$")
_CONTACT = re.compile(r"\||@|www\.|://")
_WORD = re.compile(r"[^\W\d_]{3,}")

# Markdown syntax.
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)(?:\s+#+)?$")
_MD_RULE = re.compile(r"^(?:-{3,}|\*{3,}|_{3,})$")
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]*)(?:\s+\"[^\"]*\")?\)")
_MD_AUTOLINK = re.compile(r"<((?:https?://|mailto:)[^>\s]+)>")
_MD_SUP = re.compile(r"</?(?:sup|sub|b|i|em|strong|span|u)\b[^>]*>", re.IGNORECASE)
_MD_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_ITALIC = re.compile(r"(?<![\w*\\])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*\\])\*(?![\w*])")
_MD_CODE = re.compile(r"`([^`]+)`")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|])")


@dataclass(frozen=True)
class Rules:
    boiler_lines: frozenset[str]
    boiler_patterns: tuple[re.Pattern[str], ...]
    boiler_max_chars: int
    nav_min_separators: int
    nav_max_item_words: int
    title_max_chars: int
    title_question_max_chars: int
    title_max_digits: int
    introducers: tuple[str, ...]
    preamble_label: str


@lru_cache
def load_rules(path: Path = RULES_FILE) -> Rules:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    b, t = data["boilerplate"], data["titles"]
    return Rules(
        boiler_lines=frozenset(fold(x) for x in b["lines"]),
        boiler_patterns=tuple(re.compile(p) for p in b["patterns"]),
        boiler_max_chars=int(b["max_chars"]),
        nav_min_separators=int(b["nav_min_separators"]),
        nav_max_item_words=int(b["nav_max_item_words"]),
        title_max_chars=int(t["max_chars"]),
        title_question_max_chars=int(t["question_max_chars"]),
        title_max_digits=int(t["max_digits"]),
        introducers=tuple(t["introducers"]),
        preamble_label=str(t["preamble_label"]),
    )


@dataclass(frozen=True)
class Line:
    """One non-blank line of the normalised text: [start, end) offsets, page, Markdown level."""

    start: int
    end: int
    page: int | None
    level: int | None = None


@dataclass
class NormalizedDocument:
    text: str
    lines: list[Line]
    structure: Literal["markdown", "plain"]
    dropped: list[str] = field(default_factory=list)  # boilerplate lines removed

    def line_text(self, line: Line) -> str:
        return self.text[line.start:line.end]

    def page_at(self, offset: int) -> int | None:
        """Page of the line holding (or preceding) an offset."""
        if not self.lines:
            return None
        i = bisect.bisect_right([ln.start for ln in self.lines], offset) - 1
        return self.lines[max(i, 0)].page


@dataclass
class _Item:
    text: str  # "" = blank line (paragraph break)
    page: int | None
    level: int | None = None


# --- line predicates shared with the chunker ----------------------------------------------------

def is_list_item(text: str) -> bool:
    return bool(LIST_ITEM.match(text)) and not NUMBERED_QUESTION.match(text)


def looks_like_title(text: str, rules: Rules | None = None) -> bool:
    """Intrinsic shape of a title line; the chunker adds the context (what precedes and follows)."""
    rules = rules or load_rules()
    t = text.strip()
    if not t or is_list_item(t):
        return False
    numbered_question = bool(NUMBERED_QUESTION.match(t))
    limit = rules.title_question_max_chars if t.endswith("?") else rules.title_max_chars
    if len(t) > limit or re.search(r"[.,;:…!]$", t) or _CONTACT.search(t):
        return False
    if sum(c.isdigit() for c in t) > rules.title_max_digits + (2 if numbered_question else 0):
        return False
    if not (t[0].isupper() or numbered_question):
        return False
    return bool(_WORD.search(t))


def is_boilerplate(text: str, rules: Rules | None = None, structure: str = "plain") -> bool:
    """Site chrome: known navigation/footer lines and short "a | b | c" navigation bars."""
    rules = rules or load_rules()
    folded = fold(text)
    if folded.rstrip(" .:>»") in rules.boiler_lines:
        return True
    if len(text) <= rules.boiler_max_chars and any(p.search(folded) for p in rules.boiler_patterns):
        return True
    if text.count("|") >= rules.nav_min_separators and not re.search(r"\d", text):
        if structure == "markdown" and text.startswith("|") and text.endswith("|"):
            return False  # a Markdown table row, not a navigation bar
        items = [s for s in text.split("|") if s.strip()]
        return all(len(s.split()) <= rules.nav_max_item_words for s in items)
    return False


# --- cleaning ----------------------------------------------------------------------------------

def clean_chars(text: str) -> str:
    """Unicode NFC, no invisible characters, Unix line ends (form feeds become line breaks)."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").replace("\v", "\n")


def _link(m: re.Match[str]) -> str:
    label, target = m.group(1), m.group(2)
    bare = re.sub(r"^(?:https?://|mailto:)", "", target).rstrip("/")
    if not bare or bare.startswith("#") or fold(label).rstrip("/") in fold(bare) or fold(bare) in fold(label):
        return label
    return f"{label} ({target})"


def clean_markdown_inline(text: str) -> str:
    """Markdown/HTML inline syntax out, words and figures in."""
    text = _MD_IMAGE.sub(r"\1", text)
    text = _MD_LINK.sub(_link, text)
    text = _MD_AUTOLINK.sub(r"\1", text)
    text = _MD_SUP.sub("", text)
    text = _MD_CODE.sub(r"\1", text)
    text = _MD_BOLD.sub(r"\2", text)
    text = _MD_ITALIC.sub(r"\1", text)
    return _MD_ESCAPE.sub(r"\1", text)


def clean_line(text: str) -> str:
    """Non-breaking and repeated spaces (PDF justification) become one space; ends trimmed."""
    return normalize_spaces(text).strip()


# --- PDF line joining --------------------------------------------------------------------------

def _page_widths(items: list[_Item]) -> dict[int | None, int]:
    """The usual full-line length of each page (90th percentile), to tell wrapped lines."""
    by_page: dict[int | None, list[int]] = {}
    for it in items:
        if it.text:
            by_page.setdefault(it.page, []).append(len(it.text))
    widths = {}
    for page, lengths in by_page.items():
        lengths.sort()
        widths[page] = lengths[min(len(lengths) - 1, int(len(lengths) * 0.9))]
    return widths


def _continues(a: _Item, b: _Item, width: int, rules: Rules) -> bool:
    """Whether line b continues the sentence of line a (a was wrapped by the PDF layout)."""
    if not a.text or not b.text or is_list_item(b.text) or NUMBERED_QUESTION.match(b.text):
        return False
    if _SENTENCE_END.search(a.text) or a.text.endswith((":", ";")):
        return False
    first = b.text[0]
    if first.islower() or first in ",;:)]»":
        return True
    if looks_like_title(b.text, rules):
        return False
    return len(a.text) >= 0.7 * width


def _join(a: str, b: str) -> str:
    # "indemni-" + "tés" -> "indemnités": a hyphen between letters at a line end is a break.
    if re.search(r"[^\W\d_]-$", a) and b[:1].isalpha() and b[:1].islower():
        return a[:-1] + b
    return f"{a} {b}"


def join_wrapped_lines(items: list[_Item], rules: Rules) -> list[_Item]:
    widths = _page_widths(items)
    out: list[_Item] = []
    for it in items:
        prev = out[-1] if out else None
        if prev is not None and _continues(prev, it, widths.get(prev.page, 0), rules):
            prev.text = _join(prev.text, it.text)
        else:
            out.append(_Item(it.text, it.page, it.level))
    return out


# --- entry point -------------------------------------------------------------------------------

def normalize(doc: LoadedDocument, rules: Rules | None = None) -> NormalizedDocument:
    """Clean a loaded document into one text with per-line pages and heading levels."""
    rules = rules or load_rules()
    structure = doc.structure
    items: list[_Item] = []
    dropped: list[str] = []
    for page, raw in doc.pages:
        for raw_line in clean_chars(raw).split("\n"):
            text = clean_line(raw_line)
            level = None
            if structure == "markdown" and text:
                if _MD_RULE.match(text):
                    text = ""
                elif m := _MD_HEADING.match(text):
                    level, text = len(m.group(1)), m.group(2)
                text = clean_line(clean_markdown_inline(text))
            if text and level is None and is_boilerplate(text, rules, structure):
                dropped.append(text)
                continue
            items.append(_Item(text, page, level))
    if doc.kind == "pdf":
        items = join_wrapped_lines(items, rules)

    parts: list[str] = []
    lines: list[Line] = []
    pos = 0
    pending_blank = False
    for it in items:
        if not it.text:
            pending_blank = bool(lines)
            continue
        sep = ("\n\n" if pending_blank else "\n") if lines else ""
        pos += len(sep)
        parts.append(sep + it.text)
        lines.append(Line(pos, pos + len(it.text), it.page, it.level))
        pos += len(it.text)
        pending_blank = False
    text = "".join(parts)
    return NormalizedDocument(text=text, lines=lines, structure=structure, dropped=dropped)
