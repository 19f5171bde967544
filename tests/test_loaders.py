from __future__ import annotations

from pathlib import Path

import pytest
from ingest_support import CORPUS, minimal_pdf

from ingest.loaders import LoaderError, html_to_text, load_document

PDF = CORPUS / "ifapme-convention-stage.pdf"


def _page_of(doc, needle: str) -> int | None:
    pages = [page for page, text in doc.pages if needle in " ".join(text.split())]
    assert pages, needle
    return pages[0]


def test_pdf_keeps_page_numbers() -> None:
    doc = load_document(PDF)
    assert doc.kind == "pdf" and doc.structure == "plain"
    assert [p for p, _ in doc.pages] == [1, 2, 3, 4, 5]
    assert _page_of(doc, "Montants bruts allocations de stage") == 2
    assert _page_of(doc, "Les allocations familiales sont accordées sans conditions") == 3
    assert _page_of(doc, "Rôle du référent") == 5


@pytest.mark.parametrize(("name", "kind", "needle"), [
    ("cip-bruxelles.md", "markdown", "848,90€"),
    ("cip-master-alternance.md", "markdown", "7969 €"),
    ("cisp-cefa.txt", "text", "265,59 euros"),
    ("stage-insertion-professionnelle.txt", "text", "715,46 €"),
])
def test_text_files_load_whole(name: str, kind: str, needle: str) -> None:
    doc = load_document(CORPUS / name)
    assert doc.kind == kind
    assert doc.pages[0][0] is None and len(doc.pages) == 1
    assert needle in doc.text


def test_corrupt_pdf_is_a_named_loader_error(tmp_path: Path) -> None:
    bad = tmp_path / "cassé.pdf"
    bad.write_bytes(PDF.read_bytes()[:3000])
    with pytest.raises(LoaderError) as err:
        load_document(bad)
    assert str(err.value).startswith("cassé.pdf: ")
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"this is not a pdf at all" * 50)
    with pytest.raises(LoaderError, match=r"^garbage\.pdf: "):
        load_document(garbage)


def test_empty_and_blank_files_are_named_errors(tmp_path: Path) -> None:
    empty = tmp_path / "vide.md"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(LoaderError, match=r"^vide\.md: empty file"):
        load_document(empty)
    blank = tmp_path / "blanc.txt"
    blank.write_text("  \n\n \t\n", encoding="utf-8")
    with pytest.raises(LoaderError, match=r"^blanc\.txt: no text"):
        load_document(blank)
    no_text_pdf = tmp_path / "scan.pdf"
    no_text_pdf.write_bytes(minimal_pdf([""]))
    with pytest.raises(LoaderError, match=r"^scan\.pdf: no text layer"):
        load_document(no_text_pdf)


def test_unsupported_extension_is_a_named_error(tmp_path: Path) -> None:
    doc = tmp_path / "brochure.docx"
    doc.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(LoaderError, match=r"^brochure\.docx: unsupported file type '\.docx'"):
        load_document(doc)


def test_binary_text_file_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "binaire.txt"
    f.write_bytes(b"abc\x00\x01\x02" * 10)
    with pytest.raises(LoaderError, match="binary"):
        load_document(f)


def test_windows_1252_text_is_read(tmp_path: Path) -> None:
    f = tmp_path / "ancien.txt"
    f.write_bytes("Indemnité de 848,90 € par mois".encode("cp1252"))
    assert load_document(f).text == "Indemnité de 848,90 € par mois"


def test_pdf_limits_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match=r"PDF too long \(5 pages > 4"):
        load_document(PDF, max_pdf_pages=4)
    with pytest.raises(LoaderError, match="file too large"):
        load_document(PDF, max_file_mb=0.01)
    small = tmp_path / "deux.pdf"
    small.write_bytes(minimal_pdf(["Première page", "Deuxième page 12,50 €"]))
    assert load_document(small, max_pdf_pages=2).pages == [(1, "Première page"), (2, "Deuxième page 12,50 €")]


HTML = """<!doctype html><html><head><title>t</title><style>p{color:red}</style>
<script>var tracking = "ne pas indexer";</script></head><body>
<header class="site-header"><a href="/">Accueil</a> | <a href="/nl">NL</a></header>
<nav><ul><li>Menu un</li><li>Menu deux</li></ul></nav>
<div class="cookie-banner">Nous utilisons des cookies</div>
<main>
<h1>La CIP à Bruxelles</h1>
<p>L'indemnité   varie de <strong>848,90&nbsp;€</strong>
   à 1.035,20 € par mois.</p>
<h2>Quelle durée ?</h2>
<ul><li>1 à 6 mois</li><li>renouvelable</li></ul>
<table><tr><th>Âge</th><td>18 ans</td></tr></table>
</main>
<aside>Voir aussi : autre chose</aside>
<footer>Plan du site - Mentions légales</footer>
</body></html>"""


def test_html_main_text_without_boilerplate(tmp_path: Path) -> None:
    text = html_to_text(HTML)
    assert "# La CIP à Bruxelles" in text
    assert "## Quelle durée ?" in text
    assert "- 1 à 6 mois\n- renouvelable" in text
    assert "L'indemnité varie de 848,90 € à 1.035,20 € par mois." in text
    for junk in ("tracking", "Menu un", "cookies", "Accueil", "Plan du site", "Voir aussi", "color:red"):
        assert junk not in text
    page = tmp_path / "cip.html"
    page.write_text(HTML, encoding="utf-8")
    doc = load_document(page)
    assert doc.kind == "html" and doc.structure == "markdown"
