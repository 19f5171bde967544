"""Passages for a question (first version: dense retrieval only).

The retrieval engineer replaces this with hybrid dense + BM25 retrieval; the interface stays:
`search(query, k, mode, schemes) -> list[Passage]` and `get_retriever()` for LangChain.
Only passages listed in the index manifest are returned (see assistant/store.py).
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from assistant.config import Settings, get_settings
from assistant.schemas import Passage


def search(
    query: str,
    k: int = 5,
    mode: str = "hybrid",
    schemes: list[str] | None = None,
    settings: Settings | None = None,
) -> list[Passage]:
    """The k nearest live passages by cosine similarity (mode and schemes not used yet)."""
    from assistant.embeddings import embedder_name, get_embedder
    from assistant.store import get_store, passage_from_hit

    if not query.strip():
        return []
    settings = settings or get_settings()
    embedder = get_embedder(settings)
    store = get_store(settings, embedding_model=embedder_name(embedder))
    hits = store.query(embedder.embed_query(query), k)
    return [passage_from_hit(h, retrievers=["dense"]) for h in hits]


class AssistantRetriever(BaseRetriever):
    """LangChain view of `search`: one Document per passage, its fields in the metadata."""

    k: int = 5
    mode: str = "hybrid"
    schemes: list[str] | None = None
    settings: Settings | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        passages = search(query, k=self.k, mode=self.mode, schemes=self.schemes, settings=self.settings)
        return [Document(page_content=p.text, metadata=p.model_dump(exclude={"text"}), id=p.chunk_id) for p in passages]


def get_retriever(k: int | None = None, mode: str = "hybrid", schemes: list[str] | None = None,
                  settings: Settings | None = None, **_: Any) -> AssistantRetriever:
    settings = settings or get_settings()
    return AssistantRetriever(k=k or settings.retrieval_k, mode=mode, schemes=schemes, settings=settings)
