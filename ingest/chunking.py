"""Cut a normalised document into self-contained passages along its own structure.

Sections come from Markdown headings, or, in plain text and PDFs, from title lines (short, no
final period, followed by text; or question titles). A section is cut on paragraph boundaries
when it is too long for one passage and merged into its neighbour when it is too short to stand
alone. A line that introduces a list ("... au choix :") stays with the list, and a list stays in
one passage when it fits. Every passage starts with "<document title> — <section path>" so it
reads (and embeds) on its own; its body is exactly `text[start:end]` of the normalised document.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

from assistant import sentences
from assistant.passages import MERGE_SEPARATOR, PATH_SEPARATOR, passage_text
from assistant.text import fold
from ingest.normalize import (
    NUMBERED_QUESTION,
    Line,
    NormalizedDocument,
    Rules,
    is_list_item,
    load_rules,
    looks_like_title,
)


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    title: str
    section: str  # "A > B", or the preamble label
    page: int | None  # first page of the body (PDF), else None
    page_end: int | None
    start: int  # body = normalised_text[start:end]
    end: int
    body: str
    text: str  # "<title> — <section>\n<body>": what is embedded, searched and cited


@dataclass
class _Section:
    path: tuple[str, ...]
    lines: list[Line] = field(default_factory=list)


@dataclass
class _Part:
    path: tuple[str, ...]
    start: int
    end: int
    also: tuple[tuple[str, ...], ...] = ()  # sections merged in after the first

    @property
    def size(self) -> int:
        return self.end - self.start

    def merged(self, other: _Part) -> _Part:
        paths = [self.path, *self.also, other.path, *other.also]
        if self.path and other.path != self.path and _within(other.path, self.path) and not self.also:
            # A chapter's lead-in merged with its first subsection: name the subsection.
            return _Part(other.path, self.start, other.end, other.also)
        rest = tuple(dict.fromkeys(p for p in paths[1:] if p != self.path))
        return _Part(self.path, self.start, other.end, rest)

    def label(self, preamble: str) -> str:
        names = [PATH_SEPARATOR.join(self.path) if self.path else preamble]
        for path in self.also:
            shared = path[:len(self.path)] == self.path[:-1] if self.path else False
            names.append(path[-1] if shared and len(path) == len(self.path) else PATH_SEPARATOR.join(path) or preamble)
        return MERGE_SEPARATOR.join(names)


# --- structure ---------------------------------------------------------------------------------

def _is_title_of(text: str, title: str) -> bool:
    return fold(text).rstrip(" .:") == fold(title).rstrip(" .:")


def heading_flags(doc: NormalizedDocument, rules: Rules | None = None) -> list[bool]:
    """Which lines are headings: Markdown levels, or title lines of plain text and PDFs."""
    rules = rules or load_rules()
    if doc.structure == "markdown":
        return [line.level is not None for line in doc.lines]
    texts = [doc.line_text(line) for line in doc.lines]
    flags = []
    for i, text in enumerate(texts):
        has_next = i + 1 < len(texts)
        introduced = i > 0 and texts[i - 1].endswith(rules.introducers)
        flags.append(has_next and not introduced and looks_like_title(text, rules))
    return flags


def split_sections(doc: NormalizedDocument, title: str, rules: Rules | None = None) -> list[_Section]:
    """Lines grouped under their heading path; headings themselves are not section lines."""
    rules = rules or load_rules()
    flags = heading_flags(doc, rules)
    sections = [_Section(path=())]
    stack: list[tuple[int, str]] = []  # Markdown: (level, text)
    parent: str | None = None  # plain text: a title directly followed by another title
    parent_numbered = False
    for i, line in enumerate(doc.lines):
        if not flags[i]:
            sections[-1].lines.append(line)
            continue
        text = doc.line_text(line)
        if doc.structure == "markdown":
            level = line.level or 1
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, text))
            path = tuple(t for _, t in stack)
            if path and _is_title_of(path[0], title):
                path = path[1:]
        elif _is_title_of(text, title):
            parent, path = None, ()
        else:
            numbered = bool(NUMBERED_QUESTION.match(text))
            previous_is_title = i > 0 and flags[i - 1] and not _is_title_of(doc.line_text(doc.lines[i - 1]), title)
            if previous_is_title:
                parent, parent_numbered = sections[-1].path[-1], numbered
            elif parent is not None and not (numbered and parent_numbered):
                parent = None
            path = (parent, text) if parent else (text,)
        sections.append(_Section(path=path))
    return [s for s in sections if s.lines]


def _units(lines: list[Line], doc: NormalizedDocument, rules: Rules) -> list[list[Line]]:
    """Paragraphs, and lists glued to the line that introduces them."""
    units: list[list[Line]] = []
    in_list = False
    for line in lines:
        text = doc.line_text(line)
        if is_list_item(text) and units and in_list:
            units[-1].append(line)
            continue
        units.append([line])
        in_list = is_list_item(text) or text.endswith(":")
    return units


# --- sizing ------------------------------------------------------------------------------------

def _pieces(unit: list[Line], doc: NormalizedDocument, max_chars: int) -> list[tuple[int, int]]:
    """Spans no longer than max_chars covering a unit, cut between lines, then sentences, then words."""
    if unit[-1].end - unit[0].start <= max_chars:
        return [(unit[0].start, unit[-1].end)]
    spans: list[tuple[int, int]] = []
    for line in unit:
        if line.end - line.start <= max_chars:
            spans.append((line.start, line.end))
            continue
        spans.extend(_split_long(doc.text, line.start, line.end, max_chars))
    introduced = len(unit) > 1 and doc.line_text(unit[0]).endswith(":")
    if introduced and len(spans) > 1 and spans[1][1] - spans[0][0] <= max_chars:
        spans[0:2] = [(spans[0][0], spans[1][1])]  # the introducing line stays with the first item
    return spans


def _split_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    cuts = [start, *sentences.ends(text, start, end), end]
    spans: list[tuple[int, int]] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        while b - a > max_chars:  # a sentence longer than a passage: cut between words
            cut = text.rfind(" ", a, a + max_chars)
            cut = cut if cut > a else a + max_chars
            spans.append((a, cut))
            a = cut + 1 if text[cut:cut + 1] == " " else cut
        spans.append((a, b))
    return _pack([(a, b) for a, b in spans if b > a], max_chars)


def _pack(spans: list[tuple[int, int]], max_chars: int) -> list[tuple[int, int]]:
    """Consecutive spans packed into balanced parts of at most max_chars (when possible)."""
    if not spans:
        return []
    total = spans[-1][1] - spans[0][0]
    target = total / max(1, math.ceil(total / max_chars))
    parts: list[tuple[int, int]] = []
    cur_start, cur_end = spans[0]
    for a, b in spans[1:]:
        size = cur_end - cur_start
        if b - cur_start > max_chars or size + (b - a) / 2 > target:
            parts.append((cur_start, cur_end))
            cur_start = a
        cur_end = b
    parts.append((cur_start, cur_end))
    return parts


def _within(path: tuple[str, ...], ancestor: tuple[str, ...]) -> bool:
    return path[:len(ancestor)] == ancestor


def _merge_small(parts: list[_Part], min_chars: int, max_chars: int) -> list[_Part]:
    """A too-short part joins a neighbour when the result fits in max_chars.

    It joins the next part when that one is its own subsection (a chapter's short lead-in goes
    with its first subsection), the previous one when it continues that section, and otherwise
    the smaller neighbour, the next one on a tie.
    """
    parts = list(parts)
    changed = True
    while changed:
        changed = False
        for i, part in enumerate(parts):
            if part.size >= min_chars:
                continue
            nxt = parts[i + 1] if i + 1 < len(parts) and parts[i + 1].end - part.start <= max_chars else None
            prev = parts[i - 1] if i > 0 and part.end - parts[i - 1].start <= max_chars else None
            if nxt is None and prev is None:
                continue
            if nxt is not None and (prev is None or _within(nxt.path, part.path)):
                use_next = True
            elif prev is not None and (nxt is None or _within(part.path, prev.path)):
                use_next = False
            else:
                use_next = nxt.size <= prev.size  # type: ignore[union-attr]
            if use_next:
                parts[i:i + 2] = [part.merged(parts[i + 1])]
            else:
                parts[i - 1:i + 1] = [parts[i - 1].merged(part)]
            changed = True
            break
    return parts


# --- entry point -------------------------------------------------------------------------------

def chunk_id(doc_id: str, section: str, body: str, occurrence: int = 0) -> str:
    """Stable across runs: the same body under the same heading keeps its id."""
    key = "\x1f".join([doc_id, section, body] + ([str(occurrence)] if occurrence else []))
    return f"{doc_id}:{hashlib.sha1(key.encode('utf-8')).hexdigest()[:12]}"


def chunk_document(
    doc: NormalizedDocument,
    doc_id: str,
    title: str,
    max_chars: int = 1200,
    min_chars: int = 200,
    rules: Rules | None = None,
) -> list[Chunk]:
    rules = rules or load_rules()
    parts: list[_Part] = []
    for section in split_sections(doc, title, rules):
        spans: list[tuple[int, int]] = []
        for unit in _units(section.lines, doc, rules):
            spans.extend(_pieces(unit, doc, max_chars))
        parts.extend(_Part(section.path, a, b) for a, b in _pack(spans, max_chars))
    parts = _merge_small(parts, min_chars, max_chars)

    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    for part in parts:
        body = doc.text[part.start:part.end]
        if not body.strip():
            continue
        section = part.label(rules.preamble_label)
        key = f"{section}\x1f{body}"
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        chunks.append(Chunk(
            chunk_id=chunk_id(doc_id, section, body, occurrence),
            doc_id=doc_id,
            title=title,
            section=section,
            page=doc.page_at(part.start),
            page_end=doc.page_at(part.end - 1),
            start=part.start,
            end=part.end,
            body=body,
            text=passage_text(title, section, body),
        ))
    return chunks
