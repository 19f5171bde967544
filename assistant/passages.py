"""The passage's header, written and read in one place.

Every indexed passage starts with "<document title> — <section path>" so that it is
self-contained for the embedder, BM25 and the model; the extractive answer, the prompts and the
chain's clean-up of model text need the body without it, or the header as the index wrote it.
Sections are paths ("A > B"); short sibling sections merged into one passage are joined with " · ".
"""

from __future__ import annotations

import re

from assistant.schemas import Passage
from assistant.text import fold

SEPARATOR = " — "
PATH_SEPARATOR = " > "
MERGE_SEPARATOR = " · "
_LAST_SECTION = re.compile(rf"{re.escape(PATH_SEPARATOR)}|{re.escape(MERGE_SEPARATOR)}")


def header(title: str, section: str | None) -> str:
    """"Titre — Section": how a passage names its place in its document."""
    return f"{title}{SEPARATOR}{section}" if section else title


def passage_text(title: str, section: str, body: str) -> str:
    """What is embedded, searched and cited: the header line, then the body."""
    return f"{header(title, section)}\n{body}" if section else f"{title}{SEPARATOR}\n{body}"


def body(passage: Passage) -> str:
    """The passage text without its header line (also for passages of other indexes, whose first
    line may only start like the title)."""
    text = passage.text
    first, _, rest = text.partition("\n")
    if rest and passage.title and (fold(first).startswith(fold(passage.title)[:40]) or SEPARATOR in first):
        return rest
    if passage.title and text.startswith(passage.title):
        prefix = header(passage.title, passage.section)
        if text.startswith(prefix):
            return text[len(prefix) :].lstrip(" —:\n")
    return text


def section_label(section: str) -> str:
    """The innermost section name of a path ("Conditions" of "CIP > Conditions")."""
    return _LAST_SECTION.split(section)[-1].strip()
