"""The corpus catalogue: which files are documents, under which id and title.

`corpus/sources.yaml` gives each file a stable id (cited in answers and named in evaluation
suites) and its provenance. A file dropped in the folder without an entry is still indexed under
an id derived from its name, with a warning, so adding a brochure never silently does nothing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from assistant.text import fold

log = logging.getLogger(__name__)

SOURCES_FILE = "sources.yaml"
# Files of the corpus folder that are never documents.
_IGNORED = re.compile(r"^(\.|~)|~$|\.(swp|tmp|bak|part|lock)$", re.IGNORECASE)


class SourcesError(ValueError):
    """sources.yaml is malformed (duplicate id, entry without file...)."""


@dataclass(frozen=True)
class SourceEntry:
    id: str
    file: str
    title: str
    publisher: str | None = None
    updated: str | None = None  # ISO date as written in sources.yaml
    url: str | None = None
    region: str | None = None
    scheme: str | None = None
    schemes: tuple[str, ...] = ()
    contact: str | None = None  # who answers for this scheme (default: the publisher)
    synonyms: tuple[str, ...] = ()  # other names users give the scheme
    listed: bool = True  # False: derived from a file with no sources.yaml entry

    @property
    def scheme_ids(self) -> tuple[str, ...]:
        """The schemes its passages answer for: those listed, else the document's own (named by
        its `scheme` label and title, see assistant/schemes.py), so a brochure added with no
        vocabulary entry still has a scheme of its own."""
        return self.schemes or (self.id,)

    def fingerprint(self) -> dict[str, Any]:
        """What, besides the file bytes, ends up in the indexed chunks (a change re-indexes)."""
        return {
            "id": self.id, "title": self.title, "publisher": self.publisher, "updated": self.updated,
            "url": self.url, "region": self.region, "scheme": self.scheme, "schemes": list(self.scheme_ids),
            **({"contact": self.contact} if self.contact else {}),
            **({"synonyms": list(self.synonyms)} if self.synonyms else {}),
        }


@dataclass
class Catalog:
    """The documents to index and what is wrong with the folder."""

    corpus_dir: Path
    documents: list[tuple[SourceEntry, Path]] = field(default_factory=list)
    missing: list[SourceEntry] = field(default_factory=list)  # listed, file absent
    unlisted: list[Path] = field(default_factory=list)  # present, no entry (indexed anyway)

    @property
    def warnings(self) -> list[str]:
        out = [f"{e.file}: listed in {SOURCES_FILE} (id {e.id}) but the file is missing" for e in self.missing]
        out += [
            f"{p.name}: no entry in {SOURCES_FILE}; indexed as id {e.id!r}"
            for e, p in self.documents if not e.listed
        ]
        return out


def slugify(name: str) -> str:
    """A document id from a file name: "Brochure IFAPME 2024.pdf" -> "brochure-ifapme-2024"."""
    return slug(Path(name).stem)


def slug(text: str) -> str:
    """An id from words: "Plan Formation-Insertion" -> "plan-formation-insertion"."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")[:80].strip("-") or "document"


def _title_from_name(name: str) -> str:
    words = re.sub(r"[-_]+", " ", Path(name).stem).strip()
    return words[:1].upper() + words[1:] if words else name


def _entry(raw: dict[str, Any]) -> SourceEntry:
    for key in ("id", "file", "title"):
        if not raw.get(key):
            raise SourcesError(f"{SOURCES_FILE}: an entry has no {key!r}: {raw}")
    updated = raw.get("updated")
    if isinstance(updated, date):
        updated = updated.isoformat()
    return SourceEntry(
        id=str(raw["id"]), file=str(raw["file"]), title=str(raw["title"]),
        publisher=raw.get("publisher"), updated=str(updated) if updated else None, url=raw.get("url"),
        region=raw.get("region"), scheme=raw.get("scheme"), schemes=names(raw.get("schemes")),
        contact=raw.get("contact"), synonyms=names(raw.get("synonyms")),
    )


def names(value: object) -> tuple[str, ...]:
    """A list of names as YAML gives it: a list, or one string with commas."""
    if not value:
        return ()
    items = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else [value]
    return tuple(str(item).strip() for item in items if str(item).strip())


def read_entries(corpus_dir: Path) -> list[SourceEntry]:
    path = corpus_dir / SOURCES_FILE
    if not path.exists():
        log.warning("%s not found in %s: every file gets an id derived from its name", SOURCES_FILE, corpus_dir)
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SourcesError(f"{path}: invalid YAML: {exc}") from exc
    entries = [_entry(raw) for raw in data.get("documents") or []]
    seen: dict[str, str] = {}
    for e in entries:
        if e.id in seen:
            raise SourcesError(f"{SOURCES_FILE}: id {e.id!r} used twice ({seen[e.id]} and {e.file})")
        seen[e.id] = e.file
    return entries


def current_entries(corpus_dir: Path) -> tuple[SourceEntry, ...]:
    """The entries of sources.yaml as it is now (read again when the file changes; none when it is
    missing or broken: `assistant ingest` reports that). Answers read the documents' schemes,
    titles and dates from it."""
    try:
        stamp = (Path(corpus_dir) / SOURCES_FILE).stat().st_mtime_ns
    except OSError:
        return ()
    return _entries_at(Path(corpus_dir), stamp)


@lru_cache(maxsize=8)
def _entries_at(corpus_dir: Path, stamp: int) -> tuple[SourceEntry, ...]:
    try:
        return tuple(read_entries(corpus_dir))
    except SourcesError as exc:
        log.warning("%s", exc)
        return ()


def load_catalog(corpus_dir: Path) -> Catalog:
    """Pair every file of the folder with its entry; derive one for unlisted files."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise SourcesError(f"corpus folder not found: {corpus_dir}")
    entries = read_entries(corpus_dir)
    by_file = {e.file: e for e in entries}
    catalog = Catalog(corpus_dir=corpus_dir)
    taken = {e.id for e in entries}
    files = sorted(
        p for p in corpus_dir.iterdir()
        if p.is_file() and p.name != SOURCES_FILE and not _IGNORED.search(p.name)
    )
    present = {p.name for p in files}
    for entry in entries:
        if entry.file not in present:
            log.warning("%s: listed in %s (id %s) but the file is missing", entry.file, SOURCES_FILE, entry.id)
            catalog.missing.append(entry)
    for path in files:
        entry = by_file.get(path.name)
        if entry is None:
            doc_id = base = slugify(path.name)
            n = 2
            while doc_id in taken:
                doc_id, n = f"{base}-{n}", n + 1
            taken.add(doc_id)
            entry = SourceEntry(id=doc_id, file=path.name, title=_title_from_name(path.name), listed=False)
            log.warning("%s: no entry in %s; indexed as id %r (add an entry to give it a title and url)",
                        path.name, SOURCES_FILE, doc_id)
            catalog.unlisted.append(path)
        catalog.documents.append((entry, path))
    return catalog
