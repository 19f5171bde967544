"""The real index for the slow tests: the project's own when `assistant ingest` built it, else a
temporary one built once per session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.schemas import Passage


def _index_ready(settings: Settings) -> bool:
    try:
        from assistant.store import get_store

        return settings.chroma_dir.exists() and get_store(settings).count() > 0
    except Exception:
        return False


@pytest.fixture(scope="session")
def index_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The project's index (var/chroma, built by `assistant ingest`) when it is there; otherwise a
    temporary one built from corpus/ with the real embedding model, once per session."""
    settings = Settings()
    if _index_ready(settings):
        return settings
    from ingest.pipeline import run_ingest

    data_dir: Path = tmp_path_factory.mktemp("index")
    settings = Settings(data_dir=data_dir)
    run_ingest(settings=settings, show_progress=False)
    return settings


def search_with(settings: Settings) -> Callable[..., list[Passage]]:
    """The real hybrid search bound to these settings."""
    from assistant.retrieval import search

    def bound(query: str, k: int = 5, mode: str = "hybrid", schemes: list[str] | None = None) -> list[Passage]:
        return search(query, k=k, mode=mode, schemes=schemes, settings=settings)

    return bound
