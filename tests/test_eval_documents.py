"""Suites about brochures outside the corpus (`documents:`) run on a throwaway corpus: the corpus
plus those documents, indexed from nothing in a temporary folder; the real index is untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rich.console import Console

from assistant.config import get_settings
from assistant.schemas import ChatResponse, Citation
from evals import runner
from evals.documents import DocumentsError, merge_corpus
from evals.suites import Case
from tests.ingest_support import CORPUS

NEW_DOC = "# Le plan Tremplin\n\nLe plan Tremplin dure 12 semaines et donne droit à une prime de 150 euros par mois.\n"


@pytest.fixture
def documents(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "tremplin.md").write_text(NEW_DOC, encoding="utf-8")
    entry = {"id": "tremplin", "file": "tremplin.md", "title": "Le plan Tremplin", "publisher": "Commune X",
             "scheme": "Plan Tremplin"}
    (folder / "sources.yaml").write_text(yaml.safe_dump({"documents": [entry]}), encoding="utf-8")
    return folder


def suite(tmp_path: Path, name: str, documents: str | None) -> Path:
    head = f"documents: {documents}\n" if documents else ""
    body = (f"{head}cases:\n- id: {name}-1\n  question: \"le plan Tremplin dure combien ?\"\n"
            f"  sources: [{'tremplin' if documents else 'cip-bruxelles'}]\n  facts: [[\"12 semaines\"]]\n")
    path = tmp_path / f"{name}.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def quiet() -> Console:
    return Console(file=open("/dev/null", "w"), width=200)  # noqa: SIM115 - closed with the process


def test_merge_refuses_an_id_already_in_the_corpus(tmp_path: Path, documents: Path) -> None:
    data = yaml.safe_load((documents / "sources.yaml").read_text(encoding="utf-8"))
    data["documents"][0]["id"] = "cip-bruxelles"
    (documents / "sources.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(DocumentsError, match="cip-bruxelles"):
        merge_corpus(CORPUS, documents, tmp_path / "merged")


def test_a_documents_suite_runs_on_the_corpus_plus_its_documents(
    tmp_path: Path, documents: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_EMBEDDING_BACKEND", "hashing")
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(CORPUS))
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "real-var"))
    get_settings.cache_clear()
    seen: dict[str, object] = {}

    def ask(case: Case) -> ChatResponse:
        settings = get_settings()
        seen["corpus"] = settings.corpus_dir
        seen["files"] = sorted(p.name for p in settings.corpus_dir.iterdir())
        seen["indexed"] = (settings.data_dir / "chroma").is_dir()
        quote = "Le plan Tremplin dure 12 semaines"
        return ChatResponse(answer=f"{quote} [1].", backend="fake",
                            citations=[Citation(doc_id="tremplin", chunk_id="tremplin#0", snippet=quote)])

    thresholds = tmp_path / "thresholds.yaml"
    thresholds.write_text('backends:\n  "*":\n    overall:\n      pass_rate: ">= 1"\n', encoding="utf-8")
    report = tmp_path / "report.json"
    code = runner.main([str(suite(tmp_path, "tremplin", str(documents))), "--thresholds", str(thresholds),
                        "--report", str(report)], asker=ask, console=quiet())
    assert code == 0
    assert "tremplin.md" in seen["files"] and "cip-bruxelles.md" in seen["files"]
    assert seen["indexed"] is True
    assert seen["corpus"] != CORPUS
    # afterwards: the settings point back to the real corpus, the temporary one is gone
    get_settings.cache_clear()
    assert get_settings().corpus_dir == CORPUS
    assert not Path(str(seen["corpus"])).exists()
    assert not (tmp_path / "real-var").exists()


def test_suites_on_different_documents_are_run_apart(tmp_path: Path, documents: Path) -> None:
    paths = [str(suite(tmp_path, "a", str(documents))), str(suite(tmp_path, "b", None))]
    assert runner.main(paths, asker=lambda case: ChatResponse(answer="", backend="fake"), console=quiet()) == 2


def test_a_documents_folder_without_sources_yaml_is_a_clear_error(tmp_path: Path, documents: Path) -> None:
    (documents / "sources.yaml").unlink()
    path = suite(tmp_path, "c", str(documents))
    assert runner.main([str(path)], asker=lambda case: ChatResponse(answer="", backend="fake"), console=quiet()) == 2
