"""The reference of the benchmark: a plain tutorial RAG over the same corpus with the same models.

It does what LangChain's RAG tutorial does, as a competent user of it would set it up, and
nothing more: every loaded page is split with RecursiveCharacterTextSplitter (1000 characters,
150 overlap), embedded with the same EmbeddingGemma and its own query/document prompts (float
model for both: the int8 query model is our speed-up, tuned against our index) into its own
temporary Chroma collection with cosine distance; a question (for a follow-up: the user's turns
with it, as our retrieval does) fetches the 4 nearest chunks, which are "stuffed" into the
tutorial's one prompt (in French) as the system message, followed by the whole conversation as
chat messages, for the same default model built by the same factory (assistant/llm.py: same chat
template, same generation settings). No calculator, no guard, no refusal. Loading is the
project's (ingest/loaders.py), so only what comes after loading is compared. Its answers are
ChatResponse objects citing the 4 chunks it retrieved, so the evaluation's judge grades both
assistants the same way.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.schemas import ChatResponse, Citation, Passage, Turn
from evals.retrieval_eval import joined_query
from ingest.loaders import load_document
from ingest.sources import load_catalog

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 150
TOP_K = 4
BACKEND = "tutorial"

# The tutorial's "stuff" prompt (LangChain's RAG tutorial: the system message holds the retrieved
# context), translated; the conversation follows as chat messages.
PROMPT = ChatPromptTemplate.from_messages([
    ("system",
     "Vous êtes un assistant qui répond à des questions. Utilisez les extraits de contexte suivants pour "
     "répondre à la question. Si vous ne connaissez pas la réponse, dites simplement que vous ne savez pas. "
     "Répondez en trois phrases au maximum, de façon concise.\n\n{context}"),
    MessagesPlaceholder("history"),
    ("human", "{question}"),
])


def load_documents(corpus_dir: Path, max_file_mb: float = 50.0, max_pdf_pages: int = 500) -> list[Document]:
    """One Document per page (per file for text formats), as a tutorial's loaders give them."""
    documents = []
    for entry, path in load_catalog(corpus_dir).documents:
        loaded = load_document(path, max_file_mb, max_pdf_pages)
        for page, text in loaded.pages:
            if text.strip():
                documents.append(Document(page_content=text, metadata={
                    "doc_id": entry.id, "title": entry.title, "page": page or 0, "url": entry.url or ""}))
    return documents


def splitter() -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)


def split_documents(documents: Sequence[Document]) -> list[Document]:
    """The tutorial's chunks, each with an id unique within the collection."""
    chunks = splitter().split_documents(list(documents))
    for index, chunk in enumerate(chunks):
        chunk.id = f"{chunk.metadata.get('doc_id', 'doc')}#t{index}"
        chunk.metadata["chunk_id"] = chunk.id
    return chunks


def format_docs(documents: Sequence[Document]) -> str:
    return "\n\n".join(d.page_content for d in documents)


class TutorialRAG:
    """Top-4 dense retrieval and one stuffed prompt; ``close()`` removes its collection."""

    def __init__(self, store: object, llm: BaseChatModel, k: int = TOP_K, workdir: Path | None = None) -> None:
        self.store = store
        self.llm = llm
        self.k = k
        self.workdir = workdir
        self.generate = PROMPT | llm | StrOutputParser()

    @classmethod
    def build(cls, chunks: Sequence[Document], embeddings: Embeddings, llm: BaseChatModel,
              k: int = TOP_K) -> TutorialRAG:
        """Embed ``chunks`` into a fresh Chroma collection in a temporary folder."""
        import chromadb

        from assistant.store import chroma_settings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            from langchain_community.vectorstores import Chroma

        workdir = Path(tempfile.mkdtemp(prefix="tutorial-rag-"))
        client = chromadb.PersistentClient(path=str(workdir), settings=chroma_settings())
        store = Chroma.from_documents(list(chunks), embedding=embeddings, client=client,
                                      collection_name=f"tutorial-{uuid.uuid4().hex[:8]}",
                                      collection_metadata={"hnsw:space": "cosine"})
        return cls(store, llm, k, workdir)

    def retrieve(self, question: str, k: int | None = None) -> list[tuple[Document, float]]:
        return list(self.store.similarity_search_with_relevance_scores(question, k=k or self.k))  # type: ignore[attr-defined]

    def search(self, query: str, k: int = TOP_K, mode: str = "dense") -> list[Passage]:
        """Its retrieval as passages, for the retrieval suite's metrics (evals/retrieval_eval.py)."""
        return [Passage(chunk_id=d.metadata.get("chunk_id") or d.id or "", doc_id=d.metadata.get("doc_id", ""),
                        text=d.page_content, score=float(score)) for d, score in self.retrieve(query, k)]

    def ask(self, question: str, on_token: Callable[[str], None] | None = None,
            history: Sequence[Turn] = ()) -> ChatResponse:
        """Retrieve, stuff, generate (streamed; ``on_token`` sees every non-empty delta)."""
        started = time.perf_counter()
        hits = self.retrieve(joined_query(history, question))
        messages: list[BaseMessage] = [
            HumanMessage(t.content) if t.role == "user" else AIMessage(t.content) for t in history
        ]
        parts = []
        for delta in self.generate.stream(
                {"question": question, "history": messages, "context": format_docs([d for d, _ in hits])}):
            if delta and on_token is not None:
                on_token(delta)
            parts.append(delta)
        citations = [
            Citation(doc_id=d.metadata.get("doc_id", ""), title=d.metadata.get("title", ""),
                     chunk_id=d.metadata.get("chunk_id") or d.id or "", page=d.metadata.get("page") or None,
                     snippet=d.page_content, url=d.metadata.get("url") or None, score=round(float(score), 4),
                     marker=rank)
            for rank, (d, score) in enumerate(hits, 1)
        ]
        return ChatResponse(answer="".join(parts).strip(), citations=citations, refused=False, backend=BACKEND,
                            latency_ms=round((time.perf_counter() - started) * 1000, 1))

    def close(self) -> None:
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self) -> TutorialRAG:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
