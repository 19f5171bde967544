"""Conversations, answers and feedback, their erasure and retention, on SQLite and on a real,
throwaway PostgreSQL cluster."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from assistant.retention import purge_expired
from assistant.schemas import CalculationOut, ChatResponse, Citation
from assistant.storage import (
    Purged,
    Storage,
    StorageError,
    UnknownConversation,
    conversations,
    feedback,
    messages,
    metadata,
)
from bench.servers import free_port, postgres_cluster, postgres_unavailable_reason


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    with postgres_cluster() as cluster:
        yield cluster.url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'sub' / 'assistant.db'}"  # the folder is created
    else:
        url = request.getfixturevalue("postgres_url")
    store = Storage(url)
    store.create_tables()
    yield store
    metadata.drop_all(store.engine)
    store.close()


def _response(answer: str = "À 18 ans : 848,90 € [1].", refused: bool = False) -> ChatResponse:
    return ChatResponse(
        answer=answer,
        citations=[
            Citation(doc_id="cip-bruxelles", chunk_id="cip-bruxelles-0003", snippet="848,90 € à 18 ans — « indemnité »", score=0.8, marker=1)
        ],
        calculations=[
            CalculationOut(name="cip_indemnity", inputs={"age": 18}, result=848.9, formula="848,90 €", source_ids=["cip-bruxelles"], valid_from="2024-05-01")
        ],
        refused=refused,
        backend="fake",
        latency_ms=12.5,
        guard=["montant 900,00 € retiré"],
    )


def test_exchange_round_trip(storage: Storage) -> None:
    message_id = storage.save_exchange("conv-1", "J'ai 18 ans, combien en CIP ?", _response())
    assert message_id > 0
    assert storage.conversation_exists("conv-1") and not storage.conversation_exists("conv-2")
    [conv] = storage.recent_conversations()
    assert conv["conversation_id"] == "conv-1"
    [message] = conv["messages"]
    assert message["id"] == message_id
    assert message["question"] == "J'ai 18 ans, combien en CIP ?"
    assert message["answer"] == "À 18 ans : 848,90 € [1]."
    assert message["citations"][0]["snippet"] == "848,90 € à 18 ans — « indemnité »"
    assert message["calculations"][0]["result"] == pytest.approx(848.9)
    assert message["calculations"][0]["valid_from"] == "2024-05-01"
    assert message["latency_ms"] == pytest.approx(12.5)
    assert message["backend"] == "fake" and message["refused"] is False
    assert message["guard"] == ["montant 900,00 € retiré"]
    assert message["created_at"].endswith("+00:00")
    assert storage.healthy


def test_history_keeps_the_last_whole_exchanges_in_order(storage: Storage) -> None:
    for i in range(3):
        storage.save_exchange("conv-h", f"question {i}", _response(f"réponse {i}"))
    storage.save_exchange("other", "ailleurs", _response("autre"))
    turns = storage.history("conv-h", max_turns=4)
    assert [(t.role, t.content) for t in turns] == [
        ("user", "question 1"),
        ("assistant", "réponse 1"),
        ("user", "question 2"),
        ("assistant", "réponse 2"),
    ]
    assert len(storage.history("conv-h", max_turns=5)) == 4  # never half an exchange
    assert len(storage.history("conv-h", max_turns=20)) == 6
    assert storage.history("conv-h", max_turns=1) == []
    assert storage.history("unknown", max_turns=20) == []


def test_feedback_attaches_to_the_latest_answer_and_updates(storage: Storage) -> None:
    first = storage.save_exchange("conv-f", "q1", _response("r1"))
    second = storage.save_exchange("conv-f", "q2", _response("r2"))
    fid = storage.add_feedback("conv-f", "up")
    again = storage.add_feedback("conv-f", "down", "le montant est faux")
    assert again == fid  # one opinion per answer: the later one wins
    storage.add_feedback("conv-f", "up", None, message_id=first)
    [conv] = storage.recent_conversations()
    by_message = {f["message_id"]: f for f in conv["feedback"]}
    assert by_message[second]["rating"] == "down" and by_message[second]["comment"] == "le montant est faux"
    assert by_message[first]["rating"] == "up" and by_message[first]["comment"] is None
    # A later click without a comment keeps the comment given earlier.
    storage.add_feedback("conv-f", "down", None, message_id=second)
    [conv] = storage.recent_conversations()
    assert {f["message_id"]: f for f in conv["feedback"]}[second]["comment"] == "le montant est faux"


def test_feedback_on_unknown_conversation_or_foreign_message(storage: Storage) -> None:
    other = storage.save_exchange("conv-a", "q", _response())
    storage.save_exchange("conv-b", "q", _response())
    with pytest.raises(UnknownConversation):
        storage.add_feedback("nope", "down")
    with pytest.raises(UnknownConversation):
        storage.add_feedback("conv-b", "down", message_id=other)


def test_recent_conversations_filter_by_rating_and_limit(storage: Storage) -> None:
    for name in ("c1", "c2", "c3"):
        storage.save_exchange(name, f"question {name}", _response())
    storage.add_feedback("c1", "down", "incomplet")
    storage.add_feedback("c2", "up")
    assert [c["conversation_id"] for c in storage.recent_conversations(rating="down")] == ["c1"]
    assert [c["conversation_id"] for c in storage.recent_conversations(rating="up")] == ["c2"]
    assert [c["conversation_id"] for c in storage.recent_conversations()] == ["c3", "c2", "c1"]
    assert len(storage.recent_conversations(limit=2)) == 2
    assert storage.recent_conversations(rating="down")[0]["feedback"][0]["comment"] == "incomplet"


def test_unreachable_database_raises_storage_error() -> None:
    store = Storage(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none?connect_timeout=2")
    with pytest.raises(StorageError):
        store.save_exchange("conv", "q", _response())
    assert not store.healthy
    assert not store.ping()
    with pytest.raises(StorageError):
        store.history("conv", 10)


# --- erasure and retention ---------------------------------------------------------------------
def _at(monkeypatch: pytest.MonkeyPatch, when: datetime) -> None:
    """What is written next is dated ``when``."""
    monkeypatch.setattr("assistant.storage._now", lambda: when)


def _counts(storage: Storage) -> tuple[int, int, int]:
    with storage.engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one() for t in (conversations, messages, feedback))  # type: ignore[return-value]


def test_a_conversation_is_erased_with_its_messages_and_feedback(storage: Storage) -> None:
    storage.save_exchange("erase-me", "q1", _response())
    storage.save_exchange("erase-me", "q2", _response())
    storage.add_feedback("erase-me", "down", "faux")
    storage.save_exchange("keep-me", "q", _response())
    storage.add_feedback("keep-me", "up")
    erased = storage.delete_conversation("erase-me")
    assert erased == Purged(conversations=1, messages=2, feedback=1)
    assert not storage.conversation_exists("erase-me") and storage.history("erase-me", 10) == []
    assert [c["conversation_id"] for c in storage.recent_conversations()] == ["keep-me"]
    assert _counts(storage) == (1, 1, 1)
    assert storage.delete_conversation("erase-me") is None  # already gone
    assert storage.delete_conversation("never-seen") is None


def test_purge_deletes_what_is_past_the_retention_period(storage: Storage, monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime.now(UTC)
    _at(monkeypatch, now - timedelta(days=100))
    storage.save_exchange("old", "q", _response())
    storage.add_feedback("old", "down", "vieux")
    storage.save_exchange("long", "première question", _response())  # a conversation still going on
    storage.add_feedback("long", "up")
    _at(monkeypatch, now - timedelta(days=1))
    storage.save_exchange("long", "question d'hier", _response())
    storage.save_exchange("new", "q", _response())
    storage.add_feedback("new", "up")

    purged = purge_expired(storage, days=90, now=now)
    assert purged == Purged(conversations=1, messages=2, feedback=2)
    left = {c["conversation_id"]: c for c in storage.recent_conversations()}
    assert set(left) == {"new", "long"}
    long = left["long"]
    assert [m["question"] for m in long["messages"]] == ["question d'hier"] and long["feedback"] == []
    assert purge_expired(storage, days=90, now=now) == Purged()  # nothing left to delete
    assert purge_expired(storage, days=1, now=now + timedelta(days=1)).conversations == 2
    assert _counts(storage) == (0, 0, 0)
