"""Ingest timings, run in a child process so that nothing touches the real index.

    python -m bench.ingest_bench --corpus corpus --workdir /tmp/x --out /tmp/x/ingest.json

The child's settings point at ``workdir`` only (ASSISTANT_DATA_DIR, embedded Chroma, the BM25
index beside it: the after-ingest hooks write there too). The embedding model is loaded first,
untimed apart, then three ingests are timed on a copy of the corpus: cold (empty index),
unchanged re-run, and one changed document (a sentence appended to the first text file).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Settings the child must not inherit: they would point the ingest at the real index.
REAL_INDEX_VARS = ("ASSISTANT_CHROMA_HOST", "ASSISTANT_CHROMA_PATH", "ASSISTANT_BM25_PATH", "ASSISTANT_CORPUS_DIR")
EDIT = "\n\nPour le banc d'essai : ce paragraphe a été ajouté afin de modifier un seul document.\n"
TEXT_SUFFIXES = (".md", ".txt", ".markdown", ".text")


def child_env(workdir: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of the child: the parent's, confined to ``workdir``."""
    env = dict(os.environ if base is None else base)
    for name in REAL_INDEX_VARS:
        env.pop(name, None)
    env["ASSISTANT_DATA_DIR"] = str(workdir / "data")
    return env


def edit_one_document(corpus: Path) -> Path:
    """Append a paragraph to the first text document (sorted by name) and return its path."""
    for path in sorted(corpus.iterdir()):
        if path.suffix.lower() in TEXT_SUFFIXES:
            with path.open("a", encoding="utf-8") as f:
                f.write(EDIT)
            return path
    raise SystemExit(f"no text document to edit in {corpus}")


def _figures(report: Any, wall: float) -> dict[str, Any]:
    return {
        "seconds": round(wall, 3),
        "documents": report.documents,
        "chunks": report.chunks,
        "added": len(report.added),
        "updated": len(report.updated),
        "unchanged": len(report.unchanged),
        "embedded": report.embedded,
        "reused": report.reused,
        "failures": [f"{f.file}: {f.reason}" for f in report.failures],
    }


def measure(corpus: Path, workdir: Path) -> dict[str, Any]:
    from assistant.config import get_settings
    from assistant.embeddings import get_embedder
    from ingest.pipeline import run_ingest

    settings = get_settings()
    if settings.data_dir.resolve() != (workdir / "data").resolve():
        raise SystemExit(f"refusing to ingest outside the work folder ({settings.data_dir})")
    copy = workdir / "corpus"
    shutil.copytree(corpus, copy)

    started = time.perf_counter()
    embedder = get_embedder(settings)
    load_s = time.perf_counter() - started

    results: dict[str, Any] = {"model_load_s": round(load_s, 2), "embedding_model": settings.embedding_model,
                               "embedding_backend": settings.embedding_backend}
    for name in ("cold", "unchanged", "changed"):
        if name == "changed":
            results["changed_file"] = edit_one_document(copy).name
        started = time.perf_counter()
        report = run_ingest(copy, settings=settings, embedder=embedder, show_progress=False)
        results[name] = _figures(report, time.perf_counter() - started)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    results = measure(args.corpus, args.workdir)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
