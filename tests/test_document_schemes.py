"""A brochure added with a sources.yaml entry and no vocabulary change has a scheme of its own:
named by its label, title and synonyms, with its publisher (or contact) as the competent body."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from assistant.config import get_settings
from assistant.schemes import competent_body, detect_schemes, load_vocabulary, name_patterns
from ingest.sources import SourceEntry

GENERIC = [re.compile(p) for p in ("\\bstag", "\\bconvention", "\\bformation", "insertion")]


def test_names_give_phrases_and_acronyms_but_not_domain_words_alone() -> None:
    patterns = name_patterns(["Plan Formation-Insertion (PFI)", "Convention de stage", "Tremplin"], GENERIC)
    text = [p.pattern for p in patterns]
    assert len(text) == 2  # "convention de stage" only has domain words; one plain word is no name
    assert any(p.search("un plan de formation insertion ?") for p in patterns)
    assert any(p.search("c'est quoi le pfi") for p in patterns)
    assert not any(p.search("une convention de stage") for p in patterns)
    assert not any(p.search("pfizer") for p in patterns)


def test_scheme_ids_are_the_listed_ones_or_the_document_own() -> None:
    assert SourceEntry(id="a", file="a.md", title="A", schemes=("cip",)).scheme_ids == ("cip",)
    assert SourceEntry(id="pfi", file="p.md", title="P").scheme_ids == ("pfi",)


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    documents = [
        {"id": "cip-bruxelles", "file": "cip.md", "title": "La CIP", "schemes": ["cip"]},
        {"id": "pfi-forem", "file": "pfi.md", "title": "Plan Formation-Insertion", "publisher": "le Forem",
         "scheme": "Plan Formation-Insertion (PFI)"},
        {"id": "first", "file": "first.md", "title": "Stage de première expérience professionnelle",
         "publisher": "Infor Jeunes", "contact": "Actiris", "synonyms": ["stage First"]},
    ]
    (tmp_path / "sources.yaml").write_text(yaml.safe_dump({"documents": documents}), encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_a_document_unknown_to_the_vocabulary_is_detected_and_answered_for(corpus: Path) -> None:
    assert detect_schemes("Un PFI dure combien de semaines ?") == ["pfi-forem"]
    assert detect_schemes("le stage first c'est payé ?") == ["first"]
    assert detect_schemes("la CIP et le plan formation-insertion") == ["cip", "pfi-forem"]
    assert competent_body("pfi-forem") == "le Forem"
    assert competent_body("first") == "Actiris"  # the contact before the publisher
    vocabulary = load_vocabulary()
    assert vocabulary.offered[-2:] == ["pfi-forem", "first"]
    assert vocabulary.labels["pfi-forem"] == "Plan Formation-Insertion (PFI)"
    assert "cip-bruxelles" not in vocabulary.schemes  # it lists a vocabulary scheme


def test_the_vocabulary_follows_sources_yaml(corpus: Path) -> None:
    assert detect_schemes("c'est quoi le PFI") == ["pfi-forem"]
    data = yaml.safe_load((corpus / "sources.yaml").read_text(encoding="utf-8"))
    data["documents"] = data["documents"][:1]
    (corpus / "sources.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    assert detect_schemes("c'est quoi le PFI") == []


def test_texts_that_name_the_schemes_follow_sources_yaml_without_a_restart(corpus: Path) -> None:
    from assistant import prompts

    assert "Plan Formation-Insertion (PFI)" in prompts.out_of_scope()
    assert "Plan Formation-Insertion (PFI)" in prompts.system_prompt()
    data = yaml.safe_load((corpus / "sources.yaml").read_text(encoding="utf-8"))
    data["documents"] = data["documents"][:1]
    (corpus / "sources.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    assert "Plan Formation-Insertion" not in prompts.out_of_scope()
    assert "Plan Formation-Insertion" not in prompts.answer_prompt().invoke({"request": "q"}).to_messages()[0].content
