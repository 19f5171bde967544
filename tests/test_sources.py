from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from ingest_support import CORPUS, DOC_IDS, copy_corpus

from ingest.sources import SourcesError, load_catalog, slugify


def test_real_catalog_lists_the_five_documents_with_their_schemes() -> None:
    catalog = load_catalog(CORPUS)
    ids = sorted(e.id for e, _ in catalog.documents)
    assert ids == DOC_IDS
    assert not catalog.missing and not catalog.unlisted and not catalog.warnings
    by_id = {e.id: e for e, _ in catalog.documents}
    assert by_id["cip-master-alternance"].schemes == ("cip", "cip-master")
    assert by_id["ifapme-convention-stage"].updated == "2023-09-01"
    assert by_id["ifapme-convention-stage"].url == "https://www.ifapme.be"
    assert by_id["stage-insertion-professionnelle"].updated is None


def test_unlisted_file_is_indexed_with_a_derived_id_and_a_warning(tmp_path: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    corpus = copy_corpus(tmp_path)
    (corpus / "Brochure IFAPME été 2024.md").write_text("# Titre\n\nTexte.\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="ingest.sources"):
        catalog = load_catalog(corpus)
    entry = next(e for e, p in catalog.documents if p.name.startswith("Brochure"))
    assert entry.id == "brochure-ifapme-ete-2024"
    assert not entry.listed and entry.title == "Brochure IFAPME été 2024"
    assert any("no entry in sources.yaml" in w and "brochure-ifapme-ete-2024" in w for w in catalog.warnings)
    assert "Brochure IFAPME été 2024.md" in caplog.text


def test_derived_id_never_collides_with_a_listed_id(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path)
    shutil.copy(corpus / "cisp-cefa.txt", corpus / "cisp-cefa.md")
    catalog = load_catalog(corpus)
    ids = [e.id for e, _ in catalog.documents]
    assert len(ids) == len(set(ids)) and "cisp-cefa-2" in ids


def test_missing_file_is_reported(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path)
    (corpus / "cisp-cefa.txt").unlink()
    catalog = load_catalog(corpus)
    assert [e.id for e in catalog.missing] == ["cisp-cefa"]
    assert "cisp-cefa" not in [e.id for e, _ in catalog.documents]
    assert any("cisp-cefa.txt" in w and "missing" in w for w in catalog.warnings)


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path)
    text = (corpus / "sources.yaml").read_text(encoding="utf-8")
    (corpus / "sources.yaml").write_text(text.replace("id: cisp-cefa", "id: cip-bruxelles"), encoding="utf-8")
    with pytest.raises(SourcesError, match="cip-bruxelles"):
        load_catalog(corpus)


def test_hidden_and_editor_files_are_not_documents(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path)
    (corpus / ".DS_Store").write_bytes(b"\x00")
    (corpus / "cisp-cefa.txt~").write_text("x", encoding="utf-8")
    assert sorted(e.id for e, _ in load_catalog(corpus).documents) == DOC_IDS


@pytest.mark.parametrize(("name", "slug"), [
    ("Brochure IFAPME 2024.pdf", "brochure-ifapme-2024"),
    ("stage_d'insertion.TXT", "stage-d-insertion"),
    ("Fiche (CIP) — Bruxelles.html", "fiche-cip-bruxelles"),
    ("___.md", "document"),
])
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug
