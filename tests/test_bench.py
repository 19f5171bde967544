"""The benchmark: figures, targets and their table, the tutorial RAG reference, a smoke run."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT, get_settings
from assistant.embeddings import HashingEmbeddings
from assistant.llm import fake_model
from assistant.schemas import ChatResponse, Turn
from bench import ingest_bench, measure, phases, report, run, tutorial_rag
from evals.judge import judge
from evals.suites import Case

CORPUS = PROJECT_ROOT / "corpus"


# --- figures ------------------------------------------------------------------------------------
def test_latency_summary_is_nearest_rank_in_ms() -> None:
    figures = measure.latency_summary([i / 100 for i in range(10, 0, -1)])  # 0.10 .. 0.01 s
    assert figures == {"n": 10, "p50_ms": 50.0, "p95_ms": 100.0, "mean_ms": 55.0, "max_ms": 100.0}
    assert measure.latency_summary([])["p50_ms"] is None


def test_ratio_and_points() -> None:
    assert measure.ratio(3.0, 4.0) == 0.75
    assert measure.ratio(1.0, 0.0) is None and measure.ratio(None, 2.0) is None
    assert measure.points(0.8, 0.45) == 35.0
    assert measure.points(0.2, 0.5) == -30.0
    assert measure.points(None, 0.5) is None


def test_token_meter_counts_streamed_tokens_of_a_chain() -> None:
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate

    chain = ChatPromptTemplate.from_messages([("human", "{q}")]) | fake_model(["Bonjour."]) | StrOutputParser()
    meter = measure.TokenMeter()
    assert "".join(chain.stream({"q": "x"})) == "Bonjour."  # outside the context: not counted
    with measure.metering(meter):
        "".join(chain.stream({"q": "x"}))
    assert len(meter.generations) == 1
    generation = meter.generations[0]
    assert generation.tokens == len("Bonjour.")  # the fake model streams one character per token
    assert generation.ended is not None and generation.first_token is not None
    figures = measure.generation_figures(meter.generations)
    assert figures["generations"] == 1 and figures["tokens_p50"] == len("Bonjour.")


def test_process_memory_of_this_process() -> None:
    memory = measure.process_memory(os.getpid())
    assert memory["processes"] >= 1
    assert memory["peak_rss_mb"] >= memory["rss_mb"] > 10


def test_clear_query_cache() -> None:
    class Cached:
        cleared = 0

        def cache_clear(self) -> None:
            self.cleared += 1

    cached = Cached()
    assert measure.clear_query_cache(cached) and cached.cleared == 1
    assert not measure.clear_query_cache(HashingEmbeddings())  # nothing to clear


# --- questions ------------------------------------------------------------------------------------
def _cases(sizes: dict[str, int]) -> list[Case]:
    return [Case(id=f"{suite}-{i}", question=f"q {i}", suite=suite) for suite, n in sizes.items() for i in range(n)]


def test_sample_spreads_over_suites_deterministically() -> None:
    cases = _cases({"a": 30, "b": 10, "c": 20})
    chosen = phases.sample(cases, 6)
    assert [c.suite for c in chosen].count("a") == 3
    assert [c.suite for c in chosen].count("b") == 1
    assert [c.suite for c in chosen].count("c") == 2
    assert chosen == phases.sample(cases, 6)
    assert [c.id for c in chosen if c.suite == "a"] == ["a-5", "a-15", "a-25"]  # evenly spaced
    assert phases.sample(cases, None) == cases and phases.sample(cases, 100) == cases
    assert phases.sample(cases, 0) == []
    assert len(phases.sample(cases, 7)) == 7


def test_suite_cases_split_answer_and_retrieval_suites() -> None:
    chat, retrieval = phases.suite_cases("chat"), phases.suite_cases("retrieval")
    assert chat and retrieval
    assert {c.suite for c in retrieval} == {"retrieval-dev"}
    assert "retrieval-dev" not in {c.suite for c in chat}


# --- targets and the Markdown table ----------------------------------------------------------------
def test_targets_file_is_valid_and_checked() -> None:
    targets = report.load_targets()
    ids = [t.id for t in targets]
    assert len(ids) == len(set(ids)) and "retrieval-p50" in ids
    results = {"retrieval": {"uncached": {"p50_ms": 40.0}}, "answers": {"extractive": {"answer": {"p50_ms": 300.0}}},
               "reference": {"pass_rate_points": 36.0, "ours": {"unsupported_answers": 0},
                             "retrieval_sanity": {"gap": -0.08}}}
    checked = {t["id"]: t for t in report.check_targets(results, targets)}
    assert checked["retrieval-p50"]["ok"] is True
    assert checked["extractive-p50"]["ok"] is False
    assert checked["pass-rate-margin"]["ok"] is True
    assert checked["reference-retrieval-sanity"]["ok"] is False  # a mis-set reference shows
    assert checked["unsupported-figures"]["ok"] is True  # 0 ≤ 0
    assert checked["model-answer-p50"]["ok"] is None  # not measured


def test_target_needs_exactly_one_bound() -> None:
    with pytest.raises(ValueError):
        report.Target(id="x", label="x", metric="a.b")
    with pytest.raises(ValueError):
        report.Target(id="x", label="x", metric="a.b", max=1, min=0)
    assert report.Target(id="x", label="x", metric="a", min=25, unit="points").bound == "≥ 25 points"


def test_markdown_marks_met_missed_and_unmeasured_targets() -> None:
    results = {
        "date": "2026-11-27", "machine": {"cpus": 2, "loadavg_start": [1.0, 1.0, 1.0], "loadavg_end": [2.0, 1.0, 1.0],
                                          "uptime": "up 1 day, load average: 1.00"},
        "retrieval": {"cases": 3, "suite": "retrieval-dev", "k": 5, "mode": "hybrid", "cache_cleared": True,
                      "uncached": {"n": 3, "p50_ms": 40.0, "p95_ms": 70.0}, "cached": {"n": 3, "p50_ms": 5.0},
                      "embedding": {"n": 3, "p50_ms": 35.0}},
        "answers": {"extractive": {"questions": 3, "answer": {"p50_ms": 300.4, "p95_ms": 500.0},
                                   "first_token": {"p50_ms": 250.0}, "pass_rate": 0.5, "unsupported_answers": 0,
                                   "fallbacks": 0},
                    "llamacpp": {"skipped": "--skip-model"}},
        "reference": {"skipped": "--skip-model"},
    }
    results["targets"] = report.check_targets(results, report.load_targets())
    text = report.render_markdown(results)
    rows = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines() if line.startswith("| ")}
    assert rows["Recherche p50 (embedding de la question + recherche hybride, sans cache)"].endswith("40 ms | ✓ |")
    assert rows["Réponse extractive p50 (de bout en bout)"].endswith("300 ms | ✗ |")
    assert rows["Modèle : premier token p50 (réponses sans calcul)"].endswith("non mesuré | – |")
    assert "50.0 %" in text and "Non mesuré (--skip-model)." in text
    assert "load average: 1.00" in text  # the load the figures were measured under


def _mine(passed: list[bool], answer_ms: list[float]) -> list[dict[str, object]]:
    return [{"id": f"c{i}", "passed": p, "unsupported": [], "answer_ms": a, "first_token_ms": a / 2}
            for i, (p, a) in enumerate(zip(passed, answer_ms, strict=True))]


def test_each_backend_of_ours_is_compared_with_the_reference_on_the_same_questions() -> None:
    cases = [Case(id=f"c{i}", suite="s", question="q") for i in range(4)]
    theirs = {"pass_rate": 0.25, "answer_p50_ms": 4000.0, "answer_p95_ms": 8000.0, "first_token_p50_ms": 1000.0}
    # A superset (the extractive run answers every case): only the reference's questions count.
    extractive = phases._ours([*_mine([True, True, True, False], [100, 100, 200, 100]),
                               {"id": "other", "passed": False, "unsupported": [], "answer_ms": 1.0,
                                "first_token_ms": 1.0}], cases)
    compared = phases._compared(extractive, theirs)
    assert compared["pass_rate"] == 0.75 and compared["pass_rate_points"] == 50.0
    assert compared["ratios"]["answer_p50"] == round(100 / 4000, 2)
    with pytest.raises(RuntimeError, match="do not cover"):
        phases._ours(_mine([True], [1.0]), cases)


def test_markdown_reference_has_a_column_per_backend_of_ours() -> None:
    section = {"questions": 4, "backend": "llamacpp", "default_backend": "extractive",
               "tutorial": {"pass_rate": 0.25, "answer_p50_ms": 4000.0},
               "by_backend": {"llamacpp": {"pass_rate": 0.5, "pass_rate_points": 25.0, "ratios": {"answer_p50": 1.5}},
                              "extractive": {"pass_rate": 0.75, "pass_rate_points": 50.0, "ratios": {"answer_p50": 0.03}}},
               "per_suite": {"s": {"questions": 4, "tutorial": 0.25, "by_backend": {"llamacpp": 0.5, "extractive": 0.75}}}}
    text = report._reference(section)
    assert "nous (extractive, par défaut)" in text and "nous (llamacpp)" in text
    assert "| taux de réussite | 50" in text and "25.0 points ; 50.0 points" in text


def test_markdown_shows_the_warm_start_figures_and_ratio() -> None:
    results = {"warm_start": {"backend": "llamacpp", "ready_s": 31.2, "first_ms": 5300.0, "next": 10,
                              "next_median_ms": 4800.0, "ratio": 1.1}}
    results["targets"] = report.check_targets(results, report.load_targets())
    text = report.render_markdown(results)
    assert "| 5300 | 4800 | × 1.10 |" in text and "prêt en 31.2 s" in text
    assert "| ≤ 1.5 × | 1.10 × | ✓ |" in text


# --- the ingest child's confinement ----------------------------------------------------------------
def test_ingest_child_env_points_only_at_the_work_folder(tmp_path: Path) -> None:
    env = ingest_bench.child_env(tmp_path, {"ASSISTANT_CHROMA_HOST": "db", "ASSISTANT_BM25_PATH": "/x", "KEEP": "1"})
    assert env["ASSISTANT_DATA_DIR"] == str(tmp_path / "data")
    assert "ASSISTANT_CHROMA_HOST" not in env and "ASSISTANT_BM25_PATH" not in env and env["KEEP"] == "1"


def test_edit_one_document_changes_exactly_one_text_file(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(b"%PDF")
    (tmp_path / "b.md").write_text("# B\n", encoding="utf-8")
    (tmp_path / "c.txt").write_text("C\n", encoding="utf-8")
    edited = ingest_bench.edit_one_document(tmp_path)
    assert edited.name == "b.md" and "banc d'essai" in edited.read_text(encoding="utf-8")
    assert (tmp_path / "c.txt").read_text(encoding="utf-8") == "C\n"


# --- the tutorial RAG ---------------------------------------------------------------------------------
def test_tutorial_splitter_is_the_tutorials() -> None:
    splitter = tutorial_rag.splitter()
    assert (splitter._chunk_size, splitter._chunk_overlap) == (1000, 150)
    assert tutorial_rag.TOP_K == 4


def test_tutorial_chunks_cover_the_corpus_within_1000_chars() -> None:
    documents = tutorial_rag.load_documents(CORPUS)
    assert {d.metadata["doc_id"] for d in documents} == {
        "cip-bruxelles", "cip-master-alternance", "cisp-cefa", "ifapme-convention-stage", "stage-insertion-professionnelle"}
    chunks = tutorial_rag.split_documents(documents)
    assert len(chunks) > len(documents)
    assert max(len(c.page_content) for c in chunks) <= 1000
    assert len({c.id for c in chunks}) == len(chunks)
    assert any(c.metadata["page"] for c in chunks)  # PDF pages keep their number


@pytest.fixture
def tiny_rag() -> Iterator[tutorial_rag.TutorialRAG]:
    chunks = tutorial_rag.split_documents(tutorial_rag.load_documents(CORPUS))
    rag = tutorial_rag.TutorialRAG.build(chunks, HashingEmbeddings(), fake_model(["L'indemnité est de 848,90 €."]))
    yield rag
    rag.close()


def test_tutorial_answer_is_a_chat_response_citing_its_top_4(tiny_rag: tutorial_rag.TutorialRAG) -> None:
    seen: list[str] = []
    response = tiny_rag.ask("Combien gagne-t-on en CIP à 18 ans ?", on_token=seen.append)
    assert isinstance(response, ChatResponse)
    assert response.answer == "L'indemnité est de 848,90 €." == "".join(seen)
    assert len(response.citations) == 4 and not response.refused and not response.calculations
    assert all(c.snippet and c.doc_id and c.chunk_id for c in response.citations)
    assert [c.marker for c in response.citations] == [1, 2, 3, 4]
    # The evaluation's judge applies as is: a figure not in any cited chunk is unsupported.
    case = Case(id="t", question="q", suite="s", amounts=["848,90"])
    verdict = judge(case, response)
    cited = " ".join(c.snippet for c in response.citations)
    assert bool(verdict.unsupported) == ("848,90" not in cited)


def test_tutorial_sends_the_whole_conversation_as_chat_messages() -> None:
    from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
    from langchain_core.messages import AIMessage

    class Recording(FakeMessagesListChatModel):
        seen: list = []

        def _generate(self, messages, stop=None, run_manager=None, **kwargs):  # type: ignore[no-untyped-def]
            Recording.seen = list(messages)
            return super()._generate(messages, stop, run_manager, **kwargs)

    chunks = tutorial_rag.split_documents(tutorial_rag.load_documents(CORPUS))[:8]
    with tutorial_rag.TutorialRAG.build(chunks, HashingEmbeddings(), Recording(responses=[AIMessage("ok")])) as rag:
        history = [Turn(role="user", content="J'ai 18 ans, combien en CIP ?"), Turn(role="assistant", content="848,90 €.")]
        rag.ask("Et à 21 ans ?", history=history)
        metadata = rag.store._collection.metadata  # type: ignore[attr-defined]
    roles = [m.type for m in Recording.seen]
    assert roles == ["system", "human", "ai", "human"]
    assert Recording.seen[-1].content == "Et à 21 ans ?" and Recording.seen[2].content == "848,90 €."
    system = Recording.seen[0].content
    assert system.startswith("Vous êtes un assistant") and any(c.page_content in system for c in chunks)  # stuffed
    assert metadata["hnsw:space"] == "cosine"


def test_tutorial_retrieval_is_scored_like_ours(tiny_rag: tutorial_rag.TutorialRAG) -> None:
    from evals.retrieval_eval import evaluate_mode

    passages = tiny_rag.search("indemnité CIP", k=3)
    assert len(passages) == 3 and all(p.doc_id and p.chunk_id and p.text for p in passages)
    cases = [Case(id="r", question="indemnité CIP", suite="retrieval-dev", sources=[passages[0].doc_id])]
    metrics = evaluate_mode(tiny_rag.search, cases, "dense")
    assert metrics["hit_at_1"] == 1.0


def test_tutorial_workdir_is_removed_on_close() -> None:
    rag = tutorial_rag.TutorialRAG.build(tutorial_rag.split_documents(tutorial_rag.load_documents(CORPUS))[:3],
                                         HashingEmbeddings(), fake_model(["ok"]))
    workdir = rag.workdir
    assert workdir is not None and workdir.exists()
    rag.close()
    assert not workdir.exists()


# --- smoke runs ------------------------------------------------------------------------------------------
@pytest.fixture
def hashing_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The real corpus indexed with the model-free hashing embedder in tmp_path; settings point there."""
    from ingest.pipeline import run_ingest

    for name in ("ASSISTANT_CHROMA_HOST", "ASSISTANT_CHROMA_PATH", "ASSISTANT_BM25_PATH", "ASSISTANT_CORPUS_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ASSISTANT_EMBEDDING_BACKEND", "hashing")
    monkeypatch.setenv("ASSISTANT_LLM_BACKEND", "extractive")
    get_settings.cache_clear()
    report_ = run_ingest(CORPUS, settings=get_settings(), show_progress=False)
    assert report_.chunks > 0 and not report_.failures
    yield tmp_path
    get_settings.cache_clear()


def _run(out: Path, *extra: str) -> dict:
    code = run.main(["--skip-model", "--questions", "3", "--out-dir", str(out), "--name", "smoke", *extra])
    assert code == 0
    results = json.loads((out / "smoke.json").read_text(encoding="utf-8"))
    assert (out / "smoke.md").read_text(encoding="utf-8").startswith("# Banc d'essai")
    return results


def test_smoke_run_in_process(hashing_index: Path) -> None:
    results = _run(hashing_index / "out", "--phases", "retrieval,answers")
    assert results["retrieval"]["cases"] == 3 and results["retrieval"]["uncached"]["n"] == 3
    extractive = results["answers"]["extractive"]
    assert extractive["questions"] == 3 and extractive["errors"] == 0
    assert extractive["first_token"]["n"] == 3
    assert results["answers"]["llamacpp"] == {"skipped": "--skip-model"}
    checked = {t["id"]: t for t in results["targets"]}
    assert checked["retrieval-p50"]["value"] is not None and checked["extractive-p50"]["value"] is not None
    assert checked["model-answer-p50"]["ok"] is None
    assert results["machine"]["loadavg_start"] and results["failed_phases"] == []


@pytest.mark.slow
def test_smoke_run_with_ingest_and_a_live_server(hashing_index: Path) -> None:
    """Every phase that needs no model: an ingest child process and a real `assistant serve`."""
    results = _run(hashing_index / "out", "--requests", "4", "--concurrency", "1,2")
    ingest = results["ingest"]
    assert ingest["cold"]["chunks"] > 0 and ingest["cold"]["embedded"] == ingest["cold"]["chunks"]
    assert ingest["unchanged"]["embedded"] == 0 and ingest["unchanged"]["unchanged"] == ingest["cold"]["documents"]
    assert ingest["changed"]["updated"] == 1
    levels = results["throughput"]["levels"]
    assert [lv["clients"] for lv in levels] == [1, 2] and all(lv["errors"] == 0 and lv["rps"] for lv in levels)
    assert results["memory"]["extractive"]["peak_rss_mb"] > 50


@pytest.mark.slow
def test_warm_start_phase_on_a_live_server(hashing_index: Path) -> None:
    """The phase's mechanics on an extractive server (the real figure is the default model's)."""
    cases = phases.sample(phases.suite_cases("chat"), 3)
    result = phases.bench_warm_start(cases, backend="extractive", timeout=60)
    assert result["next"] == 2 and len(result["answers_ms"]) == 3 and result["questions"] == [c.id for c in cases]
    assert result["first_ms"] > 0 and result["ratio"] is not None and result["ready_s"] > 0


def test_timed_in_thread_returns_the_result_and_raises_errors() -> None:
    import threading

    value, seconds = measure.timed_in_thread(lambda: threading.current_thread().name)
    assert value == "bench-call" and seconds >= 0
    with pytest.raises(ZeroDivisionError):
        measure.timed_in_thread(lambda: 1 / 0)
