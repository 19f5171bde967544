"""Reciprocal rank fusion arithmetic, ties, labels, and scheme preference."""

from __future__ import annotations

import pytest

from assistant.fusion import Fused, prefer, prefer_schemes, rrf, scheme_match


def test_rrf_arithmetic_and_labels() -> None:
    fused = rrf({"dense": ["a", "b", "c"], "bm25": ["b", "d"]}, k=60)
    scores = {f.chunk_id: f.score for f in fused}
    assert scores["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert scores["a"] == pytest.approx(1 / 61)
    assert scores["d"] == pytest.approx(1 / 62)
    assert [f.chunk_id for f in fused] == ["b", "a", "d", "c"]
    by_id = {f.chunk_id: f for f in fused}
    assert by_id["b"].retrievers == ["dense", "bm25"] and by_id["b"].ranks == {"dense": 2, "bm25": 1}
    assert by_id["c"].retrievers == ["dense"]


def test_ties_are_broken_deterministically() -> None:
    # a and d both rank 1 in one list: equal score, equal retriever count, equal best rank -> by id.
    fused = rrf({"dense": ["d", "x"], "bm25": ["a", "y"]}, k=60)
    assert [f.chunk_id for f in fused][:2] == ["a", "d"]
    # Equal score but found by two retrievers beats one retriever (k=0: 1/2 + 1/2 == 1/1).
    fused = rrf({"dense": ["p", "q"], "bm25": ["r", "q"]}, k=0)
    assert fused[0].score == pytest.approx(fused[1].score)
    assert fused[0].chunk_id == "q"


def test_repeated_ids_count_once_and_weights() -> None:
    fused = rrf({"dense": ["a", "a", "b"]}, k=10)
    assert {f.chunk_id: f.score for f in fused} == pytest.approx({"a": 1 / 11, "b": 1 / 12})
    weighted = rrf({"dense": ["a"], "bm25": ["b"]}, k=10, weights={"bm25": 2.0})
    assert weighted[0].chunk_id == "b"
    with pytest.raises(ValueError):
        rrf({"dense": ["a"]}, k=-1)


def test_empty_rankings() -> None:
    assert rrf({"dense": [], "bm25": []}) == []


def test_scheme_preference_reorders_only_when_a_scheme_is_named() -> None:
    fused = rrf({"dense": ["cip-amounts", "ifapme-amounts"], "bm25": ["cip-amounts", "ifapme-amounts"]})
    schemes = {"cip-amounts": ["cip"], "ifapme-amounts": ["ifapme"]}
    assert prefer_schemes(list(fused), schemes, [], 0.5)[0].chunk_id == "cip-amounts"
    boosted = prefer_schemes(
        rrf({"dense": ["cip-amounts", "ifapme-amounts"], "bm25": ["cip-amounts", "ifapme-amounts"]}),
        schemes,
        ["ifapme"],
        0.5,
    )
    assert [f.chunk_id for f in boosted] == ["ifapme-amounts", "cip-amounts"]
    assert boosted[0].boosted and not boosted[1].boosted
    assert boosted[0].score == pytest.approx(1.5 * 2 / 62)


def test_boost_beats_a_non_matching_chunk_found_by_as_many_retrievers() -> None:
    ranking = [f"n{i}" for i in range(19)] + ["m"]  # the matching chunk last of a top-20
    fused = prefer_schemes(rrf({"bm25": ranking}), {"m": ["ifapme"]}, ["ifapme"], 0.5)
    assert fused[0].chunk_id == "m"


def test_fused_best_rank() -> None:
    assert Fused("a", 0.1, ranks={"dense": 3, "bm25": 2}).best_rank == 2


def test_scheme_match_is_the_share_of_named_schemes() -> None:
    assert scheme_match(["cip"], ["cip"]) == 1.0
    assert scheme_match(["cip"], ["cip", "cip-master"]) == 1.0
    assert scheme_match(["cip", "cip-master"], ["cip"]) == 0.5
    assert scheme_match(["ifapme"], ["cip"]) == 0.0
    assert scheme_match([], ["cip"]) == 0.0


def test_naming_both_cip_and_master_prefers_the_master_annex() -> None:
    fused = rrf({"dense": ["cip-contrat", "master-def"], "bm25": ["cip-contrat", "master-def"]})
    schemes = {"master-def": ["cip", "cip-master"], "cip-contrat": ["cip"]}
    assert prefer_schemes(fused, schemes, ["cip", "cip-master"], 0.5)[0].chunk_id == "master-def"


def test_prefer_multiplies_and_marks() -> None:
    fused = prefer(rrf({"dense": ["a", "b"]}, k=0), {"b": 3.0, "a": 0.5})
    assert [(f.chunk_id, f.score, f.boosted) for f in fused] == [("b", 1.5, True), ("a", 0.5, False)]
