"""Read one corpus file into text, page by page, or fail with an error that names the file.

Every failure (corrupt PDF, empty file, unknown extension, a PDF too large to index) is a
`LoaderError`, so the pipeline can report it by name and go on with the other documents.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

log = logging.getLogger(__name__)

Kind = Literal["markdown", "text", "pdf", "html"]
EXTENSIONS: dict[str, Kind] = {
    ".md": "markdown", ".markdown": "markdown", ".txt": "text", ".text": "text",
    ".pdf": "pdf", ".html": "html", ".htm": "html",
}


class LoaderError(Exception):
    """A file that cannot be indexed; the message starts with the file name. `french` is the same
    reason for the advisor view (the ingest report stays in English, as the CLI)."""

    def __init__(self, path: Path | str, reason: str, french: str = "") -> None:
        self.path = Path(path)
        self.reason = reason
        self.french = french or reason
        super().__init__(f"{self.path.name}: {reason}")


@dataclass(frozen=True)
class LoadedDocument:
    """The raw text of a file; PDFs keep one entry per page (numbered from 1), others one entry."""

    path: Path
    kind: Kind
    pages: list[tuple[int | None, str]]

    @property
    def structure(self) -> Literal["markdown", "plain"]:
        """Markdown and HTML (converted to Markdown-like text) have explicit headings."""
        return "markdown" if self.kind in ("markdown", "html") else "plain"

    @property
    def text(self) -> str:
        return "\n".join(text for _, text in self.pages)


def load_document(path: Path, max_file_mb: float = 50.0, max_pdf_pages: int = 500) -> LoadedDocument:
    """Load any supported file; raises LoaderError (never anything else) when it cannot."""
    path = Path(path)
    kind = EXTENSIONS.get(path.suffix.lower())
    if kind is None:
        supported = ", ".join(sorted(EXTENSIONS))
        raise LoaderError(path, f"unsupported file type {path.suffix or '(none)'!r} (supported: {supported})",
                          f"type de fichier non pris en charge ({path.suffix or 'sans extension'}) : {supported}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LoaderError(path, f"cannot read the file: {exc}", f"fichier illisible ({exc})") from exc
    if size == 0:
        raise LoaderError(path, "empty file", "fichier vide")
    if size > max_file_mb * 1024 * 1024:
        raise LoaderError(path, f"file too large ({size / 1048576:.1f} MB > {max_file_mb} MB, setting max_file_mb)",
                          f"fichier trop lourd ({size / 1048576:.1f} Mo ; au plus {max_file_mb} Mo)")
    try:
        if kind == "pdf":
            pages = _load_pdf(path, max_pdf_pages)
        elif kind == "html":
            pages = [(None, html_to_text(_read_text(path)))]
        else:
            pages = [(None, _read_text(path))]
    except LoaderError:
        raise
    except Exception as exc:  # a loader bug or an exotic file must not stop the ingest
        raise LoaderError(path, f"could not be read ({type(exc).__name__}: {exc})",
                          f"lecture impossible ({type(exc).__name__})") from exc
    if not any(text.strip() for _, text in pages):
        if kind == "pdf":
            raise LoaderError(path, "no text layer (scanned PDF? run OCR first)",
                              "PDF sans texte (un scan ? passez-le d'abord à la reconnaissance de caractères)")
        raise LoaderError(path, "no text (empty after extraction)", "aucun texte (vide après extraction)")
    return LoadedDocument(path=path, kind=kind, pages=pages)


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise LoaderError(path, "binary content in a text file", "contenu binaire dans un fichier texte")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        log.warning("%s is not UTF-8; read as Windows-1252", path.name)
        return data.decode("cp1252", errors="replace")


def _load_pdf(path: Path, max_pages: int) -> list[tuple[int | None, str]]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoaderError(path, "encrypted PDF (password needed)", "PDF protégé par un mot de passe")
        count = len(reader.pages)
    except LoaderError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, AttributeError) as exc:
        raise LoaderError(path, f"corrupt or unreadable PDF ({type(exc).__name__}: {exc})",
                          "PDF endommagé ou illisible") from exc
    if count == 0:
        raise LoaderError(path, "PDF without pages", "PDF sans page")
    if count > max_pages:
        raise LoaderError(path, f"PDF too long ({count} pages > {max_pages}, setting max_pdf_pages)",
                          f"PDF trop long ({count} pages ; au plus {max_pages})")
    pages: list[tuple[int | None, str]] = []
    for number, page in enumerate(reader.pages, 1):
        try:
            pages.append((number, page.extract_text() or ""))
        except Exception as exc:
            raise LoaderError(path, f"page {number} could not be extracted ({type(exc).__name__}: {exc})",
                              f"la page {number} n'a pas pu être lue") from exc
    return pages


# --- HTML ---------------------------------------------------------------------------------------

_DROP_TAGS = ["script", "style", "noscript", "template", "iframe", "svg", "form", "button", "select",
              "input", "nav", "aside", "dialog", "menu"]
_DROP_ROLES = {"navigation", "banner", "contentinfo", "search", "complementary", "dialog", "alert"}
_DROP_CLASS = re.compile(
    r"(^|[-_ ])(nav|navbar|menu|breadcrumbs?|cookies?|footer|header|sidebar|share|social|skip|"
    r"pagination|newsletter|banner)([-_ ]|$)",
    re.IGNORECASE,
)
_BLOCKS = ["p", "div", "section", "article", "main", "table", "tr", "ul", "ol", "dl", "dt", "dd",
           "blockquote", "pre", "figure", "figcaption", "address", "header", "footer"]


def html_to_text(html: str) -> str:
    """The main text of a page as Markdown-like lines (# headings, - list items).

    Navigation, page header and footer, scripts, forms and cookie banners are removed first; the
    content is taken from <main>, else <article>, else the body.
    """
    soup = BeautifulSoup(html, "html.parser")
    for node in soup.find_all(string=lambda s: isinstance(s, Comment)):
        node.extract()
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(True):
        if not isinstance(tag, Tag) or tag.decomposed:
            continue
        role = (tag.get("role") or "").lower()
        marks = " ".join([*(tag.get("class") or []), tag.get("id") or ""])
        if role in _DROP_ROLES or (marks and _DROP_CLASS.search(marks) and tag.name not in ("main", "article")):
            tag.decompose()
    # Page-level header/footer go; those inside the article (its own title block) stay.
    for tag in soup.find_all(["header", "footer"]):
        if tag.find_parent(["main", "article"]) is None:
            tag.decompose()
    root = soup.find("main") or soup.find(attrs={"role": "main"}) or soup.find("article") or soup.body or soup
    for node in root.find_all(string=True):
        if isinstance(node, NavigableString) and node.find_parent("pre") is None:
            node.replace_with(re.sub(r"\s+", " ", str(node)))
    for br in root.find_all("br"):
        br.replace_with("\n")
    for level in range(1, 7):
        for h in root.find_all(f"h{level}"):
            h.insert_before("\n\n" + "#" * level + " ")
            h.insert_after("\n\n")
    for li in root.find_all("li"):
        li.insert_before("\n- ")
    for cell in root.find_all(["td", "th"]):
        cell.insert_after(" ; ")
    for block in root.find_all(_BLOCKS):
        block.insert_before("\n\n")
        block.insert_after("\n\n")
    lines = [line.strip() for line in root.get_text().split("\n")]
    text = "\n".join(line.removesuffix(" ;").strip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
