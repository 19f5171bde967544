from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ingest_support import make_settings

from assistant.embeddings import HashingEmbeddings, SentenceTransformerEmbeddings, get_embedder


class FakeModel:
    """Records how it is called; vectors are not normalised unless asked."""

    def __init__(self, prompts: dict[str, str] | None, with_methods: bool = True) -> None:
        self.prompts = prompts or {}
        self.calls: list[tuple[str, list[str], dict[str, Any]]] = []
        if not with_methods:
            self.encode_query = None  # an older sentence-transformers: only encode()
            self.encode_document = None

    def _vectors(self, texts: list[str], normalize: bool) -> np.ndarray:
        out = np.array([[len(t), 1.0, 2.0] for t in texts], dtype=np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True) if normalize else out

    def encode(self, texts: list[str], **kw: Any) -> np.ndarray:
        self.calls.append(("encode", texts, kw))
        return self._vectors(texts, kw.get("normalize_embeddings", False))

    def encode_query(self, texts: list[str], **kw: Any) -> np.ndarray:  # type: ignore[no-redef]
        self.calls.append(("encode_query", texts, kw))
        return self._vectors(texts, kw.get("normalize_embeddings", False))

    def encode_document(self, texts: list[str], **kw: Any) -> np.ndarray:  # type: ignore[no-redef]
        self.calls.append(("encode_document", texts, kw))
        return self._vectors(texts, kw.get("normalize_embeddings", False))

    def get_embedding_dimension(self) -> int:
        return 3


def test_uses_the_model_prompts_and_normalises() -> None:
    model = FakeModel({"query": "task: search result | query: ", "document": "title: none | text: "})
    emb = SentenceTransformerEmbeddings(model, name="fake", batch_size=4)
    docs = emb.embed_documents(["un passage", "un autre passage"])
    q = emb.embed_query("une question")
    assert [c[0] for c in model.calls] == ["encode_document", "encode_query"]
    assert model.calls[0][2]["prompt_name"] == "document" and model.calls[1][2]["prompt_name"] == "query"
    assert all(call[2]["normalize_embeddings"] is True for call in model.calls)
    assert model.calls[0][2]["batch_size"] == 4
    for v in [*docs, q]:
        assert math.isclose(sum(x * x for x in v), 1.0, rel_tol=1e-5)
    assert emb.dimension == 3 and emb.embed_documents([]) == []


def test_model_without_prompts_gets_no_prompt() -> None:
    model = FakeModel(None, with_methods=False)
    emb = SentenceTransformerEmbeddings(model, name="plain")
    emb.embed_query("question")
    emb.embed_documents(["passage"])
    assert [c[0] for c in model.calls] == ["encode", "encode"]
    assert all(c[2]["prompt_name"] is None for c in model.calls)


def test_repeated_questions_come_from_the_cache() -> None:
    model = FakeModel({"query": "q: ", "document": "d: "})
    emb = SentenceTransformerEmbeddings(model, name="fake", cache_size=2)
    a = emb.embed_query("combien en CIP ?")
    b = emb.embed_query("combien en CIP ?")
    assert a == b and len(model.calls) == 1
    emb.embed_query("autre")
    emb.embed_query("encore une autre")
    emb.embed_query("combien en CIP ?")  # evicted (cache of 2): computed again
    assert len(model.calls) == 4


def test_hashing_embedder_is_deterministic_and_unit_length() -> None:
    emb = HashingEmbeddings(dim=32)
    a = emb.embed_query("Indemnité de stage IFAPME")
    assert a == HashingEmbeddings(dim=32).embed_documents(["indemnite de stage ifapme"])[0]  # folded
    assert len(a) == 32 and math.isclose(sum(x * x for x in a), 1.0)
    assert emb.embed_query("") != [0.0] * 32  # never a zero vector (cosine needs a norm)


def test_get_embedder_is_cached_per_settings(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    assert get_embedder(settings) is get_embedder(make_settings(tmp_path))
    assert isinstance(get_embedder(settings), HashingEmbeddings)


@pytest.mark.slow
def test_embeddinggemma_prompts_and_vectors(tmp_path: Path) -> None:
    from assistant.config import get_settings

    emb = get_embedder(get_settings())
    assert isinstance(emb, SentenceTransformerEmbeddings)
    assert emb.query_prompt == "query" and emb.document_prompt == "document"
    assert emb.dimension == 768
    text = "Montants bruts allocations de stage IFAPME : 1073,49€ en 2ème année"
    [doc] = emb.embed_documents([text])
    query = emb.embed_query(text)
    assert math.isclose(sum(x * x for x in doc), 1.0, rel_tol=1e-4)
    assert doc != query  # different prompts, different vectors
    question = emb.embed_query("combien gagne un stagiaire IFAPME en deuxième année ?")
    related, unrelated = emb.embed_documents([text, "Le pécule de vacances est payé par l'ONVA."])
    cos = lambda a, b: sum(x * y for x, y in zip(a, b, strict=True))  # noqa: E731
    assert cos(question, related) > cos(question, unrelated)
