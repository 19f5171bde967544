"""Sentence vectors (assistant/sentence_index.py) and the nearness in meaning in the sentence ranking."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from assistant import extractive
from assistant.embeddings import HashingEmbeddings
from assistant.question import analysed as Q
from assistant.schemas import Passage
from assistant.sentence_index import Nearness, SentenceVectors, passage_sentences, sentence_key
from assistant.sentences import Sentence, of_passage

TEXT = (
    "Plan Formation-Insertion — Le PFI\n"
    "Le dispositif vous permet de former un demandeur d'emploi puis de l'engager pour une durée au moins "
    "équivalente à la formation.\n"
    "La formation s'étale sur 4 à 26 semaines.\n"
    "Elle peut être organisée en entreprise ou en partie dans un centre de formation."
)
PASSAGE = Passage(chunk_id="pfi-1", doc_id="pfi", title="Plan Formation-Insertion", section="Le PFI", text=TEXT)


class Counting(HashingEmbeddings):
    """The hashing embedder, counting the texts it encodes."""

    def __init__(self) -> None:
        super().__init__()
        self.encoded = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.encoded += len(texts)
        return super().embed_documents(texts)


def test_vectors_cover_every_sentence_and_reuse_what_they_have(tmp_path: Path) -> None:
    texts = passage_sentences([PASSAGE])
    pool = of_passage(1, TEXT.partition("\n")[2], "Le PFI")
    assert {sentence_key(s.text, s.title) for s in pool} == set(texts)
    embedder = Counting()
    model = f"counting-{tmp_path.name}"  # a model name of its own: no earlier build of this process to reuse
    first = SentenceVectors.build(texts, embedder, "f1", model)
    assert embedder.encoded == len(texts) and first.matrix.shape[0] == len(texts)
    more = dict(texts, extra="Une phrase nouvelle.")
    second = SentenceVectors.build(more, embedder, "f2", model, reuse=first)
    assert embedder.encoded == len(texts) + 1  # only the new sentence was encoded
    path = tmp_path / "bm25-sentences.npz"
    second.save(path)
    loaded = SentenceVectors.load(path)
    assert loaded is not None and loaded.fingerprint == "f2" and loaded.keys == second.keys
    assert (loaded.matrix == second.matrix).all()


def test_similarities_are_cosines_and_none_without_a_vector() -> None:
    embedder = HashingEmbeddings()
    texts = passage_sentences([PASSAGE])
    vectors = SentenceVectors.build(texts, embedder, "f", "hashing")
    pool = list(of_passage(1, TEXT.partition("\n")[2], "Le PFI"))
    stranger = Sentence(marker=1, position=9, text="Absente de l'index.", tokens=(), amounts=(), has_count=False,
                        intro=False, item=False)
    query = embedder.embed_documents([texts[sentence_key(pool[1].text, pool[1].title)]])[0]
    scores = vectors.similarities(query, [*pool, stranger])
    assert scores[-1] is None
    assert scores[1] == pytest.approx(1.0, abs=1e-5)  # the same text: cosine 1
    assert all(-1.0 - 1e-6 <= s <= 1.0 + 1e-6 for s in scores[:-1] if s is not None)


def test_unreadable_vectors_are_rebuilt_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "bm25-sentences.npz"
    path.write_bytes(b"not a numpy file")
    assert SentenceVectors.load(path) is None
    assert SentenceVectors.load(tmp_path / "absent.npz") is None


def _pool() -> list[Sentence]:
    return list(of_passage(1, TEXT.partition("\n")[2], "Le PFI"))


def _near(favourite: str, weight: float = 1.0) -> Nearness:
    """A nearness that finds ``favourite`` nearest in meaning, the others at two lower levels."""

    def score(text: str, sentences: Sequence[Sentence]) -> list[float | None]:
        return [0.9 if favourite in s.text else 0.2 + 0.01 * i for i, s in enumerate(sentences)]

    return Nearness(score, weight)


def test_a_paraphrase_finds_its_sentence_by_meaning() -> None:
    question = Q("après, le patron il doit me garder combien de temps ?")
    pool = _pool()
    by_words = extractive.rank(question, pool)[0][1].text
    by_meaning = extractive.rank(question, pool, near=_near("au moins équivalente"))[0][1].text
    assert "au moins équivalente" not in by_words  # its words point elsewhere ("temps", "combien")
    assert "au moins équivalente" in by_meaning


def test_without_nearness_or_with_weight_zero_the_words_alone_rank() -> None:
    question = Q("la formation dure combien de semaines ?")
    pool = _pool()
    plain = [s.text for _, s in extractive.rank(question, pool)]
    assert [s.text for _, s in extractive.rank(question, pool, near=_near("centre de formation", 0.0))] == plain
    assert "26 semaines" in plain[0]


def test_the_answer_uses_the_nearness_it_is_given() -> None:
    question = Q("après, le patron il doit me garder combien de temps ?")
    answer = extractive.compose(question, [PASSAGE], near=_near("au moins équivalente"))
    assert answer.startswith("Le dispositif vous permet") and "[1]" in answer
