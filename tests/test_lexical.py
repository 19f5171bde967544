"""French analysis and the BM25 index (fast: no model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.lexical import BM25Index, analyze, canonical_number, fingerprint, get_analyzer


def test_plural_and_singular_share_a_stem() -> None:
    assert analyze("indemnités") == analyze("indemnité")
    assert analyze("allocations") == analyze("allocation")
    assert analyze("familiales") == analyze("familiale")


def test_accents_do_not_matter() -> None:
    # Users type without accents; brochures have them.
    assert analyze("qualifié") == analyze("qualifie")
    assert analyze("indemnités") == analyze("indemnites")
    assert analyze("préavis") == analyze("preavis")
    assert analyze("Congés") == analyze("conges")


def test_accented_words_are_kept_not_dropped() -> None:
    tokens = analyze("période année préavis âge été chômage")
    assert len(tokens) == 5  # "été" is a stop word (auxiliary); every other word gives a token
    assert all(t.isascii() for t in tokens)


def test_elisions_are_removed() -> None:
    assert analyze("l'allocation") == analyze("allocation")
    assert analyze("d'insertion") == analyze("insertion")
    assert analyze("qu'il touche") == analyze("touche")
    assert analyze("l’indemnité") == analyze("indemnité")  # typographic apostrophe
    assert analyze("jusqu'au 31 décembre") == analyze("au 31 décembre")


def test_stop_words_dropped_question_words_kept() -> None:
    assert analyze("le la les de des du et à") == []
    assert "combien" in analyze("combien je touche")
    assert "quand" in analyze("quand est-ce que je commence")


def test_numbers_and_amounts_are_tokens() -> None:
    assert "848,90" in analyze("848,90€ (18 ans)")
    assert "1035,20" in analyze("1.035,20 €")
    assert analyze("1.035,20 €") == analyze("1035,20")
    assert "18" in analyze("j'ai 18 ans")
    assert canonical_number("7.969") == "7969"
    assert canonical_number("796,9") == "796,90"


def test_ordinals_match_across_spellings() -> None:
    expected = analyze("2e année")
    assert expected[0] == "2e"
    for variant in ("2ème année", "2eme annee", "deuxième année", "2 ème année", "2e annee"):
        assert analyze(variant) == expected, variant
    assert analyze("1ère année") == analyze("première année") == analyze("1re annee")


def test_index_finds_by_stem_and_ranks(tmp_path: Path) -> None:
    chunks = [
        ("a", "Les indemnités de stage dépendent de l'âge."),
        ("b", "Les allocations familiales sont maintenues."),
        ("c", "La durée du préavis est de 7 jours."),
    ]
    index = BM25Index.build(chunks)
    assert index.search(analyze("indemnite"), k=3)[0][0] == "a"
    assert index.search(analyze("allocation familiale"), k=3)[0][0] == "b"
    assert index.search(analyze("preavis"), k=3)[0][0] == "c"
    assert index.search(analyze("rien à voir"), k=3) == []


def test_weighted_terms_change_order() -> None:
    index = BM25Index.build([("x", "stage stage mutuelle"), ("y", "mutuelle mutuelle stage")])
    (stage,), (mutuelle,) = analyze("stage"), analyze("mutuelle")
    assert index.search({stage: 1.0, mutuelle: 0.1}, k=2)[0][0] == "x"
    assert index.search({stage: 0.1, mutuelle: 1.0}, k=2)[0][0] == "y"


def test_save_load_roundtrip(tmp_path: Path) -> None:
    chunks = [("a", "indemnité de stage"), ("b", "allocations familiales")]
    index = BM25Index.build(chunks, metadata={"a": {"doc_id": "d", "schemes": "cip"}})
    folder = tmp_path / "bm25"
    index.save(folder)
    index.save(folder)  # overwriting an existing index works
    loaded = BM25Index.load(folder)
    assert loaded is not None
    assert loaded.ids == index.ids and loaded.fingerprint == fingerprint(chunks)
    assert loaded.search(analyze("allocation"), k=1) == index.search(analyze("allocation"), k=1)
    assert loaded.texts == dict(chunks)
    assert loaded.metadata == {"a": {"doc_id": "d", "schemes": "cip"}, "b": {}}
    assert BM25Index.build(chunks, fingerprint_="manifest-v7").fingerprint == "manifest-v7"
    assert not any(p.is_dir() and p.name.startswith(".") for p in tmp_path.iterdir())  # no temp folder left


def test_load_rejects_missing_or_foreign_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert BM25Index.load(tmp_path / "absent") is None
    folder = tmp_path / "bm25"
    BM25Index.build([("a", "texte")]).save(folder)
    monkeypatch.setattr(get_analyzer(), "signature", lambda: "another-analyzer")
    assert BM25Index.load(folder) is None


def test_empty_index_is_valid(tmp_path: Path) -> None:
    index = BM25Index.build([])
    assert index.search(["stag"], k=5) == []
    index.save(tmp_path / "bm25")
    loaded = BM25Index.load(tmp_path / "bm25")
    assert loaded is not None and loaded.ids == []


def test_fingerprint_tracks_ids_and_texts() -> None:
    base = fingerprint([("a", "x"), ("b", "y")])
    assert base == fingerprint([("b", "y"), ("a", "x")])
    assert base != fingerprint([("a", "x"), ("b", "y2")])
    assert base != fingerprint([("a", "x")])


def test_duplicate_ids_rejected() -> None:
    with pytest.raises(ValueError):
        BM25Index.build([("a", "x"), ("a", "y")])


def test_fields_are_indexed_once_but_not_part_of_the_text() -> None:
    chunks = [("a", "Montants bruts des allocations de stage"), ("b", "Montants de la CIP")]
    index = BM25Index.build(chunks, fields={"a": "convention de stage IFAPME ; IFAPME"})
    assert index.search(analyze("ifapme montants"), k=2)[0][0] == "a"
    assert index.texts["a"] == "Montants bruts des allocations de stage"
    assert index.search(analyze("ifapme"), k=2) == [("a", pytest.approx(index.search(analyze("ifapme"), k=1)[0][1]))]
