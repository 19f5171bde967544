"""Suite files: they parse, ids are unique, sources exist, and the expectations come from the corpus."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from pathlib import Path

import pypdf
import pytest
import yaml

from assistant.calculator.money import find_numbers
from assistant.config import get_settings
from evals.judge import contains, near, norm
from evals.suites import (
    Case,
    SuiteError,
    corpus_doc_ids,
    default_suite_paths,
    load_suite,
    load_suites,
    select,
)

CHAT_SUITES = {"cip", "master-alternance", "ifapme", "stage-insertion", "cisp", "montants-plafonds",
               "refus-injections", "multi-tour"}


@lru_cache
def corpus_texts() -> dict[str, str]:
    folder = get_settings().corpus_dir
    out = {}
    for doc in yaml.safe_load((folder / "sources.yaml").read_text(encoding="utf-8"))["documents"]:
        path = folder / doc["file"]
        if path.suffix == ".pdf":
            out[doc["id"]] = "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(path).pages)
        else:
            out[doc["id"]] = path.read_text(encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def suites():
    return {s.name: s for s in load_suites(default_suite_paths())}


def test_every_theme_has_its_file(suites) -> None:
    assert CHAT_SUITES | {"retrieval-dev"} <= set(suites)


def test_at_least_120_chat_cases(suites) -> None:
    assert sum(len(suites[name].cases) for name in CHAT_SUITES) >= 120


def test_ids_unique_across_suites(suites) -> None:
    counts = Counter(c.id for s in suites.values() for c in s.cases)
    assert [i for i, n in counts.items() if n > 1] == []


def test_sources_are_corpus_ids(suites) -> None:
    known = corpus_doc_ids()
    assert {d for s in suites.values() for c in s.cases for d in c.sources} <= known


def test_retrieval_dev_size_and_coverage(suites) -> None:
    dev = suites["retrieval-dev"]
    assert dev.kind == "retrieval"
    assert len(dev.cases) >= 80
    per_doc = Counter(d for c in dev.cases for d in c.sources)
    assert set(per_doc) == corpus_doc_ids()
    assert min(per_doc.values()) >= 10
    assert any(c.history for c in dev.cases)
    assert all(c.sources and (c.facts or c.amounts) for c in dev.cases)


def test_retrieval_dev_expectations_are_in_their_documents(suites) -> None:
    """answer@3 can only be reached if the expected facts are written in the expected documents."""
    texts = corpus_texts()
    for case in suites["retrieval-dev"].cases:
        text = " ".join(texts[d] for d in case.sources)
        folded, numbers = norm(text), find_numbers(text)
        for group in case.facts:
            assert any(contains(folded, p) for p in group), (case.id, group)
        for amount in case.amounts:
            assert near(amount, numbers, case.tol), (case.id, amount)


def test_chat_amounts_are_stated_in_the_sources_unless_derived(suites) -> None:
    texts = corpus_texts()
    for name in CHAT_SUITES:
        for case in suites[name].cases:
            if "derived" in case.tags or not case.sources:
                continue
            numbers = find_numbers(" ".join(texts[d] for d in case.sources))
            for amount in case.amounts:
                assert near(amount, numbers, case.tol), (case.id, amount)


def test_every_chat_case_checks_something(suites) -> None:
    for name in CHAT_SUITES:
        for c in suites[name].cases:
            assert c.refuse or c.sources or c.facts or c.amounts or c.forbid or c.only_amounts, c.id


def test_refusal_kinds_present(suites) -> None:
    refus = suites["refus-injections"].cases
    assert sum(c.refuse for c in refus) >= 8
    assert sum(c.unanswered for c in refus) >= 5
    assert any("5000" in f for c in refus for f in c.forbid)
    assert all(c.history for c in suites["multi-tour"].cases)


def test_unknown_field_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("cases:\n- id: x\n  question: q\n  fact: [[a]]\n", encoding="utf-8")
    with pytest.raises(SuiteError, match="fact"):
        load_suite(bad)


def test_unknown_source_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("cases:\n- id: x\n  question: q\n  sources: [nope]\n", encoding="utf-8")
    with pytest.raises(SuiteError, match="nope"):
        load_suite(bad)


def test_duplicate_ids_across_files_are_rejected(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / f"{name}.yaml").write_text("cases:\n- id: same\n  question: q\n", encoding="utf-8")
    with pytest.raises(SuiteError, match="same"):
        load_suites([tmp_path / "a.yaml", tmp_path / "b.yaml"])


def test_missing_cases_key_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- id: x\n", encoding="utf-8")
    with pytest.raises(SuiteError, match="cases"):
        load_suite(bad)


def test_refuse_with_amounts_is_incoherent() -> None:
    with pytest.raises(ValueError):
        Case.model_validate({"id": "x", "question": "q", "refuse": True, "amounts": [1]})


def test_select_by_id_and_pattern(suites) -> None:
    picked = select(list(suites.values()), ["cip-indemnite-18", "cisp-*"])
    ids = {c.id for s in picked for c in s.cases}
    assert "cip-indemnite-18" in ids and "cisp-duree" in ids and "ifapme-contact" not in ids
