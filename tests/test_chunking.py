from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from ingest_support import CORPUS

from assistant.calculator.money import find_amounts
from ingest.chunking import Chunk, chunk_document, heading_flags
from ingest.loaders import LoadedDocument, load_document
from ingest.normalize import NormalizedDocument, normalize
from ingest.sources import load_catalog

CATALOG = {e.id: (e, p) for e, p in load_catalog(CORPUS).documents}
MAX, MIN = 1200, 200


def _chunk(doc_id: str) -> tuple[NormalizedDocument, list[Chunk]]:
    entry, path = CATALOG[doc_id]
    doc = normalize(load_document(path))
    return doc, chunk_document(doc, entry.id, entry.title, MAX, MIN)


def _containing(chunks: list[Chunk], needle: str) -> list[Chunk]:
    return [c for c in chunks if needle in c.body]


@pytest.mark.parametrize("doc_id", sorted(CATALOG))
def test_invariants(doc_id: str) -> None:
    entry, _ = CATALOG[doc_id]
    doc, chunks = _chunk(doc_id)
    assert chunks
    spans = []
    for c in chunks:
        assert c.body.strip() and c.body == c.body.strip()
        assert c.body == doc.text[c.start:c.end]  # offsets point to the body
        assert c.text == f"{entry.title} — {c.section}\n{c.body}"  # self-contained
        assert c.doc_id == doc_id and c.chunk_id.startswith(doc_id + ":")
        assert len(c.body) <= MAX
        spans.append((c.start, c.end))
    assert spans == sorted(spans)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))  # no overlap
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    # Every line lands in exactly one chunk body, except headings, which are in the section labels.
    flags = heading_flags(doc)
    labels = " ".join(c.section for c in chunks)
    for line, is_heading in zip(doc.lines, flags, strict=True):
        holders = [c for c in chunks if c.start <= line.start and line.end <= c.end]
        text = doc.line_text(line)
        if holders:
            assert len(holders) == 1
        else:
            assert is_heading, f"line in no chunk: {text!r}"
            assert text in labels or text.casefold().replace("’", "'") == entry.title.casefold(), text


@pytest.mark.parametrize("doc_id", sorted(CATALOG))
def test_every_amount_of_the_source_is_in_its_chunks(doc_id: str) -> None:
    _, path = CATALOG[doc_id]
    raw = load_document(path).text
    _, chunks = _chunk(doc_id)
    in_chunks = Counter(a for c in chunks for a in find_amounts(c.body))
    assert Counter(find_amounts(raw)) - in_chunks == Counter()


@pytest.mark.parametrize("doc_id", sorted(CATALOG))
def test_sizes_suit_the_embedding_model(doc_id: str) -> None:
    _, chunks = _chunk(doc_id)
    assert all(MIN <= len(c.body) <= MAX for c in chunks), [len(c.body) for c in chunks]


def test_ids_are_stable_and_content_addressed() -> None:
    _, first = _chunk("ifapme-convention-stage")
    _, second = _chunk("ifapme-convention-stage")
    assert [c.chunk_id for c in first] == [c.chunk_id for c in second]
    entry, path = CATALOG["ifapme-convention-stage"]
    doc = normalize(load_document(path))
    renamed = chunk_document(doc, "autre-id", entry.title, MAX, MIN)
    assert not {c.chunk_id for c in renamed} & {c.chunk_id for c in first}


def test_pdf_amount_list_stays_with_its_heading_and_page() -> None:
    _, chunks = _chunk("ifapme-convention-stage")
    [amounts] = _containing(chunks, "Montants bruts allocations de stage (septembre 2023)")
    assert "• Qualifié : 908,33€ (1ère année) | 1073,49€ (2ème année)" in amounts.body
    assert "• Non qualifié : 625,60€ (1ère année) | 908,29€ (2ème année)" in amounts.body
    assert amounts.page == 2
    [family] = [c for c in chunks if c.section.startswith("Allocations familiales")]
    assert family.page == 3 and "759,28€/mois" in family.body
    first = chunks[0]
    assert first.page == 1 and first.section.startswith("Introduction")


def test_list_stays_with_the_line_that_introduces_it() -> None:
    _, chunks = _chunk("cip-master-alternance")
    [c] = _containing(chunks, "Suivant l'index au 01/01/2019")
    assert "Sur une base mensuelle forfaitaire de 796,9 €" in c.body
    assert "Sur une base journalière de 79,69 €" in c.body
    assert c.section == "ANNEXE 1 : EXTRAITS DE LA CIP* > Indemnité liée à la CIP"


def test_calendar_is_split_but_every_part_keeps_its_heading() -> None:
    doc, chunks = _chunk("cip-master-alternance")
    first_year = [c for c in chunks if "1ère année du master" in c.text]
    assert len(first_year) >= 2
    for c in first_year:
        assert c.text.split("\n", 1)[0].endswith("1ère année du master (environ 103 jours)")
    dates = [doc.line_text(line) for line in doc.lines if doc.line_text(line).startswith("- du ")]
    assert len(dates) == 60
    in_chunks = [line for c in chunks for line in c.body.split("\n") if line.startswith("- du ")]
    assert Counter(in_chunks) == Counter(dates)


def test_table_of_contents_is_not_a_pile_of_one_line_chunks() -> None:
    _, chunks = _chunk("stage-insertion-professionnelle")
    toc = _containing(chunks, "- Qu’est-ce que le stage d’insertion professionnelle ?")
    assert len(toc) == 1 and "- Un tremplin vers le monde professionnel" in toc[0].body
    sections = [c.section for c in chunks]
    assert "Qu’est-ce que le stage d’insertion professionnelle ?" in sections
    assert "FAQ > 1. Quelles sont les obligations pendant le stage d’insertion ?" in sections
    assert "FAQ > 3. Comment s’inscrire au forem ?" in sections


def test_markdown_sections_and_merged_short_sections() -> None:
    _, chunks = _chunk("cip-bruxelles")
    sections = [c.section for c in chunks]
    assert sections[0] == "Introduction"  # the H1 equal to the title is not repeated
    [pay] = _containing(chunks, "848,90€")
    assert "Quelle indemnité ?" in pay.section  # a merged section keeps its name in the label
    assert "1.035,20 €" in pay.body


def test_web_dump_sections() -> None:
    _, chunks = _chunk("cisp-cefa")
    assert chunks[0].section == "Nature et objet"
    [money] = _containing(chunks, "265,59 euros")
    assert money.section == "Aspect financier pour le jeune" and "451,12 euros" in money.body


def _plain(text: str, kind: str = "text") -> NormalizedDocument:
    return normalize(LoadedDocument(path=Path("x.txt"), kind=kind, pages=[(None, text)]))  # type: ignore[arg-type]


def test_long_section_is_split_on_sentence_and_paragraph_boundaries() -> None:
    sentence = "Le stagiaire reçoit une indemnité mensuelle de 848,90 € versée par l'employeur. "
    body = "\n\n".join(sentence * 6 for _ in range(4))
    doc = _plain("Titre\n\nIndemnité\n\n" + body + "\n")
    chunks = chunk_document(doc, "d", "Titre", max_chars=500, min_chars=100)
    assert len(chunks) >= 4
    for c in chunks:
        assert c.section == "Indemnité" and len(c.body) <= 500
        assert c.body.endswith(".")  # cut after a sentence, never inside a figure
    assert sum(c.body.count("848,90 €") for c in chunks) == 24


def test_tiny_sections_are_merged_with_a_neighbour() -> None:
    text = "Titre\n\nA court\n\nUne ligne.\n\nB long\n\n" + ("Phrase assez longue pour compter. " * 20) + "\n"
    chunks = chunk_document(_plain(text), "d", "Titre", max_chars=1200, min_chars=200)
    assert len(chunks) == 1
    assert chunks[0].section == "A court · B long"
    assert chunks[0].body.startswith("Une ligne.\n\nB long\n\nPhrase")


def test_a_document_of_headings_only_gives_no_chunk() -> None:
    doc = _plain("# Seul titre\n", kind="markdown")
    assert chunk_document(doc, "d", "Seul titre") == []


def test_the_header_the_index_writes_is_the_one_passages_read_back() -> None:
    from assistant import passages
    from assistant.schemas import Passage

    for section in ("Conditions", "CIP > Conditions · Durée", ""):
        text = passages.passage_text("La convention d'immersion", section, "Quelle durée ? 1 à 6 mois.")
        p = Passage(doc_id="d", chunk_id="c", title="La convention d'immersion", section=section, text=text)
        assert passages.body(p) == "Quelle durée ? 1 à 6 mois."
    assert passages.section_label("CIP > Conditions · Durée") == "Durée"
